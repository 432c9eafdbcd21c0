"""The backend stand-in answers as the runbook's smoke tests expect, against real MongoDB data."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from plbook.sandbox.addresses import TEST_USER_EMAIL

pytestmark = pytest.mark.timeout(60)


def test_health_is_ok_with_the_database_connected(api):
    response = api.get("/api/health")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"status": "ok", "database": "connected"}}


def test_health_is_503_disconnected_when_the_database_is_down(sandbox, api):
    sandbox.set_faults(["db-down"])

    started = time.monotonic()
    response = api.get("/api/health")

    assert response.status_code == 503
    assert response.json() == {
        "success": False,
        "data": {"status": "error", "database": "disconnected"},
    }
    assert time.monotonic() - started < 5, "the runbook fails a health check slower than 5 s"


def test_the_database_comes_back_with_its_data_after_db_down(sandbox, api, db, auth):
    api.post("/api/optimize", headers=auth, json={"prompt": "remember me"})
    sandbox.set_faults(["db-down"])
    sandbox.set_faults([])

    assert api.get("/api/health").status_code == 200
    assert db.users.find_one({"email": TEST_USER_EMAIL})["usageCount"] == 1


def test_a_missing_or_wrong_token_is_refused(api):
    assert api.get("/api/usage").status_code == 401
    response = api.get("/api/usage", headers={"Authorization": "Bearer tok_wrong"})

    assert response.status_code == 401
    assert response.json() == {"success": False, "error": "Authentication failed"}


def test_usage_shows_the_free_quota(api, auth):
    usage = api.get("/api/usage", headers=auth).json()["data"]

    assert usage | {"lastResetAt": None, "nextResetAt": None} == {
        "plan": "free",
        "usageCount": 0,
        "limit": 50,
        "remaining": 50,
        "lastResetAt": None,
        "nextResetAt": None,
    }
    last_reset = datetime.fromisoformat(usage["lastResetAt"])
    assert datetime.fromisoformat(usage["nextResetAt"]) - last_reset == timedelta(days=30)


def test_optimize_counts_against_the_quota(api, db, auth):
    for _ in range(3):
        response = api.post("/api/optimize", headers=auth, json={"prompt": "write a haiku"})
        assert response.status_code == 200
        assert "write a haiku" in response.json()["data"]["optimizedPrompt"]

    assert api.get("/api/usage", headers=auth).json()["data"]["usageCount"] == 3
    assert db.users.find_one({"email": TEST_USER_EMAIL})["usageCount"] == 3


def test_optimize_is_refused_with_429_once_the_quota_is_used(api, db, auth):
    db.users.update_one({"email": TEST_USER_EMAIL}, {"$set": {"usageCount": 50}})

    response = api.post("/api/optimize", headers=auth, json={"prompt": "one more"})

    assert response.status_code == 429
    assert response.json()["data"]["remaining"] == 0


def test_the_quota_resets_when_the_last_reset_is_30_days_old(api, db, auth):
    # update_one with $set, as a procedure would (nx-27017 stores this date as a string).
    db.users.update_one(
        {"email": TEST_USER_EMAIL},
        {"$set": {"usageCount": 7, "lastResetAt": datetime.now(timezone.utc) - timedelta(days=31)}},
    )

    usage = api.get("/api/usage", headers=auth).json()["data"]

    now = datetime.now(timezone.utc)
    assert usage["usageCount"] == 0 and usage["remaining"] == 50
    assert now - datetime.fromisoformat(usage["lastResetAt"]) < timedelta(minutes=1)
    assert datetime.fromisoformat(usage["nextResetAt"]) - now > timedelta(days=29, hours=23)
    stored = db.users.find_one({"email": TEST_USER_EMAIL})
    assert stored["usageCount"] == 0
    assert isinstance(stored["lastResetAt"], datetime)


def test_saved_prompts_are_listed_newest_first_with_pagination(api, db, auth):
    saved = api.post(
        "/api/prompts",
        headers=auth,
        json={"originalPrompt": "newest prompt", "optimizedPrompt": "better newest prompt"},
    )
    assert saved.status_code == 201
    assert saved.json()["data"]["optimized"] is True

    listing = api.get("/api/prompts", headers=auth, params={"page": 1, "limit": 2}).json()

    assert listing["data"][0]["_id"] == saved.json()["data"]["_id"]
    assert listing["data"][0]["createdAt"] > listing["data"][1]["createdAt"]
    assert listing["pagination"]["limit"] == 2
    assert listing["pagination"]["total"] == db.prompts.count_documents(
        {"userId": listing["data"][0]["userId"]}
    )


def test_slow_api_delays_responses_but_health_stays_200(sandbox, api):
    sandbox.set_faults(["slow-api"])

    started = time.monotonic()
    response = api.get("/api/health")

    assert response.status_code == 200
    assert time.monotonic() - started >= 1.4


def test_requests_are_logged_with_their_duration(sandbox, api):
    api.get("/api/health")

    assert any(
        "GET /api/health 200 duration=" in line for line in sandbox.platform.log_lines("backend")
    )


def test_quota_desync_adds_over_quota_free_users_and_a_lapsed_pro(sandbox, db):
    sandbox.set_faults(["quota-desync"])

    over_quota = list(db.users.find({"plan": "free", "usageCount": {"$gt": 50}}))
    lapsed = [user for user in db.users.find({"plan": "pro"}) if user["email"].startswith("lapsed")]
    assert len(over_quota) >= 1
    assert len(lapsed) == 1
    assert "quota-desync" in sandbox.faults

    sandbox.set_faults([])
    assert db.users.count_documents({"plan": "free", "usageCount": {"$gt": 50}}) == 0


def test_head_answers_like_get_without_a_body(sandbox, api):
    got = api.get("/api/health")
    head = api.head("/api/health")

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"]


def test_head_on_an_unknown_path_is_404(api):
    assert api.head("/api/nowhere").status_code == 404


@pytest.mark.parametrize("body", [b'{"prompt": "unterminated', b"[1, 2]", b"not json"])
def test_a_body_that_is_not_a_json_object_gets_a_400_with_a_json_error(api, auth, body):
    response = api.post(
        "/api/optimize", headers={**auth, "Content-Type": "application/json"}, content=body
    )

    assert response.status_code == 400
    assert response.json()["success"] is False
    assert "JSON" in response.json()["error"]


def test_malformed_json_to_an_admin_endpoint_gets_a_400(api):
    response = api.post("/__sandbox/faults", content=b"{faults: [}")

    assert response.status_code == 400
    assert "JSON" in response.json()["error"]
