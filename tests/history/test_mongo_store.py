"""The MongoDB store's indexes, slot claims and "latest" on a real nx-27017, and the local twin.

What nx-27017 0.8 does, checked here or while building the store (the store uses only what works):
- unique indexes, compound ones included, refuse a repeat with a real DuplicateKeyError (11000),
  and insert_many(ordered=False) reports those per document while storing the rest;
- TTL indexes keep expireAfterSeconds and really purge expired documents (within seconds);
  creating the index again with another age changes it silently, where MongoDB answers
  IndexOptionsConflict (85) and wants collMod (which nx-27017 accepts but ignores);
- index names are replaced by its own (`idx_events_run_id_seq`) and key directions stored as 1,
  so checks compare key patterns, never names;
- unique indexes treat missing fields as distinct (SQLite's NULLs), not as one null as MongoDB does;
- `$set` of a date on an existing document stores a string, an `{_id, $or}` filter can match
  another document, and an upsert by replace_one takes a fresh ObjectId instead of the filter's
  _id: the store writes run documents by insert and by replace_one without upsert for that reason;
- `$group` with `$first: "$$ROOT"` does not group: "latest" asks one indexed query per pair instead.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from history_support import NO_HISTORY, HistoryRunbook

from plbook.history.local import LocalStore
from plbook.history.mongo import MongoStore
from plbook.history.store import HistoryStore, RunQuery

DAY = 86400


def _ttl_ages(database: Any) -> dict[str, dict[str, int]]:
    """Give, per collection, the TTL age of each single-field index by its field."""
    ages: dict[str, dict[str, int]] = {}
    for name in ("events", "runs", "slots"):
        for index in database[name].list_indexes():
            if "expireAfterSeconds" in index:
                (field,) = index["key"].keys()
                ages.setdefault(name, {})[field] = index["expireAfterSeconds"]
    return ages


def _keys(database: Any, name: str) -> list[tuple[list[str], bool]]:
    return [
        (list(index["key"].keys()), bool(index.get("unique")))
        for index in database[name].list_indexes()
    ]


def test_a_run_creates_the_indexes_with_the_configured_retention(
    runbook: HistoryRunbook, history_uri: str, history_db: Any
) -> None:
    runbook.add("steady", [{"id": "one", "title": "One", "shell": "true"}])
    env = {"PLBOOK_HISTORY": history_uri, "PLBOOK_HISTORY_RETENTION": "30d"}
    assert runbook.plbook("run", "steady", env=env).code == 0
    assert _ttl_ages(history_db) == {
        "events": {"at": 30 * DAY},
        "runs": {"started_at": 30 * DAY},
        "slots": {"claimed_at": 30 * DAY},
    }
    assert (["run_id", "seq"], True) in _keys(history_db, "events")
    assert (["procedure", "environment", "finished_at"], False) in _keys(history_db, "runs")
    assert (["slot", "procedure", "environment"], True) in _keys(history_db, "slots")
    env["PLBOOK_HISTORY_RETENTION"] = ""
    assert runbook.plbook("run", "steady", env=env).code == 0
    assert _ttl_ages(history_db)["events"] == {"at": 400 * DAY}


def test_runs_older_than_the_retention_leave_the_history(
    runbook: HistoryRunbook, history_uri: str, history_db: Any
) -> None:
    # nx-27017 purges on the next read; MongoDB's TTL monitor would take up to a minute.
    runbook.add("steady", [{"id": "one", "title": "One", "shell": "true"}])
    env = {"PLBOOK_HISTORY": history_uri, "PLBOOK_HISTORY_RETENTION": "1s"}
    assert runbook.plbook("run", "steady", env=env).code == 0
    deadline = time.monotonic() + 30
    while history_db.events.count_documents({}) or history_db.runs.count_documents({}):
        assert time.monotonic() < deadline, "expired runs were kept"
        time.sleep(0.5)
    assert len(runbook.journals()) == 1


def test_a_bad_retention_is_a_one_line_error(runbook: HistoryRunbook, history_uri: str) -> None:
    env = {"PLBOOK_HISTORY": history_uri, "PLBOOK_HISTORY_RETENTION": "forever"}
    done = runbook.plbook("history", "push", env=env)
    assert done.code == 2
    assert done.stderr.startswith("PLBOOK_HISTORY_RETENTION=forever: 'forever' is not a duration")


def _claim_at_once(stores: list[HistoryStore]) -> list[str | None]:
    """Give what each store's claim of one slot answered, all claims started together."""
    answers: list[str | None] = [None] * len(stores)
    start = threading.Barrier(len(stores))

    def claim(index: int) -> None:
        start.wait()
        answers[index] = stores[index].claim_slot(
            "2026-12-01T06:00", "steady", "staging", f"run-{index}"
        )

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.parametrize("kind", ["mongodb", "local"])
def test_one_of_eight_simultaneous_claims_of_a_slot_wins(
    kind: str, history_uri: str, tmp_path: Path
) -> None:
    stores: list[HistoryStore] = [
        MongoStore(history_uri) if kind == "mongodb" else LocalStore(tmp_path / "runs")
        for _ in range(8)
    ]
    answers = _claim_at_once(stores)
    winners = [f"run-{i}" for i, answer in enumerate(answers) if answer is None]
    assert len(winners) == 1
    assert {answer for answer in answers if answer is not None} == set(winners)
    assert stores[0].claim_slot("2026-12-01T07:00", "steady", "staging", "later") is None
    assert stores[0].claim_slot("2026-12-01T06:00", "steady", "production", "other") is None
    for store in stores:
        store.close()


