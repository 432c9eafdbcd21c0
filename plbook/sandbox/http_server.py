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


class MalformedBodyError(ValueError):
    """A request body that is not the JSON the route reads; the server answers 400."""


@dataclass
class Request:
    """What a route handler needs from an HTTP request."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    path_params: dict[str, str] = field(default_factory=dict)
    query_string: str = ""

    def json(self) -> Any:
        """Give the body parsed as JSON, or an empty dict when there is no body."""
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise MalformedBodyError(f"Unexpected token in JSON body: {error}") from None

    def json_object(self) -> dict[str, Any]:
        """Give the body as a JSON object, or raise MalformedBodyError for anything else."""
        parsed = self.json()
        if not isinstance(parsed, dict):
            raise MalformedBodyError("The JSON body must be an object")
        return parsed

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
BadRequestHandler = Callable[[Request, str], Response]


def json_bad_request(request: Request, message: str) -> Response:
    """Give a 400 with the message as a JSON error body."""
    return json_response(400, {"error": message})


class Router:
    """Maps a method and a path pattern such as `/v1/customers/{id}` to a handler."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """Register a handler; `{name}` in the pattern matches one path segment."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append((method, re.compile(f"^{regex}$"), handler))

    def find(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        """Give the handler and path parameters for a request, or None when no route matches.

        HEAD finds the GET route, as every HTTP server answers it: the same status and
        headers, without the body.
        """
        method = "GET" if method == "HEAD" else method
        for route_method, regex, handler in self._routes:
            match = regex.match(path)
            if match and route_method == method:
                return handler, match.groupdict()
        return None


AccessLog = Callable[[Request, Response, float], None]


@dataclass(frozen=True)
class ServerBehaviour:
    """How a server answers beyond its routes: unknown paths, bad bodies, logging, latency."""

    not_found: Handler
    bad_request: BadRequestHandler = json_bad_request
    access_log: AccessLog | None = None
    # Added to every answer, so a benchmark can see what concurrency buys against real latency.
    latency_seconds: float = 0.0


def _answer(router: Router, behaviour: ServerBehaviour, request: Request) -> Response:
    found = router.find(request.method, request.path)
    if found is None:
        return behaviour.not_found(request)
    handler, request.path_params = found
    try:
        return handler(request)
    except MalformedBodyError as error:
        return behaviour.bad_request(request, str(error))


def _make_request_handler(
    router: Router, behaviour: ServerBehaviour
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
                query_string=url.query,
            )
            response = _answer(router, behaviour, request)
            if behaviour.latency_seconds:
                time.sleep(behaviour.latency_seconds)
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if request.method != "HEAD":
                self.wfile.write(response.body)
            if behaviour.access_log is not None:
                behaviour.access_log(request, response, time.monotonic() - started)

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _dispatch

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
        behaviour: ServerBehaviour,
    ) -> None:
        handler_class = _make_request_handler(router, behaviour)
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
