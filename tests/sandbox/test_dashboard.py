"""The dashboard stand-in serves the pages and NextAuth routes the runbook checks."""

from __future__ import annotations

import httpx
import pytest

from plbook.sandbox.addresses import SESSION_COOKIE, TEST_SESSION_TOKEN

pytestmark = pytest.mark.timeout(60)

TEST_SESSION = {SESSION_COOKIE: TEST_SESSION_TOKEN}


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

    history = httpx.get(f"{sandbox.dashboard_url}/history", cookies=TEST_SESSION)

    assert history.status_code == 200
    assert "draft a status update" in history.text


def test_head_on_the_dashboard_answers_200_without_a_body(sandbox):
    response = httpx.head(sandbox.dashboard_url)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == b""


def test_the_test_sign_in_route_sets_the_session_and_returns_home(sandbox):
    with httpx.Client() as client:
        signed_in = client.get(sandbox.ports.test_sign_in_url, follow_redirects=True)
        session = client.get(f"{sandbox.dashboard_url}/api/auth/session").json()

    assert signed_in.status_code == 200
    assert "Signed in as test@example.com" in signed_in.text
    assert session["user"]["email"] == "test@example.com"


def test_a_wrong_sign_in_code_signs_nobody_in(sandbox):
    with httpx.Client() as client:
        refused = client.get(
            f"{sandbox.dashboard_url}/api/auth/callback/google?code=guess", follow_redirects=True
        )
        session = client.get(f"{sandbox.dashboard_url}/api/auth/session").json()

    assert refused.status_code == 401
    assert session == {}


def test_sign_in_goes_back_only_to_a_path_on_the_dashboard(sandbox):
    response = httpx.get(f"{sandbox.ports.test_sign_in_url}&callbackUrl=//evil.example.com/")

    assert response.headers["location"] == "/"


def test_the_home_page_shows_the_plan_and_usage_after_sign_in(sandbox, api, auth):
    api.post("/api/optimize", headers=auth, json={"prompt": "count me"})

    home = httpx.get(sandbox.dashboard_url, cookies=TEST_SESSION)

    assert "Free Plan" in home.text
    assert "1 of 50 optimizations used this month" in home.text


def test_the_home_page_shows_pro_plan_for_a_pro_user(sandbox, db):
    db.users.update_one({"email": "test@example.com"}, {"$set": {"plan": "pro", "limit": 1000}})

    assert "Pro Plan" in httpx.get(sandbox.dashboard_url, cookies=TEST_SESSION).text


def test_sign_out_ends_the_session(sandbox):
    with httpx.Client() as client:
        client.get(sandbox.ports.test_sign_in_url)
        client.post(f"{sandbox.dashboard_url}/api/auth/signout")
        session = client.get(f"{sandbox.dashboard_url}/api/auth/session").json()

    assert session == {}


def test_the_backend_lets_the_dashboard_call_it_from_the_browser(sandbox, api):
    preflight = api.options(
        "/api/prompts",
        headers={
            "Origin": sandbox.dashboard_url,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    other = api.get("/api/health", headers={"Origin": "http://evil.example.com"})

    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == sandbox.dashboard_url
    assert "Authorization" in preflight.headers["access-control-allow-headers"]
    assert "access-control-allow-origin" not in other.headers
