"""`http`: one HTTP request made with httpx; `result`: status, headers, json, text, elapsed_ms."""

from __future__ import annotations

import codecs
import contextlib
import json
import re
import shlex
import socket
import time
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlencode, urlsplit

from pydantic import Field, model_validator

from plbook import expr
from plbook.fields import Strict, Wait
from plbook.steps.base import (
    StepFailed,
    StepKind,
    StepRuntime,
    StepView,
    resolve_model,
    with_secret_placeholders,
)
from plbook.steps.deadline import DeadlinePassed, before_deadline
from plbook.steps.twin import (
    VARS,
    Placeholder,
    Twin,
    TwinContext,
    TwinJson,
    parts,
    shell_word,
)

if TYPE_CHECKING:
    import httpx


class Spec(Strict):
    """The request to make."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = Field(
        "GET", description="The HTTP method, in capitals."
    )
    url: str = Field(description="Absolute URL, usually built from `{{ env.api_url }}`.")
    headers: dict[str, str] = Field(default_factory=dict, description="Request headers.")
    params: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Query parameters, added to those in the URL."
    )
    json_body: Any = Field(None, alias="json", description="A JSON request body.")
    body: str | None = Field(None, description="A raw request body.")
    timeout: Wait | None = Field(None, description="How long to wait for the answer.")
    follow_redirects: bool = Field(False, description="Follow 3xx answers to their target.")
    encode_inputs: bool = Field(
        True,
        description="Percent-encode each input put into the URL as one path segment or query "
        "value, so `../admin`, `?` or `#` in an input cannot change the path or query; "
        "false puts inputs in as written.",
    )

    @model_validator(mode="after")
    def _one_body(self) -> Spec:
        if self.json_body is not None and self.body is not None:
            raise ValueError("give either json or body, not both")
        return self


def _shell_word(text: str) -> str:
    """Give `text` quoted for bash so that only its `$SECRET` placeholders expand."""
    if with_secret_placeholders(text) == text:
        return shlex.quote(text)
    escaped = re.sub(r'(["\\`$])', r"\\\1", text)
    return '"' + with_secret_placeholders(escaped) + '"'


class HttpKind(StepKind[Spec]):
    """One HTTP request; passes on a status below 400 unless told otherwise."""

    name = "http"
    label = "HTTP request"
    spec_type = Spec
    default_expect = ("result.status < 400",)
    result_words = {
        "status": "the HTTP status",
        "json": "the JSON body",
        "text": "the response body",
        "headers": "the response headers",
        "elapsed_ms": "the response time in milliseconds",
    }
    result_part_words = {"json": "`{part}` in the JSON body", "headers": "the `{part}` header"}
    # Pygments' HTTP lexer marks `{{ }}` in a request line as an error; plain text reads better.
    page_language = "text"

    def describe(self, spec: Spec) -> StepView:
        """Give the request as an HTTP message and as the equivalent curl line."""
        url = spec.url
        if spec.params:
            url += "?" + "&".join(f"{k}={v}" for k, v in spec.params.items())
        lines = [f"{spec.method} {url}"] + [f"{k}: {v}" for k, v in spec.headers.items()]
        curl = ["curl", "-i", "-X", spec.method, _shell_word(url)]
        for key, value in spec.headers.items():
            curl += ["-H", _shell_word(f"{key}: {value}")]
        if spec.json_body is not None:
            payload = json.dumps(spec.json_body)
            lines += ["Content-Type: application/json", "", json.dumps(spec.json_body, indent=2)]
            curl += ["-H", "'Content-Type: application/json'", "-d", _shell_word(payload)]
        elif spec.body is not None:
            lines += ["", spec.body]
            curl += ["--data-binary", _shell_word(spec.body)]
        if spec.follow_redirects:
            curl.insert(1, "-L")
        if spec.timeout:
            curl[1:1] = ["--max-time", f"{spec.timeout:g}"]
        return StepView(
            action=with_secret_placeholders("\n".join(lines)),
            language="http",
            manual_equivalent=with_secret_placeholders(" ".join(curl)),
        )

    def resolve(self, spec: Spec, runtime: StepRuntime) -> Spec:
        """Give the request with every `{{ }}` value filled in, inputs in the URL encoded."""
        resolved = resolve_model(spec, runtime)
        inputs = runtime.input_values()
        if not spec.encode_inputs or not inputs or "inputs" not in spec.url:
            return resolved
        encoded = {name: quote(str(value), safe="") for name, value in inputs.items()}
        url = str(runtime.render(spec.url, overrides={"inputs": encoded}))
        marked = {name: "plbook-input" for name in inputs}
        try:
            planned_host = _host(str(runtime.render(spec.url, overrides={"inputs": marked})))
        except expr.ExpressionError:
            planned_host = _host(url)  # the URL computes with its inputs; the encoding still holds
        if _host(url) != planned_host:
            raise StepFailed(f"an input would change the host of {spec.url}; refused")
        return resolved.model_copy(update={"url": url})

    def action_line(self, spec: Spec) -> str:
        """Give the curl line: the request exactly as it is made, on one line."""
        view = self.describe(spec)
        return view.manual_equivalent or view.action

    def twin(self, spec: Spec, context: TwinContext) -> Twin:
        """Give the curl line that makes this request as httpx makes it, and prints the answer."""
        words = _curl_words(spec, context, ["-i"])
        if "elapsed_ms" in context.result_fields:
            words += ["-w", shlex.quote(_TIMING)]
        return Twin(" ".join(words), _not_exact(spec))

    def twin_json(self, spec: Spec, context: TwinContext) -> TwinJson | None:
        """Give the curl line that prints only the body, for a request that is safe to repeat."""
        if spec.method not in _BODYLESS_REDIRECTS:
            return None  # asking again would post again: a var it saves stays a placeholder
        return TwinJson(" ".join(_curl_words(spec, context, [])), {"json": "."})

    def twin_result(self, spec: Spec, output: str) -> dict[str, Any]:
        """Give status, headers, json, text and elapsed_ms from what `curl -i` printed."""
        elapsed_ms = None
        timing = _TIMING_PRINTED.search(output)
        if timing:
            elapsed_ms = round(float(timing.group(1)) * 1000, 1)
            output = output[: timing.start()]
        status, headers, text = _last_response(output, spec.method == "HEAD")
        return _result(status, headers, text, elapsed_ms)

    def run(self, spec: Spec, runtime: StepRuntime) -> dict[str, Any]:
        """Make the request; give status, headers (lower-case), json (or none), text, elapsed_ms."""
        import httpx

        timeout = spec.timeout or runtime.timeout
        client = runtime.resource(_CLIENT, _open_client)
        try:
            request = client.build_request(
                spec.method,
                httpx.URL(spec.url).copy_merge_params(spec.params),
                headers=spec.headers,
                json=spec.json_body,
                content=spec.body,
                timeout=min(timeout, runtime.remaining()),
            )
        except (httpx.InvalidURL, TypeError, ValueError) as error:
            raise StepFailed(f"cannot make the request to {spec.url}: {error}") from None
        exchange = _Exchange(client, spec, runtime)
        started = time.monotonic()
        try:
            status, headers, body = before_deadline(
                runtime, lambda: exchange.make(request), exchange.cut
            )
        except (DeadlinePassed, httpx.TimeoutException):
            raise StepFailed(f"no answer from {spec.url} within {timeout:g}s") from None
        except httpx.ConnectError as error:
            raise StepFailed(f"cannot connect to {spec.url}: {_reason(error)}") from None
        except httpx.HTTPError as error:
            raise StepFailed(f"{spec.method} {spec.url} failed: {_reason(error)}") from None
        text = body.decode(_codec(headers), "replace")
        try:
            parsed = json.loads(text) if text.strip() else None
        except ValueError:
            parsed = None  # not JSON: expectations on result.json then say it was none
        return {
            "status": status,
            "headers": headers,
            "json": parsed,
            "text": text,
            "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
        }


KIND = HttpKind()
_CLIENT = "http.client"
MOST_REDIRECTS = 20
_HTTPX_MAX_REDIRECTS = 20
_TIMING = "\\ntime_total: %{time_total}s\\n"
_TIMING_PRINTED = re.compile(r"\ntime_total: ([0-9.]+)s\n?$")
_BODYLESS_REDIRECTS = ("GET", "HEAD", "OPTIONS")


def _result(
    status: int, headers: dict[str, str], text: str, elapsed_ms: float | None
) -> dict[str, Any]:
    """Give a request's `result`: the body as JSON when it is JSON, else none."""
    try:
        body = json.loads(text) if text.strip() else None
    except ValueError:
        body = None  # not JSON: expectations on result.json then say it was none
    return {
        "status": status,
        "headers": headers,
        "json": body,
        "text": text,
        "elapsed_ms": elapsed_ms,
    }


