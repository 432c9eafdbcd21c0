"""The sandbox starts, seeds, switches faults at runtime, and stops leaving nothing behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from plbook.sandbox import FAULTS, Sandbox, SandboxPorts, UnknownFaultError

pytestmark = pytest.mark.timeout(60)


def child_pids() -> set[int]:
    """Give the ids of this process's live child processes."""
    children = Path(f"/proc/{os.getpid()}/task").glob("*/children")
    return {int(pid) for path in children for pid in path.read_text().split()}


def port_is_free(port: int) -> bool:
    """Give whether a new sandbox could listen on the port (TIME_WAIT does not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_stop_leaves_no_process_thread_or_port_behind(free_ports):
    ports = SandboxPorts(*free_ports(4))
    children_before = child_pids()

    with Sandbox(faults=["slow-api", "quota-desync"], ports=ports) as sandbox:
        assert httpx.get(f"{sandbox.api_url}/api/health", timeout=10).status_code == 200
        assert child_pids() - children_before, "nx-27017 should run as a child process"

    assert child_pids() == children_before
    assert [
        port
        for port in (ports.api, ports.dashboard, ports.stripe_api, ports.mongodb)
        if not port_is_free(port)
    ] == []
    ours = {f"sandbox-http-{port}" for port in (ports.api, ports.dashboard, ports.stripe_api)}
    ours.add(f"sandbox-stripe-autopay-{ports.stripe_api}")
    assert not [thread.name for thread in threading.enumerate() if thread.name in ours]


def test_a_taken_port_fails_start_cleanly(sandbox, free_ports):
    children_before = child_pids()
    taken = SandboxPorts(sandbox.ports.api, *free_ports(3))

    with pytest.raises(OSError, match="another sandbox"):
        Sandbox(ports=taken).start()

    assert child_pids() == children_before


def test_latency_delays_every_http_answer(free_ports):
    with Sandbox(ports=SandboxPorts(*free_ports(4)), latency_ms=150) as sandbox:
        urls = [
            f"{sandbox.api_url}/api/health",
            sandbox.dashboard_url,
            f"{sandbox.stripe_api_base}/v1/customers",
        ]
        for url in urls:
            started = time.monotonic()
            httpx.get(url, timeout=10)
            assert time.monotonic() - started >= 0.15, url
        assert httpx.get(f"{sandbox.api_url}/__sandbox/state").json()["latency_ms"] == 150


def test_a_negative_latency_is_refused():
    with pytest.raises(ValueError, match="latency_ms"):
        Sandbox(latency_ms=-1)


def test_unknown_faults_are_refused():
    with pytest.raises(UnknownFaultError, match="no-such-fault"):
        Sandbox(faults=["no-such-fault"])


def test_faults_can_be_switched_through_the_admin_endpoint(sandbox, api):
    answer = api.post("/__sandbox/faults", json={"faults": ["db-down", "slow-api"]})

    assert answer.status_code == 200
    assert answer.json()["faults"] == ["db-down", "slow-api"]
    assert api.get("/__sandbox/state").json()["faults"] == ["db-down", "slow-api"]
    assert api.post("/__sandbox/faults", json={"faults": ["nope"]}).status_code == 400


def test_every_fault_has_a_one_line_description():
    assert {
        "db-down",
        "slow-api",
        "bad-webhook-secret",
        "quota-desync",
        "bad-deploy",
    } <= FAULTS.keys()
    assert all("\n" not in description for description in FAULTS.values())


def test_the_runbook_indexes_exist(db):
    def by_key(collection: str) -> dict[tuple, dict]:
        return {tuple(info["key"]): info for info in db[collection].index_information().values()}

    users, events, prompts = by_key("users"), by_key("webhookevents"), by_key("prompts")

    assert users[(("email", 1),)]["unique"] is True
    assert (("stripeCustomerId", 1),) in users
    assert events[(("eventId", 1),)]["unique"] is True
    assert events[(("createdAt", 1),)]["expireAfterSeconds"] == 2592000
    # nx-27017 0.8.1 reports the descending createdAt of this compound index as ascending.
    assert any(key[0] == ("userId", 1) and key[1][0] == "createdAt" for key in prompts)


def test_the_test_user_is_seeded_on_the_free_plan(db):
    user = db.users.find_one({"email": "test@example.com"})

    assert user["plan"] == "free" and user["usageCount"] == 0 and user["limit"] == 50
    assert db.prompts.count_documents({"userId": str(user["_id"])}) >= 2


def test_importing_the_package_does_not_import_pymongo_or_stripe():
    code = "import sys, plbook.sandbox; print(sorted({'pymongo', 'stripe'} & set(sys.modules)))"

    imported = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert imported.stdout.strip() == "[]"


def test_serve_sandbox_prints_addresses_and_stops_cleanly_on_sigterm():
    # serve_sandbox listens on the fixed ports, so it cannot run beside a developer's sandbox.
    if not all(port_is_free(port) for port in (8787, 8788, 12111, 27117)):
        pytest.skip("a sandbox is already running on the default ports")
    code = "from plbook.sandbox import serve_sandbox; serve_sandbox([])"
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True
    ) as served:
        assert served.stdout is not None
        lines = [served.stdout.readline() for _ in range(8)]
        assert "http://127.0.0.1:8787" in lines[0]
        assert httpx.get("http://127.0.0.1:8787/api/health", timeout=10).status_code == 200

        served.send_signal(signal.SIGTERM)

        assert served.wait(timeout=20) == 0
    assert all(port_is_free(port) for port in (8787, 8788, 12111, 27117))


def test_plbook_sandbox_refuses_a_latency_that_is_not_a_duration():
    plbook = Path(sys.executable).with_name("plbook")

    result = subprocess.run(
        [str(plbook), "sandbox", "--latency", "soon"], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "--latency: 'soon' is not a duration; write a number with a unit, e.g. 500ms, 5s, 2m, "
        "1h or 1h30m"
    ]
