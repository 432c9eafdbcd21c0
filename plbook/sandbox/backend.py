"""The PromptLens backend stand-in: the Express API the runbook's smoke tests call.

It keeps its data in MongoDB through the real pymongo driver, creates checkout
sessions through the real stripe SDK, and verifies Stripe webhooks with it.
Its environment variables and deployments are the platform state's, so
`railway variables set` and `railway rollback` change how it behaves.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone
from typing import Any

import pymongo
import stripe
from bson import ObjectId
from bson.errors import InvalidId
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from plbook.sandbox import addresses
from plbook.sandbox.faults import SLOW_API_DELAY_SECONDS
from plbook.sandbox.http_server import Handler, Request, Response, Router, json_response
from plbook.sandbox.product import PLAN_LIMITS, QUOTA_PERIOD, optimize_prompt
from plbook.sandbox.state import BACKEND, PlatformState, format_timestamp

# The runbook fails a health check that takes over 5 s; a down database must show well before.
SERVER_SELECTION_TIMEOUT_MS = 1000
PROMPTS_PAGE_LIMIT = 20
User = dict[str, Any]


def as_utc(value: datetime | str) -> datetime:
    """Give a stored date as an aware UTC datetime.

    nx-27017 0.8.1 stores a date written with `$set` as the string
    "YYYY-MM-DD HH:MM:SS.ffffff" (UTC) instead of a BSON date, so a procedure
    that backdates lastResetAt with update_one leaves a string behind.
    """
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (
        moment.replace(tzinfo=timezone.utc)
        if moment.tzinfo is None
        else moment.astimezone(timezone.utc)
    )


def iso(value: datetime | str) -> str:
    """Give a stored date as JavaScript's Date.toISOString() would."""
    return format_timestamp(as_utc(value).timestamp())


def usage_of(user: User) -> dict[str, Any]:
    """Give the /api/usage view of a user's quota."""
    limit = PLAN_LIMITS[user["plan"]]
    return {
        "plan": user["plan"],
        "usageCount": user["usageCount"],
        "limit": limit,
        "remaining": max(limit - user["usageCount"], 0),
        "lastResetAt": iso(user["lastResetAt"]),
        "nextResetAt": iso(user["nextResetAt"]),
    }


def prompt_json(prompt: dict[str, Any]) -> dict[str, Any]:
    """Give a stored prompt as the API returns it."""
    return {**prompt, "_id": str(prompt["_id"]), "createdAt": iso(prompt["createdAt"])}


def failure(status: int, error: str, **extra: Any) -> Response:
    """Give the backend's error response shape."""
    return json_response(status, {"success": False, "error": error, **extra})


def success(data: Any, status: int = 200, **extra: Any) -> Response:
    """Give the backend's success response shape."""
    return json_response(status, {"success": True, "data": data, **extra})


