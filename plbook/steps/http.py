"""`http`: one HTTP request made with httpx; `result` holds status, headers, json, text, elapsed_ms."""

from __future__ import annotations

import json
import shlex
from typing import Any, Literal

from pydantic import Field, model_validator

from plbook.fields import Duration, Strict
from plbook.steps.base import StepView, with_secret_placeholders


class Spec(Strict):
    """The request to make."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "GET"
    url: str = Field(description="Absolute URL, usually built from `{{ env.api_url }}`.")
    headers: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    json_body: Any = Field(None, alias="json", description="A JSON request body.")
    body: str | None = Field(None, description="A raw request body.")
    timeout: Duration | None = Field(None, description="How long to wait for the answer.")
    follow_redirects: bool = False

    @model_validator(mode="after")
    def _one_body(self) -> Spec:
        if self.json_body is not None and self.body is not None:
            raise ValueError("give either json or body, not both")
        return self


DEFAULT_EXPECT: list[str] = []


def describe(spec: Spec) -> StepView:
    """Give the request as an HTTP message and as the equivalent curl line."""
    url = spec.url
    if spec.params:
        url += "?" + "&".join(f"{k}={v}" for k, v in spec.params.items())
    lines = [f"{spec.method} {url}"] + [f"{k}: {v}" for k, v in spec.headers.items()]
    curl = ["curl", "-i", "-X", spec.method, shlex.quote(url)]
    for key, value in spec.headers.items():
        curl += ["-H", shlex.quote(f"{key}: {value}")]
    if spec.json_body is not None:
        payload = json.dumps(spec.json_body)
        lines += ["Content-Type: application/json", "", json.dumps(spec.json_body, indent=2)]
        curl += ["-H", "'Content-Type: application/json'", "-d", shlex.quote(payload)]
    elif spec.body is not None:
        lines += ["", spec.body]
        curl += ["--data-binary", shlex.quote(spec.body)]
    if spec.follow_redirects:
        curl.insert(1, "-L")
    if spec.timeout:
        curl[1:1] = ["--max-time", f"{spec.timeout:g}"]
    return StepView(
        action=with_secret_placeholders("\n".join(lines)),
        language="http",
        manual_equivalent=with_secret_placeholders(" ".join(curl)),
    )
