"""The `shell` kind: its page view, quoting of filled-in values, and real subprocesses."""

from __future__ import annotations

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
