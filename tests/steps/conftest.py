"""A runtime for one kind run in-process, and a local HTTP server that records requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from steps.kind_support import KindRuntime


@pytest.fixture
def runtime() -> Iterator[KindRuntime]:
    """Give a runtime whose resources are closed after the test."""
    made = KindRuntime()
    yield made
    made.resources.close()


class _RecordingHandler(BaseHTTPRequestHandler):
    """Answers every request with what it received, and keeps it for the test to read."""

    protocol_version = "HTTP/1.1"
    received: list[dict[str, Any]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": self.rfile.read(length).decode() if length else "",
        }
        type(self).received.append(request)
        if self.path.startswith("/status/"):
            status = int(self.path.split("/")[2])
            body = b"not json"
        else:
            status, body = 200, json.dumps(request).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815 - the stdlib's names

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


@pytest.fixture(scope="session")
def echo_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Give the base URL of a local server that echoes requests, and the requests it received."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _RecordingHandler.received
    server.shutdown()
    server.server_close()
