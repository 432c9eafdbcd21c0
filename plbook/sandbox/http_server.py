"""A small routed HTTP server on the stdlib, shared by the sandbox's three web servers."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """What a route handler needs from an HTTP request."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    path_params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """Give the body parsed as JSON, or an empty dict when there is no body."""
        if not self.body.strip():
            return {}
        return json.loads(self.body)

    def header(self, name: str) -> str:
        """Give a header's value (case-insensitive name), or "" when absent."""
        return self.headers.get(name.lower(), "")


@dataclass
class Response:
    """What a route handler answers."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any) -> Response:
    """Give a JSON response."""
    return Response(status, json.dumps(payload, default=str).encode())


def html_response(status: int, html: str) -> Response:
    """Give an HTML response."""
    return Response(status, html.encode(), content_type="text/html; charset=utf-8")


Handler = Callable[[Request], Response]


class Router:
    """Maps a method and a path pattern such as `/v1/customers/{id}` to a handler."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """Register a handler; `{name}` in the pattern matches one path segment."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append((method, re.compile(f"^{regex}$"), handler))

    def find(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        """Give the handler and path parameters for a request, or None when no route matches."""
        for route_method, regex, handler in self._routes:
            match = regex.match(path)
            if match and route_method == method:
                return handler, match.groupdict()
        return None


AccessLog = Callable[[Request, Response, float], None]


def _make_request_handler(
    router: Router, not_found: Handler, access_log: AccessLog | None
) -> type[BaseHTTPRequestHandler]:
    class RoutedRequestHandler(BaseHTTPRequestHandler):
        # A client that connects and says nothing must not hold a thread (and so stop()) forever.
        timeout = 10

        def _dispatch(self) -> None:
            started = time.monotonic()
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=url.path,
                query={key: values[-1] for key, values in parse_qs(url.query).items()},
                headers={key.lower(): value for key, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            found = router.find(request.method, request.path)
            if found is None:
                response = not_found(request)
            else:
                handler, request.path_params = found
                response = handler(request)
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
            if access_log is not None:
                access_log(request, response, time.monotonic() - started)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet: each server keeps its own log where the CLI stand-ins can read it."""

    return RoutedRequestHandler


class PortInUseError(OSError):
    """A sandbox port is taken, most likely by another running sandbox."""


class RoutedHTTPServer:
    """A ThreadingHTTPServer running in a background thread until stop()."""

    def __init__(
        self,
        host: str,
        port: int,
        router: Router,
        not_found: Handler,
        access_log: AccessLog | None = None,
    ) -> None:
        handler_class = _make_request_handler(router, not_found, access_log)
        try:
            self._server = ThreadingHTTPServer((host, port), handler_class)
        except OSError as error:
            raise PortInUseError(
                f"cannot listen on {host}:{port} ({error.strerror}); is another sandbox running?"
            ) from error
        # Request threads are joined by server_close(), so stop() leaves none behind.
        self._server.daemon_threads = False
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            # stop() waits up to one poll interval; the default 0.5 s makes stopping feel slow.
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-http-{port}",
            daemon=True,
        )

    def start(self) -> None:
        """Start answering requests."""
        self._thread.start()

    def stop(self) -> None:
        """Stop answering, wait for requests in flight, and free the port."""
        if not self._thread.is_alive():
            self._server.server_close()
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
