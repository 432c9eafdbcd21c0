"""The run journal: one JSON line per event under `.plbook/runs/`, flushed as it is written."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from plbook.errors import PlbookError

RUNS_DIR = Path(".plbook") / "runs"


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


def journal_path(run: str, runs_dir: Path = RUNS_DIR) -> Path:
    """Give the journal of a run given by id or path, or a user error naming recent runs."""
    candidate = Path(run)
    if candidate.suffix == ".jsonl" and candidate.exists():
        return candidate
    path = runs_dir / f"{run}.jsonl"
    if not path.exists():
        known = sorted(p.stem for p in runs_dir.glob("*.jsonl"))[-3:]
        hint = f"; recent runs: {', '.join(known)}" if known else f"; no runs under {runs_dir}"
        raise PlbookError(f"no run '{run}'{hint}")
    return path


def read_journal(path: Path) -> list[dict[str, Any]]:
    """Give the events of a journal; a line cut short by a crash is left out."""
    events: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events
