"""The dashboard stand-in in headless Chromium: what the runbook's UI pass criteria look at."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from plbook.sandbox.addresses import SESSION_COOKIE, TEST_SESSION_TOKEN
from plbook.sandbox.dashboard_pages import LOADING_TEXT

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


@pytest.fixture
def page(browser, sandbox) -> Iterator[object]:
    """Give a fresh tab on the dashboard that records console errors in `page.errors`."""
    context = browser.new_context(base_url=sandbox.dashboard_url)
    tab = context.new_page()
    tab.errors = []
    tab.on("console", lambda message: message.type == "error" and tab.errors.append(message.text))
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    context.close()


@pytest.fixture
def signed_in(page, sandbox):
    """Give the tab signed in with the sandbox's test session cookie."""
    page.context.add_cookies(
        [{"name": SESSION_COOKIE, "value": TEST_SESSION_TOKEN, "url": sandbox.dashboard_url}]
    )
    return page


@pytest.fixture
def saved_prompt(api, auth) -> dict:
    """Give a prompt the test user just saved."""
    return api.post(
        "/api/prompts",
        headers=auth,
        json={"originalPrompt": "My saved prompt", "optimizedPrompt": "My better prompt"},
    ).json()["data"]


def test_sign_in_shows_the_free_plan_and_usage(page, sandbox):
    page.goto("/")
    page.get_by_role("link", name="Sign in as the sandbox test user").click()

    page.wait_for_url(f"{sandbox.dashboard_url}/")
    assert page.locator("#signed-in").inner_text() == "Signed in as test@example.com"
    assert page.locator("#plan").inner_text() == "Free Plan"
    assert "0 of 50 optimizations used" in page.locator("#usage").inner_text()
    assert page.errors == []


def test_history_shows_loading_then_the_saved_prompt(signed_in, saved_prompt):
    held = []
    signed_in.route(re.compile(r".*/api/prompts.*"), lambda route: held.append(route))
    signed_in.goto("/history", wait_until="domcontentloaded")
    while not held:
        signed_in.wait_for_timeout(50)

    loading = signed_in.get_by_role("status")
    assert loading.inner_text() == LOADING_TEXT
    held[0].continue_()
    item = signed_in.locator("#prompts li").filter(has_text="My saved prompt")
    item.wait_for(timeout=5000)

    assert loading.count() == 0
    assert item.locator("time").get_attribute("datetime") == saved_prompt["createdAt"]
    assert item.locator(".flag").inner_text() == "Optimized"
    assert signed_in.errors == []


def test_a_prompt_opens_in_a_detail_view(signed_in, saved_prompt):
    signed_in.goto("/history")
    signed_in.get_by_role("link", name="My saved prompt").first.click()

    details = signed_in.locator("#prompt-details")
    details.wait_for(timeout=5000)
    assert signed_in.url.endswith(f"/history/{saved_prompt['_id']}")
    assert "My better prompt" in details.inner_text()
    assert saved_prompt["createdAt"][:10] in details.locator("time").inner_text()


def test_dashboard_stuck_loading_never_leaves_the_loading_state(signed_in, sandbox, saved_prompt):
    sandbox.set_faults(["dashboard-stuck-loading"])

    response = signed_in.goto("/history")
    signed_in.wait_for_load_state("networkidle")
    signed_in.wait_for_timeout(2000)

    assert response.status == 200
    assert signed_in.get_by_role("status").inner_text() == LOADING_TEXT
    assert signed_in.locator("#prompts").count() == 0


def test_bad_dashboard_deploy_breaks_the_page_with_a_500(signed_in, sandbox):
    sandbox.set_faults(["bad-dashboard-deploy"])

    response = signed_in.goto("/history")

    assert response.status == 500
    assert "500: Internal Server Error" in signed_in.inner_text("body")


def test_an_api_the_browser_cannot_reach_shows_an_error_not_a_spinner(signed_in):
    signed_in.route(re.compile(r".*/api/prompts.*"), lambda route: route.abort())

    signed_in.goto("/history")

    alert = signed_in.get_by_role("alert")
    alert.wait_for(timeout=5000)
    assert alert.inner_text() == "Could not load your saved prompts."
    assert signed_in.get_by_role("status").count() == 0
    assert any("Could not load your saved prompts" in error for error in signed_in.errors)


def test_history_answers_500_when_the_backend_is_down_for_the_server_side(signed_in, sandbox):
    sandbox.set_faults(["bad-deploy"])

    assert signed_in.goto("/history").status == 500


def test_history_without_a_session_asks_to_sign_in(page):
    page.goto("/history")

    link = page.get_by_role("link", name="Sign in to see your saved prompts")
    link.wait_for(timeout=5000)
    assert page.errors == []
