"""`stripe`: list or retrieve Stripe objects with the official SDK.

The API key comes from a secret and the API base from the environment, so the sandbox's
stand-in and Stripe's test mode both work.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from plbook.fields import Strict
from plbook.steps.base import (
    StepFailed,
    StepKind,
    StepRuntime,
    StepView,
    resolve_model,
    with_secret_placeholders,
)
from plbook.steps.deadline import DeadlinePassed, before_deadline

Resource = Literal[
    "webhook_endpoints", "subscriptions", "customers", "events", "checkout_sessions", "invoices"
]
_CLI_NAMES = {"checkout_sessions": "checkout sessions", "webhook_endpoints": "webhook_endpoints"}


class Spec(Strict):
    """One read of the Stripe API."""

    list: Resource | None = Field(None, description="Resource to list, e.g. webhook_endpoints.")
    retrieve: Resource | None = Field(None, description="Resource to fetch one object of, by `id`.")
    id: str | None = Field(
        None, description="Object id for `retrieve`, e.g. `{{ vars.subscription }}`."
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="List filters, e.g. {limit: 10}."
    )
    api_key: str = Field(
        "{{ secrets.STRIPE_SECRET_KEY }}",
        description="Secret API key; defaults to STRIPE_SECRET_KEY.",
    )

    @model_validator(mode="after")
    def _one_action(self) -> Spec:
        if (self.list is None) == (self.retrieve is None):
            raise ValueError("give exactly one of `list: RESOURCE` or `retrieve: RESOURCE`")
        if self.retrieve is not None and not self.id:
            raise ValueError("`retrieve` needs the object's `id`")
        return self

    @property
    def resource(self) -> str:
        """Give the resource this step reads."""
        return self.list or self.retrieve or ""


class StripeKind(StepKind[Spec]):
    """A read of the Stripe API through the official SDK, against the environment's API base."""

    name = "stripe"
    label = "Stripe API read"
    spec_type = Spec
    result_words = {
        "data": "the objects listed",
        "has_more": "whether more objects exist",
        "object": "the object",
    }
    result_part_words = {"object": "`{part}` of the object"}

    def describe(self, spec: Spec) -> StepView:
        """Give the SDK call and the equivalent stripe CLI line."""
        cli_resource = _CLI_NAMES.get(spec.resource, spec.resource)
        if spec.list:
            action = f"stripe.{spec.resource}.list({spec.params or ''})"
            flags = "".join(f" --{k}={v}" for k, v in spec.params.items())
            cli = f"stripe {cli_resource} list{flags}"
        else:
            action = f"stripe.{spec.resource}.retrieve({spec.id!r})"
            cli = f"stripe {cli_resource} retrieve {spec.id}"
        return StepView(
            action=action,
            language="python",
            manual_equivalent=with_secret_placeholders(cli + f" --api-key {spec.api_key}"),
        )

    def resolve(self, spec: Spec, runtime: StepRuntime) -> Spec:
        """Give the read with every `{{ }}` value (the API key too) filled in."""
        return resolve_model(spec, runtime)

    def run(self, spec: Spec, runtime: StepRuntime) -> dict[str, Any]:
        """Read from the Stripe API; give data and has_more for a list, object for a retrieve."""
        import stripe as stripe_sdk

        base = str(runtime.env_value("stripe_api_base"))
        opened = runtime.resource(
            ("stripe.client", spec.api_key, base, runtime.timeout),
            lambda: _OpenClient(spec.api_key, base, runtime.timeout),
        )
        service: Any = opened.client.v1
        for part in _SERVICE_PATHS.get(spec.resource, (spec.resource,)):
            service = getattr(service, part)
        try:
            return before_deadline(runtime, lambda: _read(spec, service), lambda: None)
        except DeadlinePassed:
            raise StepFailed(f"no answer from the Stripe API within {runtime.timeout:g}s") from None
        except stripe_sdk.StripeError as error:
            status = f" ({error.http_status})" if error.http_status else ""
            raise StepFailed(
                f"Stripe {spec.resource} {'list' if spec.list else 'retrieve'} failed"
                f"{status}: {error.user_message or _first_line(error)}"
            ) from None


KIND = StripeKind()


def _read(spec: Spec, service: Any) -> dict[str, Any]:
    """Give the list page or the object the spec asks the service for."""
    if spec.list:
        page = service.list(dict(spec.params) or None)
        return {"data": [item.to_dict() for item in page.data], "has_more": bool(page.has_more)}
    return {"object": service.retrieve(spec.id).to_dict()}


class _OpenClient:
    """A Stripe client with the HTTP client it owns, closed together at the end of the run."""

    def __init__(self, api_key: str, base: str, timeout: float) -> None:
        import stripe as stripe_sdk

        self.http = stripe_sdk.HTTPXClient(timeout=timeout, allow_sync_methods=True)
        self.client = stripe_sdk.StripeClient(
            api_key, base_addresses={"api": base}, http_client=self.http, max_network_retries=0
        )

    def close(self) -> None:
        """Close the HTTP connections the client keeps."""
        self.http.close()  # type: ignore[no-untyped-call]  # the SDK's close() has no hints


_SERVICE_PATHS = {"checkout_sessions": ("checkout", "sessions")}


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]