def test_latest_gives_the_last_finished_run_per_procedure_and_environment(
    runbook: HistoryRunbook, history_uri: str
) -> None:
    runbook.add("steady", [{"id": "one", "title": "One", "shell": "true"}])
    runbook.add("broken", [{"id": "one", "title": "One", "shell": "false"}])
    made: list[str] = []
    for arguments in (("steady",), ("steady",), ("steady", "--env", "staging"), ("broken",)):
        runbook.plbook("run", *arguments, env=NO_HISTORY)
        made += sorted(set(runbook.journals()) - set(made))
    (runbook.runs_dir / "0-not-a-journal.jsonl").write_text("garbage\n")
    pushed = runbook.plbook("history", "push", env={"PLBOOK_HISTORY": history_uri})
    assert "0-not-a-journal.jsonl: its first line is not a run-started event" in pushed.stderr
    assert "of 4 runs" in pushed.stderr
    for store in (LocalStore(runbook.runs_dir), MongoStore(history_uri)):
        latest = store.latest()
        assert {key: run["status"] for key, run in latest.items()} == {
            ("steady", "test"): "passed",
            ("steady", "staging"): "passed",
            ("broken", "test"): "failed",
        }
        assert latest[("steady", "test")]["run_id"] == made[1]
        store.close()


def _write_journal(runs_dir: Path, run_id: str, started_at: str) -> None:
    started = {
        "event": "run-started",
        "run_id": run_id,
        "procedure": run_id.split("-")[2],
        "title": "T",
        "environment": "test",
        "inputs": {},
        "plan": [],
        "at": started_at,
    }
    finished = {"event": "run-finished", "status": "passed", "exit_code": 0, "at": started_at}
    runs_dir.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(started), json.dumps(finished)]
    (runs_dir / f"{run_id}.jsonl").write_text("\n".join(lines) + "\n")


def test_local_runs_started_in_one_second_list_in_start_order(tmp_path: Path) -> None:
    # Run ids order runs to the second only; within one, the rest of the name must not decide.
    _write_journal(tmp_path, "20261201-100000-zebra-0000", "2026-12-01T10:00:00.100+00:00")
    _write_journal(tmp_path, "20261201-100000-aardvark-ffff", "2026-12-01T10:00:00.900+00:00")
    _write_journal(tmp_path, "20261201-095959-before-ffff", "2026-12-01T09:59:59.500+00:00")
    store = LocalStore(tmp_path)
    assert [r["procedure"] for r in store.runs(RunQuery(limit=1))] == ["aardvark"]
    assert [r["procedure"] for r in store.runs(RunQuery())] == ["aardvark", "zebra", "before"]