def _curl_words(spec: Spec, context: TwinContext, shown: list[str]) -> list[str]:
    """Give the curl words of the request as httpx makes it; `shown`: what else it prints."""
    words = ["curl", "-sS", *shown, "--compressed", *_method_words(spec)]
    if spec.follow_redirects:
        words += ["-L", "--max-redirs", str(_HTTPX_MAX_REDIRECTS)]
    if spec.timeout:
        words += ["--max-time", f"{spec.timeout:g}"]
    url, queried = _url_and_query(spec)
    words.append(shell_word(url, context))
    words += [word for item in queried for word in ("--url-query", shell_word(item, context))]
    for key, value in spec.headers.items():
        words += ["-H", shell_word(f"{key}: {value}", context)]
    if spec.json_body is not None:
        if not any(key.lower() == "content-type" for key in spec.headers):
            words += ["-H", "'Content-Type: application/json'"]
        words += ["--data-raw", _json_word(spec.json_body, context)]
    elif spec.body is not None:
        words += ["--data-raw", shell_word(spec.body, context)]
    return words


def _method_words(spec: Spec) -> list[str]:
    """Give curl's method option: -I for HEAD; none where curl's default is the same method.

    A POST with a body goes without `-X`, so that a followed 303 turns into a GET as in httpx.
    """
    if spec.method == "HEAD":
        return ["-I"]
    has_body = spec.json_body is not None or spec.body is not None
    if spec.method == "GET" or (spec.method == "POST" and has_body):
        return []
    return ["-X", spec.method]


