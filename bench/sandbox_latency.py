"""Print what a sandbox with a fixed latency gives concurrent clients: 48 API calls, 1 vs 8 at once.

With `Sandbox(latency_ms=100)` every answer waits 100 ms in its own server thread, so 8 clients
at once should finish close to 8x sooner than one after the other; that headroom is what
`plbook verify --jobs 8` can win. The baseline is the same calls one at a time, same run.

Run: .venv/bin/python bench/sandbox_latency.py [--latency-ms 100] [--calls 48] [--jobs 8]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from plbook.sandbox import Sandbox, SandboxPorts
from plbook.sandbox.addresses import TEST_USER_TOKEN, free_ports


def time_calls(sandbox: Sandbox, calls: int, jobs: int) -> float:
    """Give the seconds `calls` GET /api/usage take with `jobs` clients at once."""
    headers = {"Authorization": f"Bearer {TEST_USER_TOKEN}"}
    # One shared client: making an httpx.Client costs more than a call (its TLS context).
    with httpx.Client(base_url=sandbox.api_url, timeout=30) as client:

        def call(_: int) -> int:
            return client.get("/api/usage", headers=headers).status_code

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            statuses = list(pool.map(call, range(calls)))
        elapsed = time.perf_counter() - started
    assert statuses == [200] * calls, statuses
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--calls", type=int, default=48)
    parser.add_argument("--jobs", type=int, default=8)
    options = parser.parse_args()
    with Sandbox(ports=SandboxPorts(*free_ports(4)), latency_ms=options.latency_ms) as sandbox:
        one_at_a_time = time_calls(sandbox, options.calls, 1)
        concurrent = time_calls(sandbox, options.calls, options.jobs)
    print(f"latency per answer:   {options.latency_ms:7d} ms")
    print(f"{options.calls} calls, 1 at a time: {one_at_a_time * 1000:7.0f} ms")
    print(f"{options.calls} calls, {options.jobs} at once:  {concurrent * 1000:7.0f} ms")
    print(f"ratio:                {one_at_a_time / concurrent:7.2f}x")


if __name__ == "__main__":
    main()
