"""The real MongoDB shell (mongosh from npm, installed by .ci/setup) against the sandbox's nx-27017.

A runbook's mongosh lines are pasted by engineers, so the sandbox's database must answer them
as it answers pymongo. nx-27017 0.8.1 differs from a real MongoDB in ways both clients see alike;
the last tests pin those down so a twin that relies on them is caught.
"""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from bson import json_util

pytestmark = pytest.mark.timeout(120)

EJSON_OPTIONS = json_util.RELAXED_JSON_OPTIONS.with_options(tz_aware=True, tzinfo=timezone.utc)
MONGOSH = Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / ".bin" / "mongosh"


@pytest.fixture(scope="module")
def mongosh() -> Path:
    """Give the project's mongosh; in CI it must be there, elsewhere its absence skips."""
    if not MONGOSH.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{MONGOSH} is missing: .ci/setup --browser installs it")
        pytest.skip("mongosh is not installed; run `bash .ci/setup --browser`")
    return MONGOSH


@pytest.fixture
def shell(sandbox, mongosh):
    """Give a runner of `mongosh "$URI" --quiet --json=relaxed --eval CODE`, parsing its EJSON."""

    def run(code: str) -> Any:
        result = subprocess.run(
            [str(mongosh), sandbox.mongodb_uri, "--quiet", "--json=relaxed", "--eval", code],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return json_util.loads(result.stdout, json_options=EJSON_OPTIONS)

    return run


def test_count_documents_agrees_with_pymongo(shell, db):
    assert shell('db.users.countDocuments({plan: "free"})') == db.users.count_documents(
        {"plan": "free"}
    )


def test_find_with_projection_sort_and_limit_agrees_with_pymongo(shell, db):
    answered = shell(
        'db.users.find({plan: "free"}, {_id: 0, email: 1, usageCount: 1})'
        ".sort({email: -1}).limit(2).toArray()"
    )

    expected = list(
        db.users.find({"plan": "free"}, {"_id": 0, "email": 1, "usageCount": 1})
        .sort("email", -1)
        .limit(2)
    )
    assert answered == expected
    assert all("apiToken" not in user for user in answered)


def test_aggregate_agrees_with_pymongo(shell, db):
    pipeline = '[{$group: {_id: "$plan", users: {$sum: 1}}}, {$sort: {_id: 1}}]'

    answered = shell(f"db.users.aggregate({pipeline}).toArray()")

    assert answered == list(
        db.users.aggregate(
            [{"$group": {"_id": "$plan", "users": {"$sum": 1}}}, {"$sort": {"_id": 1}}]
        )
    )


def test_dates_come_out_as_ejson_dates_and_filter_as_dates(shell, db):
    user = shell('db.users.findOne({email: "test@example.com"}, {lastResetAt: 1})')

    assert isinstance(user["lastResetAt"], datetime)
    assert user["lastResetAt"] == db.users.find_one({"email": "test@example.com"})["lastResetAt"]
    assert shell("db.users.countDocuments({lastResetAt: {$lt: new Date()}})") == (
        db.users.count_documents({"lastResetAt": {"$lt": datetime.now(timezone.utc)}})
    )


def test_a_bad_operator_argument_fails_as_on_mongodb(sandbox, mongosh):
    result = subprocess.run(
        [
            str(mongosh),
            sandbox.mongodb_uri,
            "--quiet",
            "--eval",
            'db.users.find({plan: {$in: "pro"}}).toArray()',
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "$in must be followed by an array" in result.stdout + result.stderr


def test_nx_27017_stores_a_date_set_with_set_as_a_string(shell, db):
    # Real MongoDB keeps a BSON date here; the backend copes (backend.as_utc), twins must too.
    alice = db.users.find_one({"email": "alice@example.com"})
    try:
        shell(
            'db.users.updateOne({email: "alice@example.com"}, '
            '{$set: {lastResetAt: ISODate("2020-01-01T00:00:00Z")}})'
        )

        assert shell('db.users.findOne({email: "alice@example.com"}).lastResetAt') == (
            "2020-01-01 00:00:00"
        )
        stored = db.users.find_one({"email": "alice@example.com"})["lastResetAt"]
        assert stored == "2020-01-01 00:00:00"
    finally:
        db.users.replace_one({"_id": alice["_id"]}, alice)


def test_nx_27017_answers_comparisons_in_project_as_numbers(shell):
    # Real MongoDB answers true/false; Python and Jinja take 1 == True, so expectations still agree.
    answered = shell(
        'db.users.aggregate([{$match: {email: "test@example.com"}}, '
        '{$project: {_id: 0, over: {$gt: ["$usageCount", 10]}}}]).toArray()'
    )

    assert answered == [{"over": 0}]
