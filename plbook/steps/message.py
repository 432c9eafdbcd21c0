"""`message`: a communication template rendered with the run's inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from plbook.fields import Strict
from plbook.steps.base import StepKind, StepRuntime, StepView, resolve_model


class Spec(Strict):
    """Where the message goes and what it says."""

    channel: str | None = Field(
        None, description="Where to post it: status page, Slack #incidents, email..."
    )
    to: str | None = Field(None, description="Who receives it.")
    subject: str | None = Field(None, description="Subject line, for email.")
    body: str = Field(description="The text; `{{ inputs.NAME }}` values are filled in.")


class MessageKind(StepKind[Spec]):
    """A message to send, shown filled in; the evidence keeps the text that was sent."""

    name = "message"
    label = "Message"
    spec_type = Spec
    result_words = {"text": "the message text"}

    def describe(self, spec: Spec) -> StepView:
        """Give the template text as it will be sent."""
        header = "".join(
            f"{label}: {value}\n"
            for label, value in (
                ("Channel", spec.channel),
                ("To", spec.to),
                ("Subject", spec.subject),
            )
            if value
        )
        return StepView(
            action=header + ("\n" if header else "") + spec.body, language="text", heading="Message"
        )

    def resolve(self, spec: Spec, runtime: StepRuntime) -> Spec:
        """Give the message with every `{{ }}` value filled in."""
        return resolve_model(spec, runtime)

    def run(self, spec: Spec, runtime: StepRuntime) -> dict[str, Any]:
        """Show the rendered message; give its text (and where it goes) for the evidence."""
        text = self.describe(spec).action
        runtime.show_message(text)
        return {"text": text, "channel": spec.channel, "to": spec.to, "subject": spec.subject}

    def evidence_text(self, result: Mapping[str, Any]) -> tuple[str, str] | None:
        """Give the message as it was shown: plbook shows it, a person sends it."""
        return "Message shown (not sent)", str(result.get("text", ""))


KIND = MessageKind()
