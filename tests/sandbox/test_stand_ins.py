"""The railway, render, vercel and stripe stand-ins act on the sandbox, run as real subprocesses."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.timeout(60)

GOOD_BACKEND_DEPLOYMENT = "3f2c9d1e-7b6a-4c5d-9e8f-1a2b3c4d5e04"


@pytest.mark.parametrize(
    "tool, product",
    [("railway", "Railway"), ("render", "Render"), ("vercel", "Vercel"), ("stripe", "Stripe")],
)
def test_help_says_plainly_it_is_a_stand_in(run_cli, tool, product):
    result = run_cli(tool, "--help")

    assert result.returncode == 0
    assert (
        f"plbook sandbox stand-in for the {product} CLI: "
        f"acts on the local sandbox, not on {product}" in result.stdout
    )


@pytest.mark.parametrize("tool", ["railway", "render", "vercel", "stripe"])
def test_an_unknown_subcommand_exits_2_with_one_line(run_cli, tool):
    result = run_cli(tool, "frobnicate")

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_deploy_is_fixed_by_a_railway_rollback(sandbox, api, run_cli):
    sandbox.set_faults(["bad-deploy"])
    assert api.get("/api/health").status_code == 500

    listed = json.loads(run_cli("railway", "deployments", "--service", "backend", "--json").stdout)
    current = next(d for d in listed if d["current"])
    assert current["id"] != GOOD_BACKEND_DEPLOYMENT
    assert (
        GOOD_BACKEND_DEPLOYMENT in run_cli("railway", "deployments", "--service", "backend").stdout
    )

    rolled_back = run_cli(
        "railway", "rollback", "--service", "backend", "--deployment", GOOD_BACKEND_DEPLOYMENT
    )

    assert rolled_back.returncode == 0, rolled_back.stderr
    assert api.get("/api/health").status_code == 200
    assert "bad-deploy" not in sandbox.faults


def test_railway_refuses_to_roll_back_to_a_failed_build(run_cli):
    result = run_cli(
        "railway",
        "rollback",
        "--service",
        "backend",
        "--deployment",
        "8b7e6a5d-4c3b-4a29-9180-7f6e5d4c3b03",
    )

    assert result.returncode == 1
    assert "failed to build" in result.stderr


def test_render_lists_the_same_backend_deploys(run_cli):
    listed = run_cli("render", "deploys", "list")

    assert listed.returncode == 0
    assert f"{GOOD_BACKEND_DEPLOYMENT}  live" in listed.stdout


def test_railway_variables_masks_secrets_with_a_fingerprint(run_cli):
    printed = run_cli("railway", "variables", "--service", "backend").stdout

    assert "STRIPE_WEBHOOK_SECRET=whsec_**** (sha256:" in printed
    assert "whsec_plbook_sandbox" not in printed
    assert "JWT_EXPIRES_IN=7d" in printed


def test_railway_logs_show_requests_and_webhooks(api, run_cli):
    api.get("/api/health")

    logs = run_cli("railway", "logs", "--service", "backend", "--since", "24h").stdout

    assert "GET /api/health 200 duration=" in logs


def test_railway_restart_logs_a_startup(run_cli):
    assert run_cli("railway", "restart", "--service", "backend").returncode == 0

    assert "listening on port" in run_cli("railway", "logs", "--tail", "-n", "3").stdout


def test_vercel_promote_fixes_a_bad_dashboard_deploy(sandbox, run_cli):
    import httpx

    sandbox.set_faults(["bad-dashboard-deploy"])
    assert httpx.get(sandbox.dashboard_url).status_code == 500
    listing = run_cli("vercel", "ls", "promptlens-dashboard").stdout
    assert "promptlens-dashboard-a7c5e3g1h.vercel.app" in listing

    promoted = run_cli(
        "vercel", "promote", "https://promptlens-dashboard-a7c5e3g1h.vercel.app", "--scope", "team"
    )

    assert promoted.returncode == 0, promoted.stderr
    assert httpx.get(sandbox.dashboard_url).status_code == 200


def test_vercel_env_lists_production_variables(run_cli):
    assert "NEXTAUTH_SECRET" in run_cli("vercel", "env", "ls", "production").stdout


def test_stripe_trigger_delivers_a_signed_checkout_event(sandbox, run_cli, wait_until):
    triggered = run_cli("stripe", "trigger", "checkout.session.completed")
    assert triggered.returncode == 0, triggered.stderr

    events = json.loads(run_cli("stripe", "events", "list", "--limit", "1").stdout)["data"]

    assert events[0]["type"] == "checkout.session.completed"
    assert events[0]["delivery_attempts"][0]["status"] == 200
    assert wait_until(
        lambda: any(events[0]["id"] in line for line in sandbox.platform.log_lines("backend"))
    )


def test_stripe_lists_webhooks_and_retrieves_subscriptions(sandbox, db, run_cli):
    endpoints = json.loads(run_cli("stripe", "webhook_endpoints", "list").stdout)["data"]
    assert endpoints[0]["url"] == f"{sandbox.api_url}/api/upgrade"
    subscription_id = db.users.find_one({"email": "pro@example.com"})["stripeSubscriptionId"]

    subscription = json.loads(
        run_cli("stripe", "subscriptions", "retrieve", subscription_id).stdout
    )

    assert subscription["status"] == "active"
