"""A real nx-27017 for the history tests, one database per test, and runbooks run as processes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest
from history_support import HistoryRunbook

from plbook.sandbox.addresses import free_ports
from plbook.sandbox.mongo_server import MongoServer


@pytest.fixture(scope="session")
def history_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MongoServer]:
    """Give one nx-27017 process for the session's history databases."""
    server = MongoServer(free_ports(1)[0], tmp_path_factory.mktemp("history-mongo"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def history_uri(history_server: MongoServer, request: pytest.FixtureRequest) -> str:
    """Give `PLBOOK_HISTORY` for a database of this test's own."""
    name = re.sub(r"[^A-Za-z0-9]", "_", request.node.name)[:48]
    return f"mongodb://127.0.0.1:{history_server.port}/h_{name}"


@pytest.fixture
def history_db(history_uri: str) -> Iterator[Any]:
    """Give the test's history database through pymongo."""
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        history_uri, serverSelectionTimeoutMS=5000, tz_aware=True
    )
    yield client.get_default_database()
    client.close()


@pytest.fixture
def runbook(tmp_path: Path) -> HistoryRunbook:
    """Give an empty runbook in a temporary folder whose one environment holds a canary secret."""
    return HistoryRunbook(tmp_path)
