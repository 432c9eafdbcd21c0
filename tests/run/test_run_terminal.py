"""The on-call run in a real pseudo-terminal: what it shows, what it asks, what it records."""

from __future__ import annotations

import json
from pathlib import Path

from run_support import Runbook
from terminal_session import TerminalSession, plain

CALLS_A_FAILING_CHECK = """
title: Outer
summary: Calls a check that fails with a 503 and a disconnected database.
category: smoke-test
steps:
  - id: inner
    title: The inner smoke test
    procedure: inner-check
    on_failure:
      hint: The outer step's own guidance.
      run: outer-fix
"""

FAILING_CHECK = """
title: Inner check
summary: Fails with a 503 and a disconnected database.
category: smoke-test
steps:
  - id: down
    title: The API is down
    http: {url: "{{ env.api_url }}/api/down", timeout: 5s}
    expect: [result.status == 200]
    on_failure:
      hint: Look at the database first.
      run:
        - when: result.status == 500
          run: roll-back
        - when: result.json.data.database == "disconnected"
          run: db-fix
"""

FIX = """
title: {title}
summary: A fix.
category: troubleshooting
steps:
  - id: fix
    title: Fix it
    shell: "true"
"""


def _session(runbook: Runbook, *arguments: str, **options: object) -> TerminalSession:
    command = ["run", *arguments, "--path", "procedures"]
    return TerminalSession(command, runbook.directory, **options)  # type: ignore[arg-type]


def _journal(runbook: Runbook) -> list[dict[str, object]]:
    journals = sorted((runbook.directory / ".plbook" / "runs").glob("*.jsonl"))
    return [json.loads(line) for line in journals[-1].read_text().splitlines()]


def _add_fixes(runbook: Runbook) -> None:
    for name in ("outer-fix", "roll-back", "db-fix"):
        runbook.add(name, FIX.format(title=name))


def test_next_is_the_outermost_failed_steps_procedure_and_inner_ones_follow_as_also(
    runbook: Runbook,
) -> None:
    _add_fixes(runbook)
    runbook.add("inner-check", FAILING_CHECK)
    runbook.add("outer", CALLS_A_FAILING_CHECK)
    session = _session(runbook, "outer")
    session.expect(r"Run 'outer-fix' now\? \[y/N\]")
    session.answer("n")
    assert session.finish() == 1
    shown = session.output
    assert "next: plbook run outer-fix --env test" in shown
    # The inner step chose by its result: a 503 with the database disconnected, not a 500.
    assert "also: plbook run db-fix --env test" in shown
    assert "roll-back" not in shown


def test_a_conditional_run_list_picks_by_the_failed_steps_result(runbook: Runbook) -> None:
    _add_fixes(runbook)
    runbook.add("inner-check", FAILING_CHECK)
    finished = runbook.run("inner-check")
    assert finished.code == 1
    assert "next: plbook run db-fix --env test" in finished.stdout
    assert finished.report["next_procedure"] == "db-fix"
    assert finished.step("down")["on_failure_run"] == "db-fix"


def _printing(lines: int) -> str:
    return f"""
title: Prints
summary: A command that prints numbered lines.
category: checklist
steps:
  - id: print
    title: Print lines
    shell: "seq 1 {lines}"
"""


def test_shell_output_shows_its_last_20_lines_all_with_v_none_with_q(runbook: Runbook) -> None:
    runbook.add("prints", _printing(30))
    session = _session(runbook, "prints")
    assert session.finish() == 0
    assert _printed(session.output) == [str(n) for n in range(11, 31)]
    assert "    │ ... 10 earlier lines" in session.output
    verbose = _session(runbook, "prints", "-v")
    assert verbose.finish() == 0
    assert _printed(verbose.output) == [str(n) for n in range(1, 31)]
    quiet = _session(runbook, "prints", "-q")
    assert quiet.finish() == 0
    assert _printed(quiet.output) == []


