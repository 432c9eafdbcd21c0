"""`http`: one HTTP request made with httpx; `result`: status, headers, json, text, elapsed_ms."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any, Literal

from pydantic import Field, model_validator

from plbook.fields import Duration, Strict
from plbook.steps.base import (
    StepFailed,
    StepRuntime,
    StepView,
    resolve_model,
    with_secret_placeholders,
)


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
    timeout: Duration | None = Field(None, description="How long to wait for the answer.")
    follow_redirects: bool = Field(False, description="Follow 3xx answers to their target.")

    @model_validator(mode="after")
    def _one_body(self) -> Spec:
        if self.json_body is not None and self.body is not None:
            raise ValueError("give either json or body, not both")
        return self


DEFAULT_EXPECT = ["result.status < 400"]


def _shell_word(text: str) -> str:
    """Give `text` quoted for bash so that only its `$SECRET` placeholders expand."""
    if with_secret_placeholders(text) == text:
        return shlex.quote(text)
    escaped = re.sub(r'(["\\`$])', r"\\\1", text)
    return '"' + with_secret_placeholders(escaped) + '"'


def describe(spec: Spec) -> StepView:
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


def resolve(spec: Spec, runtime: StepRuntime) -> Spec:
    """Give the request with every `{{ }}` value filled in."""
    return resolve_model(spec, runtime)


def run(spec: Spec, runtime: StepRuntime) -> dict[str, Any]:
    """Make the request; give status, headers (lower-case), json (or none), text, elapsed_ms."""
    import httpx

    timeout = spec.timeout or runtime.timeout
    try:
        response = runtime.http_client().request(
            spec.method,
            spec.url,
            headers=spec.headers,
            params=spec.params,
            json=spec.json_body,
            content=spec.body,
            timeout=timeout,
            follow_redirects=spec.follow_redirects,
        )
    except httpx.TimeoutException:
        raise StepFailed(f"no answer from {spec.url} within {timeout:g}s") from None
    except httpx.ConnectError as error:
        raise StepFailed(f"cannot connect to {spec.url}: {_reason(error)}") from None
    except httpx.HTTPError as error:
        raise StepFailed(f"{spec.method} {spec.url} failed: {_reason(error)}") from None
    text = response.text
    try:
        body = json.loads(text) if text.strip() else None
    except ValueError:
        body = None  # not JSON: expectations on result.json then say it was none
    return {
        "status": response.status_code,
        "headers": {name.lower(): value for name, value in response.headers.items()},
        "json": body,
        "text": text,
        "elapsed_ms": round(response.elapsed.total_seconds() * 1000, 1),
    }


def _reason(error: Exception) -> str:
    text = str(error)
    # httpx wraps the socket error as "[Errno 111] Connection refused"; keep the words.
    return text.split("] ", 1)[-1] if text.startswith("[Errno") else text or type(error).__name__
