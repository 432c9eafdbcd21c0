"""The stripe stand-in takes the real Stripe CLI's syntax and prints what the API answers."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest
import stripe

from plbook.sandbox.addresses import STRIPE_SECRET_KEY

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def stripe_cli(sandbox, run_cli):
    """Give a runner of `stripe ARGS...` that parses its JSON output when it succeeds."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli("stripe", *args)

    return run


def _json(result: subprocess.CompletedProcess[str]):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def paid_checkout(sandbox) -> dict:
    """Give a completed checkout session (its customer and subscription exist)."""
    client = stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": sandbox.stripe_api_base})
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer_email": "cli@example.com",
            "line_items": [{"price": "price_plbook_pro_monthly", "quantity": 1}],
            "success_url": "https://example.com/success",
        }
    )
    completed = httpx.post(
        f"{sandbox.stripe_api_base}/v1/test_helpers/checkout/sessions/{session.id}/complete",
        headers={"Authorization": f"Bearer {STRIPE_SECRET_KEY}"},
    )
    return completed.json()


def test_the_twin_line_of_a_stripe_step_runs_as_printed(sandbox, stripe_cli):
    listed = _json(
        stripe_cli("webhook_endpoints", "list", "--limit=10", "--api-key", STRIPE_SECRET_KEY)
    )

    assert listed["object"] == "list"
    assert listed["data"][0]["url"] == f"{sandbox.api_url}/api/upgrade"


def test_output_is_the_api_json_indented_as_the_real_cli_prints_it(stripe_cli):
    result = stripe_cli("webhook_endpoints", "list")

    assert result.stdout.startswith('{\n  "object": "list",')


def test_checkout_sessions_are_a_namespace_as_in_the_real_cli(stripe_cli, paid_checkout):
    listed = _json(stripe_cli("checkout", "sessions", "list", "--status", "complete"))
    retrieved = _json(stripe_cli("checkout", "sessions", "retrieve", paid_checkout["id"]))

    assert paid_checkout["id"] in [session["id"] for session in listed["data"]]
    assert retrieved["status"] == "complete"


def test_data_flags_carry_nested_params_and_expand(stripe_cli, paid_checkout):
    listed = _json(
        stripe_cli(
            "subscriptions",
            "list",
            "-d",
            "created[gte]=0",
            "-d",
            "expand[]=data.customer",
            "--limit",
            "100",
        )
    )

    ours = [sub for sub in listed["data"] if sub["id"] == paid_checkout["subscription"]]
    assert ours[0]["customer"]["email"] == "cli@example.com"


def test_a_created_range_in_the_future_lists_nothing(stripe_cli):
    listed = _json(stripe_cli("events", "list", "-d", "created[gt]=9999999999"))

    assert listed["data"] == []


def test_expand_flag_expands_a_retrieved_object(stripe_cli, paid_checkout):
    subscription = _json(
        stripe_cli("subscriptions", "retrieve", paid_checkout["subscription"], "-e", "customer")
    )

    assert subscription["customer"]["object"] == "customer"


def test_operation_parameter_flags_filter_the_list(stripe_cli, paid_checkout):
    listed = _json(stripe_cli("events", "list", "--type", "checkout.session.completed"))

    assert {event["type"] for event in listed["data"]} == {"checkout.session.completed"}


def test_the_api_base_flag_points_the_cli_at_an_api(sandbox, stripe_cli):
    environment = {
        key: value for key, value in sandbox.cli_environment().items() if key != "STRIPE_API_BASE"
    }
    result = subprocess.run(
        ["stripe", "customers", "list", "--api-base", sandbox.stripe_api_base],
        env={**environment, "PLBOOK_SANDBOX_API": "http://127.0.0.1:9"},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert _json(result)["object"] == "list"


def test_an_api_base_the_real_cli_refuses_is_refused(stripe_cli):
    result = stripe_cli("customers", "list", "--api-base", "http://evil.example.com")

    assert result.returncode == 1
    assert result.stderr.strip() == "stripe: invalid API base URL"


def test_a_resource_name_the_real_cli_lacks_is_rejected_with_a_suggestion(stripe_cli):
    result = stripe_cli("webhooks", "list")

    assert result.returncode != 0
    assert result.stdout == ""
    assert 'Unknown command "webhooks" for "stripe". Did you mean "webhook_endpoints"?' in (
        result.stderr
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["checkout_sessions", "list"], 'Unknown command "checkout_sessions"'),
        (["customers", "list", "-l", "3"], "unrecognized arguments: -l"),
        (["customers", "list", "--lim", "3"], "unrecognized arguments: --lim"),
        (["customers", "list", "--limit", "lots"], "invalid int value"),
        (["customers", "list", "-d", "email"], "invalid data argument: email"),
        (["customers", "list", "-d", "limit=5", "--limit", "3"], 'flag "limit" already set'),
        (["customers", "retrieve"], "the following arguments are required: ID"),
    ],
)
def test_syntax_the_real_cli_refuses_is_refused_in_one_line(stripe_cli, args, message):
    result = stripe_cli(*args)

    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_object_prints_stripe_error_json_and_exits_0_like_the_real_cli(stripe_cli):
    result = stripe_cli("subscriptions", "retrieve", "sub_nope")

    assert result.returncode == 0
    assert _json(result)["error"]["code"] == "resource_missing"


def test_an_unknown_api_parameter_gets_stripe_own_400(stripe_cli):
    answer = _json(stripe_cli("customers", "list", "-d", "colour=blue"))

    assert answer["error"]["message"] == "Received unknown parameter: colour"


def test_a_wrong_api_key_is_an_error_exit(stripe_cli):
    result = stripe_cli("customers", "list", "--api-key", "sk_test_wrong_key_123")

    assert result.returncode == 1
    assert "status=401" in result.stderr


def test_the_api_key_defaults_to_stripe_secret_key(sandbox):
    environment = {**sandbox.cli_environment(), "STRIPE_SECRET_KEY": "sk_test_wrong_key_123"}
    result = subprocess.run(
        ["stripe", "customers", "list"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 1
    assert "Invalid API Key" in result.stderr


def test_invoices_can_be_listed(stripe_cli):
    assert _json(stripe_cli("invoices", "list", "--status", "open"))["data"] == []
