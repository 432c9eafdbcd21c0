"""What a run shows: one line per event in logs and CI, or colour and a live spinner in a TTY.

The console only shows; the questions a run asks are in `plbook.run.prompts`. Secrets are
masked before anything reaches it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, TextIO

from plbook.fields import format_duration
from plbook.records import RunRecord, StepRecord, failure_lines, step_from_event
from plbook.steps import STEP_KINDS

VERDICT_WORDS = {
    "passed": "PASS",
    "failed": "FAIL",
    "skipped": "SKIP",
    "interrupted": "STOP",
    "not_run": "----",
}


def duration_text(milliseconds: float) -> str:
    """Give a step's or run's duration as the console shows it."""
    return format_duration(
        round(milliseconds / 1000, 1) if milliseconds >= 1000 else max(milliseconds, 1) / 1000
    )


OUTPUT_LINES = 20
"""How many of the last lines a step printed are shown under it, unless -v or -q."""
POLL_EVERY = 5.0
"""In plain output, a polling step shows at most one line per this many seconds."""
LONG_RUN = 20
"""A run of more steps than this ends with its failures and counts, not every row."""
LIVE_AFTER = 2.0
"""A command still running after this many seconds shows its output as it comes."""
QUIET, NORMAL, VERBOSE = -1, 0, 1


def indent_of(path: str) -> str:
    """Give the indent of a step's lines: two spaces per procedure it is nested in."""
    return "  " * path.count("/")


def output_lines(event: dict[str, Any], verbosity: int) -> list[str]:
    """Give the lines a step printed that the console shows: the last 20, all with -v, none -q."""
    kind = STEP_KINDS.get(str(event.get("kind")))
    result = event.get("result")
    if verbosity <= QUIET or kind is None or not isinstance(result, dict):
        return []
    text = kind.output_text(result)
    if not text:
        return []
    lines = text.rstrip("\n").splitlines()
    if verbosity < VERBOSE and len(lines) > OUTPUT_LINES:
        cut = len(lines) - OUTPUT_LINES
        return [f"... {cut} earlier lines (all of them with -v, and in the journal)"] + lines[cut:]
    return lines


def poll_line(event: dict[str, Any]) -> str:
    """Give a polling attempt as one line: attempt n (of N), time left, what it saw."""
    of = f" of {event['of']}" if event.get("of") else ""
    left = f", {event['left_s']:.0f}s left" if event.get("left_s") is not None else ""
    return f"attempt {event['attempt']}{of}{left}: {event['seen']}"


class _LiveOutput:
    """What a running step printed so far, and whether its lines are shown as they come."""

    def __init__(self, keep_all: bool) -> None:
        self.started = time.monotonic()
        self.lines: deque[str] = deque(maxlen=None if keep_all else OUTPUT_LINES)
        self.live = False


