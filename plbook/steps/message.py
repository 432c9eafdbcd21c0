"""`message`: a communication template rendered with the run's inputs."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from plbook.fields import Strict
from plbook.steps.base import StepRuntime, StepView, resolve_model


class Spec(Strict):
    """Where the message goes and what it says."""

    channel: str | None = Field(
        None, description="Where to post it: status page, Slack #incidents, email..."
    )
    to: str | None = Field(None, description="Who receives it.")
    subject: str | None = Field(None, description="Subject line, for email.")
    body: str = Field(description="The text; `{{ inputs.NAME }}` values are filled in.")


DEFAULT_EXPECT: list[str] = []


def describe(spec: Spec) -> StepView:
    """Give the template text as it will be sent."""
    header = "".join(
        f"{label}: {value}\n"
        for label, value in (("Channel", spec.channel), ("To", spec.to), ("Subject", spec.subject))
        if value
    )
    return StepView(action=header + ("\n" if header else "") + spec.body, language="text")


def resolve(spec: Spec, runtime: StepRuntime) -> Spec:
    """Give the message with every `{{ }}` value filled in."""
    return resolve_model(spec, runtime)


def run(spec: Spec, runtime: StepRuntime) -> dict[str, Any]:
    """Show the rendered message; give its text (and where it goes) for the evidence."""
    text = describe(spec).action
    runtime.show_message(text)
    return {"text": text, "channel": spec.channel, "to": spec.to, "subject": spec.subject}
