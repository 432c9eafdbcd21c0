"""`mongo`: one MongoDB operation through pymongo; writes run only on destructive steps."""

from __future__ import annotations

import json
import re
import shlex
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from plbook.fields import Strict
from plbook.steps.base import (
    StepFailed,
    StepKind,
    StepRuntime,
    StepView,
    resolve_model,
    with_secret_placeholders,
)
from plbook.steps.twin import (
    NOW,
    SECRETS,
    VARS,
    Placeholder,
    Twin,
    TwinContext,
    TwinJson,
    parts,
    shell_word,
)

if TYPE_CHECKING:
    import pymongo

URI_SECRET = "MONGODB_URI"
"""The secret a step without `uri` connects with."""
READS = ("find_one", "find", "count_documents", "aggregate", "index_information", "command")
WRITES = ("update_one", "insert_one", "delete_one")
READ_COMMANDS = (
    "ping",
    "hello",
    "buildInfo",
    "serverStatus",
    "dbStats",
    "collStats",
    "listCollections",
    "listIndexes",
    "count",
    "distinct",
    "find",
    "explain",
    "aggregate",
)
"""The database commands that count as reads; any other command may change data."""
WRITING_STAGES = ("$out", "$merge")


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
        """Tell whether the operation may change data (and so needs `destructive: true`)."""
        return self.write_reason is not None

    @property
    def write_reason(self) -> str | None:
        """Give why the operation may change data, in words; None for a read."""
        operation = self.operation
        if operation in WRITES:
            return f"a MongoDB {operation} changes data"
        if operation == "aggregate":
            return _pipeline_write_reason(self.aggregate)
        if operation == "command":
            return _command_write_reason(self.command)
        return None


def _pipeline_write_reason(pipeline: Any) -> str | None:
    """Give why an aggregation pipeline may write ($out, $merge, or stages not written out)."""
    if not isinstance(pipeline, list) or not all(isinstance(s, dict) for s in pipeline):
        return "a MongoDB aggregate whose pipeline is not written out as stages may write"
    for stage in pipeline:
        for name in WRITING_STAGES:
            if name in stage:
                return f"a MongoDB aggregate with `{name}` writes a collection"
    return None


def _command_write_reason(command: Any) -> str | None:
    """Give why a database command may write: only the READ_COMMANDS (as written) are reads."""
    name = command if isinstance(command, str) else next(iter(command or {}), "")
    if name not in READ_COMMANDS:
        return (
            f"the MongoDB command `{name}` is not one of the read-only commands "
            f"({', '.join(READ_COMMANDS)}), so it counts as a write"
        )
    if isinstance(command, str):
        return None
    if name == "aggregate":
        return _pipeline_write_reason(command.get("pipeline"))
    if name == "explain":
        return _command_write_reason(command.get("explain"))
    return None


def _js(value: Any) -> str:
    return json.dumps(value, default=str)


