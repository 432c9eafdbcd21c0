"""`plbook history push`: upload local journals' events that the MongoDB history lacks, once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from plbook.history.documents import NotAJournal, run_document
from plbook.history.local import LocalStore
from plbook.history.mongo import MongoStore
from plbook.records import read_journal


@dataclass
class PushResult:
    """What a push did: runs brought up to date, events added, journals it could not read."""

    runs: int = 0
    events: int = 0
    unreadable: list[str] = field(default_factory=list)


def push_journals(local: LocalStore, remote: MongoStore) -> PushResult:
    """Give what uploading every local journal did; a repeated push adds nothing."""
    result = PushResult()
    journals = local.journals()
    remote.ensure_indexes()
    stored = remote.stored_runs([path.stem for path in journals])
    for path in journals:
        events = read_journal(path)
        try:
            document = run_document(events)
        except NotAJournal as problem:
            result.unreadable.append(f"{path}: {problem}; not a plbook journal, left out")
            continue
        run_id = document["run_id"]
        # A run stored as running whose journal never finished was killed: it becomes interrupted.
        if stored.get(run_id) == (len(events), document["status"]):
            continue
        present = remote.stored_seqs(run_id)
        for first, batch in _missing_batches(events, present):
            result.events += remote.append(run_id, first, batch)
        remote.save_run(document)
        result.runs += 1
    return result


def _missing_batches(
    events: list[dict[str, Any]], present: set[int]
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Give each stretch of consecutive events not yet stored, with its first sequence number."""
    first, batch = 0, list[dict[str, Any]]()
    for seq, event in enumerate(events, start=1):
        if seq in present:
            if batch:
                yield first, batch
            batch = []
            continue
        if not batch:
            first = seq
        batch.append(event)
    if batch:
        yield first, batch
