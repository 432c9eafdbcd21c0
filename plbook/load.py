"""Procedure files to validated models; every problem points at its file, line and column."""

from __future__ import annotations

import difflib
import os
import stat
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from plbook.errors import PlbookError, Problem, did_you_mean
from plbook.fields import ID_PATTERN, NAME_PATTERN
from plbook.model import EnvironmentsFile, Procedure
from plbook.yamlsource import Positions, parse_yaml

ENVIRONMENTS_FILE = "environments.yaml"


@dataclass
class Loaded:
    """A procedure as loaded from its file, with the positions of its parts for later checks."""

    procedure: Procedure
    positions: Positions


def read_text(path: Path) -> str:
    """Give a file's text, or a user error when it is missing, binary or not UTF-8."""
    name = str(path)
    try:
        raw = _regular_file_bytes(path)
    except OSError as error:
        raise PlbookError.at(name, 1, 1, f"cannot read the file: {error.strerror}") from None
    if b"\0" in raw:
        raise PlbookError.at(
            name, 1, 1, "binary file, not YAML text; remove it or save it as UTF-8 YAML"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise PlbookError.at(name, line, 1, "not UTF-8 text; save the file as UTF-8") from None


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def _regular_file_bytes(path: Path) -> bytes:
    """Give the bytes of a regular file; a FIFO, device, socket or folder is refused unread."""
    # Reading a FIFO waits for a writer forever and a device may never end: look before reading.
    _refuse_unless_regular(path, os.stat(path).st_mode)
    # Non-blocking, so that a file swapped for a FIFO after the look still opens at once.
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as file:
        _refuse_unless_regular(path, os.fstat(file.fileno()).st_mode)
        return file.read()


def _refuse_unless_regular(path: Path, mode: int) -> None:
    """Raise a user error when `mode` is not that of a regular file."""
    if stat.S_ISREG(mode):
        return
    what = next((words for test, words in _NOT_REGULAR if test(mode)), "not a regular file")
    raise PlbookError.at(
        str(path), 1, 1, f"{what}, not a YAML file; plbook reads only regular files: remove it"
    )


def _mapping_document(path: Path, what: str) -> tuple[dict[str, Any], Positions]:
    name = str(path)
    data, positions = parse_yaml(read_text(path), name)
    if data is None:
        raise PlbookError.at(name, 1, 1, f"the file is empty; {what}")
    if not isinstance(data, dict):
        line, column = positions.of(())
        raise PlbookError.at(name, line, column, f"the top level must be a mapping of keys; {what}")
    return data, positions


def load_procedure(path: Path) -> Loaded:
    """Give the procedure in one file, or a user error listing every problem in it."""
    what = "a procedure needs title, summary, category and steps (`plbook new ID` writes one)"
    data, positions = _mapping_document(path, what)
    procedure = validate_model(Procedure, data, positions, str(path))
    if procedure.id and procedure.id != path.stem:
        line, column = positions.of(("id",))
        raise PlbookError.at(
            str(path),
            line,
            column,
            f"id '{procedure.id}' does not match the file name; write id: {path.stem} or remove it",
        )
    procedure = procedure.model_copy(update={"id": path.stem})
    procedure._source = str(path)
    return Loaded(procedure, positions)


def load_environments(path: Path) -> tuple[EnvironmentsFile, Positions]:
    """Give the environments file, validated, with positions."""
    data, positions = _mapping_document(
        path, "it needs `environments:` with production, staging, sandbox"
    )
    environments = validate_model(EnvironmentsFile, data, positions, str(path))
    if environments.default not in environments.environments:
        line, column = positions.of(("default",))
        raise PlbookError.at(
            str(path),
            line,
            column,
            f"default environment '{environments.default}' is not defined under `environments:`",
        )
    return environments, positions


def procedure_files(paths: list[Path]) -> tuple[list[Path], Path | None]:
    """Give the procedure files under `paths` (files or folders) and the environments file."""
    files: list[Path] = []
    environments: Path | None = None
    for path in paths:
        candidates = (
            sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) if path.is_dir() else [path]
        )
        for candidate in candidates:
            if candidate.name == ENVIRONMENTS_FILE:
                environments = candidate
            else:
                files.append(candidate)
        if path.is_dir() and (path / ENVIRONMENTS_FILE).exists():
            environments = path / ENVIRONMENTS_FILE
    if environments is None and paths:
        beside = (paths[0] if paths[0].is_dir() else paths[0].parent) / ENVIRONMENTS_FILE
        environments = beside if beside.exists() else None
    return files, environments


# --- pydantic errors, said in the format's own words -------------------------------------------


def validate_model(model: type[BaseModel], data: Any, positions: Positions, file: str) -> Any:
    """Give `model` validated from `data`, or a user error with one located line per problem."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = _problems(model, error, data, positions, file)
        raise PlbookError(problems) from None


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[str | int, ...]:
    """Give the part of a pydantic location that names real keys and indexes in `data`."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            continue  # a union member's tag or a validator's name, not a key of the file
        path.append(part)
    return tuple(path)


