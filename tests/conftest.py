"""Real servers on loopback shared by the tests of the step kinds and of the executor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plbook.sandbox.addresses import free_ports


@pytest.fixture(scope="session")
def mongodb_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Give the URI of a seeded nx-27017 server (the sandbox's launcher), database `promptlens`."""
    import pymongo

    from plbook.sandbox.mongo_server import MongoServer
    from plbook.sandbox.seed import create_indexes

    server = MongoServer(free_ports(1)[0], tmp_path_factory.mktemp("mongo"))
    server.start()
    uri = f"mongodb://127.0.0.1:{server.port}/promptlens"
    with pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        database = client.get_default_database()
        create_indexes(database)
        database.users.insert_one(
            {"email": "test@example.com", "plan": "free", "usageCount": 3, "limit": 50}
        )
    yield uri
    server.stop()


@pytest.fixture
def stripe_api_base() -> Iterator[str]:
    """Give the base URL of the sandbox's Stripe API stand-in, one per test.

    Not one per session: a loopback server the pytest process shares across many tests once
    closed the next test's first request unanswered (see tests/run/conftest.py: `api_url`).
    """
    from plbook.sandbox.addresses import SandboxPorts
    from plbook.sandbox.stripe_api import stripe_api_server
    from plbook.sandbox.stripe_store import StripeAccount

    ports = SandboxPorts(api=free_ports(1)[0], stripe_api=free_ports(1)[0])
    account = StripeAccount(ports, autopay=False)
    server = stripe_api_server(ports.stripe_api, account)
    server.start()
    yield ports.stripe_api_base
    server.stop()
    account.stop()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Give headless Debian Chromium driven by Playwright, one for the whole session.

    Its Playwright session keeps an event loop in the main thread: code under test that drives
    a browser of its own (browser steps) runs in a worker thread, as in a `plbook run` process.
    """
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
