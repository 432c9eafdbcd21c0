"""`mongo`: one MongoDB operation through pymongo; writes run only on destructive steps."""

from __future__ import annotations

import json
import shlex
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from plbook.fields import Strict
from plbook.steps.base import (
    StepFailed,
    StepRuntime,
    StepView,
    resolve_model,
    with_secret_placeholders,
)

READS = ("find_one", "find", "count_documents", "aggregate", "index_information", "command")
WRITES = ("update_one", "insert_one", "delete_one")


class Update(Strict):
    """An `update_one`: which document, and how to change it."""

    filter: dict[str, Any] = Field(description="Which document to change.")
    update: dict[str, Any] = Field(description="The change, e.g. {$set: {plan: free}}.")
    upsert: bool = Field(False, description="Insert the document when none matches.")


class Spec(Strict):
    """Where to connect and the one operation to run."""

    uri: str | None = Field(
        None, description="Connection string; defaults to env.mongodb_uri or secrets.MONGODB_URI."
    )
    database: str | None = Field(None, description="Database; defaults to the one in the URI.")
    collection: str | None = Field(None, description="The collection; every operation but command.")
    find_one: dict[str, Any] | None = Field(
        None, description="Filter; result is the document or null."
    )
    find: dict[str, Any] | None = Field(None, description="Filter; result is a list of documents.")
    sort: dict[str, Literal[1, -1]] | None = Field(
        None, description="Sort order for find and find_one, e.g. {createdAt: -1}."
    )
    limit: int = Field(20, gt=0, description="Most documents `find` returns.")
    projection: dict[str, Any] | None = Field(None, description="Fields to return.")
    count_documents: dict[str, Any] | None = Field(None, description="Filter; result is a number.")
    aggregate: list[dict[str, Any]] | None = Field(None, description="Pipeline; result is a list.")
    index_information: Literal[True] | None = Field(
        None, description="Result: the indexes as key patterns (names are never compared)."
    )
    command: str | dict[str, Any] | None = Field(None, description="Database command, e.g. ping.")
    update_one: Update | None = Field(None, description="Change one document (destructive).")
    insert_one: dict[str, Any] | None = Field(
        None, description="Insert this document (destructive)."
    )
    delete_one: dict[str, Any] | None = Field(
        None, description="Delete one document matching this filter (destructive)."
    )

    @model_validator(mode="after")
    def _one_operation(self) -> Spec:
        chosen = [name for name in READS + WRITES if getattr(self, name) is not None]
        if len(chosen) != 1:
            found = ", ".join(chosen) or "none"
            raise ValueError(
                f"give exactly one operation ({', '.join(READS + WRITES)}); found {found}"
            )
        if self.operation != "command" and not self.collection:
            raise ValueError(f"`{self.operation}` needs a `collection`")
        return self

    @property
    def operation(self) -> str:
        """Give the name of the operation this step runs."""
        return next(name for name in READS + WRITES if getattr(self, name) is not None)

    @property
    def argument(self) -> Any:
        """Give what the operation is called with."""
        return getattr(self, self.operation)

    @property
    def writes(self) -> bool:
        """Tell whether the operation changes data."""
        return self.operation in WRITES


DEFAULT_EXPECT: list[str] = []


def _js(value: Any) -> str:
    return json.dumps(value, default=str)


