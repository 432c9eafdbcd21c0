"""How fast `plbook validate` and `plbook --help` are, against baselines measured in the same run.

Generates 1,000 procedures of about 5 KB (15 steps each) in a temporary folder, then times
`plbook validate` over them against a bare `yaml.load(..., Loader=CSafeLoader)` of the same files,
both in a fresh interpreter, and prints the best of several runs and the ratio (goal: at most 1.6x).
It also times `plbook --help` against `python -c pass` (goal: at most 6x).

    .venv/bin/python bench/validate.py [--procedures 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_SCRIPT = Path(sys.executable).with_name("plbook")
PLBOOK = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "plbook"]
"""The installed console script, as a user runs it."""

BARE_PARSE = """
import sys
from pathlib import Path
import yaml
for path in sorted(Path(sys.argv[1]).glob("*.yaml")):
    yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
"""

STEPS = [
    """\
  - id: health-{n}
    title: Health check {n} answers 200 with the database connected
    description: A 503 means the API is up but cannot reach the database.
    http: {{method: GET, url: "{{{{ env.api_url }}}}/api/health", timeout: 5s}}
    expect:
      - result.status == 200
      - result.json.data.status == "ok"
      - result.json.data.database == "connected"
    retry: {{timeout: 2m, interval: 5s}}
    on_failure:
      hint: Check Railway logs and MongoDB Atlas status, then roll back if the database is down.
      run: target-procedure
""",
    """\
  - id: usage-{n}
    title: The usage counter of the test user is read
    http:
      method: GET
      url: "{{{{ env.api_url }}}}/api/usage"
      headers: {{Authorization: "Bearer {{{{ secrets.TEST_USER_TOKEN }}}}"}}
    expect:
      - result.status == 200
      - result.json.data.limit == 50
    save:
      usage_{n}: result.json.data.usageCount
""",
    """\
  - id: user-{n}
    title: The test user exists with a reset date in the last 30 days
    mongo:
      collection: users
      find_one: {{email: "{{{{ env.test_email }}}}"}}
    expect:
      - result.document is not none
      - result.document.lastResetAt | as_datetime > now - days(30)
      - result.document.usageCount == vars.usage_{m}
""",
    """\
  - id: deployments-{n}
    title: List the recent deployments of service {n}
    shell: railway deployments --service backend --environment {{{{ env.name }}}} --limit 5
    timeout: 30s
    on_failure: continue
""",
    """\
  - id: confirm-{n}
    title: Confirm the dashboards agree with what the checks saw
    manual: >-
      Open {{{{ env.dashboard_url }}}}/history and compare the error rate with the hour before.
""",
]


def procedure_text(index: int) -> str:
    """Give the YAML of one generated procedure: 15 steps cycling through the kinds above."""
    head = f"""\
title: Generated procedure {index} checks the backend end to end
summary: A generated procedure used to measure how fast validation is on a large runbook.
category: smoke-test
services: [backend, dashboard]
tags: [generated, bench, health]
estimated_time: 5m
when:
  - After every deployment of the backend
  - When the error rate climbs above 5% for ten minutes
symptoms:
  - "API returns 503"
  - "MongoError: connection pool exhausted"
requires:
  tools: [railway]
  secrets: [TEST_USER_TOKEN]
inputs:
  deployment_id: {{description: Deployment to inspect, required: false, pattern: '^[A-Za-z0-9-]+$'}}
steps:
"""
    steps = []
    last_usage = 1
    for n in range(1, 16):
        template = STEPS[(n - 1) % len(STEPS)]
        if template.lstrip().startswith("- id: usage"):
            last_usage = n
        steps.append(template.format(n=n, m=last_usage))
    return head + "".join(steps)


TARGET = """\
title: Target of on_failure.run in the generated procedures
summary: Exists so that every reference of the generated procedures resolves.
category: troubleshooting
steps:
  - id: look
    title: Look at the logs
    manual: Read the logs.
"""


def generate(folder: Path, count: int) -> int:
    """Write `count` procedures, the target and environments.yaml; give the total size in bytes."""
    shutil.copy(ROOT / "procedures" / "environments.yaml", folder / "environments.yaml")
    (folder / "target-procedure.yaml").write_text(TARGET)
    size = 0
    for index in range(count):
        text = procedure_text(index)
        size += len(text.encode())
        (folder / f"generated-{index:04d}.yaml").write_text(text)
    return size


def best_times(commands: list[list[str]], runs: int) -> list[float]:
    """Give the best wall time of each command over `runs` rounds, in seconds.

    The commands take turns within each round, so a busy machine slows them alike.
    """
    best = [float("inf")] * len(commands)
    for _ in range(runs):
        for index, command in enumerate(commands):
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
            elapsed = time.perf_counter() - start
            if done.returncode != 0:
                sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")
            best[index] = min(best[index], elapsed)
    return best


def main() -> None:
    """Generate the runbook, run both comparisons, print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procedures", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="plbook-bench-") as directory:
        folder = Path(directory)
        size = generate(folder, arguments.procedures)
        print(
            f"{arguments.procedures} procedures, 15 steps each, "
            f"{size / arguments.procedures / 1024:.1f} KB on average ({size / 1e6:.1f} MB)"
        )
        bare, validate = best_times(
            [[sys.executable, "-c", BARE_PARSE, str(folder)], PLBOOK + ["validate", str(folder)]],
            arguments.runs,
        )
        print(f"bare CSafeLoader parse   {bare:7.3f} s")
        print(
            f"plbook validate          {validate:7.3f} s   {validate / bare:.2f}x the bare parse "
            "(goal: at most 1.6x)"
        )

    python, help_ = best_times(
        [[sys.executable, "-c", "pass"], PLBOOK + ["--help"]], arguments.runs * 4
    )
    print(f"python -c pass           {python:7.3f} s")
    print(
        f"plbook --help            {help_:7.3f} s   {help_ / python:.2f}x python -c pass "
        "(goal: at most 6x)"
    )


if __name__ == "__main__":
    main()
