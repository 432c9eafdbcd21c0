"""The terminal of a run: a console that shows events and the prompts that ask questions."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from plbook.run.console import Console, RichConsole
from plbook.run.prompts import Prompts


class Terminal:
    """Where a run shows itself and asks: a console over `stdout`, prompts reading `stdin`."""

    def __init__(self, stdout: TextIO, stdin: TextIO, *, rich: bool = False) -> None:
        self.console: Console = RichConsole(stdout) if rich else Console(stdout)
        self.prompts = Prompts(self.console, stdin)


def make_terminal(stdout: TextIO | None = None, stdin: TextIO | None = None) -> Terminal:
    """Give the rich terminal on a colour TTY, else plain line output (NO_COLOR, pipes, CI)."""
    stdout = stdout or sys.stdout
    rich = stdout.isatty() and not os.environ.get("NO_COLOR")
    return Terminal(stdout, stdin or sys.stdin, rich=rich)
