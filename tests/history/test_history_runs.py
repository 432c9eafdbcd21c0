"""Runs recorded in a real MongoDB history (nx-27017) as they happen, and pushed later, once."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest
from history_support import CANARY, NO_HISTORY, HistoryRunbook, stored_events

from plbook.sandbox.addresses import free_ports
from plbook.sandbox.mongo_server import MongoServer

STEPS: list[dict[str, Any]] = [
    {"id": "greet", "title": "Say hello", "shell": "echo {{ env.greeting }}"},
    {"id": "pause", "title": "Take a moment", "shell": "sleep 0.2"},
    {"id": "count", "title": "Count to three", "shell": "seq 3"},
]

WAIT_FOR_GO = {
    "id": "wait",
    "title": "Wait for the go",
    "shell": "until [ -f go ]; do sleep 0.05; done",
    "timeout": "60s",
}


def _assert_stored_exactly(database: Any, run_id: str, journal: list[dict[str, Any]]) -> None:
    """Assert the history holds each journal event once, numbered as its line, as written."""
    stored = stored_events(database, run_id)
    assert [e["seq"] for e in stored] == list(range(1, len(journal) + 1))
    assert [e["data"] for e in stored] == journal
    run = database.runs.find_one({"_id": run_id})
    assert run["events"] == len(journal)
    assert run["status"] == journal[-1]["status"]


def test_eight_concurrent_runs_land_in_the_history_with_no_event_lost_or_repeated(
    runbook: HistoryRunbook, history_uri: str, history_db: Any
) -> None:
    runbook.add("steady", STEPS)
    processes = [
        runbook.start("run", "steady", env={"PLBOOK_HISTORY": history_uri}) for _ in range(8)
    ]
    for process in processes:
        process.communicate(timeout=120)
        assert process.returncode == 0
    journals = runbook.journals()
    assert len(journals) == 8
    for run_id, journal in journals.items():
        assert journal[-1]["event"] == "run-finished"
        _assert_stored_exactly(history_db, run_id, journal)
    assert history_db.events.count_documents({}) == sum(len(j) for j in journals.values())
    assert history_db.runs.count_documents({"status": "passed"}) == 8


def test_a_run_goes_on_when_the_history_stops_and_push_stores_it_once(
    runbook: HistoryRunbook, tmp_path: Path
) -> None:
    server = MongoServer(free_ports(1)[0], tmp_path / "own-history")
    server.start()
    uri = f"mongodb://127.0.0.1:{server.port}/plbook"
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        uri, serverSelectionTimeoutMS=5000
    )
    try:
        runbook.add(
            "outage",
            [
                STEPS[0],
                WAIT_FOR_GO,
                STEPS[2],
            ],
        )
        process = runbook.start("run", "outage", env={"PLBOOK_HISTORY": uri})
        deadline = time.monotonic() + 60
        while not client.plbook.events.find_one({"event": "step-started", "data.id": "wait"}):
            assert time.monotonic() < deadline, "the run's events never reached the history"
            time.sleep(0.1)
        server.stop()
        (runbook.directory / "go").touch()
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stdout + stderr
        assert (stdout + stderr).count("warning: history: not recorded in MongoDB") == 1
        assert "plbook history push" in stdout + stderr
        ((run_id, journal),) = runbook.journals().items()
        assert [e["event"] for e in journal][-2:] == ["step-finished", "run-finished"]
        assert len([e for e in journal if e["event"] == "step-finished"]) == 3

        server.start()
        assert len(stored_events(client.plbook, run_id)) < len(journal)
        first = runbook.plbook("history", "push", env={"PLBOOK_HISTORY": uri})
        assert first.code == 0, first.output
        again = runbook.plbook("history", "push", env={"PLBOOK_HISTORY": uri})
        assert "pushed 0 events of 0 runs" in again.stderr
        _assert_stored_exactly(client.plbook, run_id, journal)
    finally:
        client.close()
        server.stop()


def test_an_absent_history_costs_one_warning_and_the_run_passes(runbook: HistoryRunbook) -> None:
    runbook.add("steady", STEPS)
    closed = f"mongodb://127.0.0.1:{free_ports(1)[0]}/plbook"
    done = runbook.plbook("run", "steady", env={"PLBOOK_HISTORY": closed})
    assert done.code == 0, done.output
    assert done.output.count("warning: history:") == 1
    (journal,) = runbook.journals().values()
    assert journal[-1]["status"] == "passed"


def test_a_killed_run_shows_as_interrupted_after_push(
    runbook: HistoryRunbook, history_uri: str, history_db: Any
) -> None:
    runbook.add("stuck", [STEPS[0], WAIT_FOR_GO])
    process = runbook.start("run", "stuck", env={"PLBOOK_HISTORY": history_uri})
    deadline = time.monotonic() + 60
    while not history_db.runs.find_one({"status": "running", "counts.passed": 1}):
        assert time.monotonic() < deadline, "the running run never reached the history"
        time.sleep(0.1)
    process.kill()
    process.communicate(timeout=30)
    (runbook.directory / "go").touch()  # lets the orphaned shell step end
    assert history_db.runs.find_one({})["status"] == "running"
    assert runbook.plbook("history", "push", env={"PLBOOK_HISTORY": history_uri}).code == 0
    assert history_db.runs.find_one({})["status"] == "interrupted"


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Give the port of a server that accepts connections and never answers: a hung history."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for connection in held:
        connection.close()


def test_a_history_that_never_answers_costs_one_warning_and_the_run_passes(
    runbook: HistoryRunbook, silent_server: int
) -> None:
    runbook.add("steady", STEPS)
    hung = f"mongodb://127.0.0.1:{silent_server}/plbook"
    done = runbook.plbook("run", "steady", env={"PLBOOK_HISTORY": hung})
    assert done.code == 0, done.output
    assert done.output.count("warning: history:") == 1
    (journal,) = runbook.journals().values()
    assert [e["event"] for e in journal].count("step-finished") == 3
    assert journal[-1]["status"] == "passed"


def test_a_history_variable_that_is_not_mongodb_warns_and_the_run_goes_on(
    runbook: HistoryRunbook,
) -> None:
    runbook.add("steady", STEPS)
    done = runbook.plbook("run", "steady", env={"PLBOOK_HISTORY": "postgres://db/plbook"})
    assert done.code == 0, done.output
    assert "PLBOOK_HISTORY (postgres): write mongodb://HOST/DATABASE" in done.output
    listed = runbook.plbook("history", env={"PLBOOK_HISTORY": "postgres://db/plbook"})
    assert listed.code == 2
    assert listed.stderr.count("\n") == 1 and "Traceback" not in listed.stderr


def test_the_canary_secret_never_reaches_mongodb(
    runbook: HistoryRunbook, history_uri: str, history_db: Any
) -> None:
    runbook.add(
        "leaky",
        [
            {
                "id": "echo",
                "title": "Print the token",
                "shell": "echo token={{ secrets.API_TOKEN }}",
            },
            {
                "id": "compare",
                "title": "Compare the token",
                "shell": "echo {{ secrets.API_TOKEN }}",
                "expect": ["result.stdout == 'something else'"],
            },
        ],
    )
    done = runbook.plbook("run", "leaky", env={"PLBOOK_HISTORY": history_uri})
    assert done.code == 1, done.output
    stored = [*history_db.runs.find({}), *history_db.events.find({})]
    assert len(stored) > 4
    text = json.dumps(stored, default=str)
    assert "*****" in text
    assert CANARY not in text


def test_history_lists_and_shows_runs_from_either_store(
    runbook: HistoryRunbook, history_uri: str
) -> None:
    runbook.add("steady", STEPS)
    runbook.add("broken", [STEPS[0], {"id": "fail", "title": "Fails", "shell": "exit 3"}])
    assert runbook.plbook("run", "steady", env=NO_HISTORY).code == 0
    assert runbook.plbook("run", "broken", "--env", "staging", env=NO_HISTORY).code == 1
    pushed = runbook.plbook("history", "push", env={"PLBOOK_HISTORY": history_uri})
    assert "of 2 runs" in pushed.stderr
    for env in (NO_HISTORY, {"PLBOOK_HISTORY": history_uri}):
        table = runbook.plbook("history", env=env).stdout.splitlines()
        assert table[0].split()[:4] == ["WHEN", "(UTC)", "PROCEDURE", "ENV"]
        assert [line.split()[2:5] for line in table[1:]] == [
            ["broken", "staging", "failed"],
            ["steady", "test", "passed"],
        ]
        listed = json.loads(runbook.plbook("history", "--env", "staging", "--json", env=env).stdout)
        assert [(r["procedure"], r["counts"]["failed"]) for r in listed] == [("broken", 1)]
        recent = runbook.plbook("history", "steady", "--since", "1h", env=env).stdout
        assert [line.split()[2] for line in recent.splitlines()[1:]] == ["steady"]
        shown = runbook.plbook("history", "show", listed[0]["run_id"], env=env)
        assert "FAIL fail" in shown.stdout and "finished: failed (exit 1)" in shown.stdout
        assert "command: plbook run broken --env staging --path procedures" in shown.stdout
        missing = runbook.plbook("history", "show", "no-such-run", env=env)
        assert missing.code == 2 and "no run 'no-such-run'" in missing.stderr


def test_a_ci_run_says_which_job_and_commit_ran_it(
    runbook: HistoryRunbook, history_uri: str, history_db: Any
) -> None:
    git = ["git", "-C", str(runbook.directory), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "procedures"], check=True)
    subprocess.run([*git, "commit", "-qm", "runbook"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    runbook.add("steady", STEPS)
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_JOB": "verify",
        "GITHUB_REPOSITORY": "acme/runbook",
        "GITHUB_RUN_ID": "42",
        "GITHUB_SERVER_URL": "https://github.com",
    }
    assert runbook.plbook("run", "steady", env={"PLBOOK_HISTORY": history_uri, **github}).code == 0
    run = history_db.runs.find_one({})
    assert run["ci"] == {
        "name": "GitHub Actions",
        "job": "verify",
        "url": "https://github.com/acme/runbook/actions/runs/42",
    }
    assert run["git_commit"] == head.strip()
    listed = runbook.plbook("history", env={"PLBOOK_HISTORY": history_uri}).stdout
    assert "GitHub Actions verify" in listed.splitlines()[1]
    shown = runbook.plbook("history", "show", run["run_id"], env={"PLBOOK_HISTORY": history_uri})
    assert "(https://github.com/acme/runbook/actions/runs/42)" in shown.stdout
    assert f"commit: {head.strip()}" in shown.stdout
