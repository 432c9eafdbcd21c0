"""`manual`: an instruction a person carries out and answers with pass, fail or skip."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from plbook.fields import Prose
from plbook.steps.base import StepFailed, StepRuntime, StepSkipped, StepView

Spec = Prose
"""The instruction, in plain words."""

DEFAULT_EXPECT: list[str] = []


def describe(spec: Spec) -> StepView:
    """Give the instruction as a checklist item."""
    return StepView(
        action=spec, language="text", criteria=["The person carrying it out confirms it"]
    )


def resolve(spec: Spec, runtime: StepRuntime) -> Spec:
    """Give the instruction with every `{{ }}` value filled in."""
    return str(runtime.render(spec))


def run(spec: Spec, runtime: StepRuntime) -> dict[str, Any]:
    """Ask for pass, fail or skip; give the answer and when it was given."""
    answer = runtime.ask_manual(spec)
    answered_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    result = {"answer": answer, "answered_at": answered_at}
    if answer == "fail":
        raise StepFailed("answered fail", result)
    if answer == "skip":
        raise StepSkipped("answered skip", result)
    return result