def _printed(shown: str) -> list[str]:
    """Give the command output lines shown under a step (the `│` column below its verdict)."""
    return [
        line.removeprefix("    │ ")
        for line in shown.splitlines()
        if line.startswith("    │ ") and "earlier lines" not in line
    ]


CHANGE = """
title: Change
summary: A change that needs a yes, then a check.
category: rollback
steps:
  - id: change
    title: Make the change
    description: Skip this step if you roll back with the CLI.
    shell: "touch {mark}"
    destructive: true
  - id: after
    title: After the change
    shell: "true"
"""


def test_a_destructive_prompt_shows_title_description_and_the_exact_command(
    runbook: Runbook, tmp_path: Path
) -> None:
    mark = tmp_path / "changed"
    runbook.add("change", CHANGE.format(mark=mark))
    session = _session(runbook, "change")
    session.expect(r"Run it\? \[y/N\]")
    asked = session.output
    assert "[1/2] change: Make the change" in asked
    assert "Skip this step if you roll back with the CLI." in asked
    assert f"touch {mark}" in asked
    session.answer("y")
    assert session.finish() == 0
    assert mark.exists()


def test_declining_stops_the_run_and_resume_asks_again(runbook: Runbook, tmp_path: Path) -> None:
    mark = tmp_path / "changed"
    runbook.add("change", CHANGE.format(mark=mark))
    session = _session(runbook, "change")
    session.expect(r"Run it\? \[y/N\]")
    session.answer("n")
    session.expect(r"\[s\]kip / \[S\]top")
    session.answer("")
    assert session.finish() == 130
    assert not mark.exists()
    assert "resume with: plbook run change --resume" in session.output
    events = _journal(runbook)
    run_id = str(events[0]["run_id"])
    answers = [e for e in events if e["event"] == "answer"]
    assert answers[0]["answer"] == "no (stop)" and answers[0]["given_by"] == "person"
    assert [e["status"] for e in events if e["event"] == "step-finished"] == ["interrupted"]
    resumed = _session(runbook, "change", "--resume", run_id)
    resumed.expect(r"Run it\? \[y/N\]")
    resumed.answer("y")
    assert resumed.finish() == 0
    assert mark.exists()


def test_declining_with_skip_goes_on_without_the_change(runbook: Runbook, tmp_path: Path) -> None:
    mark = tmp_path / "changed"
    runbook.add("change", CHANGE.format(mark=mark))
    session = _session(runbook, "change")
    session.expect(r"Run it\? \[y/N\]")
    session.answer("n")
    session.expect(r"\[S\]top")
    session.answer("s")
    assert session.finish() == 0
    assert not mark.exists()
    statuses = [e["status"] for e in _journal(runbook) if e["event"] == "step-finished"]
    assert statuses == ["skipped", "passed"]


NEEDS_AN_ID = """
title: Needs an id
summary: Lists, then uses an id typed by the person.
category: rollback
inputs:
  deployment_id:
    description: The deployment to restore
    required: true
    pattern: '^dep-[0-9]+$'
    example: dep-1
steps:
  - id: list
    title: List deployments
    shell: "echo 'ID     STATUS'; echo 'dep-41 SUCCESS'; echo 'dep-42 FAILED'"
  - id: use
    title: Use the id
    shell: "echo restoring {{ inputs.deployment_id }}"
"""


def test_piped_stdout_still_asks_and_prints_plain_text(runbook: Runbook) -> None:
    runbook.add("needs-id", NEEDS_AN_ID)
    session = _session(runbook, "needs-id", piped_stdout=True)
    # The input is asked when the step that reads it comes: after the list was shown.
    session.expect(r"dep-41 SUCCESS")
    session.expect(r"Input deployment_id \(The deployment to restore\): ")
    session.answer("nope")
    session.expect(r"must match")
    session.answer("dep-41")
    assert session.finish() == 0
    assert "restoring dep-41" in session.output
    assert "\x1b[" not in session.raw.split("Input deployment_id")[0]
    inputs = [e for e in _journal(runbook) if e["event"] == "answer"]
    assert inputs[-1]["input"] == "deployment_id" and inputs[-1]["answer"] == "dep-41"


