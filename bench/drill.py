"""Time the bad-deploy incident drill: answers a person gives and wall time, to green.

    .venv/bin/python bench/drill.py [--plbook-source DIR] [--follow-every-next]

A sandbox on free ports with `bad-deploy`, then `plbook run smoke-tests --env sandbox` in a
pseudo-terminal, answered as an on-call engineer would (tests/runbook/incident_drill.py). With
`--plbook-source` the plbook package is imported from DIR instead (e.g. an unpacked
`git archive main`), to measure an earlier version the same way. An earlier version that
offers another procedure first is followed there (`--follow-every-next`, as the engineer in
issue 11 did); if it never rolls back, the engineer lists the deployments with the stand-in
`railway` and runs `plbook run rollback-railway --input deployment_id=...` by hand: each such
command counts as one answer.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "runbook"))

import incident_drill as drill  # noqa: E402

GOAL_ANSWERS, GOAL_SECONDS = 15, 90.0


def _by_hand(directory: Path, env: dict[str, str], answered: drill.Drill) -> None:
    """Roll back as a person does when the run never offered it: list, then run with the id."""
    listing = subprocess.run(
        ["railway", "deployments", "--service", "backend"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    deployment = drill.previous_good_deployment(listing)
    session = drill.TerminalSession(
        ["run", "rollback-railway", "--env", "sandbox", "--path", "procedures"]
        + ["--input", f"deployment_id={deployment}"],
        directory,
        env,
        columns=120,
    )
    follow = drill.Drill()
    drill.answer_until_done(session, follow, follow_every_next=False)
    session.finish()
    answered.answers += 2 + session.answers  # the two commands typed, then the prompts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plbook-source", type=Path, help="Import plbook from this folder.")
    parser.add_argument("--follow-every-next", action="store_true")
    arguments = parser.parse_args()
    source = str(arguments.plbook_source.resolve()) if arguments.plbook_source else None
    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        result = drill.run_drill(
            Path(folder),
            python_path=source,
            follow_every_next=arguments.follow_every_next,
            after=_by_hand if arguments.follow_every_next else None,
        )
        seconds = time.monotonic() - started
    label = f"plbook from {source}" if source else "this checkout"
    print(f"drill ({label}): offered first {result.offered[:1] or ['nothing']}")
    print(f"  answers: {result.answers} (goal < {GOAL_ANSWERS})")
    print(f"  wall time: {seconds:.1f}s incl. sandbox start (goal < {GOAL_SECONDS:.0f}s)")
    print(f"  rolled back and green: {result.green}")
    sys.exit(0 if result.green else 1)


if __name__ == "__main__":
    os.environ.setdefault("COLUMNS", "120")
    main()
