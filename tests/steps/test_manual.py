"""The `manual` kind: a checklist item on the page, a person's answer when run."""

from __future__ import annotations

import pytest

from plbook.steps.base import StepFailed, StepSkipped
from plbook.steps.manual import KIND
from steps.kind_support import KindRuntime


def test_describe_is_a_checklist_item_confirmed_by_a_person() -> None:
    view = KIND.describe("Check the status page shows green")
    assert (view.action, view.checklist) == ("Check the status page shows green", True)
    assert view.criteria == ["The person carrying it out confirms it"]


def test_the_answer_is_the_verdict(runtime: KindRuntime) -> None:
    runtime.inputs["region"] = "eu-west"
    instruction = KIND.resolve("Look at {{ inputs.region }}", runtime)
    runtime.answers = ["pass", "fail", "skip"]
    assert KIND.run(instruction, runtime)["answer"] == "pass"
    assert runtime.shown == ["Look at eu-west"]
    with pytest.raises(StepFailed, match="answered fail"):
        KIND.run(instruction, runtime)
    with pytest.raises(StepSkipped, match="answered skip"):
        KIND.run(instruction, runtime)
