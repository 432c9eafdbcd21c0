"""The Stripe stand-in works with the real stripe SDK and delivers webhooks the backend trusts."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest
import stripe

from plbook.sandbox.addresses import STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, TEST_USER_EMAIL
from plbook.sandbox.stripe_store import sign_webhook_payload

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def client(sandbox) -> stripe.StripeClient:
    return stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": sandbox.stripe_api_base})


def test_the_webhook_endpoint_is_registered_for_the_three_events(sandbox, client):
    endpoints = client.v1.webhook_endpoints.list()

    assert len(endpoints.data) == 1
    endpoint = endpoints.data[0]
    assert endpoint.url == f"{sandbox.api_url}/api/upgrade"
    assert endpoint.status == "enabled"
    assert endpoint.enabled_events == [
        "checkout.session.completed",
        "customer.subscription.deleted",
        "invoice.payment_failed",
    ]
    assert client.v1.webhook_endpoints.retrieve(endpoint.id).url == endpoint.url


def test_the_module_level_api_base_works_too(sandbox, monkeypatch):
    monkeypatch.setattr(stripe, "api_base", sandbox.stripe_api_base)
    monkeypatch.setattr(stripe, "api_key", STRIPE_SECRET_KEY)

    customer = stripe.Customer.create(email="module@example.com")

    assert stripe.Customer.retrieve(customer.id).email == "module@example.com"


def test_a_wrong_key_raises_authentication_error_without_echoing_the_key(sandbox):
    wrong = stripe.StripeClient(
        "sk_test_a_wrong_key_1234", base_addresses={"api": sandbox.stripe_api_base}
    )

    with pytest.raises(stripe.AuthenticationError) as raised:
        wrong.v1.customers.list()

    assert "Invalid API Key provided" in str(raised.value)
    assert "sk_test_a_wrong_key_1234" not in str(raised.value)


def test_a_missing_object_raises_invalid_request_error(client):
    with pytest.raises(stripe.InvalidRequestError, match="No such subscription"):
        client.v1.subscriptions.retrieve("sub_missing")


@pytest.fixture
def checkout(api, client, auth, wait_until) -> Callable[[], stripe.Event]:
    """Give a function that checks out as the runbook does and gives the delivered event."""

    def check_out() -> stripe.Event:
        created = api.post("/api/billing/checkout", headers=auth)
        assert created.status_code == 200
        session_id = created.json()["data"]["sessionId"]
        assert session_id.startswith("cs_test_")
        assert created.json()["data"]["url"].endswith(f"/checkout/{session_id}")

        def delivered_event() -> stripe.Event | None:
            events = client.v1.events.list(
                params={"type": "checkout.session.completed", "limit": 100}
            )
            for event in events.data:
                if event.data.object.id == session_id and event.delivery_attempts:
                    return event
            return None

        return wait_until(delivered_event, timeout=10)

    return check_out


def test_checkout_upgrades_the_user_to_pro_through_the_signed_webhook(
    sandbox, api, client, db, checkout
):
    started = time.monotonic()
    event = checkout()

    assert time.monotonic() - started < 10
    assert event.delivery_attempts[0].status == 200
    user = db.users.find_one({"email": TEST_USER_EMAIL})
    assert user["plan"] == "pro"
    assert user["stripeSubscriptionId"].startswith("sub_")
    assert user["usageCount"] == 0
    assert client.v1.subscriptions.retrieve(user["stripeSubscriptionId"]).status == "active"
    assert db.webhookevents.find_one({"eventId": event.id})["type"] == "checkout.session.completed"
    assert any(
        f"Stripe webhook checkout.session.completed {event.id}" in line
        for line in sandbox.platform.log_lines("backend")
    )


def test_replaying_a_delivered_event_changes_nothing(sandbox, api, client, db, auth, checkout):
    event = checkout()
    api.post("/api/optimize", headers=auth, json={"prompt": "counted once"})
    payload = httpx.get(
        f"{sandbox.stripe_api_base}/v1/events/{event.id}",
        headers={"Authorization": f"Bearer {STRIPE_SECRET_KEY}"},
    ).json()
    payload.pop("delivery_attempts")
    body = json.dumps(payload).encode()

    replay = api.post(
        "/api/upgrade",
        content=body,
        headers={
            "Stripe-Signature": sign_webhook_payload(body, STRIPE_WEBHOOK_SECRET, int(time.time())),
            "Content-Type": "application/json",
        },
    )

    assert replay.status_code == 200
    assert replay.json() == {"received": True, "duplicate": True}
    assert db.users.find_one({"email": TEST_USER_EMAIL})["usageCount"] == 1
    assert db.webhookevents.count_documents({"eventId": event.id}) == 1


def test_an_unsigned_webhook_is_rejected(api):
    response = api.post(
        "/api/upgrade",
        content=b'{"id": "evt_forged", "type": "checkout.session.completed"}',
        headers={"Stripe-Signature": "t=1,v1=forged"},
    )

    assert response.status_code == 400


def test_bad_webhook_secret_rejects_events_until_the_variable_is_fixed(
    sandbox, api, client, db, run_cli, checkout
):
    sandbox.set_faults(["bad-webhook-secret"])

    rejected = checkout()

    assert rejected.delivery_attempts[0].status == 400
    assert (
        "No signatures found matching the expected signature for payload"
        in rejected.delivery_attempts[0].response
    )
    assert db.users.find_one({"email": TEST_USER_EMAIL})["plan"] == "free"

    fixed = run_cli("railway", "variables", "set", f"STRIPE_WEBHOOK_SECRET={STRIPE_WEBHOOK_SECRET}")

    assert fixed.returncode == 0, fixed.stderr
    assert "bad-webhook-secret" not in sandbox.faults
    accepted = checkout()
    assert accepted.delivery_attempts[0].status == 200
    assert db.users.find_one({"email": TEST_USER_EMAIL})["plan"] == "pro"


def test_canceling_the_subscription_moves_the_user_back_to_free(
    api, client, db, wait_until, checkout
):
    checkout()
    subscription_id = db.users.find_one({"email": TEST_USER_EMAIL})["stripeSubscriptionId"]

    client.v1.subscriptions.cancel(subscription_id)

    assert wait_until(lambda: db.users.find_one({"email": TEST_USER_EMAIL})["plan"] == "free")


def test_quota_desync_includes_a_pro_user_whose_subscription_is_canceled(sandbox, client, db):
    sandbox.set_faults(["quota-desync"])

    lapsed = db.users.find_one({"email": "lapsed@desync.example.com"})

    assert lapsed["plan"] == "pro"
    assert client.v1.subscriptions.retrieve(lapsed["stripeSubscriptionId"]).status == "canceled"