def test_missing_input_without_a_terminal_is_a_one_line_error(runbook: Runbook) -> None:
    runbook.add("needs-id", NEEDS_AN_ID)
    finished = runbook.run("needs-id")
    assert finished.code == 2
    assert "missing input 'deployment_id'" in finished.stderr
    assert not (runbook.directory / ".plbook").exists()


def test_step_mode_asks_before_each_step_and_continue_stops_asking(runbook: Runbook) -> None:
    runbook.add(
        "three",
        _printing(1)
        + '  - id: two\n    title: Two\n    shell: "true"\n'
        + '  - id: three\n    title: Three\n    shell: "true"\n',
    )
    session = _session(runbook, "three", "--step")
    session.expect(r"\[1/3\] print: Print lines")
    session.expect(r"\[c\]ontinue without asking: ")
    session.answer("n")
    session.expect(r"\[2/3\] two: Two")
    session.expect(r"\[c\]ontinue without asking: ")
    session.answer("c")
    assert session.finish() == 0
    assert session.output.count("[c]ontinue without asking") == 2
    statuses = [e["status"] for e in _journal(runbook) if e["event"] == "step-finished"]
    assert statuses == ["skipped", "passed", "passed"]


def test_production_without_a_terminal_needs_confirm_env_and_an_explicit_manual_policy(
    runbook: Runbook,
) -> None:
    runbook.add(
        "look",
        """
title: Look
summary: A manual check.
category: checklist
steps:
  - id: look
    title: Look at the logs
    manual: Read them.
""",
    )
    only_yes = runbook.run("look", "--env", "production", "--yes")
    assert only_yes.code == 2
    assert "--confirm-env production" in only_yes.stderr
    assert "--yes does not answer manual steps" in only_yes.stderr
    confirmed = runbook.run(
        "look", "--env", "production", "--yes", "--confirm-env", "production", "--manual", "skip"
    )
    assert confirmed.code == 0, confirmed.stderr
    answer = next(e for e in _journal(runbook) if e["event"] == "answer")
    assert answer["given_by"] == "flag --manual skip"


def test_the_production_question_comes_after_the_preflight(runbook: Runbook) -> None:
    runbook.add(
        "needs-tool",
        """
title: Needs a tool
summary: A tool that is not there.
category: rollback
requires: {tools: [no-such-tool-plbook]}
steps:
  - id: go
    title: Go
    shell: "true"
""",
    )
    session = _session(runbook, "needs-tool", "--env", "production")
    assert session.finish() == 2
    assert "tool 'no-such-tool-plbook' is not on PATH" in session.output
    assert "against production?" not in session.output


def test_dry_run_needs_no_terminal_nor_confirmation_and_says_so_first(runbook: Runbook) -> None:
    runbook.add("prints", _printing(1))
    finished = runbook.run("prints", "--env", "production", "--dry-run")
    assert finished.code == 0, finished.stderr
    assert finished.stdout.splitlines()[0].startswith("DRY RUN: plbook run prints --env production")


POLLS = """
title: Polls
summary: Polls a service that comes back on the third request.
category: smoke-test
steps:
  - id: flaky
    title: The flaky service comes back
    http: {{url: "{{{{ env.api_url }}}}/api/{path}", timeout: 5s}}
    expect: [result.status == 200]
    retry: {{attempts: {attempts}, interval: 0.2s}}
"""


def test_a_poll_shows_the_attempt_what_it_saw_and_what_is_left(runbook: Runbook) -> None:
    runbook.add("polls", POLLS.format(path="down", attempts=3))
    session = _session(runbook, "polls", env={"NO_COLOR": "1"})
    assert session.finish() == 1
    assert "attempt 1 of 3: result.status was 503" in session.output
    # Plain output shows at most one line per 5 seconds.
    assert "attempt 2 of 3" not in session.output


