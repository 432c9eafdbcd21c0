"""The audit trail: who ran what, every answer, a timeline, honest resumes, schema-valid JUnit."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from xml.etree import ElementTree

from run_support import CANARY, Runbook
from terminal_session import TerminalSession

OUTER = """
title: Outer
summary: Calls a check that fails.
category: smoke-test
steps:
  - id: say
    title: Say what happens
    message: {channel: "Slack #incidents", body: "Checking now."}
  - id: inner
    title: The inner check
    procedure: inner-check
"""

INNER = """
title: Inner check
summary: Prints, then fails after polling.
category: smoke-test
steps:
  - id: prints
    title: Print a line
    shell: "echo deployment dep-41 is current"
  - id: down
    title: The API is down
    http: {url: "{{ env.api_url }}/api/down", timeout: 5s}
    expect: [result.status == 200]
    retry: {attempts: 2, interval: 0.1s}
"""


def _journal(runbook: Runbook) -> list[dict[str, object]]:
    path = next((runbook.directory / ".plbook" / "runs").glob("*.jsonl"))
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_junit_has_one_failure_per_failing_leaf_and_fits_the_ant_schema(runbook: Runbook) -> None:
    runbook.add("inner-check", INNER)
    runbook.add("outer", OUTER)
    finished = runbook.run("outer")
    assert finished.code == 1
    suite = ElementTree.parse(runbook.directory / "report.xml").getroot()
    assert suite.tag == "testsuite"
    for name in ("name", "timestamp", "hostname", "tests", "failures", "errors", "time"):
        assert suite.get(name), name
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", suite.get("timestamp", ""))
    assert [child.tag for child in suite][0] == "properties"
    assert [child.tag for child in suite][-2:] == ["system-out", "system-err"]
    cases = suite.findall("testcase")
    # The `inner` procedure step is no testcase of its own: its failing leaf is.
    assert [c.get("name", "").split(":")[0] for c in cases] == ["say", "inner/prints", "inner/down"]
    failures = suite.findall("testcase/failure")
    assert len(failures) == 1 and failures[0].get("type") == "expectation"
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    for case in cases:
        assert len(list(case)) <= 1 and all(c.tag in ("skipped", "error", "failure") for c in case)
        assert all(case.get(name) for name in ("name", "classname", "time"))


def test_the_journal_and_evidence_say_who_ran_what_and_each_answer(runbook: Runbook) -> None:
    runbook.add("inner-check", INNER)
    runbook.add("outer", OUTER)
    finished = runbook.run("outer", "--var", f"token={CANARY}")
    started = _journal(runbook)[0]
    assert started["operator"]["user"] and started["operator"]["host"]  # type: ignore[index]
    assert "plbook run outer" in str(started["command_line"])
    assert CANARY not in str(started["command_line"]) and "*****" in str(started["command_line"])
    assert started["plbook_version"]
    evidence = next((runbook.directory / "incidents").rglob("run.md")).read_text()
    assert "- Operator: " in evidence and "- Command: `plbook run outer" in evidence
    assert "Message shown (not sent):" in evidence
    assert "Output:\n\n```text\ndeployment dep-41 is current\n```" in evidence
    assert "## Timeline" in evidence
    assert "`inner/down`: attempt 1 failed: result.status was 503" in evidence
    assert "`inner/down`: failed after 2 attempts" in evidence
    assert CANARY not in finished.every_record()


CHECKED = """
title: Checked
summary: A manual check, then a change, then a check that waits for a flag.
category: rollback
inputs:
  note: {{description: A note, default: none}}
steps:
  - id: look
    title: Look first
    manual: Check the logs.
  - id: change
    title: Make the change
    shell: "true"
    destructive: true
  - id: flag
    title: The flag is there
    shell: "test -f {flag}"
"""


def test_answers_and_resumes_are_recorded_and_the_gap_is_not_counted(
    runbook: Runbook, tmp_path: Path
) -> None:
    flag = tmp_path / "flag"
    runbook.add("checked", CHECKED.format(flag=flag))
    session = TerminalSession(["run", "checked", "--path", "procedures"], runbook.directory)
    session.expect(r"Result\? \[p\]ass / \[f\]ail / \[s\]kip: ")
    session.answer("p")
    session.expect(r"Run it\? \[y/N\] ")
    session.answer("y")
    assert session.finish() == 1
    assert "resume with: plbook run checked --resume" in session.output
    run_id = str(_journal(runbook)[0]["run_id"])
    time.sleep(3)  # the gap before the resume is not time the run spent
    flag.write_text("")
    resumed = runbook.run("checked", "--resume", run_id, "--input", "note=after-the-fix")
    assert resumed.code == 0, resumed.stdout + resumed.stderr
    report = resumed.report
    assert report["duration_ms"] < 3000
    assert report["inputs"]["note"] == "after-the-fix"
    answers = [(a["path"], a["answer"], a["given_by"]) for a in report["answers"]]
    assert answers == [("look", "pass", "person"), ("change", "yes", "person")]
    resume = report["resumes"][0]
    assert resume["inputs"] == {"note": "after-the-fix"} and resume["operator"]["user"]
    evidence = next((runbook.directory / "incidents").rglob("run.md")).read_text()
    assert "`flag`: failed" in evidence and "`flag`: passed" in evidence
    assert "| pass | " in evidence and "| yes |" in evidence


def test_resume_refuses_another_selection_or_environment(runbook: Runbook) -> None:
    runbook.add_fixture("health-check")
    failed = runbook.run("health-check", "--from", "shell-sees-var")
    run_id = failed.report["run_id"]
    for flags, said in (
        (("--from", "health"), "--from does not apply"),
        (("--only", "health"), "--only does not apply"),
        (("--env", "production"), "that run is against test, not production"),
    ):
        refused = runbook.run("health-check", "--resume", run_id, *flags)
        assert refused.code == 2
        assert said in refused.stderr
