"""The MongoDB store: `runs` (one document per run), `events` (each journal event, numbered) and
`slots` (which run took a scheduled slot).

Every call is bounded by a timeout, so an absent or slow server costs seconds, never a hang. The
writes keep to plain inserts and whole-document replaces, which nx-27017 implements faithfully:
its upserts with an `$or` filter or a `$set` of a date do not behave as MongoDB's (see the note
in tests/history/test_mongo_store.py).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pymongo
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from plbook.errors import PlbookError
from plbook.history.documents import event_document
from plbook.history.store import DEFAULT_RETENTION_SECONDS, RunQuery

TIMEOUT_SECONDS = 2.0
DEFAULT_DATABASE = "plbook"
DUPLICATE_KEY = 11000
# Real MongoDB refuses to create an index again with another TTL; collMod changes it instead.
INDEX_OPTIONS_CONFLICT = (85, 86)


def server_address(uri: str) -> str:
    """Give the hosts and database of a MongoDB URI without its user or password."""
    rest = uri.split("://", 1)[-1]
    hosts, _, path = rest.partition("/")
    return f"{hosts.rpartition('@')[2]}/{path.partition('?')[0] or DEFAULT_DATABASE}"


class MongoStore:
    """The shared history in a MongoDB database, written exactly once per (run, event)."""

    def __init__(
        self,
        uri: str,
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        milliseconds = int(timeout * 1000)
        self.where = f"MongoDB at {server_address(uri)}"
        self.retention_seconds = int(retention_seconds)
        self._client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            uri,
            tz_aware=True,
            appname="plbook",
            timeoutMS=milliseconds,
            serverSelectionTimeoutMS=milliseconds,
            connectTimeoutMS=milliseconds,
        )
        database = self._client.get_default_database(default=DEFAULT_DATABASE)
        self._runs = database["runs"]
        self._events = database["events"]
        self._slots = database["slots"]
        self._indexed = False

    def ensure_indexes(self) -> None:
        """Create the history's indexes once per store (creating an existing one is a no-op)."""
        if self._indexed:
            return
        self._events.create_index([("run_id", 1), ("seq", 1)], unique=True, name="run_seq")
        self._runs.create_index(
            [("procedure", 1), ("environment", 1), ("finished_at", -1)], name="latest"
        )
        self._slots.create_index(
            [("slot", 1), ("procedure", 1), ("environment", 1)], unique=True, name="slot"
        )
        self._ttl_index(self._events, "at")
        self._ttl_index(self._runs, "started_at")
        self._ttl_index(self._slots, "claimed_at")
        self._indexed = True

    def _ttl_index(self, collection: Any, field: str) -> None:
        try:
            collection.create_index(
                [(field, 1)], expireAfterSeconds=self.retention_seconds, name="retention"
            )
        except OperationFailure as error:
            if error.code not in INDEX_OPTIONS_CONFLICT:
                raise
            collection.database.command(
                "collMod",
                collection.name,
                index={"keyPattern": {field: 1}, "expireAfterSeconds": self.retention_seconds},
            )

    def append(self, run_id: str, first_seq: int, events: list[dict[str, Any]]) -> int:
        """Store events numbered from `first_seq`; give how many were new."""
        if not events:
            return 0
        self.ensure_indexes()
        documents = [event_document(run_id, first_seq + i, e) for i, e in enumerate(events)]
        try:
            return len(self._events.insert_many(documents, ordered=False).inserted_ids)
        except BulkWriteError as error:
            others = [e for e in error.details["writeErrors"] if e["code"] != DUPLICATE_KEY]
            if others:
                raise
            return int(error.details["nInserted"])

    def stored_seqs(self, run_id: str) -> set[int]:
        """Give the sequence numbers of the run's events already stored."""
        return {d["seq"] for d in self._events.find({"run_id": run_id}, {"seq": 1, "_id": 0})}

    def stored_runs(self, run_ids: list[str]) -> dict[str, tuple[int, str]]:
        """Give, per run already stored, how many events its document counts and its status."""
        found = self._runs.find({"_id": {"$in": run_ids}}, {"events": 1, "status": 1})
        return {d["_id"]: (int(d.get("events", 0)), str(d.get("status"))) for d in found}

    def save_run(self, document: dict[str, Any]) -> None:
        """Store the run's document unless one made from more events is stored already."""
        self.ensure_indexes()
        older = {"_id": document["_id"], "events": {"$lte": document["events"]}}
        if self._runs.replace_one(older, document).matched_count:
            return
        try:
            self._runs.insert_one(document)
        except DuplicateKeyError:
            pass  # a writer that had seen more of the run stored it first: keep that one

    def runs(self, query: RunQuery) -> list[dict[str, Any]]:
        """Give the runs the query selects, newest first."""
        selector: dict[str, Any] = {}
        if query.procedure:
            selector["procedure"] = query.procedure
        if query.environment:
            selector["environment"] = query.environment
        if query.since:
            selector["started_at"] = {"$gte": query.since}
        found = self._runs.find(selector).sort("started_at", -1).limit(query.limit)
        return [_aware(d) for d in found]

    def events(self, run_id: str) -> list[dict[str, Any]]:
        """Give the run's journal events in order, or a user error if the history has none."""
        found = [d["data"] for d in self._events.find({"run_id": run_id}).sort("seq", 1)]
        if not found:
            raise PlbookError(f"no run '{run_id}' in the history ({self.where})")
        return found

    def latest(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Give the last finished run per (procedure, environment), one indexed query per pair."""
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for procedure in self._runs.distinct("procedure"):
            for environment in self._runs.distinct("environment", {"procedure": procedure}):
                selector = {
                    "procedure": procedure,
                    "environment": environment,
                    "finished_at": {"$ne": None},
                }
                found = list(self._runs.find(selector).sort("finished_at", -1).limit(1))
                if found:
                    latest[(procedure, environment)] = _aware(found[0])
        return latest

    def claim_slot(self, slot: str, procedure: str, environment: str, run_id: str) -> str | None:
        """Claim the slot for the run; the unique slot index turns a second claim away."""
        self.ensure_indexes()
        claim = {"slot": slot, "procedure": procedure, "environment": environment}
        try:
            self._slots.insert_one(
                {**claim, "run_id": run_id, "claimed_at": datetime.now(timezone.utc)}
            )
        except DuplicateKeyError:
            holder = self._slots.find_one(claim, {"run_id": 1})
            return str(holder["run_id"]) if holder else "another run"
        return None

    def known_failure(self) -> str | None:
        """Give why no server answers, once the driver's monitor has found out (it does at once)."""
        servers = list(self._client.topology_description.server_descriptions().values())
        errors = [server.error for server in servers if server.error is not None]
        if not errors or any(server.is_server_type_known for server in servers):
            return None
        return f"{type(errors[0]).__name__}: {(str(errors[0]).splitlines() or [''])[0][:200]}"

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()


def _aware(document: dict[str, Any]) -> dict[str, Any]:
    """Give the document with its times in UTC (a server may hand back naive datetimes)."""
    for key in ("started_at", "finished_at"):
        value = document.get(key)
        if isinstance(value, datetime) and value.tzinfo is None:
            document[key] = value.replace(tzinfo=timezone.utc)
    return document
