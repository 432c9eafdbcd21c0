"""One real sandbox for the whole session, on free ports, reset between tests."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pymongo
import pytest

from plbook.sandbox import Sandbox, SandboxPorts
from plbook.sandbox.addresses import TEST_USER_EMAIL, TEST_USER_TOKEN, free_ports


@pytest.fixture(name="free_ports", scope="session")
def free_ports_fixture() -> Callable[[int], list[int]]:
    """Give the free_ports function to tests that start their own sandbox."""
    return free_ports


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(ports=SandboxPorts(*free_ports(4))) as running:
        yield running


@pytest.fixture(scope="session")
def db(sandbox: Sandbox) -> Iterator[Any]:
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        sandbox.mongodb_uri, serverSelectionTimeoutMS=3000, tz_aware=True
    )
    yield client.get_default_database()
    client.close()


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.api_url, timeout=15) as client:
        yield client


@pytest.fixture(autouse=True)
def healthy_sandbox_and_free_test_user(request: pytest.FixtureRequest) -> None:
    """Start each test with no faults and the test user on the free plan with nothing used."""
    if "sandbox" not in request.fixturenames:
        return
    sandbox: Sandbox = request.getfixturevalue("sandbox")
    database = request.getfixturevalue("db")
    sandbox.set_faults([])
    user = database.users.find_one({"email": TEST_USER_EMAIL})
    now = datetime.now(timezone.utc)
    for field in ("stripeCustomerId", "stripeSubscriptionId"):
        user.pop(field, None)
    user.update(
        plan="free",
        limit=50,
        usageCount=0,
        lastResetAt=now - timedelta(days=1),
        nextResetAt=now + timedelta(days=29),
    )
    database.users.replace_one({"_id": user["_id"]}, user)


@pytest.fixture
def auth() -> dict[str, str]:
    """Give the test user's Authorization header."""
    return {"Authorization": f"Bearer {TEST_USER_TOKEN}"}


@pytest.fixture
def run_cli(sandbox: Sandbox) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Give a runner for CLI stand-ins: called by name, the sandbox's bin first on PATH."""

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(command), env=sandbox.cli_environment(), capture_output=True, text=True, timeout=60
        )

    return run


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    """Give a poller: the first truthy value of predicate() within timeout, or a failed test."""

    def poll(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        pytest.fail(f"condition not met within {timeout} s")

    return poll
