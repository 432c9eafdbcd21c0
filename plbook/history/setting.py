"""Which history is in use: `PLBOOK_HISTORY`, else the project's `history:`, else local journals."""

from __future__ import annotations

import os
from pathlib import Path

from plbook.errors import PlbookError
from plbook.fields import parse_duration
from plbook.history.store import DEFAULT_RETENTION_SECONDS, HistoryStore

HISTORY_VARIABLE = "PLBOOK_HISTORY"
RETENTION_VARIABLE = "PLBOOK_HISTORY_RETENTION"
MONGODB_SCHEMES = ("mongodb://", "mongodb+srv://")


def history_uri(setting: str | None = None) -> str | None:
    """Give the MongoDB URI of the shared history, or None for local journals.

    `PLBOOK_HISTORY` wins over the project's `history:` setting (checked when the project's
    configuration is read), which may instead name a folder of local journals.
    """
    value = os.environ.get(HISTORY_VARIABLE, "").strip()
    if value:
        return mongodb_uri(value, HISTORY_VARIABLE)
    if setting is not None and "://" in setting:
        return setting.strip()
    return None


def mongodb_uri(value: str, source: str) -> str | None:
    """Give `value` as a MongoDB URI, None for `local`, or a user error naming `source`."""
    if value == "local":
        return None
    if not value.startswith(MONGODB_SCHEMES):
        scheme = value.split("://", 1)[0] if "://" in value else "no scheme"
        raise PlbookError(
            f"{source} ({scheme}): write mongodb://HOST/DATABASE "
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


def open_store(runs_dir: Path, uri: str | None) -> HistoryStore:
    """Give the history store: MongoDB at `uri` (see `history_uri`), else the local journals."""
    if uri is None:
        from plbook.history.local import LocalStore

        return LocalStore(runs_dir)
    from plbook.history.mongo import MongoStore

    return MongoStore(uri, retention_seconds())
