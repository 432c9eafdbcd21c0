"""The run journal: one JSON line per event under `.plbook/runs/`, flushed as it is written."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from plbook.run.console import Console
from plbook.run.context import Masker


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
    """Masks each event, journals it, then shows it: the one way an event leaves a run."""

    def __init__(self, journal: Journal, mask: Masker, console: Console) -> None:
        self.journal = journal
        self.mask = mask
        self.console = console

    def emit(self, event: dict[str, Any]) -> None:
        """Record an event in the journal and show it; secrets are masked first."""
        masked = self.mask.data({**event, "at": timestamp()})
        self.journal.write(masked)
        self.console.event(masked)
