"""Real servers on loopback for the executor's tests, and a helper that writes a runbook to run."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from run_support import CANARY, Runbook

from plbook.sandbox.addresses import free_ports


class _FaultyHandler(BaseHTTPRequestHandler):
    """Answers as a healthy, failing, slow or broken API depending on the path."""

    hits: dict[str, int] = {}

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        path, _, query = self.path.partition("?")
        counter = type(self).hits
        counter[path] = counter.get(path, 0) + 1
        if path == "/api/health":
            self._json(200, {"success": True, "data": {"status": "ok", "database": "connected"}})
        elif path == "/api/down":
            self._json(
                503, {"success": False, "data": {"status": "error", "database": "disconnected"}}
            )
        elif path == "/api/malformed":
            self._send(200, b'{"success": true, "data": {', "application/json")
        elif path == "/api/slow":
            time.sleep(3)
            self._json(200, {"success": True})
        elif path == "/api/echo":
            # Echoes the request back, as a debug endpoint would: secrets end up in the body.
            self._json(200, {"headers": dict(self.headers.items()), "query": query})
        elif path == "/api/flaky":
            # Healthy from the third request on: a service coming back after a restart.
            self._json(200 if counter[path] >= 3 else 503, {"attempt": counter[path]})
        elif path.startswith("/v1/"):
            # A Stripe API having an outage.
            self._json(500, {"error": {"type": "api_error", "message": "Stripe is having trouble"}})
        elif path.startswith("/api/items/"):
            self._json(200, {"id": int(path.rsplit("/", 1)[1]), "ok": True})
        else:
            self._json(404, {"error": "not found"})

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout case), as it should

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


@pytest.fixture
def api_url() -> Iterator[str]:
    """Give the base URL of a local API with healthy and faulty endpoints, one per test.

    One server per test, not per session: after the suite before them, a shared one closed the
    first request of the next test unanswered ("Server disconnected without sending a
    response"), twice in four full runs; the cause is not known yet (see the closing note).
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FaultyHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def runbook(tmp_path: Path, api_url: str) -> Runbook:
    """Give an empty runbook whose `test` environment points at the local API."""
    return Runbook(
        tmp_path,
        values={
            "api_url": api_url,
            "down_url": f"http://127.0.0.1:{free_ports(1)[0]}",
            "mongodb_database": "promptlens",
            "stripe_api_base": "http://127.0.0.1:9",
        },
        secrets={"API_TOKEN": CANARY, "MONGODB_URI": None, "STRIPE_SECRET_KEY": None},
    )
