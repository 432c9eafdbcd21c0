"""`manual`: an instruction a person carries out and answers with pass, fail or skip."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from plbook.fields import Prose
from plbook.steps.base import (
    UNATTENDED,
    StepFailed,
    StepKind,
    StepRuntime,
    StepSkipped,
    StepView,
)

Spec = Prose
"""The instruction, in plain words."""


class ManualKind(StepKind[str]):
    """A check a person makes; the answer is the verdict."""

    name = "manual"
    label = "Manual check"
    spec_type = Spec
    result_words = {"answer": "the answer"}
    asks_a_person = True

    def describe(self, spec: str) -> StepView:
        """Give the instruction as a checklist item."""
        return StepView(
            action=spec,
            language="text",
            criteria=["The person carrying it out confirms it"],
            checklist=True,
        )

    def resolve(self, spec: str, runtime: StepRuntime) -> str:
        """Give the instruction with every `{{ }}` value filled in."""
        return str(runtime.render(spec))

    def run(self, spec: str, runtime: StepRuntime) -> dict[str, Any]:
        """Ask for pass, fail or skip; give the answer and when it was given."""
        answer = runtime.ask_manual(spec)
        answered_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        result = {"answer": answer, "answered_at": answered_at}
        if answer == "fail":
            raise StepFailed("answered fail", result)
        if answer == "skip":
            raise StepSkipped("answered skip", result)
        if answer == UNATTENDED:
            raise StepSkipped("skipped-unattended: nobody was there to carry it out", result)
        return result


KIND = ManualKind()
