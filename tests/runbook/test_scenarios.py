"""The runbook finds and fixes what the sandbox's faults break, end to end."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest
from sandbox_runs import ROOT, RunOutcome, plbook_run, scratch_runbook

GOOD_DEPLOYMENT = "3f2c9d1e-7b6a-4c5d-9e8f-1a2b3c4d5e04"


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Callable[..., RunOutcome]]:
    """Give `plbook_run` in a scratch copy of the runbook: these runs stay out of its history.

    Kept there, a run that fails on purpose would be what the pages call the last sandbox run.
    """
    repository_runs = set((ROOT / ".plbook" / "runs").glob("*.jsonl"))
    scratch = scratch_runbook(tmp_path / "runbook")
    yield partial(plbook_run, project=scratch)
    assert list((scratch / ".plbook" / "runs").glob("*.jsonl")), "the runs were journaled"
    assert set((ROOT / ".plbook" / "runs").glob("*.jsonl")) == repository_runs


def test_smoke_tests_pass_on_a_healthy_sandbox(run, sandbox, tmp_path):
    outcome = run("smoke-tests", "--report", str(tmp_path / "r.json"))
    assert outcome.exit_code == 0, outcome.output[-4000:]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["status"] == "passed"
    assert report["counts"]["failed"] == 0 and report["counts"]["passed"] > 20


@pytest.mark.faults("db-down")
def test_database_down_fails_the_health_check_and_names_the_database(run, sandbox):
    outcome = run("smoke-tests")
    assert outcome.exit_code == 1, outcome.output[-4000:]
    assert "database" in outcome.output
    assert "disconnected" in outcome.output


@pytest.mark.faults("bad-deploy")
def test_rollback_railway_recovers_from_a_bad_deploy(run, sandbox):
    assert httpx.get(f"{sandbox.api_url}/api/health").status_code == 500
    broken = run("smoke-test-health")
    assert broken.exit_code == 1
    rollback = run("rollback-railway", "--input", f"deployment_id={GOOD_DEPLOYMENT}")
    assert rollback.exit_code == 0, rollback.output[-4000:]
    assert httpx.get(f"{sandbox.api_url}/api/health").status_code == 200
    again = run("smoke-tests")
    assert again.exit_code == 0, again.output[-4000:]


@pytest.mark.faults("bad-webhook-secret")
def test_bad_webhook_secret_fails_the_stripe_smoke_test_naming_the_signature(run, sandbox):
    outcome = run("smoke-test-stripe-webhook")
    assert outcome.exit_code == 1, outcome.output[-4000:]
    assert "signature" in outcome.output.lower()


@pytest.mark.faults("bad-webhook-secret")
def test_troubleshoot_stripe_payments_finds_and_fixes_a_bad_webhook_secret(run, sandbox):
    first = run("troubleshoot-stripe-payments")
    assert first.exit_code == 1, first.output[-4000:]
    assert "bad-webhook-secret" not in sandbox.faults
    again = run("smoke-test-stripe-webhook")
    assert again.exit_code == 0, again.output[-4000:]


@pytest.mark.faults("db-down")
def test_troubleshoot_mongodb_connectivity_stops_at_the_unreachable_database(run, sandbox):
    outcome = run("troubleshoot-mongodb-connectivity")
    assert outcome.exit_code == 1, outcome.output[-4000:]
    assert "disconnected" in outcome.output


@pytest.mark.faults("slow-api")
def test_troubleshoot_api_latency_measures_the_slow_api(run, sandbox):
    outcome = run("troubleshoot-api-latency")
    assert outcome.exit_code == 1, outcome.output[-4000:]
    assert "result.elapsed_ms was" in outcome.output


@pytest.mark.faults("quota-desync")
def test_troubleshoot_quota_desync_finds_free_users_over_their_quota(run, sandbox):
    outcome = run("troubleshoot-quota-desync")
    assert outcome.exit_code == 1, outcome.output[-4000:]
    failed = [line.split()[1] for line in outcome.output.splitlines() if line.startswith("FAIL ")]
    assert {"free-users-over-quota", "pro-without-subscription"} <= set(failed)


@pytest.mark.browser
@pytest.mark.faults("dashboard-stuck-loading")
def test_a_stuck_history_page_fails_the_history_step_showing_the_loading_state(
    run, sandbox, tmp_path
):
    outcome = run("smoke-test-dashboard-history", "--report", str(tmp_path / "r.json"))
    assert outcome.exit_code == 1, outcome.output[-4000:]
    steps = {s["path"]: s for s in json.loads((tmp_path / "r.json").read_text())["steps"]}
    history = steps["history-page"]
    assert history["status"] == "failed"
    assert "still loading after 2 s" in history["error"]
    assert "Loading your saved prompts…" in history["result"]["text"]
    assert steps["log-in"]["status"] == "passed"  # the rest of the dashboard works


@pytest.mark.browser
@pytest.mark.faults("bad-dashboard-deploy")
def test_a_broken_dashboard_deployment_fails_the_browser_checks_naming_the_500(run, sandbox):
    outcome = run("smoke-test-dashboard-history")
    assert outcome.exit_code == 1, outcome.output[-4000:]
    assert "FAIL log-in" in outcome.output
    assert (
        f"the page answered 500 Internal Server Error: {sandbox.dashboard_url}/" in outcome.output
    )
