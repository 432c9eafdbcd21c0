"""Executor test helpers: a runbook written into a temporary folder, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).parent / "fixtures"
CANARY = "canary-s3cr3t-7f1d2c"
SANDBOX_STRIPE_KEY = "sk_test_plbook_sandbox"


@dataclass
class Finished:
    """A finished `plbook run`: exit code, output, and the records it left."""

    code: int
    stdout: str
    stderr: str
    directory: Path

    @property
    def report(self) -> dict[str, Any]:
        return json.loads((self.directory / "report.json").read_text())

    def step(self, path: str) -> dict[str, Any]:
        return next(s for s in self.report["steps"] if s["path"] == path)

    def every_record(self) -> str:
        """Give the text of every file the run wrote: journal, reports, evidence."""
        files = [
            p
            for p in self.directory.rglob("*")
            if p.is_file() and p.suffix in (".jsonl", ".json", ".xml", ".md")
        ]
        return "\n".join(p.read_text() for p in files)


class Runbook:
    """A procedures folder in a temporary directory, with environments pointing at the fixtures."""

    def __init__(
        self, directory: Path, values: dict[str, Any], secrets: dict[str, str | None]
    ) -> None:
        self.directory = directory
        self.procedures = directory / "procedures"
        self.procedures.mkdir()
        environments = {
            "default": "test",
            "environments": {
                "test": {"values": values, "secrets": secrets},
                "production": {"values": values, "secrets": secrets, "confirm": True},
            },
        }
        (self.procedures / "environments.yaml").write_text(yaml.safe_dump(environments))

    def add(self, procedure_id: str, text: str) -> None:
        """Write a procedure file."""
        (self.procedures / f"{procedure_id}.yaml").write_text(text)

    def add_fixture(self, name: str) -> None:
        """Copy a procedure from tests/run/fixtures/."""
        self.add(name, (FIXTURES / f"{name}.yaml").read_text())

    def start(
        self, procedure_id: str, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[str]:
        """Start `plbook run` as a real process, reports under this directory."""
        command = [
            sys.executable,
            "-m",
            "plbook",
            "run",
            procedure_id,
            "--path",
            "procedures",
            "--report",
            "report.json",
            "--junit",
            "report.xml",
            "--evidence",
            "incidents",
            *args,
        ]
        environment = {**os.environ, **(env or {})}
        return subprocess.Popen(
            command,
            cwd=self.directory,
            env=environment,
            text=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def run(self, procedure_id: str, *args: str, env: dict[str, str] | None = None) -> Finished:
        """Run `plbook run` to its end."""
        process = self.start(procedure_id, *args, env=env)
        stdout, stderr = process.communicate(timeout=120)
        return Finished(process.returncode, stdout, stderr, self.directory)
