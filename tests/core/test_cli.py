"""`plbook list`, `show`, `new` and `schema` as a user runs them, and what they import."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from plbook.schema import SCHEMA_DIRECTORY
from plbook.steps import STEP_KINDS

ROOT = Path(__file__).resolve().parents[2]
GOOD = Path(__file__).parent / "good"
_SCRIPT = Path(sys.executable).with_name("plbook")
PLBOOK = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "plbook"]
HEAVY = ("stripe", "pymongo", "httpx", "mkdocs")


def plbook(*arguments: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the installed `plbook` command."""
    return subprocess.run(
        PLBOOK + [str(a) for a in arguments], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_list_prints_a_table_sorted_by_id() -> None:
    done = plbook("list", "--path", GOOD)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["ID", "CATEGORY", "STEPS", "TITLE"]
    assert [line.split()[0] for line in lines[1:]] == [
        "health-check",
        "notify-team",
        "rollback-api",
    ]
    assert lines[3].split()[:3] == ["rollback-api", "rollback", "5"]
    assert lines[3].endswith("Roll back the backend API")


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--category", "rollback"], ["rollback-api"]),
        (["--tag", "health"], ["health-check"]),
        (["--tag", "incident", "--category", "communication"], ["notify-team"]),
        (["--category", "cadence"], []),
    ],
)
def test_list_filters(option: list[str], expected: list[str]) -> None:
    done = plbook("list", "--path", GOOD, *option)
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()[1:]] == expected


def test_list_json_gives_one_object_per_procedure() -> None:
    done = plbook("list", "--path", GOOD, "--json", "--tag", "railway")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {
            "id": "rollback-api",
            "category": "rollback",
            "title": "Roll back the backend API",
            "steps": 5,
            "tags": ["railway"],
        }
    ]


def test_show_numbers_steps_and_prints_commands_exactly() -> None:
    done = plbook("show", "rollback-api", "--path", GOOD)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("Roll back the backend API\n=========================\n")
    assert "Input deployment_id (required): Deployment to restore" in text
    assert "Run: plbook run rollback-api" in text
    numbered = [line for line in text.splitlines() if line[:2] in {f"{n}." for n in range(1, 10)}]
    assert [line.split("  (")[1].split(",")[0] for line in numbered] == [
        "manual",
        "shell",
        "mongo",
        "shell",
        "procedure",
    ]
    assert "2. Redeploy the previous deployment  (shell, #rollback)  [DESTRUCTIVE]" in text
    assert "     railway rollback --deployment {{ inputs.deployment_id }}\n" in text
    assert 'db.users.find_one({"email": "{{ env.test_email }}"})' in text
    assert "   pass if: result.document is not none" in text
    assert "     plbook run health-check" in text


def test_show_unknown_id_suggests_the_closest() -> None:
    done = plbook("show", "rollback-apy", "--path", GOOD)
    assert done.returncode == 2
    assert done.stderr.strip() == "no procedure 'rollback-apy'; did you mean rollback-api?"