def _not_exact(spec: Spec) -> str | None:
    """Give why curl cannot follow this request's redirects as httpx does, else None."""
    has_body = spec.json_body is not None or spec.body is not None
    if not spec.follow_redirects or spec.method in _BODYLESS_REDIRECTS:
        return None
    if spec.method == "POST" and has_body:
        return None
    return f"curl keeps {spec.method} after a redirect where httpx may switch to GET"


def _query_text(value: str | int | float | bool) -> str:
    """Give a parameter's value as httpx writes it in a query (`true`, not `True`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _url_and_query(spec: Spec) -> tuple[str, list[str]]:
    """Give the URL with its fixed parameters encoded, and `name=value` for the supplied ones."""
    fixed: list[tuple[str, str]] = []
    supplied: list[str] = []
    for name, value in spec.params.items():
        text = _query_text(value)
        if any(isinstance(piece, Placeholder) for piece in parts(text)):
            supplied.append(f"{name}={text}")  # curl --url-query encodes it when it runs
        else:
            fixed.append((name, text))
    if not fixed:
        return spec.url, supplied
    separator = "&" if "?" in spec.url else "?"
    return spec.url + separator + urlencode(fixed), supplied


def _json_word(body: Any, context: TwinContext) -> str:
    """Give a JSON body as httpx sends it, as one bash word; a var (JSON itself) goes in as is."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("\\u001b", "\x1b")
    pieces: list[str] = []
    position = 0
    for match in _WHOLE_VAR_IN_JSON.finditer(text):
        pieces.append(text[position : match.start()])
        pieces.append("\x00" + match.group(1))
        position = match.end()
    pieces.append(text[position:])
    words = []
    for piece in pieces:
        if piece.startswith("\x00"):
            words.append('"${' + context.variable(Placeholder(VARS, piece[1:])) + '}"')
        elif piece:
            words.append(shell_word(piece, context))
    return "".join(words)


_HEADERS_END = re.compile(r"\r?\n\r?\n")
_WHOLE_VAR_IN_JSON = re.compile(r'"\x1bvars:([A-Za-z0-9_]*):0\.000\x1b"')


def _last_response(output: str, head: bool) -> tuple[int, dict[str, str], str]:
    """Give status, headers and body of the last response `curl -i` printed (after redirects)."""
    status, rest = 0, output
    headers: dict[str, str] = {}
    while rest.startswith("HTTP/"):
        block, rest = (_HEADERS_END.split(rest, maxsplit=1) + [""])[:2]
        lines = block.splitlines()
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        if head:
            break
    return status, headers, rest


