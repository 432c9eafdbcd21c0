"""`plbook run` in a real pseudo-terminal: what a person there sees, and answers typed in."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def plain(text: str) -> str:
    """Give terminal output without colour codes and carriage returns."""
    return ANSI.sub("", text)


class TerminalSession:
    """A `plbook` process whose stdin (and stdout, unless piped) is a pseudo-terminal."""

    def __init__(
        self,
        arguments: list[str],
        cwd: Path,
        env: dict[str, str] | None = None,
        *,
        piped_stdout: bool = False,
        columns: int = 80,
    ) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        environment = {**os.environ, "COLUMNS": str(columns), **(env or {})}
        environment.pop("NO_COLOR", None)
        if env and "NO_COLOR" in env:
            environment["NO_COLOR"] = env["NO_COLOR"]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "plbook", *arguments],
            cwd=cwd,
            env=environment,
            stdin=slave,
            stdout=subprocess.PIPE if piped_stdout else slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self.piped = piped_stdout
        self.raw = ""
        self.answers = 0
        self._seen = 0

    @property
    def output(self) -> str:
        """Give everything shown so far, without colour codes."""
        return plain(self.raw)

    def _read(self, timeout: float) -> bool:
        sources = [self.master] + ([self.process.stdout.fileno()] if self.piped else [])  # type: ignore[union-attr]
        ready, _, _ = select.select(sources, [], [], timeout)
        got = False
        for source in ready:
            try:
                chunk = os.read(source, 65536)
            except OSError:
                chunk = b""
            if chunk:
                self.raw += chunk.decode("utf-8", "replace")
                got = True
        return got

    def expect(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        """Wait until `pattern` (a regular expression) shows after what was matched before."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.compile(pattern).search(self.output, self._seen)
            if found:
                self._seen = found.end()
                return found
            if time.monotonic() > deadline or (
                not self._read(0.2) and self.process.poll() is not None and not self._read(0.2)
            ):
                raise AssertionError(
                    f"never saw {pattern!r}; the terminal showed:\n{self.output[-3000:]}"
                )

    def answer(self, text: str) -> None:
        """Type an answer and Enter, as a person does."""
        os.write(self.master, (text + "\n").encode())
        self.answers += 1

    def finish(self, timeout: float = 120) -> int:
        """Wait for the process to end, reading all it shows; give its exit code."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        while self._read(0.2):
            pass
        code = self.process.wait(timeout=5)
        os.close(self.master)
        return code
