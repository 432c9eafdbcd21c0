"""Search for symptoms, typed into the real search box of the built runbook in headless Chromium.

The queries are what an on-call engineer types, taken from the seed runbook's symptoms, alert names
and error strings; each names the page that treats it. The test prints the mean reciprocal rank.
`PLBOOK_SEARCH_SITE=DIR` runs it against a site built elsewhere (e.g. an older commit's).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from site_helpers import served

pytestmark = pytest.mark.browser

QUERIES = [
    ("This app is blocked", "procedures/troubleshoot-google-oauth/"),
    ("App not verified", "procedures/troubleshoot-google-oauth/"),
    ("redirect_uri_mismatch", "procedures/troubleshoot-google-oauth/"),
    ("Free users shown as Pro", "procedures/troubleshoot-quota-desync/"),
    ("usageCount > limit", "procedures/troubleshoot-quota-desync/"),
    ("Users exceed quota but aren't blocked", "procedures/troubleshoot-quota-desync/"),
    ("SEV-1", "incident-severity/"),
    ("connection pool exhausted", "procedures/troubleshoot-mongodb-connectivity/"),
    ("MongoError", "procedures/troubleshoot-mongodb-connectivity/"),
    ("Database unavailable", "procedures/troubleshoot-mongodb-connectivity/"),
    ("Users report payment declined", "procedures/troubleshoot-stripe-payments/"),
    ("Checkout sessions created but not completed", "procedures/troubleshoot-stripe-payments/"),
    ("Webhook Error", "procedures/troubleshoot-stripe-payments/"),
    ("Extension works on some sites but not others", "procedures/troubleshoot-extension-loading/"),
    ("Content Security Policy", "procedures/troubleshoot-extension-loading/"),
    ("401 Unauthorized", "procedures/troubleshoot-auth-tokens/"),
    ("Users unable to log in or stay logged in", "procedures/troubleshoot-auth-tokens/"),
    ("High P95 latency detected", "procedures/troubleshoot-api-latency/"),
    ("Dashboard feels slow", "procedures/troubleshoot-api-latency/"),
    ("NEXTAUTH_URL is not defined", "procedures/rollback-vercel/"),
    ("Dashboard returns 500 after a deployment", "procedures/rollback-vercel/"),
    ("Database migration failed", "procedures/rollback-mongodb/"),
    ("Users missing after a migration", "procedures/rollback-mongodb/"),
    ("Infinite loading state", "procedures/smoke-test-dashboard-history/"),
    ("No prompts appear", "procedures/smoke-test-dashboard-history/"),
    ("Usage count is not reset", "procedures/smoke-test-quota-reset/"),
    ("Quota reset logic does not trigger", "procedures/smoke-test-quota-reset/"),
    ("Subscription ID is missing", "procedures/smoke-test-stripe-webhook/"),
    ("User plan is not upgraded", "procedures/smoke-test-stripe-webhook/"),
    ("OAuth consent screen shows errors", "procedures/smoke-test-user-signup/"),
    ("Database record is not created", "procedures/smoke-test-user-signup/"),
    ("Health check times out", "procedures/smoke-test-health/"),
    ("Health check fails 3 consecutive times", "procedures/incident-response/"),
    ("rollback-railway", "procedures/rollback-railway/"),
]
GOAL_MRR = 0.95
SHOWN = 10
"""Results a reader scans without scrolling: a page ranked lower counts as not found."""


@pytest.fixture(scope="module")
def search_page(browser, runbook_site: Path) -> Iterator[object]:
    """Give a tab on the runbook's home page, whose search box the queries are typed into."""
    site = Path(os.environ.get("PLBOOK_SEARCH_SITE") or runbook_site)
    with served(site) as url:
        context = browser.new_context(base_url=url)
        tab = context.new_page()
        tab.goto("/")
        yield tab
        context.close()


def settled_results(tab, within_ms: int = 10_000) -> list[str]:
    """Give the result links once the list stops changing: the worker answers every keystroke."""
    previous: list[str] | None = None
    for _ in range(within_ms // 300):
        tab.wait_for_timeout(300)
        current = tab.eval_on_selector_all(
            ".md-search-result__item > a",
            "links => links.map(a => new URL(a.href).pathname + new URL(a.href).hash)",
        )
        if current == previous:
            return current
        previous = current
    return previous or []


def rank_of(tab, query: str, expected: str) -> int | None:
    """Give the 1-based rank of the expected page among the results for `query`, if shown."""
    box = tab.locator("input.md-search__input")
    if not box.is_visible():
        tab.keyboard.press("/")  # Material's search shortcut, as an engineer would use it
    box.fill("")
    box.press_sequentially(query, delay=15)  # Material searches on key events
    tab.locator(".md-search-result__item").first.wait_for(state="visible", timeout=15_000)
    pages = settled_results(tab)
    # Material lists a page once per matching section; a reader counts pages.
    found = list(dict.fromkeys(path.lstrip("/").split("#")[0] for path in pages))[:SHOWN]
    return found.index(expected) + 1 if expected in found else None


def test_symptom_queries_rank_the_page_that_treats_them_first(search_page) -> None:
    ranks = {query: rank_of(search_page, query, expected) for query, expected in QUERIES}
    mrr = sum(1 / rank for rank in ranks.values() if rank) / len(ranks)
    for query, rank in ranks.items():
        print(f"{rank or '-':>3}  {query}")
    print(f"search MRR over {len(ranks)} symptom queries: {mrr:.3f}")
    assert len(QUERIES) >= 30
    assert mrr >= GOAL_MRR, {query: rank for query, rank in ranks.items() if rank != 1}
