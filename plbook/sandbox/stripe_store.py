"""The Stripe stand-in's account: customers, subscriptions, checkout sessions and events.

Completing a checkout session does what Stripe does after a test card 4242
payment: it creates the customer and an active subscription, records a
`checkout.session.completed` event and POSTs it, signed, to the webhook endpoint.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from plbook.sandbox import addresses

WEBHOOK_EVENTS = [
    "checkout.session.completed",
    "customer.subscription.deleted",
    "invoice.payment_failed",
]
PRO_PRICE_ID = "price_plbook_pro_monthly"
PRO_PRICE_CENTS = 999
API_VERSION = "2024-06-20"
# The sandbox pays every new checkout session this long after it is created.
AUTOPAY_DELAY_SECONDS = 1.0
MONTH = 30 * 86400

StripeObject = dict[str, Any]


def new_stripe_id(prefix: str) -> str:
    """Give a fresh Stripe-style id such as `cus_Nf3k...`."""
    alphabet = string.ascii_letters + string.digits
    return f"{prefix}_{''.join(secrets.choice(alphabet) for _ in range(24))}"


def sign_webhook_payload(payload: bytes, secret: str, timestamp: int) -> str:
    """Give the `Stripe-Signature` header value for a payload, as Stripe computes it."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class NoSuchObjectError(LookupError):
    """No object of that kind has that id."""

    def __init__(self, kind: str, id_: str) -> None:
        super().__init__(f"No such {kind}: '{id_}'")


