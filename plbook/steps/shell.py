"""`shell`: a command line run as a subprocess; substituted values are shell-quoted."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping
from typing import IO, Any

from plbook.steps.base import StepFailed, StepKind, StepRuntime, StepView, with_secret_placeholders

Spec = str
"""The command line, with `{{ }}` values that are quoted when substituted."""


class ShellKind(StepKind[str]):
    """A command run with `bash -c`; passes when it exits 0 unless told otherwise."""

    name = "shell"
    label = "Command"
    spec_type = Spec
    default_expect = ("result.exit_code == 0",)
    result_words = {
        "exit_code": "the exit code",
        "stdout": "the command's output",
        "stderr": "the command's error output",
    }

    def describe(self, spec: str) -> StepView:
        """Give the command as it runs; it is its own manual equivalent."""
        return StepView(
            action=with_secret_placeholders(spec),
            language="bash",
            criteria=["The command exits with code 0"],
        )

    def output_text(self, result: Mapping[str, Any]) -> str | None:
        """Give what the command printed: its output, then its error output."""
        text = str(result.get("stdout") or "") + str(result.get("stderr") or "")
        return text if text.strip() else None

    def resolve(self, spec: str, runtime: StepRuntime) -> str:
        """Give the command line with every `{{ }}` value filled in and shell-quoted."""
        return str(runtime.render(spec, shell=True))

    def run(self, spec: str, runtime: StepRuntime) -> dict[str, Any]:
        """Run the command with `bash -c`; give exit_code, stdout and stderr."""
        # A session of its own, so a timeout or Ctrl-C ends the command and everything it started.
        process = subprocess.Popen(
            ["bash", "-c", spec],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=runtime.subprocess_environment(),
            start_new_session=True,
        )
        readers = _OutputReaders(process, runtime.show_output)
        try:
            process.wait(timeout=runtime.remaining())
        except subprocess.TimeoutExpired:
            _kill_group(process)
            process.wait()
            raise StepFailed(
                f"the command did not finish within {runtime.timeout:g}s and was stopped",
                _result(-signal.SIGKILL, *readers.collected(1.0)),
            ) from None
        except BaseException:
            _kill_group(process)
            process.wait()
            raise
        # A process the command left running may hold the pipes open: read until the deadline.
        stdout, stderr = readers.collected(max(runtime.remaining(), 0.1))
        return _result(process.returncode, stdout, stderr)


KIND = ShellKind()


def _result(exit_code: int, stdout: bytes, stderr: bytes) -> dict[str, Any]:
    return {
        "exit_code": exit_code,
        "stdout": stdout.decode("utf-8", "replace"),
        "stderr": stderr.decode("utf-8", "replace"),
    }


class _OutputReaders:
    """Read a process's output and error output as it comes, line by line, showing each line."""

    def __init__(self, process: subprocess.Popen[bytes], show: Callable[[str], None]) -> None:
        self.parts: tuple[list[bytes], list[bytes]] = ([], [])
        self.show = show
        self.threads = [
            threading.Thread(target=self._pump, args=(pipe, into), daemon=True)
            for pipe, into in ((process.stdout, self.parts[0]), (process.stderr, self.parts[1]))
        ]
        for thread in self.threads:
            thread.start()

    def _pump(self, pipe: IO[bytes] | None, into: list[bytes]) -> None:
        if pipe is None:
            return
        for line in iter(pipe.readline, b""):
            into.append(line)
            self.show(line.decode("utf-8", "replace").rstrip("\n"))
        pipe.close()

    def collected(self, wait: float) -> tuple[bytes, bytes]:
        """Give the output and error output read so far, after waiting up to `wait` for the end."""
        for thread in self.threads:
            thread.join(wait)
        return b"".join(self.parts[0]), b"".join(self.parts[1])


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
