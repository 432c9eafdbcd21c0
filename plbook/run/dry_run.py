"""`plbook run --dry-run`: every step with its values filled in (secrets masked), run nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plbook import expr
from plbook.catalog import Catalog
from plbook.run.console import Console
from plbook.run.context import RunContext
from plbook.run.masking import Masker
from plbook.run.plan import check_inputs
from plbook.run.runtime import Resources, RunStepRuntime
from plbook.steps import StepBase
from plbook.steps.base import StepFailed

DEEPEST_CALL = 8


class _NothingRuns:
    """The host of a dry run's runtimes: values resolve, but nothing is opened, asked or run."""

    def __init__(self) -> None:
        self.resources = Resources()
        self.path = ""
        self.evidence_folder = Path()  # a dry run saves nothing

    def ask_manual(self, instruction: str, path: str) -> str:
        return "skip"

    def show_message(self, text: str) -> None:
        """Show nothing: a dry run sends no message."""

    def show_output(self, path: str, line: str) -> None:
        """Show nothing: a dry run runs no command."""

    def holds_secret(self, text: str) -> bool:
        return False

    def run_nested(
        self, procedure_id: str, inputs: dict[str, Any], context: RunContext, path: str
    ) -> bool:
        return True


def print_plan(
    catalog: Catalog,
    steps: list[StepBase],
    context: RunContext,
    console: Console,
    mask: Masker,
    depth: int = 0,
) -> None:
    """Show every step with its values filled in and every procedure it calls, indented."""
    host = _NothingRuns()
    for index, step in enumerate(steps, start=1):
        kind = step.kind_contract
        runtime = RunStepRuntime(host, context, (0.0, 0), step.id)
        try:
            action = kind.action_line(kind.resolve(step.spec, runtime))
        except (expr.ExpressionError, StepFailed):
            action = kind.action_line(step.spec) + "\n(some values are known only at run time)"
        console.plan_step(depth, index, step, mask.text(action))
        callee = step.called_procedure
        if callee is not None and depth < DEEPEST_CALL:
            nested = catalog.get(callee)
            given, _ = check_inputs(nested, dict(kind.called_inputs(step.spec)))
            nested_context = context.for_procedure(given)
            print_plan(catalog, list(nested.steps), nested_context, console, mask, depth + 1)
