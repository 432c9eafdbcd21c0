"""Benchmark `plbook run`: 200 HTTP checks as a whole process, against plain httpx and Tavern.

    .venv/bin/python bench/run.py [--repeat 5] [--tavern-python PATH]

Each contender is a fresh process doing the same 200 GETs against one local server, each
checked for status 200 and the right JSON id; the figures are the median wall time of the
repeats and the least CPU time (user + system) a repeat took, which a busy shared machine
disturbs far less than the wall time. Tavern 3.7 does not load under pytest 9 (it imports
`_pytest.python_api`), so it runs from an interpreter of its own when given, e.g. a venv made with
`python -m venv /tmp/tavern-venv && /tmp/tavern-venv/bin/pip install tavern "pytest<9"`.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CHECKS = 200
GOAL_RATIO = 1.7


class _ItemHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real API would
    # Headers and body go out in two writes; with Nagle on, each answer waits for a delayed ACK.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = json.dumps({"id": int(self.path.rsplit("/", 1)[1]), "ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


def _plain_loop(base: str) -> str:
    return (
        "import httpx\n"
        "with httpx.Client() as client:\n"
        f"    for i in range({CHECKS}):\n"
        f"        response = client.get('{base}/api/items/' + str(i), timeout=30)\n"
        "        assert response.status_code == 200\n"
        "        assert response.json()['id'] == i\n"
    )


def _procedure() -> str:
    steps = "".join(
        f"  - id: item-{i}\n"
        f"    title: Item {i} answers\n"
        f'    http: {{url: "{{{{ env.api_url }}}}/api/items/{i}"}}\n'
        f"    expect: [result.status == 200, result.json.id == {i}]\n"
        for i in range(CHECKS)
    )
    return (
        "title: Two hundred checks\nsummary: The benchmark procedure.\n"
        "category: smoke-test\nsteps:\n" + steps
    )


def _tavern_test(base: str) -> str:
    stages = "".join(
        f"  - name: item {i}\n"
        f"    request: {{url: '{base}/api/items/{i}', method: GET}}\n"
        f"    response: {{status_code: 200, json: {{id: {i}, ok: true}}}}\n"
        for i in range(CHECKS)
    )
    return f"test_name: two hundred checks\nstages:\n{stages}"


def _time(command: list[str], cwd: Path, repeat: int) -> tuple[float, float]:
    """Give the median wall time and the least CPU time of `repeat` runs of `command`."""
    times, cpu = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(
                f"{' '.join(command)} failed ({done.returncode}):\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            )
    return statistics.median(times), min(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="Runs per contender (median).")
    parser.add_argument("--tavern-python", help="An interpreter with tavern and pytest<9.")
    arguments = parser.parse_args()
    repeat = arguments.repeat

    server = ThreadingHTTPServer(("127.0.0.1", 0), _ItemHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    work = Path(tempfile.mkdtemp(prefix="plbook-bench-"))
    try:
        procedures = work / "procedures"
        procedures.mkdir()
        (procedures / "environments.yaml").write_text(
            f"default: bench\nenvironments:\n  bench:\n    values: {{api_url: '{base}'}}\n"
        )
        (procedures / "bench-200.yaml").write_text(_procedure())
        (work / "plain.py").write_text(_plain_loop(base))
        (work / "test_bench.tavern.yaml").write_text(_tavern_test(base))

        python = sys.executable
        figures = {
            "plain httpx loop": _time([python, "plain.py"], work, repeat),
            "plbook run": _time(
                [python, "-m", "plbook", "run", "bench-200", "--path", "procedures"], work, repeat
            ),
        }
        if arguments.tavern_python:
            figures["tavern"] = _time(
                [
                    arguments.tavern_python,
                    "-m",
                    "pytest",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "test_bench.tavern.yaml",
                ],
                work,
                repeat,
            )
        baseline, baseline_cpu = figures["plain httpx loop"]
        print(f"{CHECKS} HTTP checks, whole process, median wall time and least CPU of {repeat}:")
        for name, (seconds, cpu) in figures.items():
            print(
                f"  {name:<18} {seconds:6.3f} s  {seconds / baseline:4.2f}x   "
                f"cpu {cpu:6.3f} s  {cpu / baseline_cpu:4.2f}x"
            )
        if "tavern" not in figures:
            print("  tavern             not measured (give --tavern-python)")
        ratio = figures["plbook run"][0] / baseline
        print(
            f"goal: plbook run at most {GOAL_RATIO:g}x the plain loop: "
            f"{'met' if ratio <= GOAL_RATIO else 'NOT met'} ({ratio:.2f}x wall, "
            f"{figures['plbook run'][1] / baseline_cpu:.2f}x cpu)"
        )
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
