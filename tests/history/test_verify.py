"""`plbook verify` as a scheduler fires it: real processes, a real nx-27017 history."""

from __future__ import annotations

from typing import Any

from history_support import NO_HISTORY, HistoryRunbook

SLOT = "2026-12-01T06:00"
QUICK = [{"id": "greet", "title": "Say hello", "shell": "echo {{ env.greeting }}"}]
SLOW = [{"id": "pause", "title": "Take a moment", "shell": "sleep 0.5"}]


def _verify(runbook: HistoryRunbook, *arguments: str, env: dict[str, str]) -> Any:
    return runbook.plbook("verify", *arguments, "--path", "procedures", env=env)


def _add_mixed_runbook(runbook: HistoryRunbook) -> None:
    runbook.add("quick", QUICK)
    runbook.add("slow", SLOW)
    runbook.add(
        "with-manual",
        [{"id": "look", "title": "Look at the dashboard", "manual": "Is it green?"}, *QUICK],
    )
    runbook.add(
        "changes-things",
        [*QUICK, {"id": "wipe", "title": "Wipe", "shell": "true", "destructive": True}],
    )


def test_two_firings_of_one_slot_at_once_record_one_run_per_procedure(
    runbook: HistoryRunbook, history_uri: str, history_db: Any
) -> None:
    _add_mixed_runbook(runbook)
    env = {"PLBOOK_HISTORY": history_uri}
    arguments = ("verify", "--all", "--env", "staging", "--slot", SLOT, "--path", "procedures")
    firings = [runbook.start(*arguments, env=env) for _ in range(2)]
    outputs = [firing.communicate(timeout=120) for firing in firings]
    assert [firing.returncode for firing in firings] == [0, 0], outputs
    stored = list(history_db.runs.find({}, {"procedure": 1, "environment": 1}))
    assert sorted(run["procedure"] for run in stored) == ["quick", "slow", "with-manual"]
    assert {run["environment"] for run in stored} == {"staging"}
    assert len(runbook.journals()) == 3
    said = "".join(stdout for stdout, _ in outputs)
    assert said.count(f"already verified in slot {SLOT}") == 3
    again = _verify(runbook, "--all", "--env", "staging", "--slot", SLOT, env=env)
    assert again.code == 0 and again.stdout.count("already verified in slot") == 3
    assert history_db.runs.count_documents({}) == 3
    later = _verify(runbook, "quick", "--env", "staging", "--slot", "2026-12-01T07:00", env=env)
    assert later.code == 0 and history_db.runs.count_documents({"procedure": "quick"}) == 2


def test_verify_skips_destructive_work_records_manual_steps_and_fails_on_a_failure(
    runbook: HistoryRunbook,
) -> None:
    _add_mixed_runbook(runbook)
    runbook.add("broken", [{"id": "fail", "title": "Fail", "shell": "exit 3"}])
    done = _verify(runbook, "--all", "--env", "staging", "--jobs", "3", env=NO_HISTORY)
    assert done.code == 1, done.output
    lines = {line.split()[0]: line for line in done.stdout.splitlines()[1:]}
    assert lines["changes-things"].split()[1] == "SKIP"
    assert "changes-things#wipe" in lines["changes-things"]
    assert lines["broken"].split()[1] == "FAIL"
    assert [lines[p].split()[1] for p in ("quick", "slow", "with-manual")] == ["PASS"] * 3
    journals = runbook.journals()
    assert sorted(j[0]["procedure"] for j in journals.values()) == [
        "broken",
        "quick",
        "slow",
        "with-manual",
    ]
    manual = next(j for j in journals.values() if j[0]["procedure"] == "with-manual")
    look = next(e for e in manual if e["event"] == "step-finished" and e["id"] == "look")
    assert look["status"] == "skipped"
    assert look["error"].startswith("skipped-unattended")
    with_yes = _verify(runbook, "changes-things", "--env", "staging", "--yes", env=NO_HISTORY)
    assert with_yes.code == 0 and "PASS" in with_yes.stdout


def test_verify_needs_ids_or_all_and_a_known_environment(runbook: HistoryRunbook) -> None:
    runbook.add("quick", QUICK)
    neither = _verify(runbook, "--env", "staging", env=NO_HISTORY)
    assert neither.code == 2 and "give procedure ids or --all" in neither.stderr
    unknown = _verify(runbook, "--all", "--env", "prod", env=NO_HISTORY)
    assert unknown.code == 2 and "no environment 'prod'" in unknown.stderr
    assert "Traceback" not in neither.stderr + unknown.stderr
