"""Live progress in the terminal: a spinner per step with rich, or plain lines in logs and CI.

The engine masks secrets before anything reaches these classes.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, TextIO

from plbook.fields import format_duration

VERDICT_WORDS = {
    "passed": "PASS",
    "failed": "FAIL",
    "skipped": "SKIP",
    "interrupted": "STOP",
    "not_run": "----",
}
MANUAL_ANSWERS = {"p": "pass", "f": "fail", "s": "skip"}


def make_terminal(stdout: TextIO | None = None, stdin: TextIO | None = None) -> Terminal:
    """Give the rich terminal on a colour TTY, else plain line output (NO_COLOR, pipes, CI)."""
    stdout = stdout or sys.stdout
    if stdout.isatty() and not os.environ.get("NO_COLOR"):
        return RichTerminal(stdout, stdin or sys.stdin)
    return Terminal(stdout, stdin or sys.stdin)


def _duration(milliseconds: float) -> str:
    return format_duration(
        round(milliseconds / 1000, 1) if milliseconds >= 1000 else max(milliseconds, 1) / 1000
    )


class Terminal:
    """Plain line output: one line when a step starts, one with its verdict, a summary table."""

    def __init__(self, stdout: TextIO, stdin: TextIO) -> None:
        self.out = stdout
        self.stdin = stdin

    def write(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    # --- events --------------------------------------------------------------------------------

    def event(self, event: dict[str, Any]) -> None:
        """Show a journal event."""
        kind = event["event"]
        if kind == "run-started":
            self.write(
                f"plbook run {event['procedure']} --env {event['environment']} "
                f"(run {event['run_id']})"
            )
        elif kind == "run-resumed":
            self.write(f"resuming run {event['run_id']} at step {event['from']}")
        elif kind == "step-started":
            self.step_started(event)
        elif kind == "step-finished":
            self.step_finished(event)

    def step_started(self, event: dict[str, Any]) -> None:
        self.write(
            f"{self._indent(event)}[{event['index']}/{event['total']}] {event['id']}: "
            f"{event['title']}"
        )

    def step_finished(self, event: dict[str, Any]) -> None:
        self.write(
            f"{self._indent(event)}  {VERDICT_WORDS[event['status']]} {event['path']} "
            f"({self._timing(event)})"
        )
        for line in self.details(event):
            self.write(f"{self._indent(event)}    {line}")

    @staticmethod
    def _indent(event: dict[str, Any]) -> str:
        return "  " * event["path"].count("/")

    @staticmethod
    def _timing(event: dict[str, Any]) -> str:
        attempts = event.get("attempts", 0)
        return _duration(event["duration_ms"]) + (f", {attempts} attempts" if attempts > 1 else "")

    @staticmethod
    def details(event: dict[str, Any]) -> list[str]:
        """Give the lines that explain a verdict: the failed expectations, error and hint."""
        lines: list[str] = []
        if event.get("error") and event["status"] != "passed":
            lines.append(event["error"])
        for failure in event.get("failures", []):
            lines.append(f"expected: {failure['expression']}")
            lines += [f"  {value}" for value in failure["values"]]
        if event["status"] == "failed" and event.get("hint"):
            lines.append(f"hint: {event['hint']}")
        return lines

    def problem(self, text: str) -> None:
        """Show something that stops the run from starting."""
        self.write(f"error: {text}")

    def note(self, text: str) -> None:
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
        for line in action.splitlines():
            self.write(f"{indent}     {line}")
        for expectation in step.expectations:
            self.write(f"{indent}     expect: {expectation}")

    def summary(self, report: dict[str, Any]) -> None:
        """Show one line per step and the counts at the end of a run."""
        self.write("")
        for step in report["steps"]:
            indent = "  " * step["path"].count("/")
            took = f"  {_duration(step['duration_ms'])}" if "duration_ms" in step else ""
            self.write(
                f"{VERDICT_WORDS[step['status']]}  {indent}{step['path']}  {step['title']}{took}"
            )
        self.write(self._counts(report))
        if report["next_procedure"]:
            self.write(f"next: plbook run {report['next_procedure']} --env {report['environment']}")
        if report["status"] == "interrupted":
            self.write(f"resume with: plbook run {report['procedure']} --resume {report['run_id']}")

    @staticmethod
    def _counts(report: dict[str, Any]) -> str:
        counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in report["counts"].items() if n)
        return (
            f"{report['status'].upper()}: {counts or 'no steps'} in "
            f"{_duration(report['duration_ms'])}; journal {report['journal']}"
        )

    # --- questions -----------------------------------------------------------------------------

    def ask(self, question: str) -> str:
        self.out.write(question)
        self.out.flush()
        answer = self.stdin.readline()
        if not answer:
            raise KeyboardInterrupt  # end of input: nobody is there to answer
        return answer.strip().lower()

    def confirm(self, question: str) -> bool:
        """Give whether the person answered yes."""
        return self.ask(f"{question} [y/N] ") in ("y", "yes")

    def confirm_destructive(self, action: str) -> bool:
        """Show the exact change and give whether the person wants it made."""
        self.write("This step changes something:")
        for line in action.splitlines():
            self.write(f"    {line}")
        return self.confirm("Run it?")

    def ask_manual(self, instruction: str) -> str:
        """Show a manual instruction and give pass, fail or skip."""
        self.write(instruction)
        while True:
            answer = self.ask("Result? [p]ass / [f]ail / [s]kip: ")
            if answer in MANUAL_ANSWERS or answer in MANUAL_ANSWERS.values():
                return MANUAL_ANSWERS.get(answer, answer)


class _CurrentStep:
    """The live line: a spinner, the step running now, and how long it has taken."""

    def __init__(self) -> None:
        from rich.spinner import Spinner

        self.spinner = Spinner("dots")
        self.labels: list[tuple[str, float]] = []

    def __rich__(self) -> Any:
        if not self.labels:
            return ""  # stopping the live display renders it once more
        label, started = self.labels[-1]
        self.spinner.update(text=f"{label}  [dim]{time.monotonic() - started:.1f}s[/dim]")
        return self.spinner


class RichTerminal(Terminal):
    """The terminal with colour, a live spinner for the running step and a summary table."""

    STYLES = {
        "passed": "green",
        "failed": "bold red",
        "skipped": "yellow",
        "interrupted": "magenta",
        "not_run": "dim",
    }
    SYMBOLS = {"passed": "✓", "failed": "✗", "skipped": "–", "interrupted": "■", "not_run": "·"}

    def __init__(self, stdout: TextIO, stdin: TextIO) -> None:
        super().__init__(stdout, stdin)
        from rich.console import Console
        from rich.live import Live

        self.console = Console(file=stdout, highlight=False)
        self.current = _CurrentStep()
        self.live = Live(self.current, console=self.console, transient=True, refresh_per_second=10)

    def write(self, text: str = "") -> None:
        self.console.print(text, markup=False)

    def step_started(self, event: dict[str, Any]) -> None:
        from rich.markup import escape

        label = (
            f"[{event['index']}/{event['total']}] [bold]{escape(event['id'])}[/bold] "
            f"{escape(event['title'])}"
        )
        if self.current.labels:
            self._pause()
            self.console.print(f"{self._indent(event)}[dim]↳ {escape(event['path'])}[/dim]")
        self.current.labels.append((label, time.monotonic()))
        self.live.start()

    def step_finished(self, event: dict[str, Any]) -> None:
        from rich.markup import escape

        self.current.labels.pop()
        if not self.current.labels:
            self._pause()
        status = event["status"]
        self.console.print(
            f"{self._indent(event)}[{self.STYLES[status]}]{self.SYMBOLS[status]}[/] "
            f"{escape(event['path'])}  [dim]{self._timing(event)}[/dim]"
        )
        for line in self.details(event):
            self.console.print(f"{self._indent(event)}    {escape(line)}")

    def _pause(self) -> None:
        if self.live.is_started:
            self.live.stop()

    def ask(self, question: str) -> str:
        self._pause()
        try:
            return super().ask(question)
        finally:
            if self.current.labels:
                self.live.start()

    def summary(self, report: dict[str, Any]) -> None:
        from rich.table import Table
        from rich.text import Text

        self._pause()
        table = Table(
            title=f"{report['procedure']} on {report['environment']}", title_justify="left"
        )
        for column in ("", "step", "title", "time"):
            table.add_column(column)
        for step in report["steps"]:
            status = step["status"]
            took = _duration(step["duration_ms"]) if "duration_ms" in step else ""
            table.add_row(
                f"[{self.STYLES[status]}]{self.SYMBOLS[status]}[/]",
                step["path"],
                step["title"],
                took,
            )
        self.console.print(table)
        self.console.print(Text(self._counts(report), style=self.STYLES.get(report["status"], "")))
        if report["next_procedure"]:
            self.write(f"next: plbook run {report['next_procedure']} --env {report['environment']}")
        if report["status"] == "interrupted":
            self.write(f"resume with: plbook run {report['procedure']} --resume {report['run_id']}")
