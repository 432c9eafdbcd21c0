"""`manual`: an instruction a person carries out and answers with pass, fail or skip."""

from __future__ import annotations

from plbook.steps.base import StepView

Spec = str
"""The instruction, in plain words."""

DEFAULT_EXPECT: list[str] = []


def describe(spec: Spec) -> StepView:
    """Give the instruction as a checklist item."""
    return StepView(action=spec, language="text", criteria=["The person carrying it out confirms it"])
