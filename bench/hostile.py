"""Benchmark `plbook run` against hostile targets: wall time against the step's timeout, peak RSS.

    .venv/bin/python bench/hostile.py

Each case is one `plbook run` process with one step: a server dripping a byte a second (body,
then headers), a 1 GB body, a gzip body that inflates to 1 GB, and `yes` as a command. The
figures are the process's wall time next to the step's timeout, and its peak resident memory
(from wait4) next to that of a run of one quick step measured in the same run (the baseline).
Goals: wall time at most timeout + 1 s, peak RSS under 200 MB.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from plbook.sandbox.hostile import gzip_of_zeros, hostile_server

GIGABYTE = 1024**3
MOST_SECONDS_OVER = 1.0
MOST_RSS_MB = 200.0


@dataclass(frozen=True)
class Case:
    """One hostile step: what it does and the timeout it has."""

    name: str
    step: str
    timeout: float


CASES = (
    Case("quick step (baseline)", 'shell: "true"', 30),
    Case("drip: a body byte a second", 'http: {url: "{{ env.base }}/drip"}', 3),
    Case("drip: a header byte a second", 'http: {url: "{{ env.base }}/drip-headers"}', 3),
    Case("1 GB body", f'http: {{url: "{{{{ env.base }}}}/huge?bytes={GIGABYTE}"}}', 30),
    Case(
        "gzip bomb (1 GB inflated)",
        f'http: {{url: "{{{{ env.base }}}}/gzip-bomb?bytes={GIGABYTE}"}}',
        30,
    ),
    Case("shell: yes", 'shell: "yes"', 8),
)


def _procedure(case: Case) -> str:
    title = json.dumps(case.name)
    return (
        f"title: {title}\nsummary: One hostile step.\ncategory: smoke-test\nsteps:\n"
        f"  - id: hostile\n    title: {title}\n    {case.step}\n    timeout: {case.timeout:g}s\n"
    )


def _measure(case: Case, work: Path) -> tuple[float, float]:
    """Give the wall seconds and the peak RSS in MB of a `plbook run` of the case's step."""
    (work / "procedures" / "hostile.yaml").write_text(_procedure(case))
    command = [sys.executable, "-m", "plbook", "run", "hostile", "--path", "procedures"]
    started = time.perf_counter()
    with (work / "output.txt").open("w") as output:
        process = subprocess.Popen(command, cwd=work, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4 above
    if process.returncode not in (0, 1):
        raise SystemExit(
            f"{case.name}: plbook run exited {process.returncode}:\n"
            + (work / "output.txt").read_text()[-2000:]
        )
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    gzip_of_zeros(GIGABYTE)  # made once, before any clock runs
    work = Path(tempfile.mkdtemp(prefix="plbook-hostile-"))
    try:
        with hostile_server() as base:
            (work / "procedures").mkdir()
            (work / "procedures" / "environments.yaml").write_text(
                f"default: bench\nenvironments:\n  bench:\n    values: {{base: '{base}'}}\n"
            )
            figures = {case: _measure(case, work) for case in CASES}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _, baseline_rss = figures[CASES[0]]
    print("plbook run against hostile targets, one process per case:")
    print(f"  {'case':<30} {'wall':>7} {'timeout':>8} {'peak RSS':>10} {'x baseline':>11}  goals")
    all_met = True
    for case, (seconds, rss) in figures.items():
        met = seconds <= case.timeout + MOST_SECONDS_OVER and rss < MOST_RSS_MB
        all_met = all_met and met
        print(
            f"  {case.name:<30} {seconds:6.2f}s {case.timeout:7g}s {rss:8.1f}MB "
            f"{rss / baseline_rss:10.2f}x  {'met' if met else 'NOT met'}"
        )
    print(
        f"goals: wall time at most timeout + {MOST_SECONDS_OVER:g}s, peak RSS under "
        f"{MOST_RSS_MB:g} MB: {'all met' if all_met else 'NOT all met'}"
    )


if __name__ == "__main__":
    main()