def test_show_refuses_a_broken_procedure_it_calls_with_its_problems(tmp_path: Path) -> None:
    shutil.copytree(GOOD, tmp_path / "procedures")
    (tmp_path / "procedures" / "health-check.yaml").write_text("title: [\n")
    done = plbook("show", "rollback-api", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("procedures/health-check.yaml:")


def test_new_writes_a_commented_skeleton_that_validates(tmp_path: Path) -> None:
    shutil.copytree(GOOD, tmp_path / "procedures")
    done = plbook("new", "check-queue", "--category", "troubleshooting", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = tmp_path / "procedures" / "check-queue.yaml"
    text = written.read_text()
    assert "category: troubleshooting" in text
    assert sum(line.lstrip().startswith("#") or " # " in line for line in text.splitlines()) >= 5
    validated = plbook("validate", cwd=tmp_path)
    assert validated.returncode == 0, validated.stderr
    assert "4 procedures valid" in validated.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["rollback-api", "--category", "rollback"],
            "already exists; choose another id or edit that file",
        ),
        (["Bad_Id", "--category", "rollback"], "'Bad_Id' is not a procedure id"),
        (
            ["fine-id", "--category", "rollbacks"],
            "'rollbacks' is not a category; use one of: checklist",
        ),
    ],
)
def test_new_refuses_bad_calls(tmp_path: Path, arguments: list[str], message: str) -> None:
    shutil.copytree(GOOD, tmp_path / "procedures")
    done = plbook("new", *arguments, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(list((tmp_path / "procedures").glob("*.yaml"))) == 4


@pytest.mark.parametrize(
    ("arguments", "file"),
    [
        ([], "procedure.schema.json"),
        (["--environments"], "environments.schema.json"),
    ],
)
def test_schema_output_is_the_checked_in_file(arguments: list[str], file: str) -> None:
    done = plbook("schema", *arguments)
    assert done.returncode == 0, done.stderr
    # `plbook schema --write` regenerates the files; a model change without it fails here.
    assert json.loads(done.stdout) == json.loads((SCHEMA_DIRECTORY / file).read_text())


# Keywords of JSON Schema 2020-12 (core, applicator, validation, meta-data) that editors know.
KEYWORDS = {
    "$schema",
    "$id",
    "$ref",
    "$defs",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "type",
    "enum",
    "const",
    "properties",
    "patternProperties",
    "additionalProperties",
    "required",
    "items",
    "prefixItems",
    "anyOf",
    "oneOf",
    "allOf",
    "not",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "deprecated",
}


def schema_parts(node: Any) -> list[dict[str, Any]]:
    """Give every schema object inside a JSON Schema document."""
    if isinstance(node, list):
        return [part for item in node for part in schema_parts(item)]
    if not isinstance(node, dict):
        return []
    parts = [node]
    for key, value in node.items():
        if key in ("properties", "patternProperties", "$defs"):
            parts += [part for child in value.values() for part in schema_parts(child)]
        elif key not in ("enum", "const", "default", "examples", "required"):
            parts += schema_parts(value)
    return parts


@pytest.mark.parametrize("file", ["procedure.schema.json", "environments.schema.json"])
def test_schema_uses_only_keywords_editors_understand(file: str) -> None:
    document = json.loads((SCHEMA_DIRECTORY / file).read_text())
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for part in schema_parts(document):
        assert set(part) <= KEYWORDS, set(part) - KEYWORDS
        if "$ref" in part:
            assert part["$ref"].removeprefix("#/$defs/") in document["$defs"], part["$ref"]
        if part.get("type") == "object" and "properties" in part:
            # Unknown keys are errors in the file, so the editor flags them too.
            assert part.get("additionalProperties") is False, part.get("title")


def test_procedure_schema_offers_every_step_kind_and_category() -> None:
    document = json.loads((SCHEMA_DIRECTORY / "procedure.schema.json").read_text())
    step = document["$defs"]["Step"]
    assert step["oneOf"] == [{"required": [kind]} for kind in STEP_KINDS]
    assert set(STEP_KINDS) <= set(step["properties"])
    assert set(document["required"]) == {"title", "summary", "category", "steps"}
    assert "smoke-test" in document["properties"]["category"]["enum"]
    duration = document["properties"]["estimated_time"]["anyOf"]
    assert {"type": "number", "exclusiveMinimum": 0} in duration
    assert any(option.get("examples") == ["500ms", "5s", "2m", "1h30m"] for option in duration)


def test_vscode_maps_the_schemas_onto_the_procedure_files() -> None:
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text())
    schemas = settings["yaml.schemas"]
    assert schemas["./plbook/schema/procedure.schema.json"] == [
        "procedures/*.yaml",
        "!procedures/environments.yaml",
    ]
    assert schemas["./plbook/schema/environments.schema.json"] == ["procedures/environments.yaml"]
    for schema in schemas:
        assert (ROOT / schema).is_file()
    extensions = json.loads((ROOT / ".vscode" / "extensions.json").read_text())
    assert "redhat.vscode-yaml" in extensions["recommendations"]


LAZY_PROBE = """
import sys
from plbook.cli import cli
for arguments in {calls!r}:
    try:
        cli.main(arguments, standalone_mode=False)
    except SystemExit:
        pass
print(",".join(sorted(name for name in {heavy!r} if name in sys.modules)))
"""


def test_everyday_commands_do_not_import_heavy_libraries() -> None:
    good = str(GOOD)
    calls = [
        ["--help"],
        ["validate", good],
        ["list", "--path", good],
        ["show", "health-check", "--path", good],
        ["schema"],
    ]
    probe = LAZY_PROBE.format(calls=calls, heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == ""
