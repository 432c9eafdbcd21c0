"""The `mongo` kind: its page view, the write rule, and operations against a real server."""

from __future__ import annotations

from typing import Any

import pytest

from plbook.sandbox.addresses import free_ports
from plbook.steps.base import StepFailed
from plbook.steps.mongo import KIND, Spec
from steps.kind_support import KindRuntime


def spec(**fields: Any) -> Spec:
    return Spec.model_validate(fields)


def test_describe_gives_the_pymongo_call_and_the_mongosh_line() -> None:
    view = KIND.describe(spec(collection="users", find_one={"email": "a@b.c"}))
    assert view.action == 'db.users.find_one({"email": "a@b.c"})'
    assert view.manual_equivalent == (
        'mongosh "$MONGODB_URI" --eval \'db.users.findOne({"email": "a@b.c"})\''
    )


def test_a_step_without_uri_implies_the_mongodb_uri_secret() -> None:
    assert KIND.implied_secrets(spec(command="ping")) == {"MONGODB_URI"}
    assert KIND.implied_secrets(spec(uri="mongodb://h/db", command="ping")) == set()


def test_a_write_says_why_it_needs_destructive_true() -> None:
    assert KIND.writes(spec(collection="users", find_one={})) is None
    assert KIND.writes(spec(collection="users", delete_one={"a": 1})) == (
        "a MongoDB delete_one changes data: add `destructive: true` to the step"
    )


def test_reads_and_writes_against_a_real_server(runtime: KindRuntime, mongodb_uri: str) -> None:
    runtime.secrets["MONGODB_URI"] = mongodb_uri
    found = KIND.run(
        KIND.resolve(spec(collection="users", find_one={"email": "test@example.com"}), runtime),
        runtime,
    )
    assert found["document"]["plan"] == "free"
    assert isinstance(found["document"]["_id"], str)
    update = spec(
        uri=mongodb_uri,
        collection="users",
        update_one={"filter": {"email": "test@example.com"}, "update": {"$set": {"seen": 1}}},
    )
    assert KIND.run(update, runtime) == {"matched": 1, "modified": 1}
    counted = KIND.run(
        spec(uri=mongodb_uri, collection="users", count_documents={"seen": 1}), runtime
    )
    assert counted == {"count": 1}
    assert len(runtime.opened) == 1


def test_a_server_that_is_down_fails_the_step_within_its_timeout() -> None:
    runtime = KindRuntime(timeout=0.5)
    uri = f"mongodb://127.0.0.1:{free_ports(1)[0]}/promptlens"
    with pytest.raises(StepFailed, match=r"MongoDB command failed: .*refused"):
        KIND.run(spec(uri=uri, command="ping"), runtime)
    runtime.resources.close()


def test_no_connection_string_says_what_to_set(runtime: KindRuntime) -> None:
    resolved = KIND.resolve(spec(command="ping"), runtime)
    with pytest.raises(StepFailed, match="set MONGODB_URI or give `uri`"):
        KIND.run(resolved, runtime)
