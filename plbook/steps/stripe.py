"""`stripe`: list or retrieve Stripe objects with the official SDK; key from a secret, base from the environment."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from plbook.fields import Strict
from plbook.steps.base import StepView, with_secret_placeholders

Resource = Literal[
    "webhook_endpoints", "subscriptions", "customers", "events", "checkout_sessions", "invoices"
]
_CLI_NAMES = {"checkout_sessions": "checkout sessions", "webhook_endpoints": "webhook_endpoints"}


class Spec(Strict):
    """One read of the Stripe API."""

    list: Resource | None = Field(None, description="Resource to list, e.g. webhook_endpoints.")
    retrieve: Resource | None = Field(None, description="Resource to fetch one object of, by `id`.")
    id: str | None = Field(None, description="Object id for `retrieve`, e.g. `{{ vars.subscription }}`.")
    params: dict[str, Any] = Field(default_factory=dict, description="List filters, e.g. {limit: 10}.")
    api_key: str = Field(
        "{{ secrets.STRIPE_SECRET_KEY }}", description="Secret API key; defaults to STRIPE_SECRET_KEY."
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


DEFAULT_EXPECT: list[str] = []


def describe(spec: Spec) -> StepView:
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
