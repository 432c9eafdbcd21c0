"""The format reference page and the JSON Schemas: every key documented, with type and example."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from site_helpers import visible_text

from plbook.schema import environments_schema, procedure_schema
from plbook.steps import STEP_KINDS


def _properties(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for key, value in (node.get("properties") or {}).items():
            yield f"{path}.{key}", value
        for key, value in node.items():
            yield from _properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for value in node:
            yield from _properties(value, path)


def test_every_schema_property_has_a_description_for_editor_hovers() -> None:
    for schema in (procedure_schema(), environments_schema()):
        found = list(_properties(schema))
        assert len(found) > 5
        assert not [path for path, node in found if not node.get("description")]


def test_the_format_reference_lists_every_key_with_type_default_and_example(
    read_page: Callable[[str], str],
) -> None:
    text = visible_text(read_page("procedures/format-reference"))
    schema = procedure_schema()
    for key in schema["properties"]:
        assert f"{key} " in text
    for kind in STEP_KINDS:
        assert f"Kind {kind}" in text
    assert "estimated_time duration (500ms, 5s) or number — How long a run takes" in text
    assert "timeout duration (500ms, 5s) or number — Longest the step may take." in text
    assert "title string required What the procedure does, as the page's heading." in text
    assert "method one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS GET" in text
    assert "Environments file" in text and "stand_in_tools boolean false" in text
    assert "retry: {" in text  # an example taken from the fixture procedures