class MongoKind(StepKind[Spec]):
    """One MongoDB operation through pymongo; a write needs `destructive: true`."""

    name = "mongo"
    label = "MongoDB query"
    spec_type = Spec
    result_words = {
        "document": "the document found",
        "documents": "the documents found",
        "count": "the number of documents",
        "indexes": "the indexes",
        "reply": "the command's reply",
        "matched": "the number of documents matched",
        "modified": "the number of documents changed",
        "inserted_id": "the id of the inserted document",
        "deleted": "the number of documents deleted",
    }
    result_part_words = {"document": "`{part}` of the document", "reply": "`{part}` of the reply"}

    def describe(self, spec: Spec) -> StepView:
        """Give the operation as a pymongo call and as the equivalent mongosh line."""
        action, shell = _calls(spec)
        uri = spec.uri or "$" + URI_SECRET
        return StepView(
            action=with_secret_placeholders(action),
            language="javascript",
            manual_equivalent=with_secret_placeholders(
                f'mongosh "{uri}" --eval {shlex.quote(shell)}'
            ),
            criteria=["MongoDB acknowledges the write"] if spec.writes else [],
        )

    def twin(self, spec: Spec, context: TwinContext) -> Twin:
        """Give the mongosh line that runs the same operation and prints relaxed EJSON."""
        script = _mongosh_script(spec, context)
        uri = shell_word(spec.uri or str(Placeholder(SECRETS, URI_SECRET)), context)
        return Twin(f"mongosh {uri} --quiet --json=relaxed --eval {shlex.quote(script)}")

    def twin_json(self, spec: Spec, context: TwinContext) -> TwinJson | None:
        """Give the twin with ObjectIds as their hex text, as a run keeps them in vars."""
        fields = _JSON_FIELDS.get(spec.operation)
        if fields is None:
            return None
        return TwinJson(
            f"{self.twin(spec, context).command} | jq -c {shlex.quote(_OIDS_AS_TEXT)}", fields
        )

    def twin_result(self, spec: Spec, output: str) -> dict[str, Any]:
        """Give the result in the shape `run` gives, from the EJSON mongosh printed."""
        from bson import json_util

        options = json_util.RELAXED_JSON_OPTIONS.with_options(tz_aware=True, tzinfo=timezone.utc)
        answer = json_util.loads(output, json_options=options) if output.strip() else None
        result: dict[str, Any] = _plain(_twin_shape(spec.operation, answer))
        return result

    def resolve(self, spec: Spec, runtime: StepRuntime) -> Spec:
        """Give the operation with every `{{ }}` value filled in and its connection string."""
        resolved = resolve_model(spec, runtime)
        if resolved.uri is None:
            resolved = resolved.model_copy(update={"uri": runtime.secret(URI_SECRET)})
        return resolved

    def run(self, spec: Spec, runtime: StepRuntime) -> dict[str, Any]:
        """Run the operation; give its result in the shape the runbook documents."""
        import pymongo
        from pymongo.errors import PyMongoError

        uri = spec.uri
        if not uri:
            raise StepFailed(f"no MongoDB connection string: set {URI_SECRET} or give `uri`")
        try:
            client = runtime.resource(
                ("mongo.client", uri, runtime.timeout), lambda: _open_client(uri, runtime.timeout)
            )
            name = spec.database or _uri_database(uri) or runtime.env_value("mongodb_database")
            database = client.get_database(name)
            # The step's deadline bounds server selection, every round trip and the cursor alike.
            with pymongo.timeout(runtime.remaining()):
                result: dict[str, Any] = _plain(_operate(spec, database))
            return result
        except PyMongoError as error:
            raise StepFailed(f"MongoDB {spec.operation} failed: {_first_line(error)}") from None

    def implied_secrets(self, spec: Spec) -> set[str]:
        """Give MONGODB_URI when the step gives no `uri` of its own."""
        return {URI_SECRET} if spec.uri is None else set()

    def writes(self, spec: Spec) -> str | None:
        """Give why a write operation needs `destructive: true`."""
        reason = spec.write_reason
        return None if reason is None else f"{reason}: add `destructive: true` to the step"


KIND = MongoKind()
_OIDS_AS_TEXT = 'walk(if type == "object" and has("$oid") then ."$oid" else . end)'
_JSON_FIELDS = {
    "find_one": {"document": "."},
    "find": {"documents": "."},
    "aggregate": {"documents": "."},
    "count_documents": {"count": "."},
    "command": {"reply": "."},
}


def _calls(spec: Spec) -> tuple[str, str]:
    """Give the operation as a pymongo call and as a mongosh expression."""
    op, arg = spec.operation, spec.argument
    if op == "command":
        command = {arg: 1} if isinstance(arg, str) else arg
        shell = (
            f"db.adminCommand({_js(command)})"
            if command == {"ping": 1}
            else f"db.runCommand({_js(command)})"
        )
        return f"db.command({_js(command)})", shell
    if op == "index_information":
        return (
            f"db.{spec.collection}.index_information()",
            f"db.{spec.collection}.getIndexes()",
        )
    if op == "update_one":
        arguments = f"{_js(arg.filter)}, {_js(arg.update)}"
        return (
            f"db.{spec.collection}.update_one({arguments})",
            f"db.{spec.collection}.updateOne({arguments})",
        )
    extra = ""
    if op == "find":
        extra = (f".sort({_js(spec.sort)})" if spec.sort else "") + f".limit({spec.limit})"
    mongosh_name = _MONGOSH_NAMES.get(op, op)
    return (
        f"db.{spec.collection}.{op}({_js(arg)}){extra}",
        f"db.{spec.collection}.{mongosh_name}({_js(arg)}){extra}",
    )


_MONGOSH_NAMES = {
    "find_one": "findOne",
    "count_documents": "countDocuments",
    "insert_one": "insertOne",
    "delete_one": "deleteOne",
}


