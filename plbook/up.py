"""`plbook up`: the main job: build the site, start the sandbox, smoke-test it, serve the site."""

from __future__ import annotations

import functools
import signal
import subprocess
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE_DIRECTORY = Path("site")


def _step(title: str, command: list[str]) -> int:
    print(f"\n== {title}: {' '.join(command)}", flush=True)
    return subprocess.call([sys.executable, "-m", "plbook", *command])


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


def run_main_job(port: int, serve: bool, faults: list[str]) -> int:
    """Validate, build, start the sandbox, run the smoke tests; then serve until Ctrl-C.

    Gives the exit code: the smoke tests' verdict, or the first failing stage's.
    """
    from plbook.sandbox import Sandbox

    # A service manager stops with SIGTERM: treat it as Ctrl-C, so the sandbox stops cleanly too.
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    # `plbook build` validates every procedure before it builds, so no separate validate step.
    code = _step(
        "Validate and build the runbook site",
        ["build", "--quiet", "--site-dir", str(SITE_DIRECTORY)],
    )
    if code:
        return code
    with Sandbox(faults=faults) as sandbox:
        print(
            f"\n== Sandbox up: API {sandbox.api_url}, dashboard {sandbox.dashboard_url}, "
            f"Stripe {sandbox.stripe_api_base}, MongoDB {sandbox.mongodb_uri}",
            flush=True,
        )
        code = _step(
            "Smoke tests against the sandbox",
            [
                "run",
                "smoke-tests",
                "--env",
                "sandbox",
                "--manual",
                "skip",
                "--yes",
                "--report",
                ".plbook/smoke-tests.json",
            ],
        )
        print(
            f"\n== Smoke tests {'passed' if code == 0 else f'FAILED (exit {code})'}; "
            "report in .plbook/smoke-tests.json",
            flush=True,
        )
        if not serve:
            return code
        server = serve_site(SITE_DIRECTORY, port)
        bound = server.server_address[1]
        print(
            f"\n== Runbook site: http://127.0.0.1:{bound}/  (the sandbox keeps running; "
            "try `plbook run rollback-railway --env sandbox --input deployment_id=...` "
            "in another terminal; Ctrl-C stops both)",
            flush=True,
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("\nstopping", flush=True)
        finally:
            server.server_close()
        return code
