"""The project's `history:` setting chooses the store; `PLBOOK_HISTORY` wins over it."""

from __future__ import annotations

from typing import Any

from history_support import NO_HISTORY, HistoryRunbook

from plbook.sandbox.addresses import free_ports

QUICK = [{"id": "greet", "title": "Say hello", "shell": "echo {{ env.greeting }}"}]


def test_a_history_folder_setting_keeps_the_journals_there(runbook: HistoryRunbook) -> None:
    runbook.add("quick", QUICK)
    (runbook.directory / "plbook.yaml").write_text("history: kept-runs\n")
    assert runbook.plbook("run", "quick", env=NO_HISTORY).code == 0
    assert len(list((runbook.directory / "kept-runs").glob("*-quick-*.jsonl"))) == 1
    assert not runbook.runs_dir.exists()
    listed = runbook.plbook("history", env=NO_HISTORY)
    assert listed.code == 0 and " quick " in listed.stdout


def test_a_mongodb_setting_records_there_and_the_variable_wins(
    runbook: HistoryRunbook, history_uri: str, history_db: Any
) -> None:
    runbook.add("quick", QUICK)
    (runbook.directory / "plbook.yaml").write_text(f"history: {history_uri}\n")
    assert runbook.plbook("run", "quick", env=NO_HISTORY).code == 0
    assert history_db.runs.count_documents({"procedure": "quick"}) == 1
    closed = f"mongodb://127.0.0.1:{free_ports(1)[0]}/gone"
    (runbook.directory / "plbook.yaml").write_text(f"history: {closed}\n")
    forced = runbook.plbook("run", "quick", env={"PLBOOK_HISTORY": "local"})
    assert forced.code == 0 and "warning: history" not in forced.output
    assert len(runbook.journals()) == 2


def test_a_history_setting_that_is_not_mongodb_is_one_line_naming_the_file(
    runbook: HistoryRunbook,
) -> None:
    runbook.add("quick", QUICK)
    (runbook.directory / "plbook.yaml").write_text("history: postgres://db/plbook\n")
    done = runbook.plbook("history", env=NO_HISTORY)
    assert done.code == 2
    assert done.stderr.strip() == (
        f"{runbook.directory / 'plbook.yaml'}: history (postgres): write mongodb://HOST/DATABASE "
        "(or leave it unset to keep runs in local journals)"
    )
