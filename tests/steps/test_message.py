"""The `message` kind: a template shown with its header, sent filled in, kept as evidence."""

from __future__ import annotations

from plbook.steps.message import KIND, Spec
from steps.kind_support import KindRuntime


def test_describe_shows_where_it_goes_then_the_text() -> None:
    view = KIND.describe(Spec(channel="#incidents", subject="API", body="All good."))
    assert view.action == "Channel: #incidents\nSubject: API\n\nAll good."
    assert view.heading == "Message"


def test_run_shows_the_filled_in_message_and_keeps_its_text(runtime: KindRuntime) -> None:
    runtime.inputs["severity"] = "P1"
    message = KIND.resolve(Spec(to="support", body="Severity {{ inputs.severity }}."), runtime)
    result = KIND.run(message, runtime)
    assert runtime.shown == ["To: support\n\nSeverity P1."]
    assert result["text"] == "To: support\n\nSeverity P1."
    assert KIND.evidence_text(result) == ("Message shown (not sent)", "To: support\n\nSeverity P1.")