class Backend:
    """The backend service: its MongoDB connection, its routes and its log."""

    def __init__(self, platform: PlatformState, ports: addresses.SandboxPorts) -> None:
        self._platform = platform
        self._ports = ports
        self._client_lock = threading.Lock()
        self._client: pymongo.MongoClient[dict[str, Any]] | None = None
        self._client_uri = ""

    def log(self, message: str, level: str = "info") -> None:
        """Append a line to the backend's log (what `railway logs` prints)."""
        self._platform.log(BACKEND, message, level)

    def database(self) -> Database[dict[str, Any]]:
        """Give the database named by MONGODB_URI, reconnecting when the variable changed."""
        uri = self._platform.variable(BACKEND, "MONGODB_URI")
        with self._client_lock:
            if self._client is None or uri != self._client_uri:
                if self._client is not None:
                    self._client.close()
                self._client = pymongo.MongoClient(
                    uri,
                    serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
                    connectTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
                    tz_aware=True,
                )
                self._client_uri = uri
            return self._client.get_default_database(addresses.DATABASE_NAME)

    def restart(self) -> None:
        """Drop the MongoDB connection and log a startup, as a service restart does."""
        self.close()
        self.log("SIGTERM received, shutting down")
        self.log_startup()

    def log_startup(self) -> None:
        """Log the lines the backend prints when it starts."""
        variables = self._platform.variables(BACKEND)
        self.log(
            f"PromptLens backend listening on port {variables['PORT']} "
            f"(NODE_ENV={variables['NODE_ENV']})"
        )
        self.log(f"JWT_EXPIRES_IN={variables['JWT_EXPIRES_IN']}")

    def close(self) -> None:
        """Close the MongoDB connection and its monitor threads."""
        with self._client_lock:
            if self._client is not None:
                self._client.close()
            self._client = None

    # -- request handling ---------------------------------------------------

    def answer(self, handler: Handler) -> Handler:
        """Wrap an /api/* route with what every backend request goes through."""

        def answered(request: Request) -> Response:
            response = self._answer(handler, request)
            response.headers.update(self._cors_headers(request))
            return response

        return answered

    def _cors_headers(self, request: Request) -> dict[str, str]:
        """Give the CORS headers that let the dashboard's pages call the API from the browser."""
        origin = request.header("Origin")
        if not origin or origin != self._platform.variable(BACKEND, "CORS_ORIGIN"):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        }

    def preflight(self, request: Request) -> Response:
        """Answer a browser's CORS preflight, as the Express cors middleware does."""
        headers = self._cors_headers(request)
        if headers:
            headers["Access-Control-Allow-Methods"] = "GET,HEAD,PUT,PATCH,POST,DELETE"
            headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        return Response(204, b"", content_type="text/plain", headers=headers)

    def _answer(self, handler: Handler, request: Request) -> Response:
        if self._platform.slow_api:
            time.sleep(SLOW_API_DELAY_SECONDS)
        if not self._platform.current_deployment(BACKEND).healthy:
            self.log(
                "TypeError: Cannot read properties of undefined (reading 'authorization')"
                f" at authMiddleware ({request.method} {request.path})",
                "error",
            )
            return failure(500, "Internal Server Error")
        try:
            return handler(request)
        except PyMongoError as error:
            self.log(f"MongoDB error: {type(error).__name__}: {str(error)[:200]}", "error")
            return failure(503, "Database unavailable")

    def log_request(self, request: Request, response: Response, seconds: float) -> None:
        """Log one line per API request, with its duration, as the Express logger does."""
        if request.path.startswith("/api/"):
            level = (
                "error" if response.status >= 500 else "warn" if response.status >= 400 else "info"
            )
            self.log(
                f"{request.method} {request.path} {response.status} "
                f"duration={round(seconds * 1000)}ms",
                level,
            )

    def _authenticated_user(self, request: Request) -> User | None:
        token = request.header("Authorization").removeprefix("Bearer ").strip()
        user = self.database().users.find_one({"apiToken": token}) if token else None
        if user is None:
            self.log(f"Authentication failed for {request.method} {request.path}", "warn")
            return None
        return self._reset_quota_if_due(user)

    def _reset_quota_if_due(self, user: User) -> User:
        now = datetime.now(timezone.utc)
        if now - as_utc(user["lastResetAt"]) < QUOTA_PERIOD:
            return user
        reset = {**user, "usageCount": 0, "lastResetAt": now, "nextResetAt": now + QUOTA_PERIOD}
        # replace_one rather than $set: nx-27017 keeps dates as dates only on whole-document writes.
        self.database().users.replace_one({"_id": user["_id"]}, reset)
        self.log(f"Quota reset for user {user['email']} (usageCount {user['usageCount']} -> 0)")
        return reset

    def health(self, request: Request) -> Response:
        try:
            self.database().client.admin.command("ping")
        except PyMongoError as error:
            self.log(
                f"MongoDB connection error: {type(error).__name__}: {str(error)[:200]}", "error"
            )
            return json_response(
                503, {"success": False, "data": {"status": "error", "database": "disconnected"}}
            )
        return success({"status": "ok", "database": "connected"})

    def usage(self, request: Request) -> Response:
        user = self._authenticated_user(request)
        if user is None:
            return failure(401, "Authentication failed")
        return success(usage_of(user))

    def optimize(self, request: Request) -> Response:
        user = self._authenticated_user(request)
        if user is None:
            return failure(401, "Authentication failed")
        prompt = request.json_object().get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            return failure(400, "prompt is required")
        limit = PLAN_LIMITS[user["plan"]]
        counted = self.database().users.update_one(
            {"_id": user["_id"], "usageCount": {"$lt": limit}}, {"$inc": {"usageCount": 1}}
        )
        if counted.modified_count == 0:
            self.log(
                f"Quota exceeded for user {user['email']} ({user['usageCount']}/{limit})", "warn"
            )
            return failure(429, "Quota exceeded", data=usage_of(user))
        return success({"originalPrompt": prompt, "optimizedPrompt": optimize_prompt(prompt)})

    def list_prompts(self, request: Request) -> Response:
        """Answer `{"success", "data": [prompt...], "pagination": {page, limit, total, pages}}`."""
        user = self._authenticated_user(request)
        if user is None:
            return failure(401, "Authentication failed")
        try:
            page = max(int(request.query.get("page", 1)), 1)
            limit = min(max(int(request.query.get("limit", PROMPTS_PAGE_LIMIT)), 1), 100)
        except ValueError:
            return failure(400, "page and limit must be integers")
        prompts = self.database().prompts
        mine = {"userId": str(user["_id"])}
        total = prompts.count_documents(mine)
        page_of_prompts = (
            prompts.find(mine).sort("createdAt", -1).skip((page - 1) * limit).limit(limit)
        )
        return success(
            [prompt_json(prompt) for prompt in page_of_prompts],
            pagination={"page": page, "limit": limit, "total": total, "pages": -(-total // limit)},
        )

    def save_prompt(self, request: Request) -> Response:
        user = self._authenticated_user(request)
        if user is None:
            return failure(401, "Authentication failed")
        body = request.json_object()
        original, optimized = body.get("originalPrompt"), body.get("optimizedPrompt")
        if not isinstance(original, str) or not isinstance(optimized, str) or not original.strip():
            return failure(400, "originalPrompt and optimizedPrompt are required")
        prompt = {
            "userId": str(user["_id"]),
            "originalPrompt": original,
            "optimizedPrompt": optimized,
            "optimized": True,
            "createdAt": datetime.now(timezone.utc),
        }
        self.database().prompts.insert_one(prompt)
        self.log(f"Prompt {prompt['_id']} saved for user {user['email']}")
        return success(prompt_json(prompt), status=201)

    def checkout(self, request: Request) -> Response:
        user = self._authenticated_user(request)
        if user is None:
            return failure(401, "Authentication failed")
        client = stripe.StripeClient(
            self._platform.variable(BACKEND, "STRIPE_SECRET_KEY"),
            base_addresses={"api": self._ports.stripe_api_base},
            max_network_retries=0,
        )
        params: dict[str, Any] = {
            "mode": "subscription",
            "line_items": [{"price": "price_plbook_pro_monthly", "quantity": 1}],
            "client_reference_id": str(user["_id"]),
            "success_url": (
                f"{self._ports.dashboard_url}/billing/success?session_id={{CHECKOUT_SESSION_ID}}"
            ),
            "cancel_url": f"{self._ports.dashboard_url}/billing",
        }
        if user.get("stripeCustomerId"):
            params["customer"] = user["stripeCustomerId"]
        else:
            params["customer_email"] = user["email"]
        try:
            session = client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
        except stripe.StripeError as error:
            self.log(f"Stripe checkout error: {error.user_message or error}", "error")
            return failure(502, f"Stripe error: {error.user_message or error}")
        self.log(f"Checkout session {session.id} created for user {user['email']}")
        return success({"sessionId": session.id, "url": session.url})

    def stripe_webhook(self, request: Request) -> Response:
        payload = request.body.decode()
        try:
            stripe.Webhook.construct_event(
                payload,
                request.header("Stripe-Signature"),
                self._platform.variable(BACKEND, "STRIPE_WEBHOOK_SECRET"),
            )
        except (stripe.SignatureVerificationError, ValueError) as error:
            self.log(f"Stripe webhook signature verification failed: {error}", "error")
            return failure(400, f"Webhook Error: {error}")
        event = json.loads(payload)
        events = self.database().webhookevents
        try:
            events.insert_one(
                {
                    "eventId": event["id"],
                    "type": event["type"],
                    "createdAt": datetime.now(timezone.utc),
                }
            )
        except DuplicateKeyError:
            self.log(f"Stripe webhook {event['type']} {event['id']} already processed; ignored")
            return json_response(200, {"received": True, "duplicate": True})
        self.log(f"Stripe webhook {event['type']} {event['id']}")
        try:
            self._apply_stripe_event(event)
        except PyMongoError:
            # Forget the event so that Stripe's retry is processed rather than taken for a replay.
            events.delete_one({"eventId": event["id"]})
            raise
        return json_response(200, {"received": True})

    def _apply_stripe_event(self, event: dict[str, Any]) -> None:
        users = self.database().users
        obj = event["data"]["object"]
        if event["type"] == "checkout.session.completed":
            user = self._user_for_session(obj)
            if user is None:
                self.log(
                    f"Stripe webhook {event['id']}: no user for checkout session {obj['id']}",
                    "warn",
                )
                return
            users.update_one(
                {"_id": user["_id"]},
                {
                    "$set": {
                        "plan": "pro",
                        "limit": PLAN_LIMITS["pro"],
                        "usageCount": 0,
                        "stripeCustomerId": obj["customer"],
                        "stripeSubscriptionId": obj["subscription"],
                    }
                },
            )
            self.log(f"User {user['email']} upgraded to pro ({obj['subscription']})")
        elif event["type"] == "customer.subscription.deleted":
            downgraded = users.update_one(
                {"stripeSubscriptionId": obj["id"]},
                {"$set": {"plan": "free", "limit": PLAN_LIMITS["free"]}},
            )
            if downgraded.modified_count:
                self.log(f"Subscription {obj['id']} canceled; user moved to free")
        elif event["type"] == "invoice.payment_failed":
            self.log(f"Payment failed for customer {obj.get('customer')}", "warn")

    def _user_for_session(self, session: dict[str, Any]) -> User | None:
        users = self.database().users
        try:
            user = users.find_one({"_id": ObjectId(session.get("client_reference_id"))})
        except (InvalidId, TypeError):
            user = None
        email = (session.get("customer_details") or {}).get("email") or session.get(
            "customer_email"
        )
        return user if user is not None or not email else users.find_one({"email": email})

    def add_routes(self, router: Router) -> None:
        """Register the backend's /api/* routes."""
        router.add("GET", "/api/health", self.answer(self.health))
        router.add("GET", "/api/usage", self.answer(self.usage))
        router.add("POST", "/api/optimize", self.answer(self.optimize))
        router.add("GET", "/api/prompts", self.answer(self.list_prompts))
        router.add("POST", "/api/prompts", self.answer(self.save_prompt))
        router.add("POST", "/api/billing/checkout", self.answer(self.checkout))
        router.add("POST", "/api/upgrade", self.answer(self.stripe_webhook))
        router.add("OPTIONS", "/api/{endpoint}", self.preflight)
        router.add("OPTIONS", "/api/billing/{endpoint}", self.preflight)


def backend_not_found(request: Request) -> Response:
    """Give Express's 404 for an unknown route, in the backend's shape."""
    return failure(404, f"Cannot {request.method} {request.path}")


def backend_bad_request(request: Request, message: str) -> Response:
    """Give the 400 the backend's JSON body parser answers for a body it cannot read."""
    return failure(400, message)
