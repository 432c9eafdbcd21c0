"""Shell injection, sandboxed expressions, secret masking, interruption and resuming."""

from __future__ import annotations

import json
import os
import signal
import time
from io import StringIO
from pathlib import Path

from run_support import CANARY, Runbook
from terminal_session import TerminalSession

from plbook.catalog import load_catalog
from plbook.run import RunOptions, run_procedure
from plbook.run.terminal import Terminal


def test_substituted_value_is_not_executed_by_the_shell(runbook: Runbook, tmp_path: Path) -> None:
    runbook.add(
        "echo-input",
        """
title: Echo an input
summary: A value given on the command line reaches a shell step.
category: troubleshooting
inputs:
  value: {description: Anything, required: true}
steps:
  - id: echo
    title: Echo it
    shell: "echo {{ inputs.value }}"
""",
    )
    mark = tmp_path / "pwned"
    finished = runbook.run("echo-input", "--input", f"value=$(touch {mark}); `touch {mark}`")
    assert finished.code == 0, finished.stdout
    assert not mark.exists()
    assert finished.step("echo")["result"]["stdout"] == f"$(touch {mark}); `touch {mark}`\n"


def test_expression_reaching_for_dunders_fails_cleanly(runbook: Runbook) -> None:
    runbook.add(
        "sneaky",
        """
title: Sneaky
summary: Expressions that reach for Python internals.
category: smoke-test
steps:
  - id: attr
    title: Through the attr filter, which the linter cannot see
    shell: "true"
    expect: ["result | attr('__class__') != none"]
""",
    )
    finished = runbook.run("sneaky")
    assert finished.code == 1
    assert "Traceback" not in finished.stderr
    assert finished.step("attr")["failures"][0]["expression"].startswith("result | attr(")
    runbook.add(
        "sneakier",
        """
title: Sneakier
summary: A dunder written out.
category: smoke-test
steps:
  - id: dunder
    title: Straight to the class
    shell: "true"
    expect: ["result.__class__.__mro__ | length > 1"]
""",
    )
    rejected = runbook.run("sneakier")
    assert rejected.code == 2
    assert rejected.stderr.startswith("procedures/sneakier.yaml:")
    assert "Traceback" not in rejected.stderr


def test_canary_secret_appears_in_no_output_report_or_evidence(runbook: Runbook) -> None:
    runbook.add(
        "leaky",
        """
title: Leaky
summary: A secret that comes back in a response body and in command output.
category: smoke-test
steps:
  - id: echo
    title: The API echoes the token back
    http:
      url: "{{ env.api_url }}/api/echo"
      headers: {Authorization: "Bearer {{ secrets.API_TOKEN }}"}
    expect: ["'Bearer ' ~ secrets.API_TOKEN == result.json.headers.Authorization"]
    save: {token: result.json.headers.Authorization}
  - id: print
    title: A command prints it and fails
    shell: "echo token={{ secrets.API_TOKEN }}; echo {{ vars.token }} >&2; exit 3"
    on_failure: continue
  - id: compare
    title: A failed comparison explains with the secret in it
    shell: "true"
    expect: ["vars.token == 'something else'"]
""",
    )
    finished = runbook.run("leaky")
    assert finished.code == 1
    assert finished.step("echo")["status"] == "passed"  # the real value was used and compared
    assert finished.step("print")["result"]["stdout"] == "token=*****\n"
    written = finished.stdout + finished.stderr + finished.every_record()
    assert "*****" in written
    assert CANARY not in written


