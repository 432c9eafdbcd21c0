"""A run, show, list or dry run reads only what it needs: a broken unrelated file never blocks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLBOOK = [sys.executable, "-m", "plbook"]
ENVIRONMENTS = "default: local\nenvironments:\n  local:\n    values: {greeting: hello}\n"
CALLER = """\
title: Say hello twice
summary: Runs the greeting procedure, then says it again.
category: smoke-test
steps:
  - id: first
    title: Greet through the callee
    procedure: greet
  - id: again
    title: Greet again
    shell: "echo {{ env.greeting }}"
"""
CALLEE = """\
title: Greet
summary: Says the greeting.
category: smoke-test
steps:
  - id: say
    title: Say it
    shell: "echo {{ env.greeting }}"
"""
HALF_WRITTEN_DRAFT = "title: A draft\nsummary: [not closed\n"
MERGE_CONFLICT = textwrap.dedent(
    """\
    title: Check the API
    <<<<<<< HEAD
    summary: Ours.
    =======
    summary: Theirs.
    >>>>>>> feature
    category: smoke-test
    steps:
      - {id: a, title: A, shell: "true"}
    """
)


def plbook(cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        PLBOOK + list(arguments),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def runbook(tmp_path: Path) -> Path:
    """Give a folder with a runnable procedure, the one it calls, and two broken neighbours."""
    procedures = tmp_path / "procedures"
    procedures.mkdir()
    (procedures / "environments.yaml").write_text(ENVIRONMENTS)
    (procedures / "hello-twice.yaml").write_text(CALLER)
    (procedures / "greet.yaml").write_text(CALLEE)
    (procedures / "draft.yaml").write_text(HALF_WRITTEN_DRAFT)
    (procedures / "check-api.yaml").write_text(MERGE_CONFLICT)
    return tmp_path


WARNING = "warning: 2 other procedure files have problems; run plbook validate"


def test_a_run_is_not_blocked_by_broken_unrelated_files(runbook: Path) -> None:
    done = plbook(runbook, "run", "hello-twice")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [WARNING]
    assert "PASS first/say" in done.stdout
    assert "PASS again" in done.stdout


@pytest.mark.parametrize(
    "arguments",
    [("run", "hello-twice", "--dry-run"), ("show", "hello-twice"), ("list",)],
    ids=["dry-run", "show", "list"],
)
def test_show_list_and_dry_run_warn_in_one_line_and_go_on(
    runbook: Path, arguments: tuple[str, ...]
) -> None:
    done = plbook(runbook, *arguments)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines() == [WARNING]
    assert "hello" in done.stdout.lower()


def test_a_broken_procedure_the_run_calls_blocks_it_with_its_problem(runbook: Path) -> None:
    (runbook / "procedures" / "greet.yaml").write_text(CALLEE.replace("shell:", "shel:"))
    done = plbook(runbook, "run", "hello-twice")
    assert done.returncode == 2
    assert done.stderr.startswith("procedures/greet.yaml:7:")
    assert "unknown key 'shel'" in done.stderr
    assert "draft.yaml" not in done.stderr


def test_a_broken_environments_file_blocks_a_run(runbook: Path) -> None:
    (runbook / "procedures" / "environments.yaml").write_text("default: local\nenvironments: 3\n")
    done = plbook(runbook, "run", "hello-twice")
    assert done.returncode == 2
    assert done.stderr.startswith("procedures/environments.yaml:")


def test_validating_one_file_checks_it_against_its_siblings(runbook: Path) -> None:
    done = plbook(runbook, "validate", "procedures/hello-twice.yaml")
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines() == [WARNING, "1 procedure valid"]


def test_validating_the_folder_still_reports_every_problem(runbook: Path) -> None:
    done = plbook(runbook, "validate", "procedures")
    assert done.returncode == 2
    files = {line.split(":", 1)[0] for line in done.stderr.splitlines()}
    assert files == {"procedures/draft.yaml", "procedures/check-api.yaml"}
