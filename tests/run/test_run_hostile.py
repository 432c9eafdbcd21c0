"""A run on its worst night: stop signals, hostile values, secrets in other forms, bad paths."""

from __future__ import annotations

import json
import os
import signal
import stat
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest
from run_support import CANARY, Runbook

from plbook.records import read_journal


def _alive(pid: int) -> bool:
    """Tell whether a process still runs a second from now (a zombie has ended)."""
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return False
        if state == "Z":
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize(("stop", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_stop_signal_ends_the_run_like_ctrl_c_with_every_record_written(
    runbook: Runbook, tmp_path: Path, stop: signal.Signals, code: int
) -> None:
    pids = tmp_path / "pids"
    runbook.add(
        "long",
        f"""
title: Long
summary: A step that starts a process in a session of its own, then waits.
category: smoke-test
steps:
  - id: wait
    title: Waits half a minute
    shell: "setsid sleep 31 & echo $! $$ > {pids}.part; mv {pids}.part {pids}; exec sleep 30"
  - id: never
    title: Not reached
    shell: "true"
""",
    )
    process = runbook.start("long")
    deadline = time.monotonic() + 20
    while not pids.exists():
        assert time.monotonic() < deadline, "the step never started"
        time.sleep(0.05)
    process.send_signal(stop)
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr
    report = json.loads((runbook.directory / "report.json").read_text())
    assert report["status"] == "interrupted"
    assert [s["status"] for s in report["steps"]] == ["interrupted", "not_run"]
    assert report["steps"][0]["error"] == f"interrupted ({stop.name})"
    ElementTree.parse(runbook.directory / "report.xml")
    assert list((runbook.directory / "incidents").rglob("run.md"))
    journal = read_journal(runbook.directory / report["journal"])
    assert journal[-1]["event"] == "run-finished"
    assert journal[-1]["status"] == "interrupted"
    for pid in map(int, pids.read_text().split()):
        assert not _alive(pid), "a process of the step outlived the run"