class Console:
    """Plain line output: one line when a step starts, one with its verdict, a summary table."""

    def __init__(self, stdout: TextIO, verbosity: int = NORMAL) -> None:
        self.out = stdout
        self.verbosity = verbosity
        self._last_poll = 0.0
        self._running: dict[str, _LiveOutput] = {}
        self._lock = threading.Lock()

    def output(self, path: str, line: str) -> None:
        """Show a line a long command printed as it comes; a quick one's wait for its verdict."""
        with self._lock:
            running = self._running.setdefault(path, _LiveOutput(self.verbosity >= VERBOSE))
            running.lines.append(line)
            if self.verbosity <= QUIET:
                return
            if not running.live and time.monotonic() - running.started < LIVE_AFTER:
                return
            shown = [line] if running.live else list(running.lines)
            running.live = True
            for each in shown:
                self.write(f"{indent_of(path)}    | {each}")

    def write(self, text: str = "") -> None:
        """Show one line of text as it is."""
        self.out.write(text + "\n")
        self.out.flush()

    def pause(self) -> None:
        """Stop any live display, so that a question can be asked."""

    def carry_on(self) -> None:
        """Start the live display again after a question."""

    def event(self, event: dict[str, Any]) -> None:
        """Show a journal event."""
        name = event["event"]
        if name == "run-started":
            self.write(
                f"plbook run {event['procedure']} --env {event['environment']} "
                f"(run {event['run_id']})"
            )
        elif name == "run-resumed":
            self.write(f"resuming run {event['run_id']} at step {event['from']}")
        elif name == "step-started":
            self.step_started(event)
        elif name == "step-finished":
            self.step_finished(event)
        elif name == "attempt-failed":
            self.attempt_failed(event)

    def attempt_failed(self, event: dict[str, Any]) -> None:
        """Show a polling step's failed attempt, at most one line per 5 seconds."""
        now = time.monotonic()
        if now - self._last_poll < POLL_EVERY:
            return
        self._last_poll = now
        self.write(f"{indent_of(event['path'])}  ... {poll_line(event)}")

    def step_started(self, event: dict[str, Any]) -> None:
        """Show that a step began."""
        self._running[event["path"]] = _LiveOutput(self.verbosity >= VERBOSE)
        self.write(
            f"{indent_of(event['path'])}[{event['index']}/{event['total']}] {event['id']}: "
            f"{event['title']}"
        )

    def step_finished(self, event: dict[str, Any]) -> None:
        """Show a step's verdict and what explains it."""
        indent = indent_of(event["path"])
        self.write(
            f"{indent}  {VERDICT_WORDS[event['status']]} {event['path']} ({timing_text(event)})"
        )
        for line in explanation_lines(event):
            self.write(f"{indent}    {line}")
        running = self._running.pop(event["path"], None)
        if running is not None and running.live:
            return  # its output was shown as it came
        for line in output_lines(event, self.verbosity):
            self.write(f"{indent}    | {line}")

    def problem(self, text: str) -> None:
        """Show something that stops the run from starting."""
        self.write(f"error: {text}")

    def note(self, text: str) -> None:
        """Show a remark (where the evidence went, a warning)."""
        self.write(text)

    def message(self, text: str) -> None:
        """Show a rendered communication message."""
        rule = "-" * 60
        self.write("\n".join([rule, text, rule]))

    def plan_step(self, depth: int, index: int, step: Any, action: str) -> None:
        """Show one step of a dry run with its values filled in."""
        indent = "  " * depth
        marks = " [destructive]" if step.destructive else ""
        self.write(f"{indent}{index}. {step.id} ({step.kind}){marks}: {step.title}")
        if step.when:
            self.write(f"{indent}     only if: {step.when}")
        for line in action.splitlines():
            self.write(f"{indent}     {line}")
        for expectation in step.expectations:
            self.write(f"{indent}     expect: {expectation}")

    def summary(self, run: RunRecord) -> None:
        """Show one line per step (only what did not pass in a long run) and the counts."""
        self.write("")
        for step in summary_rows(run):
            took = f"  {duration_text(step.duration_ms)}" if step.duration_ms is not None else ""
            where = indent_of(step.path) + step.path
            self.write(f"{VERDICT_WORDS[step.status]}  {where}  {step.title}{took}")
        self.write(counts_line(run))
        self.next_lines(run)

    def next_lines(self, run: RunRecord) -> None:
        """Show what to run next: the procedure a failure names, or how to resume."""
        if run.next_procedure:
            self.write(f"next: plbook run {run.next_procedure} --env {run.environment}")
        for also in run.also_procedures:
            self.write(f"also: plbook run {also} --env {run.environment}")
        if run.status in ("interrupted", "failed") and any(s.status != "passed" for s in run.steps):
            self.write(f"resume with: plbook run {run.procedure} --resume {run.run_id}")


def summary_rows(run: RunRecord) -> list[StepRecord]:
    """Give the steps a summary lists: all of them, or what did not pass in a long run."""
    if len(run.steps) <= LONG_RUN:
        return list(run.steps)
    return [step for step in run.steps if step.status in ("failed", "interrupted")]


def timing_text(event: dict[str, Any]) -> str:
    """Give a finished step's duration, and its attempts when there were several."""
    attempts = event.get("attempts", 0)
    return duration_text(event["duration_ms"]) + (f", {attempts} attempts" if attempts > 1 else "")


def explanation_lines(event: dict[str, Any]) -> list[str]:
    """Give the lines that explain a finished step's verdict."""
    return failure_lines(step_from_event(event))


def counts_line(run: RunRecord) -> str:
    """Give the last line of a run: its status, the counts and where the journal is."""
    counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in run.counts.items() if n)
    return (
        f"{run.status.upper()}: {counts or 'no steps'} in "
        f"{duration_text(run.duration_ms)}; journal {run.journal}"
    )
