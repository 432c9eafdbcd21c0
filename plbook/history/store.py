"""The history interface, and the store in use: `PLBOOK_HISTORY=mongodb://…/plbook`, else local."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from plbook.errors import PlbookError
from plbook.fields import parse_duration

HISTORY_VARIABLE = "PLBOOK_HISTORY"
RETENTION_VARIABLE = "PLBOOK_HISTORY_RETENTION"
DEFAULT_RETENTION_SECONDS = 400 * 86400.0
MONGODB_SCHEMES = ("mongodb://", "mongodb+srv://")


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


def history_uri() -> str | None:
    """Give the MongoDB URI of the shared history, or None for local journals."""
    value = os.environ.get(HISTORY_VARIABLE, "").strip()
    if value in ("", "local"):
        return None
    if not value.startswith(MONGODB_SCHEMES):
        scheme = value.split("://", 1)[0] if "://" in value else "no scheme"
        raise PlbookError(
            f"{HISTORY_VARIABLE} ({scheme}): write mongodb://HOST/DATABASE "
            "(or leave it unset to keep runs in local journals)"
        )
    return value


def retention_seconds() -> float:
    """Give how long the MongoDB history keeps runs: `PLBOOK_HISTORY_RETENTION`, default 400d."""
    value = os.environ.get(RETENTION_VARIABLE, "").strip()
    if not value:
        return DEFAULT_RETENTION_SECONDS
    try:
        seconds = parse_duration(value)
    except ValueError as error:
        raise PlbookError(f"{RETENTION_VARIABLE}={value}: {error}") from None
    if seconds < 1:
        raise PlbookError(f"{RETENTION_VARIABLE}={value}: keep runs at least 1s, e.g. 90d")
    return seconds


def open_store(runs_dir: Path) -> HistoryStore:
    """Give the configured history store: MongoDB when `PLBOOK_HISTORY` names one, else local."""
    uri = history_uri()
    if uri is None:
        from plbook.history.local import LocalStore

        return LocalStore(runs_dir)
    from plbook.history.mongo import MongoStore

    return MongoStore(uri, retention_seconds())
