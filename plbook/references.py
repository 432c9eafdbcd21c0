"""What a step reads: its `{{ }}` values and expressions, read from `expr`'s syntax tree.

The one way to find the inputs, env values, vars and secrets a step uses; the linter, the
executor and the site all ask here, and the kind adds what it implies (a default secret).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from pydantic import BaseModel

from plbook import expr
from plbook.steps import StepBase

Place = tuple[str | int, ...]
"""Where a value is in a step, as keys and indexes (`("http", "headers", "Authorization")`)."""


def step_templates(step: StepBase) -> list[tuple[Place, str]]:
    """Give every text of a step with `{{ }}` or `{% %}` parts, with where it is in the step."""
    found: list[tuple[Place, str]] = []
    spec = step.spec
    if isinstance(spec, str):
        found.append(((step.kind,), spec))
    else:
        _templates(spec, (step.kind,), found)
    texts: list[tuple[Place, str | None]] = [
        (("title",), step.title),
        (("description",), step.description),
        (("on_failure", "hint"), step.on_failure.hint),
    ]
    found += [(place, text) for place, text in texts if text]
    return [(place, text) for place, text in found if expr.has_template(text)]


def step_expressions(step: StepBase) -> list[tuple[Place, str]]:
    """Give every expression of a step over its `result` (expect, save, on_failure), with where."""
    found: list[tuple[Place, str]] = [(("expect", i), e) for i, e in enumerate(step.expect)]
    found += [(("save", name), e) for name, e in step.save.items()]
    if isinstance(step.on_failure.run, list):
        found += [
            (("on_failure", "run", i, "when"), choice.when)
            for i, choice in enumerate(step.on_failure.run)
            if choice.when
        ]
    return found


def step_condition(step: StepBase) -> list[tuple[Place, str]]:
    """Give the step's `when` expression (read before it runs, so without `result`), if any."""
    return [(("when",), step.when)] if step.when else []


def step_references(step: StepBase) -> set[expr.Reference]:
    """Give every `namespace.name` a step reads; parts that do not parse read nothing."""
    found: set[expr.Reference] = set()
    for _, text in step_templates(step):
        try:
            found.update(expr.template_reads(text).references)
        except expr.ExpressionError:
            continue  # the linter reports it with its place
    for _, source in step_expressions(step) + step_condition(step):
        try:
            found.update(expr.expression_reads(source).references)
        except expr.ExpressionError:
            continue
    return found


def names_read(steps: Iterable[StepBase], namespace: str) -> set[str]:
    """Give the names the steps read from one namespace (`secrets`, `env`, ...)."""
    return {
        ref.name for step in steps for ref in step_references(step) if ref.namespace == namespace
    }


def secrets_used(steps: Iterable[StepBase]) -> set[str]:
    """Give the secrets the steps read, and those their kinds imply."""
    chosen = list(steps)
    implied = {name for step in chosen for name in step.kind_contract.implied_secrets(step.spec)}
    return names_read(chosen, "secrets") | implied


def _templates(value: Any, place: Place, found: list[tuple[Place, str]]) -> None:
    """Add every string with `{{ }}` or `{% %}` inside `value` to `found`, with its place."""
    if isinstance(value, BaseModel):
        items: Iterable[tuple[str | int, Any]] = (
            (key, getattr(value, attribute)) for attribute, key in _keys_of(type(value))
        )
    elif isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        if isinstance(item, str):
            # The place is made only for the few strings that need checking.
            if "{{" in item or "{%" in item:
                found.append((place + (key,), item))
        elif item is not None and not isinstance(item, (bool, int, float)):
            _templates(item, place + (key,), found)


@cache
def _keys_of(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """Give each field of a model as (attribute, key as written in YAML)."""
    return tuple((name, field.alias or name) for name, field in model.model_fields.items())
