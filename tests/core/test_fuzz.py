"""Random and mutated YAML thrown at the loader: the only exception allowed out is PlbookError.

Whatever a file holds, `load_procedure` gives a procedure or raises PlbookError, and
`load_catalog` gives a catalog whose problems are located, one-line messages.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plbook.catalog import load_catalog
from plbook.errors import PlbookError, Problem
from plbook.load import load_procedure

GOOD = Path(__file__).parent / "good"
PROCEDURES = [
    path.read_text() for path in sorted(GOOD.glob("*.yaml")) if path.stem != "environments"
]
ENVIRONMENTS = (GOOD / "environments.yaml").read_text()
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
FUZZ_SLOW = settings(FUZZ, max_examples=100)  # each example loads and lints a whole procedure

# Pieces of YAML and of the format that tend to break parsers, models and linters.
TOKENS = [
    ": ",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "<<: *a",
    "<<: ",
    "? ",
    "|",
    ">-",
    "'",
    '"',
    "#",
    "\t",
    "\n",
    "\n  ",
    "\n    - ",
    "!!binary ",
    "!!int ",
    "!!float ",
    "!!map ",
    "!!set ",
    "!!python/object:os.system ",
    "!custom ",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "~",
    "null",
    "yes",
    "2024-02-30",
    "0x",
    "1e999",
    "9" * 5000,
    "{{",
    "}}",
    "{%",
    "%}",
    "{{ inputs.x }}",
    "{{ secrets.X }}",
    "{{ env.nope }}",
    "{{ vars.v }}",
    "{{ result.__class__ }}",
    "[['__x__']]",
    "steps:",
    "id: ",
    "procedure: ",
    "mongo: {delete_one: {}}",
    "retry: {attempts: 0}",
    "timeout: ",
    "on_failure: ",
    "expect: [",
    "save: {",
    "\u00e9",
    "\ufeff",
    "\u2028",
    "\x85",
]

KEYS = [
    "id",
    "title",
    "summary",
    "category",
    "services",
    "tags",
    "estimated_time",
    "when",
    "symptoms",
    "requires",
    "tools",
    "secrets",
    "inputs",
    "see_also",
    "steps",
    "description",
    "expect",
    "save",
    "retry",
    "attempts",
    "timeout",
    "interval",
    "on_failure",
    "hint",
    "run",
    "then",
    "destructive",
    "manual",
    "shell",
    "http",
    "mongo",
    "stripe",
    "procedure",
    "message",
    "method",
    "url",
    "headers",
    "json",
    "body",
    "collection",
    "find_one",
    "update_one",
    "filter",
    "update",
    "list",
    "retrieve",
    "channel",
    "default",
    "environments",
    "values",
    "titel",
    "htttp",
    "<<",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**20),
    st.floats(allow_nan=True),
    st.sampled_from(
        [
            "smoke-test",
            "rollback",
            "5s",
            "2m",
            "five seconds",
            "-1s",
            "0",
            "GET",
            "get",
            "abort",
            "health-check",
            "rollback-api",
            "fuzzed",
            "users",
            "{{ env.api_url }}/x",
            "{{ inputs.q }}",
            "result.status == 200",
            "result.__class__",
            "result ==",
            "{% if %}",
            "now - days(1)",
        ]
    ),
    st.text(max_size=20),
)
DATA = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=6),
    ),
    max_leaves=40,
)


@st.composite
def mutated(draw: st.DrawFn, seeds: list[str]) -> str:
    """Give one of the valid `seeds` with a few random edits."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "delete", "replace", "duplicate-line"]))
        if edit == "insert":
            text = text[:where] + draw(st.sampled_from(TOKENS)) + text[where:]
        elif edit == "delete":
            text = text[:where] + text[where + draw(st.integers(1, 20)) :]
        elif edit == "replace":
            text = text[:where] + draw(st.sampled_from(TOKENS)) + text[where + 1 :]
        else:
            lines = text.splitlines(keepends=True) or [""]
            line = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[: line + 1] + lines[line:])
    return text


@st.composite
def procedure_data(draw: st.DrawFn) -> str:
    """Give a random mapping shaped roughly like a procedure, as YAML."""
    document = {
        "title": draw(SCALARS),
        "summary": "s",
        "category": draw(SCALARS),
        "steps": draw(
            st.lists(st.dictionaries(st.sampled_from(KEYS), DATA, max_size=7), max_size=3)
        ),
    }
    document.update(draw(st.dictionaries(st.sampled_from(KEYS), DATA, max_size=3)))
    return yaml.safe_dump(document, allow_unicode=True)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """Give a folder holding a copy of the valid test runbook."""
    with tempfile.TemporaryDirectory(prefix="plbook-fuzz-") as directory:
        target = Path(directory) / "procedures"
        shutil.copytree(GOOD, target)
        yield target


def assert_well_formed(problems: list[Problem]) -> None:
    for problem in problems:
        assert problem.line >= 1 and problem.column >= 1, problem
        assert problem.message and "\n" not in problem.message, problem


def load_only_with_user_errors(path: Path, content: str | bytes) -> None:
    """Write `content` to `path`, load it alone and in the runbook: only PlbookError escapes."""
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(content)
    if path.name != "environments.yaml":
        try:
            load_procedure(path)
        except PlbookError as error:
            assert_well_formed(error.problems)
    assert_well_formed(load_catalog([path.parent]).problems)


@FUZZ
@given(text=st.lists(st.sampled_from(TOKENS + list("abc:-_ .0123\n")), max_size=40).map("".join))
def test_random_yaml_gives_only_user_errors(folder: Path, text: str) -> None:
    load_only_with_user_errors(folder / "fuzzed.yaml", text)


@FUZZ
@given(content=st.binary(max_size=200))
def test_random_bytes_give_only_user_errors(folder: Path, content: bytes) -> None:
    load_only_with_user_errors(folder / "fuzzed.yaml", content)


@FUZZ
@given(text=mutated(PROCEDURES))
def test_mutated_procedures_give_only_user_errors(folder: Path, text: str) -> None:
    load_only_with_user_errors(folder / "fuzzed.yaml", text)


@FUZZ_SLOW
@given(text=procedure_data())
def test_random_procedure_shapes_give_only_user_errors(folder: Path, text: str) -> None:
    load_only_with_user_errors(folder / "fuzzed.yaml", text)


@FUZZ
@given(text=st.one_of(mutated([ENVIRONMENTS]), procedure_data()))
def test_mutated_environments_give_only_user_errors(folder: Path, text: str) -> None:
    try:
        load_only_with_user_errors(folder / "environments.yaml", text)
    finally:
        (folder / "environments.yaml").write_text(ENVIRONMENTS)
