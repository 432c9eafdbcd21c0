"""`shell`: a command line run as a subprocess; substituted values are shell-quoted."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
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
        """Run the command with `bash -c`; give exit_code, stdout and stderr.

        The step ends when bash does, or at the deadline: then every process the command
        started is stopped, those that left its session (`setsid`) included.
        """
        mark = secrets.token_hex(8)
        try:
            # A session of its own, so a timeout or Ctrl-C ends the command and its whole group.
            process = subprocess.Popen(
                ["bash", "-c", spec],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**runtime.subprocess_environment(), STEP_MARK: mark},
                start_new_session=True,
            )
        except (OSError, ValueError) as error:
            raise StepFailed(f"cannot start the command: {_start_problem(error)}") from None
        assert process.stdout is not None and process.stderr is not None
        outputs: list[_Output] = []
        try:
            # Inside the try: a Ctrl-C while the readers start must stop the command too.
            for stream in (process.stdout, process.stderr):
                outputs.append(_Output(stream, runtime.output_limit, runtime.show_output))
            process.wait(timeout=runtime.remaining())
        except subprocess.TimeoutExpired:
            _stop_everything(process, mark)
            stdout, stderr = (output.finish() for output in outputs)
            raise StepFailed(
                f"the command did not finish within {runtime.timeout:g}s and was stopped",
                _result(-signal.SIGKILL, stdout, stderr),
            ) from None
        except BaseException:
            _stop_everything(process, mark)
            raise
        # What the command left running in the background must not outlive the step.
        _stop_everything(process, mark)
        stdout, stderr = (output.finish() for output in outputs)
        return _result(process.returncode, stdout, stderr)


KIND = ShellKind()
STEP_MARK = "PLBOOK_STEP_MARK"
"""An environment variable with a value of each step's own: how its processes are found."""
CUT_MARK = "\n[... output cut: more than {limit} bytes; raise the step's max_output to keep more]\n"


class _Output:
    """An output stream of the command, read in a thread: kept up to `limit` bytes, each line
    shown as it comes while within the limit (a flood is not shown past it)."""

    def __init__(self, stream: IO[bytes], limit: int, show: Callable[[str], None]) -> None:
        self._stream = stream
        self._limit = limit
        self._show = show
        self._kept = bytearray()
        self._shown = 0
        self._cut = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            while chunk := os.read(self._stream.fileno(), 65536):
                with self._lock:
                    room = self._limit - len(self._kept)
                    self._kept += chunk[: max(room, 0)]
                    self._cut = self._cut or len(chunk) > room
                self._show_whole_lines()

    def _show_whole_lines(self) -> None:
        end = self._kept.rfind(b"\n") + 1
        if end > self._shown:
            for line in bytes(self._kept[self._shown : end]).splitlines():
                self._show(line.decode("utf-8", "replace"))
            self._shown = end

    def finish(self) -> str:
        """Give what was read, waiting briefly for the end of the stream."""
        self._thread.join(OUTPUT_GRACE)
        if not self._thread.is_alive():
            self._stream.close()
            if self._shown < len(self._kept):
                self._show(bytes(self._kept[self._shown :]).decode("utf-8", "replace"))
                self._shown = len(self._kept)
        with self._lock:
            text = self._kept.decode("utf-8", "replace")
            return text + CUT_MARK.format(limit=self._limit) if self._cut else text


OUTPUT_GRACE = 1.0
"""Seconds to wait for the rest of the output once every process of the step is stopped."""


def _result(exit_code: int, stdout: str, stderr: str) -> dict[str, Any]:
    return {"exit_code": exit_code, "stdout": stdout, "stderr": stderr}


def _start_problem(error: Exception) -> str:
    if isinstance(error, ValueError):
        return "it contains a NUL character"
    if isinstance(error, OSError) and error.errno == errno.E2BIG:
        return "the command line is too long for the operating system; write it to a script"
    return str(error)


def _stop_everything(process: subprocess.Popen[bytes], mark: str) -> None:
    """Kill the command's process group and every process that carries the step's mark."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    for pid in _marked_processes(mark):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    process.wait()


def _marked_processes(mark: str) -> list[int]:
    """Give the processes whose environment holds the step's mark (Linux: from /proc)."""
    wanted = f"{STEP_MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found
