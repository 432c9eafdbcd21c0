"""Sites built from the fixture procedures with the repo's mkdocs.yml, in temporary folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from site_helpers import build_project, copy_runbook, make_project


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Give the site built once from the fixture procedures."""
    return build_project(make_project(tmp_path_factory.mktemp("site")))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Give a fresh project folder to change before building."""
    return make_project(tmp_path / "project")


@pytest.fixture
def read_page(site: Path) -> Callable[[str], str]:
    """Give a reader of a built page's article (the content, without navigation), by URL path."""

    def read(url: str) -> str:
        text = (site / url / "index.html").read_text()
        return text[text.index("<article") : text.index("</article>")]

    return read


@pytest.fixture(scope="session")
def runbook_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Give this repository's runbook built strictly with MkDocs, once."""
    return build_project(copy_runbook(tmp_path_factory.mktemp("runbook")))
