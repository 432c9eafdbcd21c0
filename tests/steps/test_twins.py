"""Each kind's manual twin, resolved for an environment, does what the step does (real clients)."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from plbook.steps import http, mongo, stripe
from plbook.steps.twin import TwinContext, TwinRuntime
from steps.kind_support import KindRuntime

pytestmark = pytest.mark.timeout(60)


class _RedirectingHandler(BaseHTTPRequestHandler):
    """`/see-other` answers 303 to `/landed`; every other path echoes the method and query."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body_in = self.rfile.read(length).decode() if length else ""
        if self.path.startswith("/see-other"):
            self.send_response(303)
            self.send_header("Location", "/landed")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"method": self.command, "path": self.path, "body": body_in}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = do_PUT = _answer  # noqa: N815 - the stdlib's names

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """Give the base URL of a local server that redirects and echoes."""
    made = ThreadingHTTPServer(("127.0.0.1", 0), _RedirectingHandler)
    made.daemon_threads = True
    threading.Thread(target=made.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{made.server_address[1]}"
    made.shutdown()
    made.server_close()


def _twin_line(kind: Any, fields: dict[str, Any], values: dict[str, Any], **context: Any) -> str:
    spec = kind.resolve(kind.spec_type.model_validate(fields), TwinRuntime("test", values))
    return kind.twin(spec, TwinContext(values=values, **context)).command


def _curl(line: str, **variables: str) -> dict[str, Any]:
    done = subprocess.run(
        ["bash", "-c", line],
        capture_output=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", **variables},
    )
    assert done.returncode == 0, done.stderr
    return http.KIND.twin_result(http.Spec(url="http://x"), done.stdout.decode())


def _run(fields: dict[str, Any], runtime: KindRuntime) -> dict[str, Any]:
    return http.KIND.run(http.KIND.resolve(http.Spec.model_validate(fields), runtime), runtime)


def test_a_followed_303_after_a_post_is_a_get_in_the_twin_as_in_httpx(
    server: str, runtime: KindRuntime
) -> None:
    fields = {
        "method": "POST",
        "url": f"{server}/see-other",
        "json": {"a": 1},
        "follow_redirects": True,
    }
    line = _twin_line(http.KIND, fields, {})

    assert _curl(line)["json"]["method"] == "GET"
    assert _run(fields, runtime)["json"]["method"] == "GET"


def test_a_head_request_twin_uses_dash_i_and_answers_like_httpx(
    server: str, runtime: KindRuntime
) -> None:
    fields = {"method": "HEAD", "url": f"{server}/x"}
    line = _twin_line(http.KIND, fields, {})

    assert " -I " in line and "-X HEAD" not in line
    assert _curl(line)["status"] == _run(fields, runtime)["status"] == 200


def test_params_are_encoded_as_httpx_encodes_them(server: str, runtime: KindRuntime) -> None:
    fields = {
        "url": f"{server}/q",
        "params": {"text": "a b&c", "flag": True, "email": "{{ inputs.email }}"},
    }
    line = _twin_line(http.KIND, fields, {})
    runtime.inputs["email"] = "o'neil+x@example.com"

    twin = _curl(line, EMAIL="o'neil+x@example.com")["json"]["path"]
    ours = _run(fields, runtime)["json"]["path"]
    # curl writes percent escapes in lower case (%2b); a server reads the same values.
    assert parse_qs(urlsplit(twin).query) == parse_qs(urlsplit(ours).query)
    assert parse_qs(urlsplit(twin).query)["flag"] == ["true"]


def test_a_step_that_checks_elapsed_ms_gets_curls_timing(server: str) -> None:
    fields = {"url": f"{server}/t"}
    timed = _twin_line(http.KIND, fields, {}, result_fields=frozenset({"elapsed_ms"}))

    assert "time_total" not in _twin_line(http.KIND, fields, {})
    assert _curl(timed)["elapsed_ms"] >= 0


def test_the_curl_twin_fills_in_the_environment_and_names_secrets_and_inputs() -> None:
    line = _twin_line(
        http.KIND,
        {
            "method": "POST",
            "url": "{{ env.api_url }}/api/prompts",
            "headers": {"Authorization": "Bearer {{ secrets.TOKEN }}"},
            "json": {"prompt": "{{ inputs.prompt }}", "optimized": "{{ vars.optimized }}"},
            "timeout": 5,
        },
        {"api_url": "https://api.example.com"},
    )

    assert "{{" not in line
    assert line.startswith(
        "curl -sS -i --compressed --max-time 5 https://api.example.com/api/prompts"
    )
    assert '-H "Authorization: Bearer ${TOKEN}"' in line
    # The input is text; the var holds JSON and goes into the body as it is (typed).
    assert '"{\\"prompt\\":\\"${PROMPT}\\",\\"optimized\\":""${OPTIMIZED}"\'}\'' in line


def test_the_mongosh_twin_keeps_projection_types_and_dates() -> None:
    line = _twin_line(
        mongo.KIND,
        {
            "collection": "users",
            "update_one": {
                "filter": {"email": "{{ inputs.email }}", "plan": "pro"},
                "update": {"$set": {"usageCount": 0, "lastResetAt": "{{ now - days(31) }}"}},
            },
        },
        {},
    )
    assert line == (
        'mongosh "${MONGODB_URI}" --quiet --json=relaxed --eval \'db.users.updateOne('
        '{"email": process.env.EMAIL, "plan": "pro"}, {"$set": {"usageCount": NumberInt(0), '
        '"lastResetAt": new Date(Date.now() - 2678400000)}})\''
    )
    found = _twin_line(
        mongo.KIND,
        {
            "collection": "users",
            "count_documents": {"stripeSubscriptionId": {"$in": "{{ vars.canceled_ids }}"}},
        },
        {},
    )
    assert '{"$in": EJSON.parse(process.env.CANCELED_IDS)}' in found
    hidden = _twin_line(
        mongo.KIND, {"collection": "users", "find_one": {}, "projection": {"apiToken": 0}}, {}
    )
    assert 'db.users.findOne({}, {"apiToken": 0})' in hidden


def test_a_var_named_like_an_input_gets_its_own_variable() -> None:
    line = _twin_line(
        mongo.KIND,
        {"collection": "users", "find_one": {"plan": "{{ vars.plan }}", "p": "{{ inputs.plan }}"}},
        {},
        inputs=frozenset({"plan"}),
    )
    assert "EJSON.parse(process.env.VAR_PLAN)" in line and "process.env.PLAN}" in line


def test_the_stripe_twin_uses_the_real_cli_syntax_and_the_environments_api_base() -> None:
    sandbox = _twin_line(
        stripe.KIND,
        {"list": "events", "params": {"created": {"gte": 0}, "types": ["a", "b"], "limit": 3}},
        {"stripe_api_base": "http://127.0.0.1:12111"},
    )
    assert sandbox == (
        "stripe events list -d 'created[gte]=0' -d 'types[0]=a' -d 'types[1]=b' -d limit=3 "
        '--api-key "${STRIPE_SECRET_KEY}" --api-base http://127.0.0.1:12111'
    )
    live = _twin_line(
        stripe.KIND,
        {"retrieve": "checkout_sessions", "id": "cs_1"},
        {"stripe_api_base": "https://api.stripe.com"},
    )
    assert live == 'stripe checkout sessions retrieve cs_1 --api-key "${STRIPE_SECRET_KEY}"'


def test_a_twin_that_cannot_follow_redirects_as_httpx_says_why() -> None:
    spec = http.KIND.resolve(
        http.Spec(method="PUT", url="http://x/y", follow_redirects=True), TwinRuntime("t", {})
    )

    assert http.KIND.twin(spec, TwinContext()).not_exact == (
        "curl keeps PUT after a redirect where httpx may switch to GET"
    )
    exact = http.KIND.resolve(http.Spec(method="PUT", url="http://x/y"), TwinRuntime("t", {}))
    assert http.KIND.twin(exact, TwinContext()).not_exact is None
