"""Print how long `plbook verify --all --env sandbox` takes with --jobs 1 and with --jobs 8.

The sandbox adds a fixed latency to every HTTP answer (100 ms by default), as a remote staging
stack would, so the runs spend their time waiting: the ratio shows what running procedures at
once buys. Both contenders are real `plbook verify` processes over this repository's runbook,
against one sandbox started here on free ports, in the same run; the goal is at least 4x. It
also prints the bound no --jobs can pass: --jobs 1 over the process start (a one-procedure
verify) plus the longest procedure's own run.

Run: .venv/bin/python bench/verify.py [--latency-ms 100] [--jobs 8]
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plbook.fields import parse_duration
from plbook.sandbox import Sandbox, SandboxPorts
from plbook.sandbox.addresses import free_ports

REPO = Path(__file__).resolve().parents[1]


def time_verify(
    ports: SandboxPorts, jobs: int, chosen: list[str] | None = None
) -> tuple[float, dict[str, int], float]:
    """Give the wall seconds of one `plbook verify --all` process, its verdicts, its longest run."""
    spec = (
        f"api={ports.api},dashboard={ports.dashboard},"
        f"stripe={ports.stripe_api},mongodb={ports.mongodb}"
    )
    env = {**os.environ, "NO_COLOR": "1", "PLBOOK_HISTORY": "", "PLBOOK_SANDBOX_PORTS": spec}
    command = [sys.executable, "-m", "plbook", "verify", *(chosen or ["--all"]), "--env", "sandbox"]
    command += ["--jobs", str(jobs), "--path", str(REPO / "procedures")]
    # A folder of its own, so the runs' journals stay out of the repository's .plbook/.
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"plbook verify failed:\n{done.stdout}{done.stderr}")
    rows = [line.split() for line in done.stdout.splitlines()[1:]]
    verdicts = collections.Counter(row[1] for row in rows)
    longest = max(parse_duration(row[2]) for row in rows if row[2] != "-")
    return elapsed, dict(sorted(verdicts.items())), longest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=8)
    options = parser.parse_args()
    with Sandbox(ports=SandboxPorts(*free_ports(4)), latency_ms=options.latency_ms) as sandbox:
        one, one_verdicts, longest = time_verify(sandbox.ports, 1)
        many, many_verdicts, _ = time_verify(sandbox.ports, options.jobs)
        startup, _, _ = time_verify(sandbox.ports, 1, ["status-update-resolved"])
    print(f"latency per HTTP answer: {options.latency_ms} ms")
    print(f"--jobs 1: {one:6.2f} s  {one_verdicts}")
    print(f"--jobs {options.jobs}: {many:6.2f} s  {many_verdicts}")
    print(f"ratio:    {one / many:6.2f}x (goal: at least 4x)")
    # No number of jobs beats the process start plus the longest procedure run alone.
    print(
        f"bound:    {one / (startup + longest):6.2f}x = --jobs 1 / (start {startup:.2f} s + ",
        end="",
    )
    print(f"longest procedure {longest:.2f} s)")


if __name__ == "__main__":
    main()
