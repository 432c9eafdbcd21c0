"""The `http` kind: its page view and its requests, made against a real local server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from plbook.sandbox.addresses import free_ports
from plbook.sandbox.hostile import HostileHandler, hostile_server
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


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    with hostile_server() as base:
        yield base


def test_a_query_in_the_url_and_params_both_reach_the_server(
    runtime: KindRuntime, hostile: str
) -> None:
    written = spec(url="{{ env.base }}/api/prompts?limit=5&page=2", params={"status": "draft"})
    runtime.env["base"] = hostile
    KIND.run(KIND.resolve(written, runtime), runtime)
    received = HostileHandler.received[-1]
    assert received["path"] == "/api/prompts"
    assert received["query"] == "limit=5&page=2&status=draft"


@pytest.mark.parametrize("path", ["/drip", "/drip-headers"])
def test_a_server_dripping_bytes_fails_the_step_at_its_timeout(hostile: str, path: str) -> None:
    runtime = KindRuntime(timeout=2)
    started = time.monotonic()
    with pytest.raises(StepFailed, match=r"no answer from .* within 2s"):
        KIND.run(spec(url=hostile + path), runtime)
    assert time.monotonic() - started < 3.5


@pytest.mark.parametrize("path", ["/huge?bytes=50000000", "/gzip-bomb?bytes=200000000"])
def test_a_body_past_the_output_limit_fails_the_step_without_reading_it_all(
    runtime: KindRuntime, hostile: str, path: str
) -> None:
    runtime.output_limit = 1024 * 1024
    with pytest.raises(StepFailed, match=r"larger than 1048576 bytes \(after decoding\)"):
        KIND.run(spec(url=hostile + path), runtime)


@pytest.mark.parametrize(
    ("value", "path", "query"),
    [
        ("../../admin", "/api/users/..%2F..%2Fadmin", ""),
        ("x?role=admin#frag", "/api/users/x%3Frole%3Dadmin%23frag", ""),
        ("abc def", "/api/users/abc%20def", ""),
    ],
)
def test_an_input_in_the_url_is_one_encoded_segment(
    runtime: KindRuntime, hostile: str, value: str, path: str, query: str
) -> None:
    runtime.env["base"] = hostile
    runtime.inputs["user"] = value
    resolved = KIND.resolve(spec(url="{{ env.base }}/api/users/{{ inputs.user }}"), runtime)
    KIND.run(resolved, runtime)
    assert HostileHandler.received[-1]["path"] == path
    assert HostileHandler.received[-1]["query"] == query


def test_an_input_cannot_change_the_host(runtime: KindRuntime) -> None:
    runtime.inputs["host"] = "evil.example"
    with pytest.raises(StepFailed, match="an input would change the host"):
        KIND.resolve(spec(url="http://{{ inputs.host }}/api"), runtime)
    written = spec(url="http://{{ inputs.host }}/api", encode_inputs=False)
    assert KIND.resolve(written, runtime).url == "http://evil.example/api"


def test_a_header_holding_a_secret_is_dropped_on_a_redirect_to_another_host(
    runtime: KindRuntime, hostile: str
) -> None:
    runtime.secrets["KEY"] = "key-0123456789"
    other_host = hostile.replace("127.0.0.1", "localhost")
    written = spec(
        url=f"{hostile}/redirect?to={other_host}/landed",
        headers={"X-Api-Key": "{{ secrets.KEY }}", "X-Trace": "t-1"},
        follow_redirects=True,
    )
    result = KIND.run(KIND.resolve(written, runtime), runtime)
    assert result["json"]["path"] == "/landed"
    landed = {k.lower(): v for k, v in HostileHandler.received[-1]["headers"].items()}
    assert "x-api-key" not in landed
    assert landed["x-trace"] == "t-1"


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"url": "http://127.0.0.1:8o80/x"}, "cannot make the request"),
        ({"url": "http://127.0.0.1:1/x", "headers": {"X-Name": "Zoë"}}, "cannot make the request"),
    ],
)
def test_a_request_that_cannot_be_made_fails_the_step(
    runtime: KindRuntime, fields: dict[str, Any], said: str
) -> None:
    with pytest.raises(StepFailed, match=said):
        KIND.run(spec(**fields), runtime)


def test_a_gzip_body_within_the_limit_is_decoded_whole(runtime: KindRuntime, hostile: str) -> None:
    result = KIND.run(spec(url=f"{hostile}/gzip-bomb?bytes=3000000"), runtime)
    assert result["text"] == "\0" * 3_000_000


def test_the_deadline_holds_outside_the_main_thread_too(hostile: str) -> None:
    runtime = KindRuntime(timeout=2)
    failures: list[str] = []

    def request() -> None:
        try:
            KIND.run(spec(url=hostile + "/drip"), runtime)
        except StepFailed as failure:
            failures.append(str(failure))

    started = time.monotonic()
    worker = threading.Thread(target=request)
    worker.start()
    worker.join(10)
    assert time.monotonic() - started < 3.5
    assert failures == [f"no answer from {hostile}/drip within 2s"]
