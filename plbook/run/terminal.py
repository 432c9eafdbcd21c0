"""The terminal of a run: a console that shows events and the prompts that ask questions."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from plbook.run.console import NORMAL, Console
from plbook.run.prompts import Prompts
from plbook.run.rich_console import RichConsole


class Terminal:
    """Where a run shows itself and asks: a console over `stdout`, prompts reading `stdin`."""

    def __init__(
        self, stdout: TextIO, stdin: TextIO, *, rich: bool = False, verbosity: int = NORMAL
    ) -> None:
        self.console: Console = (
            RichConsole(stdout, verbosity) if rich else Console(stdout, verbosity)
        )
        self.prompts = Prompts(self.console, stdin)


def make_terminal(
    stdout: TextIO | None = None, stdin: TextIO | None = None, verbosity: int = NORMAL
) -> Terminal:
    """Give the rich terminal on a colour TTY, else plain line output (NO_COLOR, pipes, CI).

    Whether a person is there to answer is stdin's business, not this: `plbook run ... | tee`
    still asks, in plain output.
    """
    stdout = stdout or sys.stdout
    rich = stdout.isatty() and not os.environ.get("NO_COLOR")
    return Terminal(stdout, stdin or sys.stdin, rich=rich, verbosity=verbosity)
