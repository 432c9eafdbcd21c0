"""The console in colour: a live spinner for the running step, its last output lines, a table.

Used on a colour terminal (not with NO_COLOR); it shows the same events as the plain console.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, TextIO

from plbook.records import RunRecord
from plbook.run.console import (
    NORMAL,
    QUIET,
    Console,
    counts_line,
    duration_text,
    explanation_lines,
    indent_of,
    output_lines,
    poll_line,
    summary_rows,
    timing_text,
)

LIVE_TAIL = 5
"""How many of a running command's last lines the live display shows under the spinner."""


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
            self.console.print(f"{indent_of(event['path'])}[dim]↳ {escape(event['path'])}[/dim]")
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
        status, indent = event["status"], indent_of(event["path"])
        self.console.print(
            f"{indent}[{self.STYLES[status]}]{self.SYMBOLS[status]}[/] "
            f"{escape(event['path'])}  [dim]{timing_text(event)}[/dim]"
        )
        for line in explanation_lines(event):
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
