"""The step loop: each step resolved, confirmed if destructive, tried and retried to a verdict."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from plbook import expr
from plbook.catalog import Catalog
from plbook.model import Environment, Procedure
from plbook.records import Attempt, Failure
from plbook.run.context import RunContext
from plbook.run.journal import Recorder
from plbook.run.options import RunOptions
from plbook.run.plan import check_inputs, planned_entry
from plbook.run.prompts import Prompts
from plbook.run.runtime import Resources, RunStepRuntime, tool_path
from plbook.steps import StepBase
from plbook.steps.base import StepFailed, StepSkipped


@dataclass(frozen=True)
class Verdict:
    """How a step ended: its last attempt, how many there were, and the action it took."""

    attempt: Attempt
    attempts: int = 0
    action: str | None = None


@dataclass
class _Progress:
    """How far a step got, kept for the record if it is interrupted before its verdict."""

    attempts: int = 0
    action: str | None = None

    def cut_short(self, error: str) -> Verdict:
        """Give the verdict of a step stopped before it had one."""
        return Verdict(Attempt("interrupted", error=error), self.attempts, self.action)


@dataclass
class StepLoop:
    """Runs steps in order for one run; every event goes through the recorder."""

    catalog: Catalog
    options: RunOptions
    recorder: Recorder
    prompts: Prompts
    environment: Environment
    resources: Resources = field(default_factory=Resources)
    failed: bool = False
    next_procedure: str | None = None
    path: str = ""

    def __post_init__(self) -> None:
        self.path = tool_path(self.environment)

    def run_steps(
        self, procedure: Procedure, steps: list[StepBase], context: RunContext, prefix: str
    ) -> bool:
        """Run steps in order; give whether none failed. Stops at a failure unless told to go on."""
        passed = True
        for index, step in enumerate(steps, start=1):
            if not self.run_step(step, context, prefix, (index, len(steps))):
                passed = False
                if step.on_failure.then != "continue":
                    break
        return passed

    def run_step(
        self, step: StepBase, context: RunContext, prefix: str, position: tuple[int, int]
    ) -> bool:
        """Run one step to its verdict and record it; give whether it did not fail."""
        path = prefix + step.id
        index, total = position
        self.recorder.emit(
            {
                "event": "step-started",
                **planned_entry(step, path),
                "index": index,
                "total": total,
                "depth": path.count("/"),
            }
        )
        started, progress = time.monotonic(), _Progress()
        try:
            verdict = self.verdict(step, context, path, progress)
        except KeyboardInterrupt:
            verdict = progress.cut_short("interrupted (Ctrl-C)")
            raise
        except Exception as error:
            # A crash keeps "interrupted": the record is finished and written, then the bug shows.
            verdict = progress.cut_short(f"plbook crashed: {type(error).__name__}: {error}")
            raise
        finally:
            self.recorder.emit(_finished_event(step, path, verdict, started))
        if verdict.attempt.status != "failed":
            return True
        self.failed = True
        if step.on_failure.run and self.next_procedure is None:
            self.next_procedure = step.on_failure.run
        return False

    def verdict(
        self, step: StepBase, context: RunContext, path: str, progress: _Progress
    ) -> Verdict:
        """Give the step's verdict: resolved, confirmed if destructive, attempted with retries."""
        kind = step.kind_contract
        runtime = RunStepRuntime(self, context, self.timeout_of(step), path)
        try:
            resolved = kind.resolve(step.spec, runtime)
        except expr.ExpressionError as error:
            return Verdict(Attempt("failed", error=f"cannot fill in a value: {error}"))
        progress.action = action = kind.action_line(resolved)
        if step.destructive and not self.options.yes:
            if not self.prompts.confirm_destructive(self.recorder.mask.text(action)):
                refused = Attempt("skipped", error="not confirmed: the change was not made")
                return Verdict(refused, 0, action)
        retry = step.retry
        deadline = time.monotonic() + retry.timeout if retry and retry.timeout else None
        while True:
            progress.attempts += 1
            runtime.start_attempt()
            outcome = self.attempt(step, resolved, runtime, context)
            if outcome.status != "failed" or retry is None:
                break
            if retry.attempts is not None and progress.attempts >= retry.attempts:
                break
            if deadline is not None and time.monotonic() + retry.interval >= deadline:
                break
            time.sleep(retry.interval)
        return Verdict(outcome, progress.attempts, action)

    def timeout_of(self, step: StepBase) -> float:
        """Give the seconds one attempt of a step may take."""
        return float(step.timeout or self.options.default_timeout)

    def attempt(
        self, step: StepBase, resolved: Any, runtime: RunStepRuntime, context: RunContext
    ) -> Attempt:
        """Run the step once and check its expectations; give the attempt."""
        try:
            result = step.kind_contract.run(resolved, runtime)
        except StepFailed as failure:
            return Attempt("failed", result=failure.result, error=str(failure))
        except StepSkipped as skip:
            return Attempt("skipped", result=skip.result, error=str(skip))
        names = context.names(result)
        failures = tuple(_failed_expectations(step.expectations, names))
        if failures:
            return Attempt("failed", result=result, failures=failures)
        saved: dict[str, Any] = {}
        for name, source in step.save.items():
            try:
                saved[name] = expr.evaluate(source, names)
            except expr.ExpressionError as error:
                problem = f"cannot save vars.{name} = {source}: {error}"
                return Attempt("failed", result=result, error=problem)
        context.vars.update(saved)
        return Attempt("passed", result=result, saved=saved)

    def run_nested(
        self, procedure_id: str, inputs: dict[str, Any], context: RunContext, path: str
    ) -> bool:
        """Run another procedure's steps inline under `path/`; give whether none failed."""
        procedure = self.catalog.get(procedure_id)
        given, problems = check_inputs(procedure, inputs)
        if problems:
            raise StepFailed("; ".join(problems))
        return self.run_steps(
            procedure, list(procedure.steps), context.for_procedure(given), prefix=path + "/"
        )

    def ask_manual(self, instruction: str) -> str:
        """Give a manual step's answer: asked in a terminal, else the `--manual` policy."""
        policy = self.options.manual_policy
        if policy != "ask":
            return policy
        return self.prompts.ask_manual(self.recorder.mask.text(instruction))

    def show_message(self, text: str) -> None:
        """Show a rendered message, secrets masked."""
        self.recorder.console.message(self.recorder.mask.text(text))


