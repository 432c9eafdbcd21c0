"""The run journal: one JSON line per event under `.plbook/runs/`, flushed as it is written."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from plbook.run.console import Console
from plbook.run.context import Masker

if TYPE_CHECKING:
    from plbook.history.sink import HistorySink


def new_run_id(procedure_id: str) -> str:
    """Give a fresh run id that sorts by time: `20250114-093012-rollback-railway-3f9a`."""
    moment = datetime.now(timezone.utc)
    return f"{moment:%Y%m%d-%H%M%S}-{procedure_id}-{secrets.token_hex(2)}"


def timestamp() -> str:
    """Give the current time as ISO 8601 UTC with milliseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Journal:
    """An append-only JSON lines file; every event reaches the operating system at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO = path.open("a", encoding="utf-8")

    def write(self, event: dict[str, Any]) -> None:
        """Append one event (already masked and JSON-ready) and flush it."""
        self._file.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
        self._file.flush()

    def close(self) -> None:
        """Close the file."""
        self._file.close()


class Recorder:
    """Masks each event, journals it, copies it to the shared history, then shows it.

    This is the one way an event leaves a run; the journal is always written first.
    """

    def __init__(
        self, journal: Journal, mask: Masker, console: Console, history: HistorySink | None = None
    ) -> None:
        self.journal = journal
        self.mask = mask
        self.console = console
        self.history = history

    def emit(self, event: dict[str, Any]) -> None:
        """Record an event in the journal and the history, and show it; secrets masked first."""
        masked = self.mask.data({**event, "at": timestamp()})
        self.journal.write(masked)
        if self.history is not None:
            self.history.event(masked)
        self.console.event(masked)

    def close(self) -> None:
        """Close the journal, then wait a bounded time for the history's copy."""
        self.journal.close()
        if self.history is not None:
            self.history.close()