def test_when_false_skips_the_step_in_the_terminal_and_the_report(runbook: Runbook) -> None:
    runbook.add(
        "conditional",
        """
title: Conditional
summary: A step that runs only for one input.
category: troubleshooting
inputs:
  cause: {description: What triage found, default: network}
steps:
  - id: fix-secret
    title: Set the webhook secret again
    when: inputs.cause == "signature"
    shell: "touch fixed"
  - id: done
    title: Done
    shell: "true"
""",
    )
    finished = runbook.run("conditional")
    assert finished.code == 0, finished.stdout
    assert finished.step("fix-secret")["status"] == "skipped"
    assert finished.step("fix-secret")["error"].startswith("skipped: condition false")
    assert not (runbook.directory / "fixed").exists()
    chosen = runbook.run("conditional", "--input", "cause=signature")
    assert chosen.step("fix-secret")["status"] == "passed"


def test_only_checks_just_the_selected_steps_and_var_gives_a_saved_value(
    runbook: Runbook,
) -> None:
    runbook.add(
        "partial",
        """
title: Partial
summary: A step needing a tool, then a step needing a saved value.
category: rollback
requires: {tools: [no-such-tool-plbook]}
inputs:
  deployment_id: {description: Unused by the echo step, required: true}
steps:
  - id: tool
    title: Uses the tool
    shell: no-such-tool-plbook --version
    save: {build: result.stdout}
  - id: echo
    title: Reads the saved value
    shell: "echo build={{ vars.build }}"
""",
    )
    finished = runbook.run("partial", "--only", "echo", "--var", "build=b-7")
    assert finished.code == 0, finished.stdout + finished.stderr
    assert finished.step("echo")["result"]["stdout"] == "build=b-7\n"


def test_unknown_command_naming_a_procedure_says_how_to_run_it(runbook: Runbook) -> None:
    runbook.add("prints", _printing(1))
    session = TerminalSession(["prints"], runbook.directory)
    assert session.finish() == 2
    assert "did you mean: plbook run prints" in session.output


def test_a_long_run_summary_shows_failures_and_counts_and_ids_fit_80_columns(
    runbook: Runbook,
) -> None:
    steps = "".join(
        f"  - id: check-number-{n}\n    title: A rather long title for check {n} that wraps\n"
        f'    shell: "{"false" if n == 7 else "true"}"\n    on_failure: continue\n'
        for n in range(1, 25)
    )
    runbook.add("many", "title: Many\nsummary: Many checks.\ncategory: checklist\nsteps:\n" + steps)
    session = _session(runbook, "many", columns=80)
    assert session.finish() == 1
    summary = session.output.split("many on test")[-1]
    assert "check-number-7" in summary
    assert "check-number-8" not in summary
    assert "FAILED: 23 passed, 1 failed" in plain(summary).replace("\n", " ")


SLOW = """
title: Slow
summary: A long command that reports progress.
category: checklist
steps:
  - id: slow
    title: A long command
    shell: "for n in 1 2 3 4; do echo progress $n; sleep 1; done; touch {done}"
"""


def test_a_long_commands_output_is_shown_while_it_runs(runbook: Runbook, tmp_path: Path) -> None:
    done = tmp_path / "done"
    runbook.add("slow", SLOW.format(done=done))
    for env in ({"NO_COLOR": "1"}, {}):
        done.unlink(missing_ok=True)
        session = _session(runbook, "slow", env=env)
        session.expect(r"progress 3", timeout=20)
        # Seen while the command still runs: it has not finished its last second yet.
        assert not done.exists()
        assert session.finish() == 0
        shown = session.output.count("| progress 4") + session.output.count("│ progress 4")
        # Plain output shows each line once; the live display redraws, then the verdict shows it.
        assert shown == 1 if env else shown >= 1