def _mongosh_script(spec: Spec, context: TwinContext) -> str:
    """Give the mongosh expression of the operation: pymongo's call in the shell's own words."""
    op, arg = spec.operation, spec.argument
    database = f"db.getSiblingDB({_js(spec.database)})" if spec.database else "db"
    if op == "command":
        command = {arg: 1} if isinstance(arg, str) else arg
        return f"{database}.runCommand({_js_value(command, context)})"
    name = spec.collection or ""
    target = (
        f"{database}.{name}"
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)
        else f"{database}.getCollection({_js(name)})"
    )
    if op == "index_information":
        return f"{target}.getIndexes()"
    if op == "update_one":
        options = ", {upsert: true}" if arg.upsert else ""
        change = _js_value(arg.update, context, written=True)
        return f"{target}.updateOne({_js_value(arg.filter, context)}, {change}{options})"
    written = op == "insert_one"
    call = f"{target}.{_MONGOSH_NAMES.get(op, op)}({_js_value(arg, context, written=written)}"
    if op in ("find_one", "find") and spec.projection is not None:
        call += f", {_js_value(spec.projection, context)}"
    call += ")"
    if op == "find":
        if spec.sort:
            call += f".sort({_js(spec.sort)})"
        call += f".limit({spec.limit}).toArray()"
    elif op == "aggregate":
        call += ".toArray()"
    return call


def _js_value(value: Any, context: TwinContext, *, written: bool = False) -> str:
    """Give a value as mongosh source with its BSON type: dates as ISODate, ints as NumberInt.

    Numbers written to the database keep pymongo's integer types (the shell's plain numbers
    are doubles); placeholders read the shell's environment (`process.env.EMAIL`).
    """
    if isinstance(value, dict):
        items = (
            f"{_js(key)}: {_js_value(item, context, written=written)}"
            for key, item in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_js_value(item, context, written=written) for item in value) + "]"
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return _js(value)
    if isinstance(value, int):
        if not written:
            return str(value)
        return f"NumberInt({value})" if -(2**31) <= value < 2**31 else f'NumberLong("{value}")'
    if isinstance(value, datetime):
        return f'ISODate("{value.isoformat()}")'
    if isinstance(value, str):
        return _js_text(value, context)
    return _js(value)


def _js_text(text: str, context: TwinContext) -> str:
    """Give a text as mongosh source; a placeholder alone keeps its type (a var's JSON, a date)."""
    pieces = [_js_piece(piece, context) for piece in parts(text)]
    return " + ".join(pieces) if pieces else '""'


def _js_piece(piece: str | Placeholder, context: TwinContext) -> str:
    if not isinstance(piece, Placeholder):
        return _js(piece)
    if piece.source == NOW:
        milliseconds = round(piece.offset * 1000)
        return (
            f"new Date(Date.now() {'+' if milliseconds >= 0 else '-'} {abs(milliseconds)})"
            if milliseconds
            else "new Date()"
        )
    read = f"process.env.{context.variable(piece)}"
    return f"EJSON.parse({read})" if piece.source == VARS else read


def _twin_shape(operation: str, answer: Any) -> dict[str, Any]:
    """Give what mongosh printed for an operation in the shape of the step's `result`."""
    if operation == "find_one":
        return {"document": answer}
    if operation in ("find", "aggregate"):
        return {"documents": answer, "count": len(answer)}
    if operation == "count_documents":
        return {"count": answer}
    if operation == "index_information":
        return {
            "indexes": [
                {
                    "key": [[field, direction] for field, direction in index["key"].items()],
                    "unique": bool(index.get("unique", False)),
                    "expireAfterSeconds": index.get("expireAfterSeconds"),
                }
                for index in answer
            ]
        }
    if operation == "command":
        return {"reply": answer}
    if operation == "update_one":
        return {"matched": answer["matchedCount"], "modified": answer["modifiedCount"]}
    if operation == "insert_one":
        return {"inserted_id": answer["insertedId"]}
    return {"deleted": answer["deletedCount"]}


def _open_client(uri: str, timeout: float) -> pymongo.MongoClient[dict[str, Any]]:
    import pymongo

    milliseconds = int(timeout * 1000)
    return pymongo.MongoClient(
        uri,
        tz_aware=True,
        serverSelectionTimeoutMS=milliseconds,
        connectTimeoutMS=milliseconds,
        socketTimeoutMS=milliseconds,
    )


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
