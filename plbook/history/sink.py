"""Copies a run's journal events to the shared history as they happen, off the run's thread.

The journal is written first, always; the copy is best effort. A slow or absent server costs the
run one warning and at most `CLOSE_WAIT_SECONDS` at its end: `plbook history push` sends the rest.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from plbook.errors import PlbookError
from plbook.history.documents import run_document
from plbook.history.setting import history_uri, retention_seconds
from plbook.history.store import HistoryStore
from plbook.records import read_journal

CLOSE_WAIT_SECONDS = 5.0
# The run's document is rewritten on every run-level event and at most this often in between.
DOCUMENT_EVERY_SECONDS = 1.0
_RUN_EVENTS = ("run-started", "run-resumed", "run-finished")
Warn = Callable[[str], None]


def open_history_sink(journal: Path, setting: str | None, warn: Warn) -> HistorySink | None:
    """Give a sink to the shared history for the run journaled at `journal`, or None if local.

    `setting` is the project's `history:`; `PLBOOK_HISTORY` wins over it.
    """
    try:
        uri = history_uri(setting)
        retention = retention_seconds()
    except PlbookError as error:
        warn(f"warning: history: {error}; the run goes on with its local journal only")
        return None
    if uri is None:
        return None

    def connect() -> HistoryStore:
        from plbook.history.mongo import MongoStore

        return MongoStore(uri, retention)

    return HistorySink(connect, journal, warn)


class HistorySink:
    """Sends each event, numbered as its line in the journal, and the run's document, in batches."""

    def __init__(
        self,
        connect: Callable[[], HistoryStore],
        journal: Path,
        warn: Warn,
        close_wait: float = CLOSE_WAIT_SECONDS,
    ) -> None:
        # A resumed run's earlier events go too: the store ignores the ones it has.
        self._events: list[dict[str, Any]] = read_journal(journal) if journal.exists() else []
        self._connect = connect
        self._warn = warn
        self._close_wait = close_wait
        self._sent = 0
        self._closing = False
        self._failure: str | None = None
        self._warned = False
        self._where = "the shared history"
        self._store: HistoryStore | None = None
        self._document_saved = 0.0
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._send_all, name="plbook-history", daemon=True)
        self._thread.start()

    def event(self, event: dict[str, Any]) -> None:
        """Queue one journal event (already masked) exactly as the journal wrote it."""
        copy = json.loads(json.dumps(event, ensure_ascii=False, default=str))
        with self._changed:
            self._events.append(copy)
            self._changed.notify()
        self._warn_once()

    def close(self) -> None:
        """Wait a bounded time for the events to reach the history, then say if some did not."""
        with self._changed:
            self._closing = True
            self._changed.notify()
        deadline = time.monotonic() + self._close_wait
        while self._thread.is_alive() and time.monotonic() < deadline and not self._failure:
            self._thread.join(0.05)
            known = self._store.known_failure() if self._store is not None else None
            if known is not None:
                # Nothing will get through: waiting out the driver's timeout would only delay.
                with self._changed:
                    self._failure = self._failure or known
                break
        with self._changed:
            if self._thread.is_alive() and self._failure is None:
                waiting = len(self._events) - self._sent
                self._failure = f"{waiting} events not sent within {self._close_wait:g}s"
        if self._thread.is_alive() and self._store is not None:
            # Closing the client stops its monitors now, instead of at exit after their timeouts.
            self._store.close()
        self._warn_once()

    def _warn_once(self) -> None:
        with self._changed:
            failure, first = self._failure, not self._warned
            self._warned = self._warned or failure is not None
        if failure is not None and first:
            self._warn(
                f"warning: history: not recorded in {self._where} ({failure}); the run goes on "
                "and its journal is complete: `plbook history push` uploads it later"
            )

    def _send_all(self) -> None:
        store: HistoryStore | None = None
        try:
            store = self._connect()
            self._where, self._store = store.where, store
            while self._send_next(store):
                pass
        except Exception as error:  # noqa: BLE001 - any history failure must leave the run unharmed
            first_line = (str(error).splitlines() or [""])[0][:200]
            with self._changed:
                self._failure = f"{type(error).__name__}: {first_line}"
        finally:
            if store is not None:
                store.close()

    def _send_next(self, store: HistoryStore) -> bool:
        """Send what is queued; give False once everything is sent and the run has closed."""
        with self._changed:
            while self._sent == len(self._events) and not self._closing:
                self._changed.wait()
            if self._sent == len(self._events):
                return False
            first, events = self._sent, list(self._events)
        run_id = events[0]["run_id"]
        store.append(run_id, first + 1, events[first:])
        run_level = any(event["event"] in _RUN_EVENTS for event in events[first:])
        if run_level or time.monotonic() - self._document_saved >= DOCUMENT_EVERY_SECONDS:
            store.save_run(run_document(events, live=True))
            self._document_saved = time.monotonic()
        with self._changed:
            self._sent = len(events)
        return True
