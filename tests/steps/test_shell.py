"""The `shell` kind: its page view, quoting of filled-in values, and real subprocesses."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from plbook.steps.base import StepFailed
from plbook.steps.shell import KIND
from steps.kind_support import KindRuntime


def test_describe_shows_the_command_with_secrets_as_shell_variables() -> None:
    view = KIND.describe("railway redeploy --token {{ secrets.RAILWAY_TOKEN }}")
    assert view.action == "railway redeploy --token $RAILWAY_TOKEN"
    assert view.language == "bash"
    assert view.criteria == ["The command exits with code 0"]
    assert KIND.default_expect == ("result.exit_code == 0",)


def test_filled_in_values_are_quoted_as_one_word(runtime: KindRuntime) -> None:
    runtime.inputs["name"] = "two words; rm -rf /"
    command = KIND.resolve("printf '%s\\n' {{ inputs.name }}", runtime)
    assert command == "printf '%s\\n' 'two words; rm -rf /'"
    result = KIND.run(command, runtime)
    assert result == {"exit_code": 0, "stdout": "two words; rm -rf /\n", "stderr": ""}


def test_exit_code_and_error_output_are_the_result(runtime: KindRuntime) -> None:
    result = KIND.run("echo oops >&2; exit 3", runtime)
    assert (result["exit_code"], result["stderr"]) == (3, "oops\n")


def test_a_command_past_its_timeout_is_stopped_with_its_children() -> None:
    runtime = KindRuntime(timeout=0.5)
    started = time.monotonic()
    with pytest.raises(StepFailed, match=r"did not finish within 0.5s") as failed:
        KIND.run("echo started; sleep 30 & sleep 30", runtime)
    assert time.monotonic() - started < 10
    assert failed.value.result["stdout"] == "started\n"


def _still_running(mark: str) -> list[str]:
    found = subprocess.run(["pgrep", "-f", mark], capture_output=True, text=True)
    return found.stdout.split()


@pytest.mark.parametrize(
    ("command", "status"),
    [
        ("setsid sleep 40.{n} & echo started", "passed"),
        ("sleep 20.{n} & echo started", "passed"),
        ("echo started; setsid bash -c 'sleep 40.{n}' & sleep 30.{n}", "timed out"),
    ],
)
def test_every_process_a_step_started_is_stopped_and_none_keeps_it_waiting(
    command: str, status: str
) -> None:
    mark = str(os.getpid() % 1000 + 100)
    command = command.format(n=mark)
    runtime = KindRuntime(timeout=2)
    started = time.monotonic()
    if status == "passed":
        assert KIND.run(command, runtime)["stdout"] == "started\n"
    else:
        with pytest.raises(StepFailed, match="did not finish within 2s"):
            KIND.run(command, runtime)
    assert time.monotonic() - started < 3.5
    assert _still_running(f"sleep [0-9]+\\.{mark}") == []


def test_output_past_the_limit_is_cut_with_a_marker() -> None:
    runtime = KindRuntime(timeout=1)
    runtime.output_limit = 100_000
    with pytest.raises(StepFailed, match="did not finish") as failed:
        KIND.run("yes", runtime)
    stdout = failed.value.result["stdout"]
    assert stdout.startswith("y\ny\n")
    assert stdout.endswith(
        "[... output cut: more than 100000 bytes; raise the step's max_output to keep more]\n"
    )
    assert len(stdout) < 100_200


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("echo a\0b", "contains a NUL character"),
        ("echo " + "x" * 140_000, "too long for the operating system"),
    ],
)
def test_a_command_that_cannot_start_fails_the_step(
    runtime: KindRuntime, command: str, said: str
) -> None:
    with pytest.raises(StepFailed, match=said):
        KIND.run(command, runtime)


@pytest.mark.parametrize(
    "command",
    [
        'printf %s "id={{ inputs.id }}"',
        "printf %s 'id={{ inputs.id }}'",
        "printf %s id={{ inputs.id }}",
    ],
)
@pytest.mark.parametrize("value", ["abc def", 'it\'s "$HOME" `id` \\n'])
def test_a_value_inside_quotes_is_one_word_as_given(
    runtime: KindRuntime, command: str, value: str
) -> None:
    runtime.inputs["id"] = value
    result = KIND.run(KIND.resolve(command, runtime), runtime)
    assert result["stdout"] == f"id={value}"
