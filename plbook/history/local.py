"""The local store: the journals under `.plbook/runs/` that the run engine writes, read back."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from plbook.history.documents import NotAJournal, run_document
from plbook.history.store import RunQuery
from plbook.records import journal_path, read_journal

SECOND = len("20250114-093012")
"""How much of a run id (`20250114-093012-rollback-railway-3f9a`) names its start time."""


class LocalStore:
    """Runs kept as JSON-lines journals in one folder; slot claims as files created exclusively."""

    def __init__(self, runs_dir: Path) -> None:
        self.runs_dir = runs_dir
        self.where = f"local journals in {runs_dir}"

    def append(self, run_id: str, first_seq: int, events: list[dict[str, Any]]) -> int:
        """Store nothing: the journal the engine writes first is this store."""
        return 0

    def save_run(self, document: dict[str, Any]) -> None:
        """Store nothing: a run's document is made from its journal when it is read."""

    def journals(self) -> list[Path]:
        """Give every journal, newest first (run ids start with their UTC start time)."""
        if not self.runs_dir.is_dir():
            return []
        return sorted(self.runs_dir.glob("*.jsonl"), key=lambda p: p.name, reverse=True)

    def runs(self, query: RunQuery) -> list[dict[str, Any]]:
        """Give the runs the query selects, newest first, reading only the journals needed."""
        found: list[dict[str, Any]] = []
        for path in self.journals():
            # Names order runs to the second only: read on through the last second's runs.
            if len(found) >= query.limit and path.name[:SECOND] != found[-1]["run_id"][:SECOND]:
                break
            if query.procedure and f"-{query.procedure}-" not in path.name:
                continue
            try:
                document = run_document(read_journal(path))
            except NotAJournal:
                continue
            if _selected(document, query):
                found.append(document)
        found.sort(key=lambda document: document["started_at"], reverse=True)
        return found[: query.limit]

    def events(self, run_id: str) -> list[dict[str, Any]]:
        """Give the run's journal events; a user error names recent runs if there is no such run."""
        return read_journal(journal_path(run_id, self.runs_dir))

    def latest(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Give the last finished run per (procedure, environment)."""
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for path in self.journals():
            try:
                document = run_document(read_journal(path))
            except NotAJournal:
                continue
            key = (document["procedure"], document["environment"])
            kept = latest.get(key)
            if document["finished_at"] and (
                kept is None or document["finished_at"] > kept["finished_at"]
            ):
                latest[key] = document
        return latest

    def claim_slot(self, slot: str, procedure: str, environment: str, run_id: str) -> str | None:
        """Claim the slot by creating its file; an existing file names the run holding it."""
        key = json.dumps([slot, procedure, environment])
        claims = self.runs_dir.parent / "slots"
        claims.mkdir(parents=True, exist_ok=True)
        path = claims / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"
        claim = {"slot": slot, "procedure": procedure, "environment": environment, "run_id": run_id}
        draft = claims / f".{run_id}.{os.getpid()}.json"
        draft.write_text(json.dumps(claim), encoding="utf-8")
        try:
            # A hard link appears complete or not at all, so a rival never reads half a claim.
            os.link(draft, path)
        except FileExistsError:
            return str(json.loads(path.read_text(encoding="utf-8"))["run_id"])
        finally:
            draft.unlink()
        return None

    def known_failure(self) -> str | None:
        """Give None: a folder on this machine is always there."""
        return None

    def close(self) -> None:
        """Nothing to release."""


def _selected(document: dict[str, Any], query: RunQuery) -> bool:
    if query.procedure and document["procedure"] != query.procedure:
        return False
    if query.environment and document["environment"] != query.environment:
        return False
    return query.since is None or document["started_at"] >= query.since