def _failed_expectations(expectations: list[str], names: dict[str, Any]) -> list[Failure]:
    """Give each expectation that does not hold, with the values it read."""
    failures = []
    for source in expectations:
        try:
            holds, problem = bool(expr.evaluate(source, names)), None
        except expr.ExpressionError as error:
            holds, problem = False, str(error)
        if not holds:
            failures.append(Failure(source, tuple(expr.explain(source, names)), problem))
    return failures


def _finished_event(step: StepBase, path: str, verdict: Verdict, started: float) -> dict[str, Any]:
    """Give the `step-finished` event of a verdict."""
    attempt = verdict.attempt
    event: dict[str, Any] = {
        "event": "step-finished",
        **planned_entry(step, path),
        "attempts": verdict.attempts,
        "status": attempt.status,
    }
    if verdict.action is not None:
        event["action"] = verdict.action
    if attempt.result is not None:
        event["result"] = attempt.result
    if attempt.error is not None:
        event["error"] = attempt.error
    if attempt.failures:
        event["failures"] = [
            {"expression": f.expression, "values": list(f.values), "error": f.error}
            for f in attempt.failures
        ]
    if attempt.status == "passed":
        event["saved"] = dict(attempt.saved)
    if attempt.status == "failed":
        event.update(hint=step.on_failure.hint, on_failure_run=step.on_failure.run)
    event["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    return event
