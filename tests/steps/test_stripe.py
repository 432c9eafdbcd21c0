"""The `stripe` kind: its page view and reads through the official SDK from the stand-in."""

from __future__ import annotations

from typing import Any

import pytest

from plbook.steps.base import StepFailed
from plbook.steps.stripe import KIND, Spec
from steps.kind_support import KindRuntime

KEY = "sk_test_plbook_sandbox"


def spec(**fields: Any) -> Spec:
    return Spec.model_validate(fields)


def test_describe_gives_the_sdk_call_and_the_stripe_cli_line() -> None:
    view = KIND.describe(spec(list="webhook_endpoints", params={"limit": 3}))
    assert view.action == "stripe.webhook_endpoints.list({'limit': 3})"
    assert view.manual_equivalent == (
        "stripe webhook_endpoints list --limit=3 --api-key $STRIPE_SECRET_KEY"
    )


def test_a_list_reads_through_the_sdk_from_the_environments_api_base(
    runtime: KindRuntime, stripe_api_base: str
) -> None:
    runtime.env["stripe_api_base"] = stripe_api_base
    runtime.secrets["STRIPE_SECRET_KEY"] = KEY
    resolved = KIND.resolve(spec(list="customers", params={"limit": 2}), runtime)
    assert resolved.api_key == KEY
    result = KIND.run(resolved, runtime)
    assert set(result) == {"data", "has_more"}
    assert isinstance(result["data"], list)
    KIND.run(resolved, runtime)
    assert len(runtime.opened) == 1


def test_a_refused_key_fails_the_step_with_stripes_words(
    runtime: KindRuntime, stripe_api_base: str
) -> None:
    runtime.env["stripe_api_base"] = stripe_api_base
    with pytest.raises(StepFailed, match=r"Stripe customers list failed \(401\)"):
        KIND.run(spec(list="customers", api_key="sk_test_wrong"), runtime)
