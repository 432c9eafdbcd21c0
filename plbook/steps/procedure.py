"""`procedure`: run another procedure, with inputs of its own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from plbook.fields import Identifier, Strict
from plbook.steps.base import StepFailed, StepKind, StepRuntime, StepView, resolve_model


class Call(Strict):
    """Which procedure to run and the inputs to give it."""

    id: Identifier = Field(description="Id of the procedure to run (its file name without .yaml).")
    inputs: dict[str, Any] = Field(default_factory=dict, description="Inputs for that procedure.")


def _call_from_id(value: Any) -> Any:
    return {"id": value} if isinstance(value, str) else value


Spec = Annotated[Call, BeforeValidator(_call_from_id, json_schema_input_type=str | Call)]


class ProcedureKind(StepKind[Call]):
    """Another procedure run inline; passes when every check of it passes."""

    name = "procedure"
    label = "Runs a procedure"
    spec_type = Spec
    result_words = {"passed": "whether the procedure passed"}

    def describe(self, spec: Call) -> StepView:
        """Give the `plbook run` line that runs the same procedure by hand."""
        line = f"plbook run {spec.id}" + "".join(
            f" --input {name}={value}" for name, value in spec.inputs.items()
        )
        return StepView(
            action=line, language="bash", criteria=[f"Every check of `{spec.id}` passes"]
        )

    def resolve(self, spec: Call, runtime: StepRuntime) -> Call:
        """Give the call with every `{{ }}` in its inputs filled in."""
        return resolve_model(spec, runtime)

    def run(self, spec: Call, runtime: StepRuntime) -> dict[str, Any]:
        """Run the procedure inline; give whether every check of it passed."""
        if not runtime.run_procedure(spec.id, dict(spec.inputs)):
            raise StepFailed(f"a check of '{spec.id}' failed", {"passed": False})
        return {"passed": True}

    def called_procedure(self, spec: Call) -> str | None:
        """Give the id of the procedure this step runs."""
        return spec.id

    def called_inputs(self, spec: Call) -> Mapping[str, Any]:
        """Give the inputs this step gives the procedure it runs."""
        return spec.inputs


KIND = ProcedureKind()
