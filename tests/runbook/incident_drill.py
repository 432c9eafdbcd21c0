"""The bad-deploy incident drill, driven as an on-call engineer would in a real terminal.

A sandbox on free ports with the `bad-deploy` fault; the runbook copied beside it with its
sandbox environment pointed at those ports; `plbook run smoke-tests` in a pseudo-terminal,
answered as a person would: follow the offered next procedure, pass the checklist, read the
deployment id off the shown `railway deployments` output, say yes to the rollback.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from plbook.records import read_run
from plbook.sandbox import Sandbox
from plbook.sandbox.addresses import (
    API_PORT,
    DASHBOARD_PORT,
    MONGODB_PORT,
    STRIPE_API_PORT,
    SandboxPorts,
    free_ports,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "run"))
from terminal_session import TerminalSession  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENT_ROW = re.compile(r"([0-9a-f]{8}-[0-9a-f-]{27})\s+(\w+)\s+\S+.*?(current)?\s*$")
PROMPTS = (
    r"Run '(?P<next>[a-z0-9-]+)' now\? \[y/N\] ",
    r"(?P<manual>Result\? \[p\]ass / \[f\]ail / \[s\]kip: )",
    r"(?P<input>Input deployment_id[^\n]*: )",
    r"(?P<change>Run it\? \[y/N\] )",
)
STEP_HEADING = re.compile(r"\[\d+/\d+\] (\S+): ")


@dataclass
class Drill:
    """What the drill saw: the procedures offered next, the id typed in, answers, time, output."""

    offered: list[str] = field(default_factory=list)
    typed_id: str | None = None
    answers: int = 0
    seconds: float = 0.0
    exit_code: int | None = None
    output: str = ""
    green: bool = False
    """The backend answers 200 again and a rollback-railway run (smoke tests included) passed."""


def runbook_copy(directory: Path, ports: SandboxPorts, root: Path = ROOT) -> Path:
    """Give a copy of the runbook's procedures whose sandbox environment uses `ports`."""
    procedures = directory / "procedures"
    shutil.copytree(root / "procedures", procedures)
    environments = procedures / "environments.yaml"
    text = environments.read_text()
    for default, port in (
        (API_PORT, ports.api),
        (DASHBOARD_PORT, ports.dashboard),
        (STRIPE_API_PORT, ports.stripe_api),
        (MONGODB_PORT, ports.mongodb),
    ):
        text = text.replace(f"127.0.0.1:{default}", f"127.0.0.1:{port}")
    environments.write_text(text)
    return procedures


def previous_good_deployment(shown: str) -> str | None:
    """Give the deployment a person picks from shown `railway deployments` rows: the newest
    SUCCESS one listed after the current (broken) one."""
    seen_current = False
    for line in shown.splitlines():
        row = DEPLOYMENT_ROW.search(line)
        if row is None:
            continue
        if row.group(3):
            seen_current = True
        elif seen_current and row.group(2) == "SUCCESS":
            return row.group(1)
    return None


def run_drill(
    directory: Path,
    python_path: str | None = None,
    *,
    follow_every_next: bool = False,
    after: Callable[[Path, dict[str, str], Drill], None] | None = None,
) -> Drill:
    """Run the bad-deploy drill in a pseudo-terminal; give what it saw.

    `after` is called when the run ended without a passed rollback: what a person does next.
    """
    ports = SandboxPorts(*free_ports(4))
    procedures = runbook_copy(directory, ports, Path(python_path) if python_path else ROOT)
    drill = Drill()
    with Sandbox(faults=["bad-deploy"], ports=ports) as sandbox:
        env = sandbox.cli_environment()
        env["MONGODB_URI"] = sandbox.mongodb_uri
        if python_path:
            env["PYTHONPATH"] = python_path
        started = time.monotonic()
        session = TerminalSession(
            ["run", "smoke-tests", "--env", "sandbox", "--path", str(procedures)],
            directory,
            env,
            columns=120,
        )
        answer_until_done(session, drill, follow_every_next)
        drill.exit_code = session.finish()
        drill.answers = session.answers
        drill.output = session.output
        if after is not None and not _rolled_back(directory):
            after(directory, env, drill)
        drill.seconds = time.monotonic() - started
        healthy = httpx.get(f"{sandbox.api_url}/api/health").status_code == 200
        drill.green = healthy and _rolled_back(directory)
    return drill


def _rolled_back(directory: Path) -> bool:
    runs = [read_run(path) for path in directory.glob(".plbook/runs/*.jsonl")]
    return any(r.procedure == "rollback-railway" and r.status == "passed" for r in runs)


def answer_until_done(session: TerminalSession, drill: Drill, follow_every_next: bool) -> None:
    """Answer every question as the on-call engineer does, until the run ends."""
    pattern = "|".join(PROMPTS)
    while True:
        try:
            asked = session.expect(pattern, timeout=300)
        except AssertionError:
            return  # the run ended: nothing more is asked
        if asked.group("next"):
            drill.offered.append(asked.group("next"))
            wanted = follow_every_next or asked.group("next") == "rollback-railway"
            session.answer("y" if wanted else "n")
        elif asked.group("manual"):
            session.answer(_manual_answer(session.output[: asked.start()]))
        elif asked.group("input"):
            drill.typed_id = previous_good_deployment(session.output)
            session.answer(drill.typed_id or "")
        else:
            session.answer("y")


def _manual_answer(shown: str) -> str:
    """Give a person's answer to a manual check, from what the terminal shows above it."""
    headings = STEP_HEADING.findall(shown)
    step = headings[-1] if headings else ""
    # The dashboard route does what the CLI steps do: a person skips it, as it says.
    if step.endswith("dashboard-redeploy"):
        return "s"
    # The smoke tests' browser checks have automated twins: the person skips them all at once.
    if step.startswith("smoke/") and "[a]: skip" in shown[-2000:]:
        return "a"
    return "p"
