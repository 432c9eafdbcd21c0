"""How the site build grows with the number of procedures: 250, 500 and 1,000 generated ones.

Material renders the whole navigation into every page, so a navigation entry per procedure makes a
build quadratic. plbook keeps procedure pages out of the navigation tree (categories only); the
baseline, measured in the same run, is the same site with `procedures_in_nav: true`.
Goal: t(1000) / t(500) at most 2.2 with plbook's navigation.

`--engines` times `plbook build --engine E` (validation, the build, the page check; one process
each) for MkDocs, ProperDocs and Zensical, on this runbook and on 1,000 generated procedures, with
the ratio to MkDocs measured in the same run.

    .venv/bin/python bench/build.py [--sizes 250 500 1000] [--runs 1] [--no-baseline]
    .venv/bin/python bench/build.py --engines [--runs 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = [
    "checklist",
    "smoke-test",
    "troubleshooting",
    "rollback",
    "cadence",
    "incident",
    "communication",
]

TIMED_BUILD = """
import sys, time
from mkdocs.commands.build import build
from mkdocs.config import load_config
config = load_config(sys.argv[1], strict=True, site_dir=sys.argv[2])
start = time.perf_counter()
build(config)
print(time.perf_counter() - start)
"""

PROCEDURE = """\
title: Generated procedure {n} for {service}
summary: Check {service} number {n} end to end and roll back when it is unhealthy.
category: {category}
services: [{service}]
tags: [generated, {service}]
estimated_time: 5m
when:
  - The {service} alert number {n} fires
symptoms:
  - "ServiceError{n}: {service} returned 503"
requires:
  tools: [railway]
  secrets: [RAILWAY_TOKEN]
inputs:
  deployment_id: {{description: Deployment to restore, required: true, example: dep-{n}}}
steps:
  - id: look
    title: Look at the dashboard for {service}
    manual: Open the dashboard and compare the error rate with the last deploy.
  - id: deployments
    title: List the deployments of {service}
    shell: railway deployments --service {service}
  - id: rollback
    title: Redeploy the previous deployment of {service}
    shell: railway rollback --service {service} --deployment {{{{ inputs.deployment_id }}}}
    destructive: true
  - id: health
    title: Health of {service} answers 200
    http: {{method: GET, url: "{{{{ env.api_url }}}}/api/health", timeout: 5s}}
    expect:
      - result.status == 200
      - result.json.data.database == "connected"
    retry: {{timeout: 2m, interval: 5s}}
    on_failure:
      hint: Check the logs of {service}.
      run: {next_id}
  - id: users
    title: The test user of {service} exists
    mongo: {{collection: users, find_one: {{email: "{{{{ env.test_email }}}}"}}}}
    expect:
      - result.document is not none
  - id: webhooks
    title: Stripe lists the webhook endpoints
    stripe: {{list: webhook_endpoints, params: {{limit: 10}}}}
