"""A hostile HTTP server on loopback: the targets a run must survive on its worst night.

Paths: `/drip` sends headers, then one body byte a second; `/drip-headers` sends its status
line and headers one byte a second; `/huge?bytes=N` streams N bytes; `/gzip-bomb?bytes=N` is a
small gzip body that inflates to N bytes; `/echo...` answers with the path and query it got;
`/redirect?to=URL` redirects there. Used by the tests and by `bench/hostile.py`.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from plbook.sandbox.addresses import HOST

CHUNK = 1024 * 1024


class HostileHandler(BaseHTTPRequestHandler):
    """Answers as a slow, huge or deceitful target, by path."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in writes of their own; with Nagle on, each waits for an ACK.
    disable_nagle_algorithm = True
    received: list[dict[str, Any]] = []

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        type(self).received.append(
            {"path": url.path, "query": url.query, "headers": dict(self.headers.items())}
        )
        try:
            self._answer(url.path, query)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading, as it should

    def _answer(self, path: str, query: dict[str, str]) -> None:
        size = int(query.get("bytes", 1024**3))
        if path == "/drip":
            self._head(200, {"Content-Length": "60"})
            for _ in range(60):
                self._write(b"x")
                time.sleep(1)
        elif path == "/drip-headers":
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                self._write(bytes([byte]))
                time.sleep(1)
        elif path == "/huge":
            self._head(200, {"Content-Length": str(size)})
            self._stream(size, lambda n: b"x" * n)
        elif path == "/gzip-bomb":
            body = gzip_of_zeros(size)
            self._head(200, {"Content-Encoding": "gzip", "Content-Length": str(len(body))})
            self._write(body)
        elif path == "/redirect":
            self._head(302, {"Location": query["to"], "Content-Length": "0"})
        else:
            body = json.dumps({"path": path, "query": urlsplit(self.path).query}).encode()
            self._head(200, {"Content-Type": "application/json", "Content-Length": str(len(body))})
            self._write(body)

    def _head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.flush()

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def _stream(self, size: int, make: Any) -> None:
        while size > 0:
            part = min(size, CHUNK)
            self._write(make(part))
            size -= part

    def handle(self) -> None:
        """Answer requests; a client that hangs up between them is no error."""
        try:
            super().handle()
        except ConnectionError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


@lru_cache(maxsize=4)
def gzip_of_zeros(size: int) -> bytes:
    """Give a gzip stream of `size` zero bytes, made a megabyte at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(CHUNK)
    parts = [packer.compress(zeros) for _ in range(size // CHUNK)]
    parts.append(packer.compress(bytes(size % CHUNK)))
    return b"".join(parts) + packer.flush()


@contextmanager
def hostile_server() -> Iterator[str]:
    """Give the base URL of a hostile server on a free loopback port while the block runs."""
    server = ThreadingHTTPServer((HOST, 0), HostileHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
