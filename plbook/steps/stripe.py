"""`stripe`: list or retrieve Stripe objects with the official SDK.

The API key comes from a secret and the API base from the environment, so the sandbox's
stand-in and Stripe's test mode both work.
"""

from __future__ import annotations

import json
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
from plbook.steps.twin import Twin, TwinContext, TwinJson, shell_word

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

    def twin(self, spec: Spec, context: TwinContext) -> Twin:
        """Give the Stripe CLI line, in the real CLI's syntax, against the environment's API."""
        words = ["stripe", _CLI_NAMES.get(spec.resource, spec.resource)]
        if spec.list:
            words.append("list")
        else:
            words += ["retrieve", shell_word(spec.id or "", context)]
        for key, value in _form_pairs(spec.params):
            words += ["-d", shell_word(f"{key}={value}", context)]
        words += ["--api-key", shell_word(spec.api_key, context)]
        base = str(context.values.get("stripe_api_base") or _STRIPE_API)
        if base.rstrip("/") != _STRIPE_API:
            words += ["--api-base", shell_word(base, context)]
        return Twin(" ".join(words))

    def twin_json(self, spec: Spec, context: TwinContext) -> TwinJson:
        """Give the CLI line: it prints the API's JSON, a list's objects under `.data`."""
        fields = {"data": ".data", "has_more": ".has_more"} if spec.list else {"object": "."}
        return TwinJson(self.twin(spec, context).command, fields)

    def twin_result(self, spec: Spec, output: str) -> dict[str, Any]:
        """Give data and has_more of a list, or the object retrieved, from the CLI's JSON."""
        answer = json.loads(output)
        if spec.list:
            return {"data": answer.get("data", []), "has_more": bool(answer.get("has_more"))}
        return {"object": answer}

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


_STRIPE_API = "https://api.stripe.com"


def _form_pairs(params: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Give params as the form pairs the SDK sends: bracketed keys, list items by index."""
    if isinstance(params, dict):
        items: Any = params.items()
    elif isinstance(params, list):
        items = enumerate(params)
    else:
        text = ("true" if params else "false") if isinstance(params, bool) else str(params)
        return [(prefix, text)]
    pairs = []
    for key, value in items:
        pairs += _form_pairs(value, f"{prefix}[{key}]" if prefix else str(key))
    return pairs


_SERVICE_PATHS = {"checkout_sessions": ("checkout", "sessions")}


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]
