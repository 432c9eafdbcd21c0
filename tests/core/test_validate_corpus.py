"""`plbook validate` on a corpus of broken files: each problem is one line naming its file and line.

Every file under `bad/` (procedures) and `bad-environments/` (used as environments.yaml) starts with
one or more comment lines

    # expect: LINE: substring of the message

and is validated by the installed `plbook` command inside a copy of the small, valid runbook in
`good/`. Each expectation must be reported at that line, and nothing else may be reported.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent
GOOD = HERE / "good"
BAD_PROCEDURES = sorted((HERE / "bad").glob("*.yaml"))
BAD_ENVIRONMENTS = sorted((HERE / "bad-environments").glob("*.yaml"))
_SCRIPT = Path(sys.executable).with_name("plbook")
PLBOOK = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "plbook"]
EXPECT = re.compile(rb"^# expect: (\d+): (.+)$", re.MULTILINE)
PROBLEM = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<message>\S.*)$")


@dataclass(frozen=True)
class Expected:
    line: int
    text: str


def expectations(path: Path) -> list[Expected]:
    """Give the `# expect:` lines of a corpus file (read as bytes: some files are binary)."""
    found = [Expected(int(m[1]), m[2].decode()) for m in EXPECT.finditer(path.read_bytes())]
    assert found, f"{path.name} has no `# expect: LINE: text` line"
    return found


def runbook(tmp_path: Path) -> Path:
    """Give a fresh copy of the valid runbook, as `procedures/` under `tmp_path`."""
    folder = tmp_path / "procedures"
    shutil.copytree(GOOD, folder)
    return folder


def validate(cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run the installed `plbook validate` as a user would."""
    return subprocess.run(
        PLBOOK + ["validate", *arguments], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def assert_reported(
    done: subprocess.CompletedProcess[str],
    file: str,
    expected: list[Expected],
    *,
    only_this_file: bool = True,
) -> None:
    """Check exit 2, no traceback, and every expectation reported as `file:LINE:COL: message`."""
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    problems = [PROBLEM.match(line) for line in done.stderr.splitlines()]
    assert all(problems), f"not `file:line:col: message`:\n{done.stderr}"
    ours = [p for p in problems if p and p["file"] == file]
    for want in expected:
        assert any(int(p["line"]) == want.line and want.text in p["message"] for p in ours), (
            f"expected {file}:{want.line}: ...{want.text}...; got:\n{done.stderr}"
        )
    if only_this_file:
        unexpected = [
            p[0]
            for p in problems
            if p
            and (
                p["file"] != file
                or not any(int(p["line"]) == w.line and w.text in p["message"] for w in expected)
            )
        ]
        assert not unexpected, "reported more than expected:\n" + "\n".join(unexpected)


def test_corpus_is_large_enough() -> None:
    assert len(BAD_PROCEDURES) >= 30
    assert len(BAD_ENVIRONMENTS) >= 5


def test_good_runbook_is_valid(tmp_path: Path) -> None:
    runbook(tmp_path)
    done = validate(tmp_path)  # no argument: procedures/ of the working directory
    assert done.returncode == 0, done.stderr
    assert "3 procedures valid" in done.stderr


@pytest.mark.parametrize("bad", BAD_PROCEDURES, ids=lambda path: path.stem)
def test_bad_procedure_is_reported_at_its_line(tmp_path: Path, bad: Path) -> None:
    shutil.copy(bad, runbook(tmp_path) / bad.name)
    done = validate(tmp_path, "procedures")
    assert_reported(done, f"procedures/{bad.name}", expectations(bad))


@pytest.mark.parametrize("bad", BAD_ENVIRONMENTS, ids=lambda path: path.stem)
def test_bad_environments_file_is_reported_at_its_line(tmp_path: Path, bad: Path) -> None:
    shutil.copy(bad, runbook(tmp_path) / "environments.yaml")
    done = validate(tmp_path, "procedures")
    assert_reported(done, "procedures/environments.yaml", expectations(bad))


def test_every_problem_of_every_file_is_reported_in_one_run(tmp_path: Path) -> None:
    folder = runbook(tmp_path)
    for bad in BAD_PROCEDURES:
        shutil.copy(bad, folder / bad.name)
    done = validate(tmp_path, "procedures")
    for bad in BAD_PROCEDURES:
        assert_reported(done, f"procedures/{bad.name}", expectations(bad), only_this_file=False)


def test_alias_bomb_gets_a_short_message(tmp_path: Path) -> None:
    shutil.copy(HERE / "bad" / "alias-bomb.yaml", runbook(tmp_path) / "alias-bomb.yaml")
    done = validate(tmp_path, "procedures/alias-bomb.yaml")
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert len(done.stderr) < 200


def test_files_given_one_by_one_are_checked_against_their_folder(tmp_path: Path) -> None:
    folder = runbook(tmp_path)
    shutil.copy(HERE / "bad" / "missing-on-failure-run.yaml", folder)
    done = validate(tmp_path, "procedures/missing-on-failure-run.yaml")
    # The file is checked against its folder: rollback-apii is no procedure there either.
    assert done.returncode == 2
    assert "procedures/missing-on-failure-run.yaml:10:" in done.stderr


def test_missing_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = validate(tmp_path, "nowhere")
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == "nowhere: no such file or folder; give the procedures folder or a file"
    )


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda path: os.mkfifo(path), "a named pipe (FIFO)"),
        (lambda path: path.symlink_to("/dev/zero"), "a device"),
    ],
    ids=["fifo", "device"],
)
def test_fifo_or_device_in_procedures_is_refused_without_reading_it(
    tmp_path: Path, make: Callable[[Path], None], what: str
) -> None:
    # Reading either would never end: a FIFO waits for a writer, /dev/zero never runs dry.
    make(runbook(tmp_path) / "draft.yaml")
    done = subprocess.run(
        PLBOOK + ["validate", "procedures"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"procedures/draft.yaml:1:1: {what}, not a YAML file; "
        "plbook reads only regular files: remove it"
    ]
