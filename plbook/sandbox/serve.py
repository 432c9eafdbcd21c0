"""`plbook sandbox`: run the sandbox in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

from plbook.sandbox import addresses
from plbook.sandbox.addresses import SandboxPorts
from plbook.sandbox.ports import (
    PORTS_VARIABLE,
    clear_running_sandbox,
    ports_spec,
    write_running_sandbox,
)
from plbook.sandbox.stack import Sandbox


def serve_sandbox(
    faults: list[str],
    ports: SandboxPorts | None = None,
    state_directory: Path | None = None,
    latency_ms: int = 0,
) -> None:
    """Run the sandbox, print its addresses, and return after a clean stop on Ctrl-C or SIGTERM.

    While it runs, `state_directory/sandbox.json` (when given) tells runs in that project where
    it listens.
    """
    ports = ports or SandboxPorts()
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Sandbox(faults=faults, ports=ports, latency_ms=latency_ms) as sandbox:
            record = write_running_sandbox(state_directory, ports) if state_directory else None
            print(f"Backend API:   {sandbox.api_url}  (health: {sandbox.api_url}/api/health)")
            print(f"Dashboard:     {sandbox.dashboard_url}")
            print(f"Stripe API:    {sandbox.stripe_api_base}")
            print(f"MongoDB:       {sandbox.mongodb_uri}")
            print(f"CLI stand-ins: {sandbox.bin_dir}  (put it first on PATH)")
            print(f"Test user:     {addresses.TEST_USER_EMAIL}, token {addresses.TEST_USER_TOKEN}")
            print(f"Faults:        {', '.join(sandbox.faults) or 'none'}")
            if record is not None:
                print(f"Runs here:     follow these ports through {record}")
            print(f"Elsewhere:     export {PORTS_VARIABLE}={ports_spec(ports)}")
            if latency_ms:
                print(f"Latency:       {latency_ms} ms added to every HTTP answer")
            print("Press Ctrl-C to stop.", flush=True)
            try:
                stop_requested.wait()
            finally:
                if state_directory is not None:
                    clear_running_sandbox(state_directory)
            print("Stopping the sandbox...", flush=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