class StripeAccount:
    """The objects of the sandbox's one Stripe test-mode account; safe across threads."""

    def __init__(self, ports: addresses.SandboxPorts, autopay: bool = True) -> None:
        self._ports = ports
        self._autopay = autopay
        self._lock = threading.RLock()
        self._objects: dict[str, dict[str, StripeObject]] = {
            kind: {}
            for kind in (
                "customer",
                "subscription",
                "checkout.session",
                "event",
                "invoice",
                "webhook_endpoint",
            )
        }
        self._timers: list[threading.Timer] = []
        self._stopped = False
        self._add(
            "webhook_endpoint",
            {
                "id": "we_plbook_sandbox",
                "object": "webhook_endpoint",
                "api_version": API_VERSION,
                "application": None,
                "created": int(time.time()) - 30 * 86400,
                "description": "PromptLens backend",
                "enabled_events": list(WEBHOOK_EVENTS),
                "livemode": False,
                "metadata": {},
                "status": "enabled",
                "url": ports.webhook_url,
            },
        )

    def _add(self, kind: str, obj: StripeObject) -> StripeObject:
        with self._lock:
            self._objects[kind][obj["id"]] = obj
        return obj

    def get(self, kind: str, id_: str) -> StripeObject:
        """Give a copy of one object, or raise NoSuchObjectError."""
        with self._lock:
            if id_ not in self._objects[kind]:
                raise NoSuchObjectError(kind, id_)
            return copy.deepcopy(self._objects[kind][id_])

    def list_objects(self, kind: str, **filters: str) -> list[StripeObject]:
        """Give copies of the objects of a kind matching the filters, newest first."""
        with self._lock:
            matching = [
                copy.deepcopy(obj)
                for obj in self._objects[kind].values()
                if all(obj.get(field) == value for field, value in filters.items())
            ]
        # Stable on insertion order for objects created within the same second.
        return list(reversed(sorted(matching, key=lambda obj: obj["created"])))

    def create_customer(
        self, email: str | None, name: str | None = None, metadata: dict[str, str] | None = None
    ) -> StripeObject:
        """Create and give a customer."""
        return copy.deepcopy(
            self._add(
                "customer",
                {
                    "id": new_stripe_id("cus"),
                    "object": "customer",
                    "created": int(time.time()),
                    "email": email,
                    "name": name,
                    "livemode": False,
                    "metadata": metadata or {},
                },
            )
        )

    def create_subscription(self, customer_id: str, status: str = "active") -> StripeObject:
        """Create and give a monthly Pro subscription for a customer."""
        now = int(time.time())
        subscription_id = new_stripe_id("sub")
        return copy.deepcopy(
            self._add(
                "subscription",
                {
                    "id": subscription_id,
                    "object": "subscription",
                    "created": now,
                    "customer": customer_id,
                    "status": status,
                    "cancel_at_period_end": False,
                    "canceled_at": now if status == "canceled" else None,
                    "current_period_start": now,
                    "current_period_end": now + MONTH,
                    "items": {
                        "object": "list",
                        "data": [
                            {
                                "id": new_stripe_id("si"),
                                "object": "subscription_item",
                                "price": {
                                    "id": PRO_PRICE_ID,
                                    "object": "price",
                                    "currency": "usd",
                                    "unit_amount": PRO_PRICE_CENTS,
                                    "recurring": {"interval": "month"},
                                },
                                "quantity": 1,
                                "subscription": subscription_id,
                            }
                        ],
                        "has_more": False,
                        "url": f"/v1/subscription_items?subscription={subscription_id}",
                    },
                    "livemode": False,
                    "metadata": {},
                },
            )
        )

    def create_checkout_session(self, params: dict[str, Any]) -> StripeObject:
        """Create and give an open checkout session; the sandbox pays it shortly after."""
        session_id = new_stripe_id("cs_test")
        session = self._add(
            "checkout.session",
            {
                "id": session_id,
                "object": "checkout.session",
                "amount_total": PRO_PRICE_CENTS,
                "cancel_url": params.get("cancel_url"),
                "client_reference_id": params.get("client_reference_id"),
                "created": int(time.time()),
                "currency": "usd",
                "customer": params.get("customer"),
                "customer_details": None,
                "customer_email": params.get("customer_email"),
                "expires_at": int(time.time()) + 86400,
                "livemode": False,
                "metadata": params.get("metadata") or {},
                "mode": params.get("mode", "payment"),
                "payment_status": "unpaid",
                "status": "open",
                "subscription": None,
                "success_url": params.get("success_url"),
                "url": f"{self._ports.stripe_api_base}/checkout/{session_id}",
            },
        )
        if self._autopay:
            self._schedule(AUTOPAY_DELAY_SECONDS, self.complete_checkout_session, session_id)
        return copy.deepcopy(session)

    def _schedule(self, delay: float, action: Any, *args: Any) -> None:
        with self._lock:
            if self._stopped:
                return
            timer = threading.Timer(delay, action, args)
            timer.name = f"sandbox-stripe-autopay-{self._ports.stripe_api}"
            self._timers = [t for t in self._timers if t.is_alive()] + [timer]
            timer.start()

    def complete_checkout_session(self, session_id: str) -> StripeObject:
        """Pay an open session as the test customer with card 4242 would, and give it."""
        with self._lock:
            session = self._objects["checkout.session"].get(session_id)
            if session is None:
                raise NoSuchObjectError("checkout.session", session_id)
            if session["status"] == "complete":
                return copy.deepcopy(session)
            email = session["customer_email"] or "customer@example.com"
            customer_id = session["customer"] or self.create_customer(email)["id"]
            subscription = (
                self.create_subscription(customer_id) if session["mode"] == "subscription" else None
            )
            session.update(
                {
                    "customer": customer_id,
                    "customer_details": {"email": email, "name": None},
                    "payment_status": "paid",
                    "status": "complete",
                    "subscription": subscription["id"] if subscription else None,
                }
            )
            event = self._record_event("checkout.session.completed", session)
        self.deliver_event(event["id"])
        return self.get("checkout.session", session_id)

    def cancel_subscription(self, subscription_id: str) -> StripeObject:
        """Cancel a subscription now, send `customer.subscription.deleted`, and give it."""
        with self._lock:
            subscription = self._objects["subscription"].get(subscription_id)
            if subscription is None:
                raise NoSuchObjectError("subscription", subscription_id)
            subscription.update({"status": "canceled", "canceled_at": int(time.time())})
            event = self._record_event("customer.subscription.deleted", subscription)
        self.deliver_event(event["id"])
        return self.get("subscription", subscription_id)

    def _record_event(self, type_: str, data_object: StripeObject) -> StripeObject:
        return self._add(
            "event",
            {
                "id": new_stripe_id("evt"),
                "object": "event",
                "api_version": API_VERSION,
                "created": int(time.time()),
                "data": {"object": copy.deepcopy(data_object)},
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "type": type_,
                # Not in Stripe's API: what the dashboard's "Attempted webhooks" tab would show.
                "delivery_attempts": [],
            },
        )

    def deliver_event(self, event_id: str) -> None:
        """POST an event, signed, to every enabled endpoint that listens for its type."""
        event = self.get("event", event_id)
        public_event = {key: value for key, value in event.items() if key != "delivery_attempts"}
        payload = json.dumps(public_event).encode()
        for endpoint in self.list_objects("webhook_endpoint", status="enabled"):
            if event["type"] not in endpoint["enabled_events"]:
                continue
            signature = sign_webhook_payload(
                payload, addresses.STRIPE_WEBHOOK_SECRET, int(time.time())
            )
            attempt = _post_webhook(endpoint["url"], payload, signature)
            with self._lock:
                stored = self._objects["event"][event_id]
                stored["delivery_attempts"].append(attempt)
                if 200 <= attempt["status"] < 300:
                    stored["pending_webhooks"] = 0

    def stop(self) -> None:
        """Cancel pending payments and wait for any delivery in flight."""
        with self._lock:
            self._stopped = True
            timers = list(self._timers)
        for timer in timers:
            timer.cancel()
            timer.join()


def _post_webhook(url: str, payload: bytes, signature: str) -> dict[str, Any]:
    """POST one webhook delivery and give the attempt as the dashboard would list it."""
    request = urllib.request.Request(
        url,
        data=payload,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": signature,
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        },
    )
    attempt: dict[str, Any] = {"url": url, "created": int(time.time())}
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            attempt.update(
                status=response.status, response=response.read(500).decode(errors="replace")
            )
    except urllib.error.HTTPError as error:
        attempt.update(status=error.code, response=error.read(500).decode(errors="replace"))
    except OSError as error:
        attempt.update(status=0, response=f"connection failed: {error}")
    return attempt
