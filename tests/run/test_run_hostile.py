"""A run on its worst night: stop signals, hostile values, secrets in other forms, bad paths."""

from __future__ import annotations

import base64
import json
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
    shell: >-
      printf '%s|' {{ secrets.API_TOKEN }};
      printf '%s' {{ secrets.API_TOKEN }} | tr -d '\\n'
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


MARKS_A_FILE = """
title: Marks a file
summary: A step whose effect shows whether anything ran.
category: smoke-test
steps:
  - id: mark
    title: Leaves a mark
    shell: "touch ran; printf 'ok'"
"""


@pytest.mark.parametrize(
    ("option", "target", "said"),
    [
        ("--report", "folder", "--report folder: that is a folder; give a file name"),
        ("--junit", "/sys/report.xml", "--junit /sys/report.xml: cannot write in /sys"),
        ("--evidence", "a-file", "--evidence a-file: that is a file; give a folder"),
        ("--report", "a-file/report.json", "a-file is a file, not a folder"),
    ],
)
def test_a_report_that_cannot_be_written_is_refused_before_step_1(
    runbook: Runbook, option: str, target: str, said: str
) -> None:
    (runbook.directory / "folder").mkdir()
    (runbook.directory / "a-file").write_text("")
    runbook.add("marks", MARKS_A_FILE)
    finished = runbook.run("marks", option, target)
    assert finished.code == 2
    assert said in finished.stderr
    assert "Traceback" not in finished.stderr
    assert not (runbook.directory / "ran").exists()


def test_a_report_path_that_is_a_symlink_is_replaced_not_written_through(
    runbook: Runbook, tmp_path: Path
) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    runbook.add("marks", MARKS_A_FILE)
    (runbook.directory / "report.json").symlink_to(precious)
    finished = runbook.run("marks")
    assert finished.code == 0, finished.stderr
    assert precious.read_text() == "keep me"
    assert not (runbook.directory / "report.json").is_symlink()
    assert finished.report["status"] == "passed"


def test_journals_are_the_owners_alone(runbook: Runbook) -> None:
    runbook.add("marks", MARKS_A_FILE)
    finished = runbook.run("marks")
    journal = runbook.directory / finished.report["journal"]
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.parent.stat().st_mode) == 0o700


def test_target_text_is_shown_escaped_and_junit_stays_well_formed(runbook: Runbook) -> None:
    runbook.add(
        "noisy",
        r"""
title: Noisy
summary: A command prints escape sequences and characters XML cannot hold.
category: smoke-test
steps:
  - id: noisy
    title: Prints control characters
    shell: |
      printf 'a\033]0;pwned\007b\000c\033[2J'
    save: {output: result.stdout}
  - id: tell
    title: Passes the output on
    message: {channel: Status page, body: "Seen: {{ vars.output }}"}
  - id: fails
    title: Fails with the output in its error
    http: {url: "http://127.0.0.1:{{ vars.output }}/"}
""",
    )
    finished = runbook.run("noisy")
    assert finished.code == 1
    assert "\x1b" not in finished.stdout and "\x07" not in finished.stdout
    assert "Seen: a\\x1b]0;pwned\\x07b\\x00c\\x1b[2J" in finished.stdout
    assert "cannot make the request to http://127.0.0.1:a\\x1b]0;pwned" in finished.stdout
    ElementTree.parse(runbook.directory / "report.xml")
    assert finished.step("noisy")["result"]["stdout"] == "a\x1b]0;pwned\x07b\x00c\x1b[2J"
    assert "\\u001b" in (runbook.directory / finished.report["journal"]).read_text()


def test_the_retry_budget_bounds_every_attempt_together(runbook: Runbook) -> None:
    runbook.add(
        "budget",
        """
title: Budget
summary: Attempts that each could take 10 s, within a budget of 2 s.
category: smoke-test
steps:
  - id: slow
    title: Never finishes in time
    shell: "sleep 10"
    timeout: 10s
    retry: {timeout: 2s, interval: 100ms}
""",
    )
    started = time.monotonic()
    finished = runbook.run("budget")
    assert finished.code == 1
    assert time.monotonic() - started < 8
    assert "did not finish" in finished.step("slow")["error"]


def test_a_journal_keeps_an_excerpt_of_a_huge_output(runbook: Runbook) -> None:
    runbook.add(
        "huge",
        """
title: Huge
summary: A command prints 5 MB.
category: smoke-test
steps:
  - id: huge
    title: Prints a lot
    shell: "head -c 5000000 /dev/zero | tr '\\\\0' x; echo; echo the-end"
""",
    )
    finished = runbook.run("huge")
    assert finished.code == 0, finished.stderr
    journal = runbook.directory / finished.report["journal"]
    assert journal.stat().st_size < 300_000
    stdout = finished.step("huge")["result"]["stdout"]
    assert stdout.startswith("xxxx")
    assert stdout.endswith("the-end\n")
    assert "characters cut; the first and last 32768 kept" in stdout
