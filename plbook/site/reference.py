"""The format reference page: every key of the procedure and environments files, from the models.

Types, defaults and descriptions come from the JSON Schemas (generated from the pydantic models),
so the page cannot drift from what `plbook validate` accepts; each example is the first value this
runbook's own procedures use for the key, so it is real and validates.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import yaml

from plbook.catalog import Catalog
from plbook.schema import environments_schema, procedure_schema
from plbook.site import markdown
from plbook.steps import STEP_KINDS

TITLE = "Format reference"
_EXAMPLE_WIDTH = 70


def render_format_reference(catalog: Catalog) -> str:
    """Give the Markdown of the format reference, with examples from the catalog."""
    procedure, environments = procedure_schema(), environments_schema()
    defs = {**procedure["$defs"], **environments.get("$defs", {})}
    dumps = [
        p.procedure.model_dump(mode="json", exclude_unset=True)
        for _, p in sorted(catalog.procedures.items())
    ]
    steps = [step for dump in dumps for step in dump["steps"]]
    step = defs["Step"]
    common = {k: v for k, v in step["properties"].items() if k not in STEP_KINDS}
    parts = [
        f"---\nsearch:\n  boost: 0.5\n---\n\n# {TITLE}\n",
        "Every key a procedure file (`procedures/ID.yaml`) and `procedures/environments.yaml` may "
        "hold, generated from plbook's models. Examples are taken from this runbook's procedures. "
        "Editors read the same definitions from `plbook/schema/*.schema.json`.\n",
        _table("Procedure", procedure, procedure["properties"], dumps),
        _table("Step", step, common, steps, "Every step has these keys and exactly one kind key."),
    ]
    for kind in STEP_KINDS:
        node = step["properties"][kind]
        summary = markdown.prose(node.get("description", ""))
        spec = _resolve(node, defs)
        uses = [s[kind] for s in steps if kind in s]
        if spec is not None and "properties" in spec:
            title, intro = f"Kind `{kind}`", summary
            parts.append(_table(title, spec, spec["properties"], uses, intro))
        else:
            parts.append(f"## Kind `{kind}`\n\n{summary}\n\n{_example_line(uses)}\n")
    nested = {
        "Input": [i for d in dumps for i in d.get("inputs", {}).values()],
        "Requires": [d["requires"] for d in dumps if "requires" in d],
        "Retry": [s["retry"] for s in steps if isinstance(s.get("retry"), dict)],
        "FailureGuidance": [
            s["on_failure"] for s in steps if isinstance(s.get("on_failure"), dict)
        ],
        "Call": [s["procedure"] for s in steps if isinstance(s.get("procedure"), dict)],
    }
    for name, uses in nested.items():
        parts.append(_table(name, defs[name], defs[name]["properties"], uses))
    file = catalog.environments.model_dump(mode="json") if catalog.environments else {}
    parts.append(_table("Environments file", environments, environments["properties"], [file]))
    envs = list(file.get("environments", {}).values())
    parts.append(
        _table("Environment", defs["Environment"], defs["Environment"]["properties"], envs)
    )
    return "\n".join(parts)


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any] | None:
    for option in node.get("anyOf", [node]):
        if "$ref" in option:
            return defs[option["$ref"].rsplit("/", 1)[-1]]
    return None


def _table(
    title: str,
    model: dict[str, Any],
    properties: dict[str, Any],
    uses: Iterable[dict[str, Any]],
    intro: str | None = None,
) -> str:
    uses = list(uses)
    required = set(model.get("required", []))
    rows = [
        f"| {markdown.code_span(key)} | {markdown.table_cell(type_words(node))} | "
        f"{'required' if key in required else _default(node)} | "
        f"{markdown.table_cell(markdown.prose(node.get('description', '')))} | "
        f"{_example(key, uses)} |"
        for key, node in properties.items()
    ]
    head = f"## {title}\n\n" + (f"{intro}\n\n" if intro else "")
    return (
        head
        + "| Key | Type | Default | Description | Example |\n|---|---|---|---|---|\n"
        + ("\n".join(rows) + "\n")
    )


def type_words(node: dict[str, Any]) -> str:
    """Give a schema node's type in words: `string`, `list of string`, `Retry`, `5s or number`."""
    if "$ref" in node:
        return node["$ref"].rsplit("/", 1)[-1].removeprefix("plbook__steps__")
    if "anyOf" in node:
        return " or ".join(
            dict.fromkeys(type_words(o) for o in node["anyOf"] if o.get("type") != "null")
        )
    if "enum" in node:
        return "one of " + ", ".join(str(value) for value in node["enum"])
    if "const" in node:
        return str(node["const"])
    kind = node.get("type", "any")
    if kind == "array":
        return f"list of {type_words(node.get('items', {}))}"
    if kind == "object":
        values = node.get("additionalProperties") or next(
            iter(node.get("patternProperties", {}).values()), None
        )
        return f"mapping to {type_words(values)}" if isinstance(values, dict) else "mapping"
    if kind == "string" and node.get("examples"):
        return f"duration ({', '.join(node['examples'][:2])})"
    return str(kind)


def _default(node: dict[str, Any]) -> str:
    value = node.get("default")
    if value in (None, [], {}):
        return "—"
    return markdown.table_cell(markdown.code_span(_flow(value)))


def _first_uses(key: str, uses: Iterable[dict[str, Any]]) -> Iterator[Any]:
    for use in uses:
        if isinstance(use, dict) and key in use and use[key] not in (None, [], {}, ""):
            yield use[key]


def _example(key: str, uses: Iterable[dict[str, Any]]) -> str:
    value = next(_first_uses(key, uses), None)
    if value is None:
        return "—"
    text = f"{key}: {_flow(value)}"
    if len(text) > _EXAMPLE_WIDTH:
        text = text[: _EXAMPLE_WIDTH - 1] + "…"
    return markdown.table_cell(markdown.code_span(text))


def _example_line(uses: list[Any]) -> str:
    return f"Example: {markdown.code_span(_flow(uses[0]))}" if uses else ""


def _flow(value: Any) -> str:
    """Give a value as one line of YAML, as it would be written in a procedure."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000, allow_unicode=True)
    return text.strip().removesuffix("...").strip()  # a bare scalar ends with a document marker