def _open_client() -> httpx.Client:
    """Give the run's HTTP client; its TLS setup waits for the first https URL.

    Reading the CA bundle costs tens of milliseconds a run, and a runbook checking a local
    stand-in over plain http never needs it; https requests verify certificates as always.
    """
    import urllib.request

    import httpx

    if urllib.request.getproxies():
        return httpx.Client()  # proxies from the environment route requests as httpx decides

    class TLSOnFirstUse(httpx.BaseTransport):
        """The default (verifying) transport, made when a request first needs it."""

        def __init__(self) -> None:
            self._transport: httpx.HTTPTransport | None = None

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if self._transport is None:
                self._transport = httpx.HTTPTransport()
            return self._transport.handle_request(request)

        def close(self) -> None:
            if self._transport is not None:
                self._transport.close()

    # Plain http never does TLS, so its transport needs no certificates to verify with.
    plain = httpx.HTTPTransport(verify=False)
    return httpx.Client(transport=TLSOnFirstUse(), mounts={"http://": plain})


class _Exchange:
    """One request and its redirects, read to a capped body; cut at the deadline from outside."""

    def __init__(self, client: httpx.Client, spec: Spec, runtime: StepRuntime) -> None:
        self._client = client
        self._spec = spec
        self._runtime = runtime
        self._response: httpx.Response | None = None

    def make(self, request: httpx.Request) -> tuple[int, dict[str, str], bytes]:
        """Give the status, headers and body of the answer (redirects followed when asked)."""
        origin = request.url.host
        for _ in range(MOST_REDIRECTS + 1):
            response = self._client.send(request, stream=True)
            self._response = response
            following = response.next_request if self._spec.follow_redirects else None
            if following is None:
                return self._read(response)
            response.close()
            if following.url.host != origin:
                # httpx drops only Authorization; any header carrying a secret stays home.
                for name in [n for n, v in following.headers.items() if self._holds_secret(v)]:
                    del following.headers[name]
            request = following
        raise StepFailed(f"more than {MOST_REDIRECTS} redirects from {self._spec.url}")

    def _holds_secret(self, value: str) -> bool:
        return self._runtime.holds_secret(value)

    def _read(self, response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
        """Give the answer with its decoded body, or StepFailed past the output limit."""
        limit = self._runtime.output_limit
        body = bytearray()
        try:
            for chunk in _decoded_chunks(response):
                body += chunk
                if len(body) > limit:
                    raise StepFailed(
                        f"the response body of {self._spec.url} is larger than {limit} bytes "
                        "(after decoding); stopped reading it. Raise the step's max_output "
                        "if that much is expected"
                    )
        finally:
            response.close()
        headers = {name.lower(): value for name, value in response.headers.items()}
        return response.status_code, headers, bytes(body)

    def cut(self) -> None:
        """Cut the connection the exchange is reading from, so its thread ends now."""
        response = self._response
        stream = response.extensions.get("network_stream") if response is not None else None
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


INFLATED_PIECE = 1024 * 1024
"""Most bytes one piece of a compressed body inflates to at once, so a bomb is seen early."""


def _decoded_chunks(response: httpx.Response) -> Iterator[bytes]:
    """Give the body in decoded pieces; gzip and deflate a megabyte at most at a time.

    httpx inflates each network read whole, and a 64 KiB read of a gzip bomb is 64 MB.
    """
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("gzip", "x-gzip", "deflate"):
        yield from response.iter_bytes()
        return
    inflater = zlib.decompressobj(31 if "gzip" in encoding else 15)
    started = False
    for raw in response.iter_raw():
        pending = raw
        while pending:
            try:
                piece = inflater.decompress(pending, INFLATED_PIECE)
            except zlib.error as error:
                if started or encoding != "deflate":
                    message = f"the {encoding} body of {response.url} is corrupt: {error}"
                    raise StepFailed(message) from None
                # Some servers send "deflate" without its zlib header, as httpx also allows.
                inflater, started = zlib.decompressobj(-15), True
                continue
            started = True
            yield piece
            pending = inflater.unconsumed_tail


def _host(url: str) -> str:
    return urlsplit(url).netloc


def _codec(headers: dict[str, str]) -> str:
    """Give the text encoding the answer names, else UTF-8."""
    charset = re.search(r"charset=[\"']?([\w.:-]+)", headers.get("content-type", ""))
    if charset:
        try:
            return codecs.lookup(charset.group(1)).name
        except LookupError:
            pass
    return "utf-8"


def _reason(error: Exception) -> str:
    text = str(error)
    # httpx wraps the socket error as "[Errno 111] Connection refused"; keep the words.
    return text.split("] ", 1)[-1] if text.startswith("[Errno") else text or type(error).__name__
