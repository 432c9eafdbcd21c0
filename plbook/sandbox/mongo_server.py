"""The MongoDB wire-protocol server: nx-27017 (SQLite-backed) run as a child process."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import BinaryIO

from plbook.errors import PlbookError
from plbook.sandbox.addresses import HOST

STARTUP_TIMEOUT_SECONDS = 10.0
LOG_LINES_SHOWN = 10
INSTALL_HINT = "install it with `pip install plbook` (nx-27017 is one of its dependencies)"


class MongoServerError(PlbookError):
    """nx-27017 did not start: the message names its log, kept, and ends with its last lines."""


def log_tail(log_path: Path, lines: int = LOG_LINES_SHOWN) -> list[str]:
    """Give the last lines of a log, or none when it was never written."""
    try:
        return log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def check_installed() -> None:
    """Raise a one-line error when the nx-27017 package is missing from this Python."""
    import importlib.util

    if importlib.util.find_spec("nx_27017") is None:
        raise MongoServerError(f"the sandbox needs the nx-27017 package; {INSTALL_HINT}")


class MongoServer:
    """One nx-27017 process serving the databases kept under `data_dir`.

    It is a separate process so that stopping it (the db-down fault) is a real
    outage that the backend's pymongo client sees, and starting it again serves
    the same data, as a MongoDB cluster coming back would.
    """

    def __init__(self, port: int, state_dir: Path) -> None:
        self.port = port
        self._state_dir = state_dir
        self._data_dir = state_dir / "mongodb"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        """Give whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def wipe(self) -> None:
        """Delete the databases, so the next start serves fresh ones."""
        shutil.rmtree(self._data_dir, ignore_errors=True)

    def start(self) -> None:
        """Start the server and return once it accepts connections."""
        if self.running:
            return
        check_installed()
        self._data_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._state_dir / "nx-27017.log"
        # Its own log and whatever it prints (a failed bind, a traceback) go to one file.
        with log_path.open("ab") as output:
            self._process = self._spawn(log_path, output)
        self._wait_until_listening(log_path)

    def _spawn(self, log_path: Path, output: BinaryIO) -> subprocess.Popen[bytes]:
        """Give the nx-27017 process, started with its output going to `output`."""
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nx_27017.nx_27017",
                "--host",
                HOST,
                "--port",
                str(self.port),
                # One SQLite file per database, promptlens.db among them.
                "--data-dir",
                str(self._data_dir),
                # Both default to fixed paths in /tmp shared by every nx-27017 on the machine.
                "--pid-file",
                str(self._state_dir / "nx-27017.pid"),
                "--log-file",
                str(log_path),
            ],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
        )

    def _wait_until_listening(self, log_path: Path) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if not self.running:
                tail = log_tail(log_path)
                raise MongoServerError(
                    "\n".join(
                        [f"nx-27017 exited while starting on port {self.port}; log: {log_path}"]
                        + [f"  {line}" for line in tail]
                    )
                )
            try:
                socket.create_connection((HOST, self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise MongoServerError(
            f"nx-27017 did not listen on port {self.port} within "
            f"{STARTUP_TIMEOUT_SECONDS:g} s; log: {log_path}"
        )

    def stop(self) -> None:
        """Stop the server process and wait for it to exit."""
        if self._process is None:
            return
        process, self._process = self._process, None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
