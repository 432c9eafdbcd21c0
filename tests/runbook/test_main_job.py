"""README's main job: `plbook up` builds, smoke-tests the sandbox, serves, and stops cleanly."""

from __future__ import annotations

import html
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from sandbox_runs import ROOT

from plbook.catalog import load_catalog
from plbook.sandbox.addresses import SandboxPorts, free_ports


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.timeout(600)
def test_up_serves_the_runbook_after_green_smoke_tests_and_stops_on_sigterm():
    port = free_ports(1)[0]
    environment = os.environ | {"NO_COLOR": "1"}
    job = subprocess.Popen(
        [sys.executable, "-m", "plbook", "up", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 500
        assert job.stdout is not None
        for line in job.stdout:
            output.append(line)
            if "Runbook site:" in line or time.monotonic() > deadline:
                break
        text = "".join(output)
        assert "Smoke tests passed" in text, text[-3000:]
        assert f"http://127.0.0.1:{port}/" in text
        page = httpx.get(f"http://127.0.0.1:{port}/procedures/smoke-tests/")
        assert page.status_code == 200
        assert (
            html.escape(load_catalog([ROOT / "procedures"]).get("smoke-tests").title) in page.text
        )
        assert 'id="step-health"' in page.text
    finally:
        job.send_signal(signal.SIGTERM)
        job.wait(timeout=60)
    ports = SandboxPorts()
    assert not any(
        _listening(p) for p in (port, ports.api, ports.dashboard, ports.stripe_api, ports.mongodb)
    )