def _fields_at(model: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    """Give the keys allowed in the mapping at `path` of `model`, for "did you mean"."""
    current: Any = model
    for part in path:
        current = _unwrap(current)
        if isinstance(part, int):
            current = _item_type(current)
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            field_ = next(
                (f for n, f in current.model_fields.items() if (f.alias or n) == part), None
            )
            if field_ is None:
                return []
            current = field_.annotation
        else:
            current = _item_type(current)
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """Give the model inside Optional/Annotated/Union annotations, if there is one."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [
                m
                for m in members
                if isinstance(_unwrap(m), type) and issubclass(_unwrap(m), BaseModel)
            ]
            annotation = models[0] if models else members[0]
        else:
            return annotation


def _item_type(annotation: Any) -> Any:
    args = typing.get_args(_unwrap(annotation))
    return args[-1] if args else None


_TYPE_WORDS = {
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list (lines starting with `- `)",
    "dict_type": "expected a mapping (`key: value` lines)",
    "model_type": "expected a mapping (`key: value` lines)",
    "model_attributes_type": "expected a mapping (`key: value` lines)",
}


def _describe_input(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _name(path: tuple[str | int, ...]) -> str:
    """Give the key a problem is about as written in the file, e.g. `timeout` or `tags[2]`."""
    if not path:
        return "the document"
    keys = [i for i, part in enumerate(path) if isinstance(part, str)]
    start = keys[-1] if keys else 0
    return str(path[start]) + "".join(f"[{part}]" for part in path[start + 1 :])


def _pattern_hint(pattern: str) -> str:
    if pattern == ID_PATTERN:
        return "an id uses lowercase letters, digits and dashes, e.g. check-health"
    if pattern == NAME_PATTERN:
        return "a name uses letters, digits and underscores, e.g. deployment_id"
    return f"write text matching {pattern}"


def _message(model: type[BaseModel], err: Any, path: tuple[str | int, ...]) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    loc = tuple(err["loc"])
    name = _name(path)
    if kind == "missing":
        return f"missing required key '{loc[-1]}'; add `{loc[-1]}:`"
    if kind == "extra_forbidden":
        allowed = _fields_at(model, path[:-1])
        suggestion = did_you_mean(name, allowed)
        hint = suggestion or (f"allowed here: {', '.join(allowed)}" if allowed else "remove it")
        return f"unknown key '{name}'; {hint}"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",")]
        same = [o for o in options if o.lower() == str(value).lower()]
        suggestion = f"did you mean '{same[0]}'?" if same else did_you_mean(str(value), options)
        hint = f"; {suggestion}" if suggestion else ""
        return f"'{name}' is {_describe_input(value)}, not one of: {', '.join(options)}{hint}"
    if kind in _TYPE_WORDS:
        return f"'{name}': {_TYPE_WORDS[kind]}, got {_describe_input(value)}"
    if kind == "string_pattern_mismatch":
        hint = _pattern_hint(str(ctx.get("pattern", "")))
        if loc[-1] == "[key]":
            mapping = path[:-1] if path and path[-1] == loc[-2] else path
            return f"key {_describe_input(value)} under '{_name(mapping)}' is not allowed: {hint}"
        return f"'{name}' is {_describe_input(value)}: {hint}"
    if kind in ("greater_than", "greater_than_equal"):
        bound = ctx.get("gt", ctx.get("ge"))
        return (
            f"'{name}' must be greater than {bound}{' or equal' if 'ge' in ctx else ''}, "
            f"got {_describe_input(value)}"
        )
    if kind == "too_short":
        return f"'{name}' needs at least {ctx.get('min_length', 1)} item(s)"
    if kind in ("value_error", "assertion_error"):
        message = str(ctx.get("error", err["msg"]))
        return f"'{name}': {message}" if path and isinstance(path[-1], str) else message
    return f"'{name}': {' '.join(str(err['msg']).split())}"


def _problems(
    model: type[BaseModel], error: ValidationError, data: Any, positions: Positions, file: str
) -> list[Problem]:
    errors = error.errors()
    # (mapping, key) of each unknown key: a missing key spelt like one of them is no news.
    misspelt = {
        (tuple(e["loc"][:-1]), str(e["loc"][-1])) for e in errors if e["type"] == "extra_forbidden"
    }
    problems: dict[tuple[str | int, ...], Problem] = {}
    expected: dict[tuple[str | int, ...], list[str]] = {}
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "missing" and difflib.get_close_matches(
            str(loc[-1]), [key for parent, key in misspelt if parent == loc[:-1]], n=1, cutoff=0.6
        ):
            continue
        path = _data_path(loc, data)
        line, column = positions.of(
            path, key=err["type"] == "extra_forbidden" or loc[-1] == "[key]"
        )
        if err["type"] in _TYPE_WORDS:
            # A value checked against several alternatives (text or a mapping): one line for all.
            words = expected.setdefault(path, [])
            words.append(_TYPE_WORDS[err["type"]].removeprefix("expected "))
            message = (
                f"'{_name(path)}': expected {' or '.join(dict.fromkeys(words))}, "
                f"got {_describe_input(err.get('input'))}"
            )
            if words == ["text"] and isinstance(err.get("input"), dict):
                message += "; YAML reads `: ` in unquoted text as a key, so quote the whole value"
            problems[path + ("type",)] = Problem(file, line, column, message)
            continue
        # One problem per place: pydantic may report a value against several alternatives.
        problems.setdefault(
            path + (err["type"],), Problem(file, line, column, _message(model, err, path))
        )
    return sorted(set(problems.values()))
