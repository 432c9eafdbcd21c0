"""The run journal: one JSON line per event under `.plbook/runs/`, flushed as it is written."""

from __future__ import annotations

import json
import os
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from plbook.run.console import Console
from plbook.run.masking import Masker

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
        # Journals hold what targets answered: the owner's to read, as shell history is.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        _drop_cut_line(descriptor)
        self._file: TextIO = os.fdopen(descriptor, "a", encoding="utf-8")

    def write(self, event: dict[str, Any]) -> None:
        """Append one event (already masked and JSON-ready) and flush it."""
        self._file.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
        self._file.flush()

    def close(self) -> None:
        """Close the file."""
        self._file.close()


def _drop_cut_line(descriptor: int) -> None:
    """Cut a last line left half-written by a crash, so the next event starts a line of its own."""
    end = os.lseek(descriptor, 0, os.SEEK_END)
    if end == 0 or os.pread(descriptor, 1, end - 1) == b"\n":
        return
    start = end
    while start > 0:
        start = max(0, start - 65536)
        newline = os.pread(descriptor, end - start, start).rfind(b"\n")
        if newline >= 0:
            os.ftruncate(descriptor, start + newline + 1)
            return
    os.ftruncate(descriptor, 0)


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
        """Record an event in the journal and the history, and show it; secrets masked and long
        text cut first."""
        masked = excerpts(self.mask.data({**event, "at": timestamp()}))
        self.journal.write(masked)
        if self.history is not None:
            self.history.event(masked)
        self.console.event(terminal_safe(masked))

    def close(self) -> None:
        """Close the journal, then wait a bounded time for the history's copy."""
        self.journal.close()
        if self.history is not None:
            self.history.close()


FIELD_LIMIT = 64 * 1024
"""Most characters of one text field a journal keeps: its head and tail, half each."""


def excerpt(text: str, limit: int = FIELD_LIMIT) -> str:
    """Give `text`, or its head and tail with a line saying how much was cut between them."""
    if len(text) <= limit:
        return text
    half = limit // 2
    cut = len(text) - 2 * half
    said = f"[... {cut} characters cut; the first and last {half} kept ...]"
    return f"{text[:half]}\n{said}\n{text[-half:]}"


def excerpts(value: Any) -> Any:
    """Give JSON-ready data with every text field longer than FIELD_LIMIT cut to an excerpt."""
    if isinstance(value, str):
        return excerpt(value)
    if isinstance(value, dict):
        return {key: excerpts(item) for key, item in value.items()}
    if isinstance(value, list):
        return [excerpts(item) for item in value]
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(value: Any) -> Any:
    """Give data with control characters in text (escape sequences) written out as `\\xNN`.

    Text from targets (bodies, error messages, command output) reaches the terminal; an
    escape sequence in it could move the cursor, rewrite lines or retitle the window.
    """
    if isinstance(value, str):
        return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", value)
    if isinstance(value, dict):
        return {key: terminal_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [terminal_safe(item) for item in value]
    return value
