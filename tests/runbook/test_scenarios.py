"""The runbook finds and fixes what the sandbox's faults break, end to end."""

from __future__ import annotations

import json

import httpx
import pytest
from sandbox_runs import plbook_run

GOOD_DEPLOYMENT = "3f2c9d1e-7b6a-4c5d-9e8f-1a2b3c4d5e04"


def test_smoke_tests_pass_on_a_healthy_sandbox(sandbox, tmp_path):
    outcome = plbook_run("smoke-tests", "--report", str(tmp_path / "r.json"))
    assert outcome.exit_code == 0, outcome.output[-4000:]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["status"] == "passed"
    assert report["counts"]["failed"] == 0 and report["counts"]["passed"] > 20


@pytest.mark.faults("db-down")
def test_database_down_fails_the_health_check_and_names_the_database(sandbox):
    outcome = plbook_run("smoke-tests")
    assert outcome.exit_code == 1, outcome.output[-4000:]
    assert "database" in outcome.output
    assert "disconnected" in outcome.output


@pytest.mark.faults("bad-deploy")
def test_rollback_railway_recovers_from_a_bad_deploy(sandbox):
    assert httpx.get(f"{sandbox.api_url}/api/health").status_code == 500
    broken = plbook_run("smoke-test-health")
    assert broken.exit_code == 1
    rollback = plbook_run("rollback-railway", "--input", f"deployment_id={GOOD_DEPLOYMENT}")
    assert rollback.exit_code == 0, rollback.output[-4000:]
    assert httpx.get(f"{sandbox.api_url}/api/health").status_code == 200
    again = plbook_run("smoke-tests")
    assert again.exit_code == 0, again.output[-4000:]


@pytest.mark.faults("bad-webhook-secret")
def test_bad_webhook_secret_fails_the_stripe_smoke_test_naming_the_signature(sandbox):
    outcome = plbook_run("smoke-test-stripe-webhook")
    assert outcome.exit_code == 1, outcome.output[-4000:]
    assert "signature" in outcome.output.lower()


@pytest.mark.faults("bad-webhook-secret")
def test_troubleshoot_stripe_payments_finds_and_fixes_a_bad_webhook_secret(sandbox):
    first = plbook_run("troubleshoot-stripe-payments")
    assert first.exit_code == 1, first.output[-4000:]
    assert "bad-webhook-secret" not in sandbox.faults
    again = plbook_run("smoke-test-stripe-webhook")
    assert again.exit_code == 0, again.output[-4000:]


@pytest.mark.faults("db-down")
def test_troubleshoot_mongodb_connectivity_stops_at_the_unreachable_database(sandbox):
    outcome = plbook_run("troubleshoot-mongodb-connectivity")
    assert outcome.exit_code == 1, outcome.output[-4000:]
    assert "disconnected" in outcome.output


@pytest.mark.faults("slow-api")
def test_troubleshoot_api_latency_measures_the_slow_api(sandbox):
    outcome = plbook_run("troubleshoot-api-latency")
    assert outcome.exit_code == 1, outcome.output[-4000:]
    assert "result.elapsed_ms was" in outcome.output


@pytest.mark.faults("quota-desync")
def test_troubleshoot_quota_desync_finds_free_users_over_their_quota(sandbox):
    outcome = plbook_run("troubleshoot-quota-desync")
    assert outcome.exit_code == 1, outcome.output[-4000:]
    failed = [line.split()[1] for line in outcome.output.splitlines() if line.startswith("FAIL ")]
    assert {"free-users-over-quota", "pro-without-subscription"} <= set(failed)


@pytest.mark.browser
@pytest.mark.faults("dashboard-stuck-loading")
def test_a_stuck_history_page_fails_the_history_step_showing_the_loading_state(sandbox, tmp_path):
    outcome = plbook_run("smoke-test-dashboard-history", "--report", str(tmp_path / "r.json"))
    assert outcome.exit_code == 1, outcome.output[-4000:]
    steps = {s["path"]: s for s in json.loads((tmp_path / "r.json").read_text())["steps"]}
    history = steps["history-page"]
    assert history["status"] == "failed"
    assert "still loading after 2 s" in history["error"]
    assert "Loading your saved prompts…" in history["result"]["text"]
    assert steps["log-in"]["status"] == "passed"  # the rest of the dashboard works


@pytest.mark.browser
@pytest.mark.faults("bad-dashboard-deploy")
def test_a_broken_dashboard_deployment_fails_the_browser_checks_naming_the_500(sandbox):
    outcome = plbook_run("smoke-test-dashboard-history")
    assert outcome.exit_code == 1, outcome.output[-4000:]
    assert "FAIL log-in" in outcome.output
    assert (
        f"the page answered 500 Internal Server Error: {sandbox.dashboard_url}/" in outcome.output
    )
