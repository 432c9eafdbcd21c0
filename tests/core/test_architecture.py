"""The shape of the package: no import cycles, kinds named only in their modules, a small root."""

from __future__ import annotations

import ast
from pathlib import Path

import plbook
from plbook.steps import STEP_KINDS

PACKAGE = Path(plbook.__file__).resolve().parent
TEMPLATES = PACKAGE / "site" / "templates"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imported_modules(source: str, name: str, is_package: bool) -> set[str]:
    """Give the plbook modules a module's source imports anywhere: top, functions, typing."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0]
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            # `from plbook.steps import http` names a module, `from plbook.steps import Step` a
            # name in the package: each import counts as the deepest module it names.
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Give the groups of modules that import each other, directly or not (Tarjan's method)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for other in sorted(graph.get(name, ())):
            if other not in index:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in stack:
                low[name] = min(low[name], index[other])
        if low[name] == index[name]:
            group: list[str] = []
            while not group or group[-1] != name:
                group.append(stack.pop())
            if len(group) > 1:
                cycles.append(sorted(group))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return cycles


def package_graph() -> dict[str, set[str]]:
    return {
        name: imported_modules(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
        for name, path in MODULES.items()
    }


def test_no_module_under_plbook_is_part_of_an_import_cycle() -> None:
    assert import_cycles(package_graph()) == []


def test_imports_inside_functions_and_for_typing_count() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from plbook.sandbox.stack import Sandbox\n"
        "def start():\n"
        "    from plbook.lint import lint_catalog\n"
        "from . import faults\n"
    )
    assert imported_modules(source, "plbook.sandbox.admin_api", False) == {
        "plbook.sandbox.stack",
        "plbook.lint",
        "plbook.sandbox.faults",
    }


def test_a_cycle_through_three_modules_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]


# --- kind names -------------------------------------------------------------------------------


def kind_name_uses(source: str) -> list[tuple[int, str]]:
    """Give each place a source treats a kind's name as a value: compares it, or tabulates kinds.

    A kind name as a record's field (`event["procedure"]`, an XML `message` attribute) is a
    word, not a kind; a comparison with one, or a table keyed by two or more kinds, is the
    knowledge of a kind leaking out of its module.
    """
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            for part in [node.left, *node.comparators]:
                found += _kind_constants(part)
        elif isinstance(node, (ast.Dict, ast.Set, ast.List, ast.Tuple)):
            members = node.keys if isinstance(node, ast.Dict) else node.elts
            named = [item for item in members if item is not None and _kind_constants(item)]
            if len({_constant(item) for item in named}) >= 2:
                found += [hit for item in named for hit in _kind_constants(item)]
        elif isinstance(node, ast.Subscript) and "kind" in ast.unparse(node.value).lower():
            found += _kind_constants(node.slice)
    return sorted(set(found))


def _constant(node: ast.AST) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _kind_constants(node: ast.AST) -> list[tuple[int, str]]:
    value = _constant(node)
    if isinstance(value, str) and value in STEP_KINDS:
        return [(node.lineno, value)]
    return []


def test_no_kind_name_is_used_as_a_value_outside_plbook_steps() -> None:
    uses = {
        name: hits
        for name, path in MODULES.items()
        if not name.startswith("plbook.steps")
        and (hits := kind_name_uses(path.read_text(encoding="utf-8")))
    }
    assert uses == {}


def test_the_page_templates_name_no_kind() -> None:
    quoted = {f'"{kind}"' for kind in STEP_KINDS} | {f"'{kind}'" for kind in STEP_KINDS}
    for template in TEMPLATES.iterdir():
        text = template.read_text(encoding="utf-8")
        assert [word for word in quoted if word in text] == [], template.name


def test_kind_names_leaking_out_are_found() -> None:
    leaks = (
        'if step.kind == "procedure":\n'
        "    pass\n"
        'LABELS = {"http": "HTTP request", "mongo": "MongoDB query"}\n'
        'view = STEP_KINDS["shell"]\n'
        'language = "text" if kind != "http" else "http"\n'
    )
    assert kind_name_uses(leaks) == [
        (1, "procedure"),
        (3, "http"),
        (3, "mongo"),
        (4, "shell"),
        (5, "http"),
    ]
    fields = 'title = event["procedure"]\nxml = {"message": text, "type": "failure"}\n'
    assert kind_name_uses(fields) == []


# --- the package's root -------------------------------------------------------------------------


def test_the_package_root_exports_its_public_surface() -> None:
    assert sorted(plbook.__all__) == [
        "Catalog",
        "PlbookError",
        "Problem",
        "RunOptions",
        "RunOutcome",
        "RunRecord",
        "StepKind",
        "StepRuntime",
        "StepView",
        "__version__",
        "load_catalog",
        "read_run",
        "run_procedure",
    ]
    for name in plbook.__all__:
        assert getattr(plbook, name) is not None, name
    assert plbook.load_catalog.__module__ == "plbook.catalog"
    assert plbook.StepKind is type(STEP_KINDS["http"]).__mro__[1]
