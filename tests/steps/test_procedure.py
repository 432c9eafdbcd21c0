"""The `procedure` kind: another procedure run inline, with inputs of its own."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from plbook.steps.base import StepFailed
from plbook.steps.procedure import KIND, Call, Spec
from steps.kind_support import KindRuntime

CALL = TypeAdapter(Spec)


def test_a_bare_id_is_a_call_without_inputs() -> None:
    assert CALL.validate_python("smoke-health") == Call(id="smoke-health")


def test_describe_is_the_plbook_run_line_and_names_the_call() -> None:
    call = CALL.validate_python({"id": "rollback-api", "inputs": {"deployment": "d-1"}})
    view = KIND.describe(call)
    assert view.action == "plbook run rollback-api --input deployment=d-1"
    assert view.criteria == ["Every check of `rollback-api` passes"]
    assert KIND.called_procedure(call) == "rollback-api"
    assert KIND.called_inputs(call) == {"deployment": "d-1"}


def test_run_runs_the_procedure_with_filled_in_inputs(runtime: KindRuntime) -> None:
    runtime.inputs["id"] = "d-9"
    call = KIND.resolve(
        CALL.validate_python({"id": "x", "inputs": {"d": "{{ inputs.id }}"}}), runtime
    )
    assert KIND.run(call, runtime) == {"passed": True}
    assert runtime.calls == [("x", {"d": "d-9"})]
    runtime.nested_passes = False
    with pytest.raises(StepFailed, match="a check of 'x' failed"):
        KIND.run(call, runtime)
