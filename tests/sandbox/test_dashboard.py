"""The dashboard stand-in serves the pages and NextAuth routes the runbook checks."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.timeout(60)


def test_the_home_page_loads(sandbox):
    response = httpx.get(sandbox.dashboard_url)

    assert response.status_code == 200
    assert "PromptLens Dashboard" in response.text


def test_google_is_the_auth_provider(sandbox):
    google = httpx.get(f"{sandbox.dashboard_url}/api/auth/providers").json()["google"]

    assert google["type"] == "oauth"
    assert google["callbackUrl"] == f"{sandbox.dashboard_url}/api/auth/callback/google"


def test_sign_in_redirects_to_google(sandbox):
    response = httpx.post(f"{sandbox.dashboard_url}/api/auth/signin/google")

    assert response.status_code == 302
    assert response.headers["location"].startswith("https://accounts.google.com/")


def test_history_shows_a_saved_prompt(sandbox, api, auth):
    api.post(
        "/api/prompts",
        headers=auth,
        json={"originalPrompt": "draft a status update", "optimizedPrompt": "better status update"},
    )

    history = httpx.get(f"{sandbox.dashboard_url}/history")

    assert history.status_code == 200
    assert "draft a status update" in history.text


def test_head_on_the_dashboard_answers_200_without_a_body(sandbox):
    response = httpx.head(sandbox.dashboard_url)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == b""