def test_sigint_mid_step_stops_the_command_and_leaves_an_interrupted_report(
    runbook: Runbook, tmp_path: Path
) -> None:
    pid_file = tmp_path / "sleep.pid"
    runbook.add(
        "long",
        f"""
title: Long
summary: A step that takes a while.
category: smoke-test
steps:
  - id: first
    title: Quick
    shell: "true"
  - id: wait
    title: Waits half a minute
    shell: "echo $$ > {pid_file}; exec sleep 30"
  - id: never
    title: Not reached
    shell: "true"
""",
    )
    process = runbook.start("long")
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text().strip()):
        assert time.monotonic() < deadline, "the step never started"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=20)
    assert process.returncode == 130
    report = json.loads((runbook.directory / "report.json").read_text())
    assert report["status"] == "interrupted"
    assert [s["status"] for s in report["steps"]] == ["passed", "interrupted", "not_run"]
    assert f"--resume {report['run_id']}" in stdout
    sleeper = int(pid_file.read_text())
    try:
        os.kill(sleeper, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive, "the step's command outlived the run"


def test_resume_continues_at_the_first_unfinished_step_with_vars_restored(
    runbook: Runbook, tmp_path: Path
) -> None:
    flag = tmp_path / "ready"
    runbook.add(
        "two-phase",
        f"""
title: Two phases
summary: Saves a value, then waits for a flag file.
category: rollback
steps:
  - id: save
    title: Remember a deployment id
    shell: "echo dep-42; echo once >> {tmp_path}/save-ran"
    save: {{deployment: result.stdout | trim}}
  - id: wait
    title: The flag is there
    shell: "test -f {flag} && echo {{{{ vars.deployment }}}}"
  - id: done
    title: Finish
    shell: "true"
""",
    )
    failed = runbook.run("two-phase")
    assert failed.code == 1
    run_id = failed.report["run_id"]
    flag.write_text("")
    resumed = runbook.run("two-phase", "--resume", run_id)
    assert resumed.code == 0, resumed.stdout + resumed.stderr
    assert resumed.report["run_id"] == run_id
    assert [s["status"] for s in resumed.report["steps"]] == ["passed"] * 3
    assert resumed.step("wait")["result"]["stdout"] == "dep-42\n"
    assert (tmp_path / "save-ran").read_text() == "once\n"


def _run_interactively(
    runbook: Runbook, procedure_id: str, answers: str, environment: str = "test"
) -> tuple[int, str]:
    output = StringIO()
    outcome = run_procedure(
        load_catalog([runbook.procedures]),
        procedure_id,
        RunOptions(
            environment=environment,
            interactive=True,
            runs_dir=runbook.directory / ".plbook" / "runs",
        ),
        Terminal(output, StringIO(answers)),
    )
    return outcome.exit_code, output.getvalue()


def test_interactive_manual_answer_and_destructive_confirmation(runbook: Runbook) -> None:
    mark = runbook.directory / "changed"
    runbook.add(
        "change",
        f"""
title: Change
summary: A manual check, then a change that needs a yes.
category: rollback
steps:
  - id: look
    title: Look first
    manual: Check the logs.
  - id: change
    title: Make the change
    shell: "touch {mark}"
    destructive: true
""",
    )
    code, output = _run_interactively(runbook, "change", "x\np\nn\n")
    assert code == 0
    assert "Result? [p]ass / [f]ail / [s]kip: " * 2 in output  # asked again after "x"
    assert f"touch {mark}" in output and "Run it? [y/N]" in output
    assert not mark.exists()
    code, _ = _run_interactively(runbook, "change", "p\ny\n")
    assert code == 0
    assert mark.exists()


def test_production_asks_once_before_anything_runs(runbook: Runbook) -> None:
    # In a real terminal, as on call: the question comes before any step, and only once.
    runbook.add_fixture("health-check")
    command = ["run", "health-check", "--env", "production", "--path", "procedures"]
    declined = TerminalSession(command, runbook.directory)
    declined.expect(r"Run 'health-check' against production\? \[y/N\]")
    declined.answer("n")
    assert declined.finish() == 130
    assert declined.output.count("against production?") == 1
    assert "[1/2]" not in declined.output
    assert not (runbook.directory / ".plbook").exists()
    confirmed = TerminalSession(command, runbook.directory)
    confirmed.expect(r"Run 'health-check' against production\? \[y/N\]")
    confirmed.answer("y")
    assert confirmed.finish() == 0, confirmed.output
    assert confirmed.output.count("against production?") == 1
    assert "PASSED: 2 passed" in confirmed.output


def test_input_pattern_must_match_the_whole_value(runbook: Runbook) -> None:
    runbook.add(
        "tag-release",
        """\
title: Tag a release
summary: The tag reaches a command line.
category: checklist
inputs:
  tag: {required: true, pattern: '^[A-Za-z0-9-]+$'}
steps:
  - id: tag
    title: Tag
    shell: echo tagged {{ inputs.tag }}
""",
    )
    for value in ("v1\n", "v1\n--force", "v1;"):
        refused = runbook.run("tag-release", "--input", f"tag={value}")
        assert refused.code == 2, (value, refused.stderr)
        assert "does not match ^[A-Za-z0-9-]+$" in refused.stderr
        assert "tagged" not in refused.stdout
    assert runbook.run("tag-release", "--input", "tag=v1-2").code == 0
