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
LIVE_TAIL = 5
"""How many of a running command's last lines the live display shows under the spinner."""
LIVE_AFTER = 2.0
"""A command still running after this many seconds shows its output as it comes."""
QUIET, NORMAL, VERBOSE = -1, 0, 1


def _indent(path: str) -> str:
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
                self.write(f"{_indent(path)}    | {each}")

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
        self.write(f"{_indent(event['path'])}  ... {poll_line(event)}")

    def step_started(self, event: dict[str, Any]) -> None:
        """Show that a step began."""
        self._running[event["path"]] = _LiveOutput(self.verbosity >= VERBOSE)
        self.write(
            f"{_indent(event['path'])}[{event['index']}/{event['total']}] {event['id']}: "
            f"{event['title']}"
        )

    def step_finished(self, event: dict[str, Any]) -> None:
        """Show a step's verdict and what explains it."""
        indent = _indent(event["path"])
        self.write(f"{indent}  {VERDICT_WORDS[event['status']]} {event['path']} ({_timing(event)})")
        for line in _explanation(event):
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
            self.write(
                f"{VERDICT_WORDS[step.status]}  {_indent(step.path)}{step.path}  {step.title}{took}"
            )
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


def _timing(event: dict[str, Any]) -> str:
    attempts = event.get("attempts", 0)
    return duration_text(event["duration_ms"]) + (f", {attempts} attempts" if attempts > 1 else "")


def _explanation(event: dict[str, Any]) -> list[str]:
    return failure_lines(step_from_event(event))


def counts_line(run: RunRecord) -> str:
    """Give the last line of a run: its status, the counts and where the journal is."""
    counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in run.counts.items() if n)
    return (
        f"{run.status.upper()}: {counts or 'no steps'} in "
        f"{duration_text(run.duration_ms)}; journal {run.journal}"
    )


class _CurrentStep:
    """The live line: a spinner, the step running now, and how long it has taken."""

    def __init__(self) -> None:
        from rich.spinner import Spinner

        self.spinner = Spinner("dots")
        self.labels: list[tuple[str, float]] = []
        self.detail = ""
        """What the running step last saw while polling, shown after its time."""
        self.tail: deque[str] = deque(maxlen=LIVE_TAIL)
        """The last lines the running command printed, shown under the spinner."""

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.text import Text

        if not self.labels:
            return ""  # stopping the live display renders it once more
        label, started = self.labels[-1]
        detail = f"  [dim]{self.detail}[/dim]" if self.detail else ""
        self.spinner.update(text=f"{label}  [dim]{time.monotonic() - started:.1f}s[/dim]{detail}")
        if not self.tail:
            return self.spinner
        lines = [Text(f"    │ {line}", style="dim", no_wrap=True) for line in self.tail]
        return Group(self.spinner, *lines)


class RichConsole(Console):
    """The console with colour, a live spinner for the running step and a summary table."""

    STYLES = {
        "passed": "green",
        "failed": "bold red",
        "skipped": "yellow",
        "interrupted": "magenta",
        "not_run": "dim",
    }
    SYMBOLS = {"passed": "✓", "failed": "✗", "skipped": "–", "interrupted": "■", "not_run": "·"}

    def __init__(self, stdout: TextIO, verbosity: int = NORMAL) -> None:
        super().__init__(stdout, verbosity)
        from rich.console import Console as RichOutput
        from rich.live import Live

        self.console = RichOutput(file=stdout, highlight=False)
        self.current = _CurrentStep()
        self.live = Live(self.current, console=self.console, transient=True, refresh_per_second=10)

    def write(self, text: str = "") -> None:
        """Show one line of text as it is, without rich markup."""
        self.console.print(text, markup=False)

    def pause(self) -> None:
        """Stop the spinner, so that a question can be asked."""
        if self.live.is_started:
            self.live.stop()

    def carry_on(self) -> None:
        """Start the spinner again if a step is still running."""
        if self.current.labels:
            self.live.start()

    def step_started(self, event: dict[str, Any]) -> None:
        """Show the step in the live line; a nested step first prints its parent's path."""
        from rich.markup import escape

        label = (
            f"[{event['index']}/{event['total']}] [bold]{escape(event['id'])}[/bold] "
            f"{escape(event['title'])}"
        )
        if self.current.labels:
            self.pause()
            self.console.print(f"{_indent(event['path'])}[dim]↳ {escape(event['path'])}[/dim]")
        self.current.labels.append((label, time.monotonic()))
        self.live.start()

    def step_finished(self, event: dict[str, Any]) -> None:
        """Show the verdict in colour, with what explains it."""
        from rich.markup import escape

        self.current.labels.pop()
        self.current.detail = ""
        self.current.tail.clear()
        if not self.current.labels:
            self.pause()
        status, indent = event["status"], _indent(event["path"])
        self.console.print(
            f"{indent}[{self.STYLES[status]}]{self.SYMBOLS[status]}[/] "
            f"{escape(event['path'])}  [dim]{_timing(event)}[/dim]"
        )
        for line in _explanation(event):
            self.console.print(f"{indent}    {escape(line)}")
        for line in output_lines(event, self.verbosity):
            self.console.print(f"{indent}    [dim]│[/dim] {escape(line)}")

    def output(self, path: str, line: str) -> None:
        """Show a running command's last lines under the spinner; its verdict shows the rest."""
        if self.verbosity > QUIET:
            self.current.tail.append(line)

    def attempt_failed(self, event: dict[str, Any]) -> None:
        """Show a polling step's attempt in its live line: attempt n, time left, what it saw."""
        from rich.markup import escape

        self.current.detail = escape(poll_line(event))

    def summary(self, run: RunRecord) -> None:
        """Show the steps as a table, then the counts in the run's colour."""
        from rich.table import Table
        from rich.text import Text

        self.pause()
        table = Table(title=f"{run.procedure} on {run.environment}", title_justify="left")
        # At 80 columns the title wraps, never the step id.
        table.add_column("")
        table.add_column("step", no_wrap=True)
        table.add_column("title", ratio=1)
        table.add_column("time", no_wrap=True)
        for step in summary_rows(run):
            took = duration_text(step.duration_ms) if step.duration_ms is not None else ""
            symbol = f"[{self.STYLES[step.status]}]{self.SYMBOLS[step.status]}[/]"
            table.add_row(symbol, step.path, step.title, took)
        self.console.print(table)
        self.console.print(Text(counts_line(run), style=self.STYLES.get(run.status, "")))
        self.next_lines(run)
