"""A run on its worst night: stop signals, hostile values, secrets in other forms, bad paths."""

from __future__ import annotations

import base64
import json
import os
import signal
import stat
import time
from pathlib import Path
from urllib.parse import quote, quote_plus
from xml.etree import ElementTree

import pytest
from run_support import CANARY, Runbook

from plbook.records import read_journal


def _forms(value: str) -> list[str]:
    with_newline = value + "\n"
    return [
        base64.b64encode(with_newline.encode()).decode(),
        base64.b64encode(value.encode()).decode(),
        quote(with_newline, safe=""),
        quote_plus(with_newline),
        json.dumps(with_newline),
    ]


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


def test_a_secret_is_masked_in_its_other_forms_and_in_crash_messages(runbook: Runbook) -> None:
    runbook.add(
        "forms",
        """
title: Secret forms
summary: A token read with its newline comes back stripped, encoded and in error messages.
category: smoke-test
steps:
  - id: raw
    title: As read, and stripped
    shell: "printf '%s|' {{ secrets.API_TOKEN }}; printf '%s' {{ secrets.API_TOKEN }} | tr -d '\\\\n'"
    on_failure: continue
  - id: encoded
    title: Base64, URL-encoded and JSON-escaped
    shell: >-
      printf '%s' {{ secrets.API_TOKEN }} | base64;
      python3 -c 'import json, sys, urllib.parse; v = sys.argv[1];
      print(urllib.parse.quote(v, safe=""), urllib.parse.quote_plus(v), json.dumps(v))'
      {{ secrets.API_TOKEN }}
    on_failure: continue
  - id: keep
    title: Keep the token in a list
    shell: "true"
    save: {tokens: "[secrets.API_TOKEN]"}
  - id: crash
    title: A list where a header must be text
    http:
      url: "{{ env.api_url }}/api/echo"
      headers: {X-Token: "{{ vars.tokens }}"}
    on_failure: continue
  - id: port
    title: A port that is the token
    http:
      url: "http://127.0.0.1:{{ secrets.API_TOKEN | trim }}/x"
""",
    )
    finished = runbook.run("forms", env={"API_TOKEN": CANARY + "\\n"})
    assert finished.code == 1, finished.stderr
    assert finished.step("crash")["error"] == (
        "cannot fill in a value: headers.X-Token: Input should be a valid string"
    )
    assert "Traceback" not in finished.stderr
    written = finished.stdout + finished.stderr + finished.every_record()
    assert finished.step("raw")["result"]["stdout"] == "*****|*****"
    assert "Invalid port: '*****'" in finished.step("port")["error"]
    assert CANARY not in written
    for form in _forms(CANARY):
        assert form not in written


def test_a_secret_too_short_to_mask_is_refused_before_step_1(
    runbook: Runbook, tmp_path: Path
) -> None:
    mark = tmp_path / "ran"
    runbook.add(
        "short",
        f"""
title: Short secret
summary: A token of three characters.
category: smoke-test
steps:
  - id: use
    title: Uses the token
    shell: "touch {mark}; echo {{{{ secrets.API_TOKEN }}}}"
""",
    )
    finished = runbook.run("short", env={"API_TOKEN": "x7q"})
    assert finished.code == 2
    assert "secret API_TOKEN is shorter than 4 characters" in finished.stderr
    assert "x7q" not in finished.stdout + finished.stderr
    assert not mark.exists()