"""


def write_project(folder: Path, count: int, *, procedures_in_nav: bool) -> Path:
    """Give a project with `count` generated procedures, a reference page and a mkdocs.yml."""
    procedures = folder / "procedures"
    procedures.mkdir(parents=True)
    shutil.copy(ROOT / "procedures/environments.yaml", procedures)
    for n in range(count):
        (procedures / f"generated-{n:04d}.yaml").write_text(
            PROCEDURE.format(
                n=n,
                service=f"service{n % 40}",
                category=CATEGORIES[n % len(CATEGORIES)],
                next_id=f"generated-{(n + 1) % count:04d}",
            )
        )
    (folder / "runbook").mkdir()
    (folder / "runbook/index.md").write_text(
        "# Runbook\n\nStart with [the first](plbook:generated-0000).\n"
    )
    (folder / "mkdocs.yml").write_text(
        f"INHERIT: {ROOT / 'mkdocs.yml'}\n"
        f"theme:\n  custom_dir: {ROOT / 'site_overrides'}\n"
        "plugins:\n  - search\n  - tags\n"
        f"  - plbook:\n      procedures_in_nav: {str(procedures_in_nav).lower()}\n"
    )
    return folder


def timed_build(count: int, *, procedures_in_nav: bool, runs: int) -> float:
    """Give the best build time in seconds, each build in a fresh interpreter."""
    best = float("inf")
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    with tempfile.TemporaryDirectory(prefix="plbook-bench-") as temporary:
        project = write_project(Path(temporary), count, procedures_in_nav=procedures_in_nav)
        for _ in range(runs):
            done = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    TIMED_BUILD,
                    str(project / "mkdocs.yml"),
                    str(project / "site"),
                ],
                cwd=project,
                capture_output=True,
                text=True,
                env=environment,
                check=False,
            )
            if done.returncode != 0:
                sys.exit(f"build of {count} procedures failed:\n{done.stderr[-3000:]}")
            best = min(best, float(done.stdout.strip().splitlines()[-1]))
    return best


ENGINES = ("mkdocs", "properdocs", "zensical")


def copy_runbook(folder: Path) -> Path:
    """Give a copy of this repository's runbook project to build."""
    for name in ["procedures", "runbook", "site_overrides"]:
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("procedures"))
    shutil.copytree(ROOT / "procedures", folder / "procedures", dirs_exist_ok=True)
    shutil.copy(ROOT / "mkdocs.yml", folder / "mkdocs.yml")
    return folder


def timed_engine_build(engine: str, project: Path, runs: int) -> float:
    """Give the best wall time in seconds of `plbook build --engine ENGINE` in `project`."""
    best = float("inf")
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "plbook", "build", "--engine", engine],
            cwd=project,
            capture_output=True,
            text=True,
            env=environment,
            check=False,
        )
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"{engine} build failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
        best = min(best, elapsed)
    return best


def compare_engines(runs: int) -> None:
    """Print each engine's build time for this runbook and 1,000 procedures, and the ratio."""
    with tempfile.TemporaryDirectory(prefix="plbook-engines-") as temporary:
        projects = {
            "this runbook": copy_runbook(Path(temporary) / "runbook"),
            "1,000 procedures": write_project(
                Path(temporary) / "generated", 1000, procedures_in_nav=False
            ),
        }
        for label, project in projects.items():
            times = {engine: timed_engine_build(engine, project, runs) for engine in ENGINES}
            print(f"{label}:")
            for engine, seconds in times.items():
                ratio = seconds / times["mkdocs"]
                print(f"  {engine:<11} {seconds:7.2f} s  {ratio:5.2f}x MkDocs")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 1000])
    parser.add_argument("--runs", type=int, default=1, help="Builds per size; the best counts.")
    parser.add_argument(
        "--no-baseline", action="store_true", help="Skip the every-procedure-in-nav builds."
    )
    parser.add_argument(
        "--engines", action="store_true", help="Compare MkDocs, ProperDocs and Zensical instead."
    )
    options = parser.parse_args()
    if options.engines:
        compare_engines(options.runs)
        return
    variants = [("plbook nav (categories only)", False)]
    if not options.no_baseline:
        variants.append(("baseline (every procedure in nav)", True))
    for label, in_nav in variants:
        times = {
            size: timed_build(size, procedures_in_nav=in_nav, runs=options.runs)
            for size in options.sizes
        }
        print(f"{label}:")
        for size, seconds in times.items():
            print(f"  {size:>5} procedures  {seconds:7.2f} s  {seconds / size * 1000:6.1f} ms each")
        if 500 in times and 1000 in times:
            ratio = times[1000] / times[500]
            verdict = "" if in_nav else f"  (goal <= 2.2: {'met' if ratio <= 2.2 else 'NOT met'})"
            print(f"  t(1000)/t(500) = {ratio:.2f}{verdict}")


if __name__ == "__main__":
    main()
