"""`mongo`: one MongoDB operation through pymongo; writes run only on destructive steps."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, model_validator

from plbook.fields import Strict
from plbook.steps.base import StepView, with_secret_placeholders

READS = ("find_one", "find", "count_documents", "aggregate", "index_information", "command")
WRITES = ("update_one", "insert_one", "delete_one")


class Update(Strict):
    """An `update_one`: which document, and how to change it."""

    filter: dict[str, Any]
    update: dict[str, Any]
    upsert: bool = False


class Spec(Strict):
    """Where to connect and the one operation to run."""

    uri: str | None = Field(
        None, description="Connection string; defaults to env.mongodb_uri or secrets.MONGODB_URI."
    )
    database: str | None = Field(None, description="Database; defaults to the one in the URI.")
    collection: str | None = None
    find_one: dict[str, Any] | None = Field(None, description="Filter; result is the document or null.")
    find: dict[str, Any] | None = Field(None, description="Filter; result is a list of documents.")
    sort: dict[str, Literal[1, -1]] | None = None
    limit: int = Field(20, gt=0, description="Most documents `find` returns.")
    projection: dict[str, Any] | None = None
    count_documents: dict[str, Any] | None = Field(None, description="Filter; result is a number.")
    aggregate: list[dict[str, Any]] | None = Field(None, description="Pipeline; result is a list.")
    index_information: Literal[True] | None = Field(
        None, description="Result: the indexes as key patterns (names are never compared)."
    )
    command: str | dict[str, Any] | None = Field(None, description="Database command, e.g. ping.")
    update_one: Update | None = None
    insert_one: dict[str, Any] | None = None
    delete_one: dict[str, Any] | None = None

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
        shell = f"db.adminCommand({_js(command)})" if command == {"ping": 1} else f"db.runCommand({_js(command)})"
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
        mongosh_name = {"find_one": "findOne", "count_documents": "countDocuments",
                        "insert_one": "insertOne", "delete_one": "deleteOne"}.get(op, op)
        shell = f"db.{spec.collection}.{mongosh_name}({_js(arg)}){extra}"
        action = f"db.{spec.collection}.{op}({_js(arg)}){extra}"
    uri = spec.uri or "$MONGODB_URI"
    return StepView(
        action=with_secret_placeholders(action),
        language="javascript",
        manual_equivalent=with_secret_placeholders(f'mongosh "{uri}" --eval \'{shell}\''),
        criteria=["The operation changes data"] if spec.writes else [],
    )
