"""History test helpers: a runbook of shell steps, run by real `plbook` processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CANARY = "canary-s3cr3t-7f1d2c"
NO_HISTORY = {"PLBOOK_HISTORY": ""}


@dataclass
class Done:
    """A finished `plbook` process."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class HistoryRunbook:
    """A procedures folder whose `test` environment has the canary as its API_TOKEN secret."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.procedures = directory / "procedures"
        self.procedures.mkdir()
        environments = {
            "default": "test",
            "environments": {
                "test": {"values": {"greeting": "hello"}, "secrets": {"API_TOKEN": CANARY}},
                "staging": {"values": {"greeting": "hi"}, "secrets": {"API_TOKEN": CANARY}},
            },
        }
        (self.procedures / "environments.yaml").write_text(yaml.safe_dump(environments))

    @property
    def runs_dir(self) -> Path:
        return self.directory / ".plbook" / "runs"

    def add(self, procedure_id: str, steps: list[dict[str, Any]]) -> None:
        """Write a procedure of the given steps."""
        procedure = {
            "title": f"Procedure {procedure_id}",
            "summary": "Steps for the history tests.",
            "category": "smoke-test",
            "steps": steps,
        }
        (self.procedures / f"{procedure_id}.yaml").write_text(yaml.safe_dump(procedure))

    def start(self, *arguments: str, env: dict[str, str]) -> subprocess.Popen[str]:
        """Start `plbook ARGUMENTS` as a real process in the runbook's folder."""
        command = [sys.executable, "-m", "plbook", *arguments]
        if arguments[0] == "run":
            command += ["--path", "procedures"]
        return subprocess.Popen(
            command,
            cwd=self.directory,
            env={**os.environ, "NO_COLOR": "1", **env},
            text=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def plbook(self, *arguments: str, env: dict[str, str]) -> Done:
        """Run `plbook ARGUMENTS` to its end."""
        process = self.start(*arguments, env=env)
        stdout, stderr = process.communicate(timeout=120)
        return Done(process.returncode, stdout, stderr)

    def journals(self) -> dict[str, list[dict[str, Any]]]:
        """Give every journal's events by run id, as the local journal holds them."""
        return {
            path.stem: [json.loads(line) for line in path.read_text().splitlines()]
            for path in sorted(self.runs_dir.glob("*.jsonl"))
        }


def stored_events(database: Any, run_id: str) -> list[dict[str, Any]]:
    """Give a run's event documents from the MongoDB history, in sequence order."""
    return list(database.events.find({"run_id": run_id}, {"_id": 0}).sort("seq", 1))
