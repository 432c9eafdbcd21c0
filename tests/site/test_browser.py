"""The built site in headless Chromium: search leads to the procedure, and its run line copies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from site_helpers import served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site_url(site: Path) -> Iterator[str]:
    """Give the address of the built site, served on loopback."""
    with served(site) as url:
        yield url


@pytest.fixture
def page(browser, site_url: str) -> Iterator[object]:
    """Give a fresh tab that may read and write the clipboard."""
    context = browser.new_context(base_url=site_url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.mark.parametrize(
    ("query", "procedure"),
    [
        ("Roll back the backend", "rollback-api"),  # its title
        ("Redeploy the previous deployment", "rollback-api"),  # a step title
        ("railway deployments", "rollback-api"),  # a command's text
        ("connection pool exhausted", "rollback-api"),  # a symptom
        ("ServerSelectionTimeoutError", "check-database"),  # a symptom
    ],
)
def test_search_leads_to_the_procedure_first(page, query: str, procedure: str) -> None:
    page.goto("/")
    page.keyboard.press("/")  # Material's search shortcut, as an engineer would use it
    # Typed key by key: Material searches on keyboard events, not on a pasted value.
    page.locator("input.md-search__input").press_sequentially(query, delay=20)
    first = page.locator(".md-search-result__item").first
    first.wait_for(state="visible", timeout=15_000)
    first.locator("a").first.click()
    page.wait_for_url(f"**/procedures/{procedure}/**", timeout=15_000)
    assert page.locator("h1").first.is_visible()
    assert page.locator("h3[id^='step-']").first.is_visible()


def test_steps_are_visible_and_the_run_line_copies(page) -> None:
    page.goto("/procedures/rollback-api/")
    steps = page.locator("h3[id^='step-']")
    assert steps.count() == 5
    assert steps.nth(2).inner_text().startswith("3. Redeploy the previous deployment")
    assert page.locator(".plbook-step--destructive .admonition.warning").is_visible()
    run_block = page.locator("#run-it + .highlight, #run-it ~ div.highlight").first
    run_block.hover()
    run_block.locator("button[data-md-type='copy']").click()  # Material's copy button
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() == "plbook run rollback-api --input deployment_id=dep-1234"


def test_step_anchor_opens_at_the_step(page) -> None:
    page.goto("/procedures/rollback-api/#step-health")
    heading = page.locator("#step-health")
    assert heading.is_visible()
    assert heading.bounding_box()["y"] < page.viewport_size["height"]
