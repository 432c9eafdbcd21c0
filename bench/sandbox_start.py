"""Print how long the sandbox takes to start, against a bare nx-27017 server alone.

Run: .venv/bin/python bench/sandbox_start.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from plbook.sandbox import Sandbox, SandboxPorts
from plbook.sandbox.addresses import free_ports
from plbook.sandbox.mongo_server import MongoServer

ROUNDS = 5


def time_sandbox_start() -> float:
    """Give the seconds one Sandbox takes to start (every server answering, data seeded)."""
    sandbox = Sandbox(ports=SandboxPorts(*free_ports(4)))
    started = time.perf_counter()
    sandbox.start()
    elapsed = time.perf_counter() - started
    sandbox.stop()
    return elapsed


def time_bare_nx_start() -> float:
    """Give the seconds one nx-27017 process takes to accept connections."""
    with tempfile.TemporaryDirectory(prefix="plbook-bench-") as state_dir:
        server = MongoServer(free_ports(1)[0], Path(state_dir))
        started = time.perf_counter()
        server.start()
        elapsed = time.perf_counter() - started
        server.stop()
    return elapsed


def main() -> None:
    sandbox = statistics.median(time_sandbox_start() for _ in range(ROUNDS))
    bare = statistics.median(time_bare_nx_start() for _ in range(ROUNDS))
    print(f"sandbox start:        {sandbox * 1000:7.0f} ms (median of {ROUNDS})")
    print(f"bare nx-27017 start:  {bare * 1000:7.0f} ms (median of {ROUNDS})")
    print(f"ratio:                {sandbox / bare:7.2f}x")


if __name__ == "__main__":
    main()
