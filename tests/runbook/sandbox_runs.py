"""Runs of the real runbook through the `plbook` command line, as docs CI does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from plbook.catalog import Catalog, load_catalog

ROOT = Path(__file__).resolve().parents[2]
PROCEDURES = ROOT / "procedures"


@dataclass
class RunOutcome:
    """What a `plbook run` printed and how it exited."""

    exit_code: int
    output: str


@lru_cache(maxsize=1)
def _runbook() -> Catalog:
    return load_catalog([PROCEDURES])


def example_inputs(procedure_id: str) -> list[str]:
    """Give `--input` flags for a procedure's required inputs, from their `example` values."""
    procedure = _runbook().get(procedure_id)
    flags = []
    for name, declared in procedure.inputs.items():
        if declared.default is None and declared.example is not None:
            flags += ["--input", f"{name}={declared.example}"]
    return flags


def scratch_runbook(folder: Path) -> Path:
    """Give a copy of the runbook project (procedures, plbook.yaml) whose runs stay in `folder`.

    Runs against a faulted sandbox fail on purpose: kept in the repository's own history, they
    would be what its pages call the last sandbox run.
    """
    shutil.copytree(PROCEDURES, folder / "procedures")
    shutil.copy(ROOT / "plbook.yaml", folder / "plbook.yaml")
    return folder


def plbook_run(procedure_id: str, *extra: str, project: Path = ROOT) -> RunOutcome:
    """Run `plbook run ID --env sandbox` non-interactively in `project`, as docs CI does."""
    command = [
        sys.executable,
        "-m",
        "plbook",
        "run",
        procedure_id,
        "--env",
        "sandbox",
        "--manual",
        "skip",
        "--yes",
        *example_inputs(procedure_id),
        *extra,
    ]
    environment = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        command,
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
        stdin=subprocess.DEVNULL,
    )
    return RunOutcome(done.returncode, done.stdout + done.stderr)
