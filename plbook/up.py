"""`plbook up`: the main job: build the site, start the sandbox, smoke-test it, serve the site.

What it starts and what it proves come from the project's configuration (`sandbox:`, `smoke:`);
a project with neither gets its site built and served, and is told so.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from plbook.config import ProjectConfig
from plbook.sandbox.addresses import SandboxPorts

SITE_DIRECTORY = "site"


@dataclass
class MainJob:
    """What `plbook up` was asked to do, in which project."""

    project: ProjectConfig
    port: int = 8000
    serve: bool = True
    faults: list[str] = field(default_factory=list)
    ports: SandboxPorts = field(default_factory=SandboxPorts)


def _say(text: str) -> None:
    print(f"\n== {text}", flush=True)


def _step(title: str, command: list[str], root: Path, environment: dict[str, str]) -> int:
    _say(f"{title}: plbook {' '.join(command)}")
    return subprocess.call([sys.executable, "-m", "plbook", *command], cwd=root, env=environment)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Keep the terminal for the run's output, not one line per page view."""


def serve_site(directory: Path, port: int) -> ThreadingHTTPServer:
    """Give a server for the built site on loopback; a busy port falls back to a free one."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    try:
        return ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError:
        return ThreadingHTTPServer(("127.0.0.1", 0), handler)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _site_served(directory: Path, port: int) -> Iterator[int]:
    """Serve the built site in the background while the block runs; give its port."""
    server = serve_site(directory, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def _sandbox_started(job: MainJob) -> Iterator[dict[str, str]]:
    """Start the configured sandbox, if any, for the block; give the smoke run's environment."""
    environment = dict(os.environ)
    if job.project.sandbox is None:
        _say("No sandbox configured (`sandbox:` in plbook.yaml); not starting one")
        yield environment
        return
    from plbook.sandbox import Sandbox
    from plbook.sandbox.ports import (
        PORTS_VARIABLE,
        clear_running_sandbox,
        ports_spec,
        write_running_sandbox,
    )

    with Sandbox(faults=job.faults, ports=job.ports) as sandbox:
        write_running_sandbox(job.project.state_directory, job.ports)
        _say(
            f"Sandbox up: API {sandbox.api_url}, dashboard {sandbox.dashboard_url}, "
            f"Stripe {sandbox.stripe_api_base}, MongoDB {sandbox.mongodb_uri}"
        )
        try:
            yield {**environment, PORTS_VARIABLE: ports_spec(job.ports)}
        finally:
            clear_running_sandbox(job.project.state_directory)


def _smoke(job: MainJob, environment: dict[str, str]) -> int:
    """Run the configured smoke procedure; give its exit code (0 when none is configured)."""
    smoke = job.project.smoke
    if smoke is None:
        _say("No smoke test configured (`smoke:` in plbook.yaml); only building and serving")
        return 0
    report = job.project.state_directory / f"{smoke}.json"
    report.unlink(missing_ok=True)
    command = ["run", smoke, "--manual", "skip", "--yes", "--report", str(report)]
    code = _step("Smoke tests", command, job.project.root, environment)
    verdict = "passed" if code == 0 else f"FAILED (exit {code})"
    # Only a report that this run wrote is worth pointing at.
    where = f"; report in {os.path.relpath(report)}" if report.exists() else ""
    _say(f"Smoke tests {verdict}{where}")
    return code


def run_main_job(job: MainJob) -> int:
    """Build, serve, start the sandbox, run the smoke tests; then serve until Ctrl-C.

    Gives the exit code: the smoke tests' verdict, or the first failing stage's.
    """
    # A service manager stops with SIGTERM: treat it as Ctrl-C, so the sandbox stops cleanly too.
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    root = job.project.root
    site = root / SITE_DIRECTORY
    # `plbook build` validates every procedure before it builds, so no separate validate step.
    code = _step(
        "Validate and build the runbook site",
        ["build", "--quiet", "--site-dir", str(site)],
        root,
        dict(os.environ),
    )
    if code:
        return code
    # The site is served from here on, so a smoke procedure may check it as well.
    with _site_served(site, job.port) as bound, _sandbox_started(job) as environment:
        code = _smoke(job, environment)
        if not job.serve:
            return code
        _say(
            f"Runbook site: http://127.0.0.1:{bound}/  (runs from another terminal in this "
            "project use the sandbox; Ctrl-C stops everything)"
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nstopping", flush=True)
        return code
