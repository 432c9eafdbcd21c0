"""The PromptLens runbook built by MkDocs + Material, ProperDocs and Zensical: the same site.

Each engine builds a copy of this repository's runbook through `plbook build --engine`; the test
reads the built HTML and search index as a reader's browser would get them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from site_helpers import REPO, copy_runbook

from plbook.catalog import load_catalog

PLBOOK = [sys.executable, "-m", "plbook"]
SEARCH_INDEX = {
    "mkdocs": "search/search_index.json",
    "properdocs": "search/search_index.json",
    "zensical": "search.json",
}
_HREF = re.compile(r'href="([^"#]*)(#[^"]*)?"')


@pytest.fixture(scope="module")
def steps_by_procedure() -> dict[str, list[str]]:
    catalog = load_catalog([REPO / "procedures"])
    return {pid: [s.id for s in p.procedure.steps] for pid, p in catalog.procedures.items()}


def _build(engine: str, folder: Path) -> Path:
    copy_runbook(folder)
    done = subprocess.run(
        [*PLBOOK, "build", "--engine", engine],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return folder / "site"


@pytest.fixture(scope="module", params=["mkdocs", "properdocs", "zensical"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    engine = request.param
    return engine, _build(engine, tmp_path_factory.mktemp(engine))


def test_every_procedure_page_and_step_anchor_is_built(built, steps_by_procedure) -> None:
    engine, site = built
    for pid, steps in steps_by_procedure.items():
        page = (site / "procedures" / pid / "index.html").read_text()
        for step in steps:
            assert f'id="step-{step}"' in page, f"{engine}: {pid} lacks #step-{step}"
    assert (site / "procedures/category/rollback/index.html").is_file()


def test_plbook_links_in_reference_pages_reach_pages_and_steps(built) -> None:
    engine, site = built
    checked = 0
    for source in sorted((REPO / "runbook").glob("*.md")):
        built_page = site / ("" if source.stem == "index" else source.stem) / "index.html"
        html = built_page.read_text()
        assert 'href="plbook:' not in html, f"{engine}: {source.name} has an unresolved link"
        for target, fragment in _HREF.findall(html):
            if "procedures/" not in target or target.endswith(".css"):
                continue
            page = (built_page.parent / target / "index.html").resolve()
            assert page.is_file(), f"{engine}: {source.name} links to missing {target}"
            if fragment.startswith("#step-"):
                assert f'id="{fragment[1:]}"' in page.read_text(), f"{engine}: {target}{fragment}"
            checked += 1
    assert checked > 30


def test_search_index_holds_each_procedure_with_its_symptoms(built) -> None:
    engine, site = built
    index = json.loads((site / SEARCH_INDEX[engine]).read_text())
    entries = index.get("docs") or index.get("items")
    text_of = {entry["location"]: entry["text"] for entry in entries}
    google = yaml.safe_load((REPO / "procedures/troubleshoot-google-oauth.yaml").read_text())
    symptoms = " ".join(
        text
        for location, text in text_of.items()
        if location.startswith("procedures/troubleshoot-google-oauth/")
    )
    for symptom in google["symptoms"]:
        assert symptom.replace('"', "&quot;") in symptoms or symptom in symptoms, (
            f"{engine}: {symptom}"
        )
    assert not [location for location in text_of if location.startswith("tags/")]


def test_the_plugin_stands_alone_in_a_minimal_mkdocs_yml(tmp_path: Path) -> None:
    shutil.copytree(REPO / "procedures", tmp_path / "procedures")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/index.md").write_text(
        "# Home\n\n[Roll back](plbook:rollback-railway#step-health)\n"
    )
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: Minimal\ntheme: material\nplugins: [search, tags, plbook]\n"
    )
    done = subprocess.run(
        [*PLBOOK, "build"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "site/procedures/rollback-railway/index.html").read_text()
    assert '<div class="admonition warning">' in page  # admonition added by the plugin
    assert 'class="plbook-step plbook-step--shell plbook-step--destructive"' in page  # md_in_html
    assert 'id="step-health"' in page  # attr_list
    assert 'type="checkbox"' in page  # tasklist
    assert "plbook-step" in (tmp_path / "site/procedures/plbook.css").read_text()
    assert 'href="../plbook.css"' in page
    home = (tmp_path / "site/index.html").read_text()
    assert 'href="procedures/rollback-railway/#step-health"' in home
