"""Sites built from the fixture procedures with the repo's mkdocs.yml, in temporary folders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Give headless Debian Chromium driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
