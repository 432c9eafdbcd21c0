"""The `http` kind: its page view and its requests, made against a real local server."""

from __future__ import annotations

from typing import Any

import pytest

from plbook.sandbox.addresses import free_ports
from plbook.steps.base import StepFailed
from plbook.steps.http import KIND, Spec
from steps.kind_support import KindRuntime


def spec(**fields: Any) -> Spec:
    return Spec.model_validate(fields)


def test_describe_shows_the_request_and_a_curl_line_with_secret_placeholders() -> None:
    view = KIND.describe(
        spec(
            method="POST",
            url="{{ env.api_url }}/api/prompts",
            headers={"Authorization": "Bearer {{ secrets.TOKEN }}"},
            json={"name": "x"},
            timeout=5,
        )
    )
    assert view.action.splitlines()[:2] == [
        "POST {{ env.api_url }}/api/prompts",
        "Authorization: Bearer $TOKEN",
    ]
    assert view.manual_equivalent == (
        "curl --max-time 5 -i -X POST '{{ env.api_url }}/api/prompts' "
        "-H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' "
        '-d \'{"name": "x"}\''
    )
    assert KIND.default_expect == ("result.status < 400",)
    assert KIND.writes(spec(url="http://x")) is None


def test_run_sends_the_resolved_request_and_gives_status_headers_and_json(
    runtime: KindRuntime, echo_server: tuple[str, list[dict[str, Any]]]
) -> None:
    base, received = echo_server
    runtime.env["api_url"] = base
    runtime.secrets["TOKEN"] = "tok-123"
    written = spec(
        method="PUT",
        url="{{ env.api_url }}/api/items/7",
        headers={"Authorization": "Bearer {{ secrets.TOKEN }}"},
        json={"plan": "pro"},
    )
    resolved = KIND.resolve(written, runtime)
    assert resolved.url == f"{base}/api/items/7"
    result = KIND.run(resolved, runtime)
    assert result["status"] == 200
    assert result["json"]["method"] == "PUT"
    assert result["json"]["headers"]["authorization"] == "Bearer tok-123"
    assert result["json"]["body"] == '{"plan":"pro"}'
    assert result["headers"]["content-type"] == "application/json"
    assert received[-1]["path"] == "/api/items/7"
    assert KIND.action_line(resolved).startswith(f"curl -i -X PUT {base}/api/items/7 ")


def test_a_body_that_is_not_json_gives_json_none(
    runtime: KindRuntime, echo_server: tuple[str, list[dict[str, Any]]]
) -> None:
    base, _ = echo_server
    result = KIND.run(spec(url=f"{base}/status/503"), runtime)
    assert (result["status"], result["json"], result["text"]) == (503, None, "not json")


def test_a_target_that_is_down_fails_the_step_with_the_reason(runtime: KindRuntime) -> None:
    url = f"http://127.0.0.1:{free_ports(1)[0]}/api/health"
    with pytest.raises(StepFailed, match=r"cannot connect to .*: .*refused"):
        KIND.run(spec(url=url), runtime)


def test_one_client_serves_every_request_and_is_closed_with_the_run(
    runtime: KindRuntime, echo_server: tuple[str, list[dict[str, Any]]]
) -> None:
    base, _ = echo_server
    KIND.run(spec(url=f"{base}/a"), runtime)
    KIND.run(spec(url=f"{base}/b"), runtime)
    assert len(runtime.opened) == 1
    (client,) = runtime.opened.values()
    assert not client.is_closed
    runtime.resources.close()
    assert client.is_closed
