"""Helpers for the site tests: fixture projects, strict builds, and reading built pages."""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from plbook.up import serve_site

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Material prints a banner about its successor on every build; it is noise in test output.
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


def make_project(folder: Path, *, custom_dir: Path | None = None) -> Path:
    """Give a project with the fixture procedures and pages; its mkdocs.yml inherits the repo's."""
    shutil.copytree(FIXTURES / "procedures", folder / "procedures")
    shutil.copytree(FIXTURES / "runbook", folder / "runbook")
    (folder / "mkdocs.yml").write_text(
        f"INHERIT: {REPO / 'mkdocs.yml'}\n"
        f"theme:\n  custom_dir: {custom_dir or REPO / 'site_overrides'}\n"
    )
    return folder


def copy_runbook(folder: Path) -> Path:
    """Give a copy of this repository's runbook project (procedures, pages, mkdocs.yml)."""
    for name in ["procedures", "runbook", "site_overrides"]:
        shutil.copytree(REPO / name, folder / name, ignore=shutil.ignore_patterns("procedures"))
    shutil.copytree(REPO / "procedures", folder / "procedures", dirs_exist_ok=True)
    shutil.copy(REPO / "mkdocs.yml", folder / "mkdocs.yml")
    return folder


def build_project(project: Path) -> Path:
    """Build the project's site strictly, as `mkdocs build --strict` does; give the site folder."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(str(project / "mkdocs.yml"), strict=True, site_dir=str(project / "site"))
    build(config)
    return project / "site"


def visible_text(fragment: str) -> str:
    """Give the text a reader sees in an HTML fragment: no tags, entities decoded, spaces folded."""
    without_permalinks = re.sub(r'<a class="headerlink"[^>]*>.*?</a>', "", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", without_permalinks)).split())


def step_card(article: str, step_id: str) -> str:
    """Give the HTML of one step's card, from its opening tag to the next card."""
    cards = article.split('<div class="plbook-step')
    return next(card for card in cards if f'id="step-{step_id}"' in card)


@contextlib.contextmanager
def served(site: Path) -> Iterator[str]:
    """Serve a built site on a free loopback port; give its address."""
    server = serve_site(site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
