"""The history interface: what every store of runs answers, and the query that lists runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

DEFAULT_RETENTION_SECONDS = 400 * 86400.0


@dataclass(frozen=True)
class RunQuery:
    """Which runs to list: all filters optional, newest first, at most `limit`."""

    procedure: str | None = None
    environment: str | None = None
    since: datetime | None = None
    limit: int = 20


class HistoryStore(Protocol):
    """Where runs are kept. Events arrive masked; a store never sees a secret."""

    where: str
    """Where the history lives, for messages (never a password)."""

    def append(self, run_id: str, first_seq: int, events: list[dict[str, Any]]) -> int:
        """Store events numbered from `first_seq`; give how many were new (a repeat is a no-op)."""

    def save_run(self, document: dict[str, Any]) -> None:
        """Store the run's document (see documents.run_document), unless a newer one is stored."""

    def runs(self, query: RunQuery) -> list[dict[str, Any]]:
        """Give the run documents the query selects, newest first."""

    def events(self, run_id: str) -> list[dict[str, Any]]:
        """Give one run's journal events in order, or a user error naming the store."""

    def latest(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Give the last finished run per (procedure, environment)."""

    def claim_slot(self, slot: str, procedure: str, environment: str, run_id: str) -> str | None:
        """Claim a scheduled slot for a run; give None if claimed, else the run that holds it."""

    def known_failure(self) -> str | None:
        """Give why the store cannot be reached, when that is known without waiting."""

    def close(self) -> None:
        """Release connections."""
