"""The step loop: each step resolved, confirmed if destructive, tried and retried to a verdict."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from plbook import expr
from plbook.catalog import Catalog
from plbook.model import Environment, Input, Procedure
from plbook.records import Attempt, Failure, files_folder
from plbook.references import names_read
from plbook.run.context import RunContext
from plbook.run.gates import SKIPPED_ERROR, STOPPED_ERROR, Gates
from plbook.run.journal import Recorder, terminal_safe
from plbook.run.masking import secrets_held
from plbook.run.options import DEFAULT_OUTPUT_LIMIT, RunOptions
from plbook.run.plan import check_inputs, planned_entry
from plbook.run.polling import Poll
from plbook.run.prompts import Prompts, StepQuestion
from plbook.run.runtime import Resources, RunStepRuntime, tool_path
from plbook.run.signals import interruption
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
    stopped: bool = False
    """The person declined a change and chose to stop: the run ends, unfinished."""
    suggestions: list[tuple[int, str]] = field(default_factory=list)
    """The procedures failed steps name, with the depth of the step that names each."""
    path: str = ""
    askable: dict[str, Input] = field(default_factory=dict)
    """Required inputs not given, asked for when the first step that reads them comes."""
    gates: Gates = field(init=False)
    _questions: dict[str, StepQuestion] = field(default_factory=dict)
    evidence_folder: Path = field(default_factory=Path)

    def __post_init__(self) -> None:
        self.path = tool_path(self.environment)
        self.gates = Gates(self.options, self.prompts, self.recorder)
        journal = self.recorder.journal.path
        self.evidence_folder = files_folder(journal.stem, journal.parent)

    @property
    def next_procedure(self) -> str | None:
        """Give the procedure to run next: the one the outermost failed step names."""
        ordered = self.next_procedures
        return ordered[0] if ordered else None

    @property
    def next_procedures(self) -> list[str]:
        """Give every procedure failed steps name, the outermost step's first, each once."""
        ranked = sorted(self.suggestions, key=lambda suggestion: suggestion[0])
        return list(dict.fromkeys(procedure for _, procedure in ranked))

    def run_steps(
        self, procedure: Procedure, steps: list[StepBase], context: RunContext, prefix: str
    ) -> bool:
        """Run steps in order; give whether none failed. Stops at a failure unless told to go on."""
        passed = True
        # Steps are numbered by their place in the procedure, so a resumed run counts on.
        places = {step.id: number for number, step in enumerate(procedure.steps, start=1)}
        total = len(procedure.steps)
        for step in steps:
            if not self.run_step(step, context, prefix, (places.get(step.id, 0), total)):
                passed = False
                if step.on_failure.then != "continue":
                    break
            if self.stopped:
                break
        return passed

    def run_step(
        self, step: StepBase, context: RunContext, prefix: str, position: tuple[int, int]
    ) -> bool:
        """Run one step to its verdict and record it; give whether it did not fail."""
        path = prefix + step.id
        index, total = position
        self._questions[path] = StepQuestion(
            path, step.title, step.description, "", f"[{index}/{total}]"
        )
        self.recorder.emit(
            {
                "event": "step-started",
                **planned_entry(step, path),
                "index": index,
                "total": total,
                "depth": path.count("/"),
            }
        )
        started, progress, chosen = time.monotonic(), _Progress(), None
        try:
            verdict = self.verdict(step, context, path, progress, index < total or "/" in path)
            if verdict.attempt.status == "failed":
                chosen = _next_procedure(step, verdict.attempt, context)
        except KeyboardInterrupt as interrupt:
            verdict = progress.cut_short(interruption(interrupt))
            raise
        except Exception as error:
            # A crash keeps "interrupted": the record is finished and written, then the bug shows.
            verdict = progress.cut_short(f"plbook crashed: {type(error).__name__}: {error}")
            raise
        finally:
            event = _finished_event(step, path, verdict, started, chosen)
            if verdict.attempt.saved:
                event["saved_secrets"] = {
                    name: secrets_held(value, context.secrets)
                    for name, value in verdict.attempt.saved.items()
                }
            self.recorder.emit(event)
        if verdict.attempt.status != "failed":
            return True
        self.failed = True
        if chosen:
            self.suggestions.append((path.count("/"), chosen))
        return False

    def verdict(
        self, step: StepBase, context: RunContext, path: str, progress: _Progress, follows: bool
    ) -> Verdict:
        """Give the step's verdict: its condition, its gates, then attempts with retries."""
        if step.when:
            try:
                holds = bool(expr.evaluate(step.when, context.names()))
            except expr.ExpressionError as error:
                return Verdict(
                    Attempt("failed", error=f"cannot decide `when: {step.when}`: {error}")
                )
            if not holds:
                return Verdict(Attempt("skipped", error=f"skipped: condition false ({step.when})"))
        if "/" not in path:
            self.ask_inputs(step, context)
        kind = step.kind_contract
        runtime = RunStepRuntime(self, context, self.limits_of(step), path)
        try:
            resolved = kind.resolve(step.spec, runtime)
        except expr.ExpressionError as error:
            return Verdict(Attempt("failed", error=f"cannot fill in a value: {error}"))
        except StepFailed as failure:
            return Verdict(Attempt("failed", error=str(failure)))
        except Exception as error:  # noqa: BLE001 - a value the kind cannot take fails the step
            return Verdict(Attempt("failed", error=f"cannot fill in a value: {_said(error)}"))
        progress.action = action = kind.action_line(resolved)
        question = self._question(path, action)
        if not self.gates.step_wanted(question):
            return Verdict(Attempt("skipped", error="skipped at --step"), 0, action)
        if step.destructive:
            decision = self.gates.destructive(question, follows)
            if decision == "stop":
                self.stopped = True
                return Verdict(Attempt("interrupted", error=STOPPED_ERROR), 0, action)
            if decision == "skip":
                return Verdict(Attempt("skipped", error=SKIPPED_ERROR), 0, action)
        return self.attempts(step, resolved, runtime, context, progress)

    def attempts(
        self,
        step: StepBase,
        resolved: Any,
        runtime: RunStepRuntime,
        context: RunContext,
        progress: _Progress,
    ) -> Verdict:
        """Try the step until it passes or its retry budget is spent; give the verdict."""
        poll = Poll(step.retry, runtime.step_path)
        while True:
            progress.attempts += 1
            runtime.start_attempt(poll.deadline)
            outcome = self.attempt(step, resolved, runtime, context)
            if outcome.status != "failed" or not poll.another(progress.attempts):
                break
            self.recorder.emit(poll.event(progress.attempts, outcome))
            time.sleep(poll.interval)
        return Verdict(outcome, progress.attempts, progress.action)

    def ask_inputs(self, step: StepBase, context: RunContext) -> None:
        """Ask for the missing inputs this step reads, each once, before it is resolved."""
        wanted = names_read([step], "inputs") & set(self.askable) - set(context.inputs)
        # An example is a hint only against a stand-in: never a value to copy into production.
        hints = self.environment.stand_in_tools and not self.environment.confirm
        for name in sorted(wanted):
            declared = self.askable[name]
            example = declared.example if hints else None
            context.inputs[name] = self.gates.input(
                name, declared.description, declared.pattern, example
            )

    def _question(self, path: str, action: str) -> StepQuestion:
        """Give the step at `path` as a question shows it, with its resolved action."""
        known = self._questions[path]
        return StepQuestion(
            path, known.title, known.description, self.recorder.mask.text(action), known.position
        )

    def limits_of(self, step: StepBase) -> tuple[float, int]:
        """Give the seconds one attempt of a step may take and the bytes of output it keeps."""
        timeout = float(step.timeout or self.options.default_timeout)
        return timeout, step.max_output or DEFAULT_OUTPUT_LIMIT

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
        except Exception as error:  # noqa: BLE001 - what a target or a value did fails the step
            return Attempt("failed", error=f"the step could not run: {_said(error)}")
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

    def ask_manual(self, instruction: str, path: str) -> str:
        """Give a manual step's answer: asked in a terminal, else the `--manual` policy."""
        return self.gates.manual(self._question(path, instruction))

    def show_message(self, text: str) -> None:
        """Show a rendered message, secrets masked."""
        self.recorder.console.message(terminal_safe(self.recorder.mask.text(text)))

    def show_output(self, path: str, line: str) -> None:
        """Show a line a step printed as it prints it, secrets masked."""
        self.recorder.console.output(path, terminal_safe(self.recorder.mask.text(line)))

    def holds_secret(self, text: str) -> bool:
        """Tell whether text contains a secret of the run in a form the mask hides."""
        return self.recorder.mask.text(text) != text


def _said(error: Exception) -> str:
    """Give an unexpected error in one line: its type and its first line."""
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()
        )
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


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


def _next_procedure(step: StepBase, attempt: Attempt, context: RunContext) -> str | None:
    """Give the procedure a failed step names for what its last attempt saw."""
    return step.on_failure.chosen(context.names(attempt.result))


def _finished_event(
    step: StepBase, path: str, verdict: Verdict, started: float, chosen: str | None
) -> dict[str, Any]:
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
        event.update(hint=step.on_failure.hint, on_failure_run=chosen)
    event["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    return event
