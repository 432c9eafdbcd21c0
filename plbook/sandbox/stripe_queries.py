"""What a Stripe list or retrieve asks for: filters, `created` ranges, pagination and `expand`.

The query is read as Stripe reads it (`created[gte]=0&expand[]=data.customer`), and a
parameter Stripe would refuse is refused with Stripe's message, so a twin with a typo fails
against the sandbox as it would against Stripe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from plbook.sandbox.stripe_forms import decode_stripe_form

StripeObject = dict[str, Any]
MAX_LIST_LIMIT = 100
DEFAULT_LIST_LIMIT = 10
_RANGE_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    "gt": lambda value, bound: value > bound,
    "gte": lambda value, bound: value >= bound,
    "lt": lambda value, bound: value < bound,
    "lte": lambda value, bound: value <= bound,
}
# Fields `expand` can replace by the object they name, and that object's kind in the account.
EXPANDABLE = {"customer": "customer", "subscription": "subscription", "invoice": "invoice"}


class InvalidStripeParameterError(ValueError):
    """A query parameter Stripe would answer with a 400 invalid_request_error."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


def _integer(value: Any, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidStripeParameterError(f"Invalid integer: {value}", param) from None


@dataclass
class ListQuery:
    """One list request: equality filters, a `created` range, a page and fields to expand."""

    filters: dict[str, str] = field(default_factory=dict)
    types: list[str] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    limit: int = DEFAULT_LIST_LIMIT
    starting_after: str | None = None
    ending_before: str | None = None
    expand: list[str] = field(default_factory=list)

    def matches(self, obj: StripeObject) -> bool:
        """Give whether an object passes the filters and the `created` range."""
        if any(obj.get(name) != value for name, value in self.filters.items()):
            return False
        if self.types and obj.get("type") not in self.types:
            return False
        return all(
            _RANGE_OPERATORS[operator](int(obj.get("created", 0)), bound)
            for operator, bound in self.created.items()
        )

    def page(self, objects: list[StripeObject]) -> tuple[list[StripeObject], bool]:
        """Give one page of objects (newest first) and whether more follow."""
        ids = [obj["id"] for obj in objects]
        if self.starting_after:
            start = ids.index(self.starting_after) + 1 if self.starting_after in ids else len(ids)
            objects = objects[start:]
        elif self.ending_before:
            end = ids.index(self.ending_before) if self.ending_before in ids else 0
            objects = objects[max(end - self.limit, 0) : end]
        return objects[: self.limit], len(objects) > self.limit


def parse_list_query(query_string: str, filter_names: tuple[str, ...]) -> ListQuery:
    """Give the list query, or raise InvalidStripeParameterError for what Stripe refuses."""
    params = decode_stripe_form(query_string)
    query = ListQuery(expand=_expand_list(params.pop("expand", [])))
    if "limit" in params:
        query.limit = _integer(params.pop("limit"), "limit")
        if not 1 <= query.limit <= MAX_LIST_LIMIT:
            raise InvalidStripeParameterError(
                f"This value must be between 1 and {MAX_LIST_LIMIT}.", "limit"
            )
    query.starting_after = params.pop("starting_after", None)
    query.ending_before = params.pop("ending_before", None)
    if "created" in params:
        query.created = _created_range(params.pop("created"))
    if "types" in params and "type" in filter_names:
        types = params.pop("types")
        query.types = list(types.values()) if isinstance(types, dict) else list(types)
    for name in list(params):
        if name not in filter_names or not isinstance(params[name], str):
            raise InvalidStripeParameterError(f"Received unknown parameter: {name}", name)
        query.filters[name] = params.pop(name)
    return query


def parse_expand(query_string: str) -> list[str]:
    """Give the fields a retrieve asks to expand, refusing any other parameter."""
    params = decode_stripe_form(query_string)
    expand = _expand_list(params.pop("expand", []))
    for name in params:
        raise InvalidStripeParameterError(f"Received unknown parameter: {name}", name)
    return expand


def _expand_list(value: Any) -> list[str]:
    items = list(value.values()) if isinstance(value, dict) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise InvalidStripeParameterError("Invalid array", "expand")
    return items


def _created_range(value: Any) -> dict[str, int]:
    if isinstance(value, str):
        exact = _integer(value, "created")
        return {"gte": exact, "lte": exact}
    unknown = sorted(set(value) - _RANGE_OPERATORS.keys())
    if unknown:
        raise InvalidStripeParameterError(
            f"Received unknown parameter: created[{unknown[0]}]", f"created[{unknown[0]}]"
        )
    return {op: _integer(bound, f"created[{op}]") for op, bound in value.items()}


def expand_fields(
    obj: StripeObject, fields: list[str], lookup: Callable[[str, str], StripeObject]
) -> StripeObject:
    """Give the object with each named field's id replaced by the object it names."""
    for name in fields:
        kind = EXPANDABLE.get(name)
        if kind is None:
            raise InvalidStripeParameterError(
                f"This property cannot be expanded ({name}).", "expand"
            )
        if isinstance(obj.get(name), str):
            obj[name] = lookup(kind, obj[name])
    return obj


def list_expansions(fields: list[str]) -> list[str]:
    """Give the per-object fields of a list's `expand` (`data.customer` -> `customer`)."""
    for name in fields:
        if not name.startswith("data."):
            raise InvalidStripeParameterError(
                f"This property cannot be expanded ({name}). You may want to try expanding "
                f"'data.{name}' instead.",
                "expand",
            )
    return [name.removeprefix("data.") for name in fields]
