"""JSON Schemas of the format, generated from the models, for editors (yaml-language-server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plbook.model import EnvironmentsFile, Procedure
from plbook.steps import STEP_KINDS

SCHEMA_DIRECTORY = Path(__file__).parent / "schema"
SCHEMA_FILES = ("procedure", "environments")


def procedure_schema() -> dict[str, Any]:
    """Give the JSON Schema of a procedure file."""
    document = Procedure.model_json_schema(by_alias=True, mode="validation")
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "plbook procedure"
    step = document["$defs"]["Step"]
    # Exactly one kind key per step: an editor then proposes the kinds and flags two at once.
    step["oneOf"] = [{"required": [kind]} for kind in STEP_KINDS]
    return document


def environments_schema() -> dict[str, Any]:
    """Give the JSON Schema of environments.yaml."""
    document = EnvironmentsFile.model_json_schema(by_alias=True, mode="validation")
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "plbook environments"
    return document


def schema_directory(root: Path) -> Path:
    """Give where a project's editors find the schemas.

    That is `.plbook/schema/` (generated, like everything under `.plbook/`), except in plbook's
    own source, whose `plbook/schema/` files are checked in and ship in the package.
    """
    if SCHEMA_DIRECTORY.parent.parent.resolve() == root.resolve():
        return SCHEMA_DIRECTORY
    return root / ".plbook" / "schema"


def write_schema_files(root: Path) -> list[Path]:
    """Write both schemas where the project at `root` keeps them; give their paths."""
    directory = schema_directory(root)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    documents = (procedure_schema(), environments_schema())
    for name, document in zip(SCHEMA_FILES, documents, strict=True):
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(document, indent=2) + "\n")
        written.append(path)
    return written
