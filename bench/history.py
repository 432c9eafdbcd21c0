"""What recording a run in a MongoDB history costs: one 100-step run, with and without it.

    .venv/bin/python bench/history.py [--repeat 5] [--steps 100]

Contenders, each a fresh `plbook run` process of the same procedure of `true` shell steps:
local journals only (the baseline), a live nx-27017 history (every event copied as it happens),
and a history that does not answer (a closed port: one warning, the journal only). The figure is
the median wall time of the repeats (and of the CPU time the process used, steadier on a busy
machine); the ratios are to the baseline measured in the same run.
Goal: with a live or an absent history, a run takes at most 1.3x the baseline's wall time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pymongo
import yaml

from plbook.sandbox.addresses import free_ports
from plbook.sandbox.mongo_server import MongoServer

GOAL_RATIO = 1.3


def _write_runbook(directory: Path, steps: int) -> None:
    procedures = directory / "procedures"
    procedures.mkdir()
    environments = {"default": "bench", "environments": {"bench": {"values": {}}}}
    (procedures / "environments.yaml").write_text(yaml.safe_dump(environments))
    procedure = {
        "title": "Many quick steps",
        "summary": "Steps that do nothing, so the run's own bookkeeping is what is timed.",
        "category": "smoke-test",
        "steps": [{"id": f"s{n}", "title": f"Step {n}", "shell": "true"} for n in range(steps)],
    }
    (procedures / "quick.yaml").write_text(yaml.safe_dump(procedure))


def _timed_run(directory: Path, history: str) -> tuple[float, float]:
    """Give the wall and CPU seconds of one `plbook run` process."""
    environment = {**os.environ, "PLBOOK_HISTORY": history, "NO_COLOR": "1"}
    command = [sys.executable, "-m", "plbook", "run", "quick", "--path", "procedures"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=directory, env=environment, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"plbook run failed:\n{done.stdout}{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        _write_runbook(directory, arguments.steps)
        server = MongoServer(free_ports(1)[0], directory / "mongo")
        server.start()
        live = f"mongodb://127.0.0.1:{server.port}/bench"
        contenders = {
            "local journal only": "",
            "live nx-27017 history": live,
            "absent history": f"mongodb://127.0.0.1:{free_ports(1)[0]}/bench",
        }
        try:
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
            for _ in range(arguments.repeat):
                for name, history in contenders.items():
                    times[name].append(_timed_run(directory, history))
            with pymongo.MongoClient(live) as client:
                stored = client.bench.events.count_documents({})
        finally:
            server.stop()
    expected = arguments.repeat * (arguments.steps * 2 + 2)
    print(f"{arguments.steps} steps, median of {arguments.repeat} runs each")
    wall = {name: statistics.median(t[0] for t in measured) for name, measured in times.items()}
    cpu = {name: statistics.median(t[1] for t in measured) for name, measured in times.items()}
    base = "local journal only"
    for name in contenders:
        print(
            f"  {name:<24} wall {wall[name]:6.2f}s {wall[name] / wall[base]:4.2f}x"
            f"   cpu {cpu[name]:5.2f}s {cpu[name] / cpu[base]:4.2f}x"
        )
    print(f"  events stored in the live history: {stored} of {expected}")
    worst = max(wall.values()) / wall[base]
    print(f"goal: at most {GOAL_RATIO}x -> {'met' if worst <= GOAL_RATIO else 'NOT met'}")


if __name__ == "__main__":
    main()