def describe(spec: Spec) -> StepView:
    """Give the operation as a pymongo call and as the equivalent mongosh line."""
    op, arg = spec.operation, spec.argument
    if op == "command":
        command = {arg: 1} if isinstance(arg, str) else arg
        shell = (
            f"db.adminCommand({_js(command)})"
            if command == {"ping": 1}
            else f"db.runCommand({_js(command)})"
        )
        action = f"db.command({_js(command)})"
    elif op == "index_information":
        shell = f"db.{spec.collection}.getIndexes()"
        action = f"db.{spec.collection}.index_information()"
    elif op == "update_one":
        shell = f"db.{spec.collection}.updateOne({_js(arg.filter)}, {_js(arg.update)})"
        action = f"db.{spec.collection}.update_one({_js(arg.filter)}, {_js(arg.update)})"
    else:
        extra = ""
        if op == "find":
            extra = (f".sort({_js(spec.sort)})" if spec.sort else "") + f".limit({spec.limit})"
        mongosh_name = {
            "find_one": "findOne",
            "count_documents": "countDocuments",
            "insert_one": "insertOne",
            "delete_one": "deleteOne",
        }.get(op, op)
        shell = f"db.{spec.collection}.{mongosh_name}({_js(arg)}){extra}"
        action = f"db.{spec.collection}.{op}({_js(arg)}){extra}"
    uri = spec.uri or "$MONGODB_URI"
    return StepView(
        action=with_secret_placeholders(action),
        language="javascript",
        manual_equivalent=with_secret_placeholders(f'mongosh "{uri}" --eval {shlex.quote(shell)}'),
        criteria=["MongoDB acknowledges the write"] if spec.writes else [],
    )


def resolve(spec: Spec, runtime: StepRuntime) -> Spec:
    """Give the operation with every `{{ }}` value filled in and the connection string chosen."""
    resolved = resolve_model(spec, runtime)
    if resolved.uri is None:
        resolved = resolved.model_copy(update={"uri": runtime.secret("MONGODB_URI")})
    return resolved


def run(spec: Spec, runtime: StepRuntime) -> dict[str, Any]:
    """Run the operation; give its result in the shape the runbook documents."""
    from pymongo.errors import PyMongoError

    if not spec.uri:
        raise StepFailed("no MongoDB connection string: set MONGODB_URI or give `uri`")
    try:
        client = runtime.mongo_client(spec.uri)
        name = spec.database or _uri_database(spec.uri) or runtime.env_value("mongodb_database")
        database = client.get_database(name)
        return _plain(_operate(spec, database))
    except PyMongoError as error:
        raise StepFailed(f"MongoDB {spec.operation} failed: {_first_line(error)}") from None


def _operate(spec: Spec, database: Any) -> dict[str, Any]:
    op, arg = spec.operation, spec.argument
    if op == "command":
        return {"reply": database.command(arg if isinstance(arg, str) else dict(arg))}
    collection = database[spec.collection]
    if op == "find_one":
        return {"document": collection.find_one(arg, projection=spec.projection)}
    if op == "find":
        cursor = collection.find(arg, projection=spec.projection, limit=spec.limit)
        if spec.sort:
            cursor = cursor.sort(list(spec.sort.items()))
        documents = list(cursor)
        return {"documents": documents, "count": len(documents)}
    if op == "aggregate":
        documents = list(collection.aggregate(arg))
        return {"documents": documents, "count": len(documents)}
    if op == "count_documents":
        return {"count": collection.count_documents(arg)}
    if op == "index_information":
        return {
            "indexes": [
                {
                    "key": [[field, direction] for field, direction in index["key"]],
                    "unique": bool(index.get("unique", False)),
                    "expireAfterSeconds": index.get("expireAfterSeconds"),
                }
                for index in collection.index_information().values()
            ]
        }
    if op == "update_one":
        outcome = collection.update_one(arg.filter, arg.update, upsert=arg.upsert)
        return {"matched": outcome.matched_count, "modified": outcome.modified_count}
    if op == "insert_one":
        return {"inserted_id": collection.insert_one(dict(arg)).inserted_id}
    return {"deleted": collection.delete_one(arg).deleted_count}


def _uri_database(uri: str) -> str | None:
    from pymongo.uri_parser import parse_uri

    try:
        return parse_uri(uri, validate=False).get("database")
    except Exception:  # noqa: BLE001 - a bad URI is reported by the connection itself
        return None


def _plain(value: Any) -> Any:
    """Give a result with ObjectIds and other BSON types as strings; dates stay dates."""
    from bson import ObjectId

    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, ObjectId):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool, datetime)):
        return value
    return str(value)


def _first_line(error: Exception) -> str:
    return str(error).split(", Timeout:")[0].splitlines()[0]
