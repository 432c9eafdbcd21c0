"""The Stripe API stand-in: the endpoints PromptLens and its runbook use, shaped like Stripe's.

Requests are form-encoded and answers are Stripe-shaped JSON, so the real stripe
SDK works against it when pointed at it with `base_addresses={"api": ...}` or
`stripe.api_base`.
"""

from __future__ import annotations

from collections.abc import Callable

from plbook.sandbox import addresses
from plbook.sandbox.http_server import (
    Request,
    Response,
    RoutedHTTPServer,
    Router,
    ServerBehaviour,
    html_response,
    json_response,
)
from plbook.sandbox.stripe_forms import decode_stripe_form
from plbook.sandbox.stripe_queries import (
    InvalidStripeParameterError,
    expand_fields,
    list_expansions,
    parse_expand,
    parse_list_query,
)
from plbook.sandbox.stripe_store import NoSuchObjectError, StripeAccount


def stripe_error(status: int, message: str, **details: str) -> Response:
    """Give an error in Stripe's JSON shape."""
    return json_response(
        status, {"error": {"type": "invalid_request_error", "message": message, **details}}
    )


def mask_api_key(key: str) -> str:
    """Give an API key with its middle starred out, as Stripe shows a wrong key back."""
    if len(key) <= 12:
        return "*" * len(key)
    return f"{key[:8]}{'*' * (len(key) - 12)}{key[-4:]}"


def _authentication_error(request: Request) -> Response | None:
    authorization = request.header("Authorization")
    if not authorization:
        return stripe_error(
            401,
            "You did not provide an API key. You need to provide your API key "
            "in the Authorization header, using Bearer auth.",
        )
    key = authorization.removeprefix("Bearer ").strip()
    if key != addresses.STRIPE_SECRET_KEY:
        return stripe_error(401, f"Invalid API Key provided: {mask_api_key(key)}")
    return None


def _list_page(
    request: Request, account: StripeAccount, kind: str, filters: tuple[str, ...]
) -> Response:
    query = parse_list_query(request.query_string, filters)
    expansions = list_expansions(query.expand)
    matching = [obj for obj in account.list_objects(kind) if query.matches(obj)]
    page, has_more = query.page(matching)
    return json_response(
        200,
        {
            "object": "list",
            "url": request.path,
            "has_more": has_more,
            "data": [expand_fields(obj, expansions, account.get) for obj in page],
        },
    )


def build_stripe_router(account: StripeAccount) -> Router:
    """Give the routes of the Stripe API stand-in, acting on `account`."""
    router = Router()

    def authenticated(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def checked(request: Request) -> Response:
            refusal = _authentication_error(request)
            if refusal is not None:
                return refusal
            try:
                return handler(request)
            except NoSuchObjectError as error:
                return stripe_error(404, str(error), code="resource_missing", param="id")
            except InvalidStripeParameterError as error:
                return stripe_error(400, str(error), code="parameter_unknown", param=error.param)

        return checked

    def list_of(kind: str, *filter_names: str) -> Callable[[Request], Response]:
        return authenticated(lambda request: _list_page(request, account, kind, filter_names))

    def one(kind: str) -> Callable[[Request], Response]:
        def retrieved(request: Request) -> Response:
            expand = parse_expand(request.query_string)
            obj = account.get(kind, request.path_params["id"])
            return json_response(200, expand_fields(obj, expand, account.get))

        return authenticated(retrieved)

    def create_customer(request: Request) -> Response:
        params = decode_stripe_form(request.body.decode())
        return json_response(
            200,
            account.create_customer(
                params.get("email"), params.get("name"), params.get("metadata")
            ),
        )

    def create_checkout_session(request: Request) -> Response:
        return json_response(
            200, account.create_checkout_session(decode_stripe_form(request.body.decode()))
        )

    def complete_checkout_session(request: Request) -> Response:
        return json_response(200, account.complete_checkout_session(request.path_params["id"]))

    def cancel_subscription(request: Request) -> Response:
        return json_response(200, account.cancel_subscription(request.path_params["id"]))

    def hosted_checkout_page(request: Request) -> Response:
        # What the customer sees after paying with 4242 4242 4242 4242.
        try:
            session = account.complete_checkout_session(request.path_params["id"])
        except NoSuchObjectError:
            return html_response(
                404, "<!doctype html><title>Checkout</title><h1>Checkout session not found</h1>"
            )
        return html_response(
            200,
            (
                "<!doctype html><title>PromptLens Pro checkout</title>"
                "<h1>Payment succeeded</h1>"
                f"<p>Paid with the test card 4242 4242 4242 4242. Session {session['id']}.</p>"
                f'<p><a href="{session["success_url"] or "/"}">Return to PromptLens</a></p>'
            ),
        )

    router.add("GET", "/v1/webhook_endpoints", list_of("webhook_endpoint"))
    router.add("GET", "/v1/webhook_endpoints/{id}", one("webhook_endpoint"))
    router.add("GET", "/v1/customers", list_of("customer", "email"))
    router.add("POST", "/v1/customers", authenticated(create_customer))
    router.add("GET", "/v1/customers/{id}", one("customer"))
    router.add("GET", "/v1/subscriptions", list_of("subscription", "status", "customer"))
    router.add("GET", "/v1/subscriptions/{id}", one("subscription"))
    router.add("DELETE", "/v1/subscriptions/{id}", authenticated(cancel_subscription))
    router.add("GET", "/v1/checkout/sessions", list_of("checkout.session", "status", "customer"))
    router.add("POST", "/v1/checkout/sessions", authenticated(create_checkout_session))
    router.add("GET", "/v1/checkout/sessions/{id}", one("checkout.session"))
    router.add(
        "POST",
        "/v1/test_helpers/checkout/sessions/{id}/complete",
        authenticated(complete_checkout_session),
    )
    router.add("GET", "/v1/invoices", list_of("invoice", "status", "customer", "subscription"))
    router.add("GET", "/v1/invoices/{id}", one("invoice"))
    router.add("GET", "/v1/events", list_of("event", "type"))
    router.add("GET", "/v1/events/{id}", one("event"))
    router.add("GET", "/checkout/{id}", hosted_checkout_page)
    return router


def _unrecognized_request(request: Request) -> Response:
    return stripe_error(
        404,
        f"Unrecognized request URL ({request.method}: {request.path}). "
        "The plbook sandbox stands in for part of the Stripe API only.",
    )


def _bad_request(request: Request, message: str) -> Response:
    return stripe_error(400, message)


def stripe_api_server(
    port: int, account: StripeAccount, latency_seconds: float = 0.0
) -> RoutedHTTPServer:
    """Give the Stripe API stand-in's server, not yet started."""
    behaviour = ServerBehaviour(
        _unrecognized_request, bad_request=_bad_request, latency_seconds=latency_seconds
    )
    return RoutedHTTPServer(addresses.HOST, port, build_stripe_router(account), behaviour)
