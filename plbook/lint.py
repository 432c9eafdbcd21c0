"""Rules across procedures: references resolve, ids are unique, every `{{ }}` name is declared."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cache
from typing import Any

from pydantic import BaseModel

from plbook import expr
from plbook.errors import Problem
from plbook.load import Catalog, Loaded

Path = tuple[str | int, ...]


def lint_catalog(catalog: Catalog) -> list[Problem]:
    """Give every cross-procedure problem in the catalog."""
    problems: list[Problem] = []
    for loaded in catalog.procedures.values():
        problems.extend(lint_procedure(loaded, catalog))
    problems.extend(_call_cycles(catalog))
    return problems


def _templates(value: Any, path: Path, found: list[tuple[Path, str]]) -> None:
    """Add every string with `{{ }}` or `{% %}` inside `value` to `found`, with its path."""
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
            # The path is made only for the few strings that need checking.
            if "{{" in item or "{%" in item:
                found.append((path + (key,), item))
        elif item is not None and not isinstance(item, (bool, int, float)):
            _templates(item, path + (key,), found)


@cache
def _keys_of(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """Give each field of a model as (attribute, key as written in YAML)."""
    return tuple((name, field.alias or name) for name, field in model.model_fields.items())


class _ProcedureLinter:
    def __init__(self, loaded: Loaded, catalog: Catalog) -> None:
        self.loaded = loaded
        self.procedure = loaded.procedure
        self.catalog = catalog
        self.problems: list[Problem] = []
        environments = catalog.environments.environments if catalog.environments else {}
        self.env_values: dict[str, set[str]] = {
            name: set(environment.values) | {"name"} for name, environment in environments.items()
        }
        self.secrets = set(self.procedure.requires.secrets)
        for environment in environments.values():
            self.secrets |= set(environment.secrets)
        # A broken environments file is reported on its own: its secrets are unknown, not missing.
        self.check_secrets = catalog.environments is not None or not catalog.environments_file

    def report(self, path: Path, message: str, *, key: bool = False) -> None:
        line, column = self.loaded.positions.of(path, key=key)
        self.problems.append(Problem(self.procedure.source, line, column, message))

    def run(self) -> list[Problem]:
        seen: dict[str, int] = {}
        saved: set[str] = set()
        for index, step in enumerate(self.procedure.steps):
            path: Path = ("steps", index)
            if step.id in seen:
                self.report(
                    path + ("id",),
                    f"duplicate step id '{step.id}' (step {seen[step.id] + 1} "
                    "has it too); give each step its own id",
                )
            seen.setdefault(step.id, index)
            kind = step.kind
            self.check_references(step, kind, path)
            self.check_values(step, kind, path, saved)
            saved.update(step.save)
        for index, related in enumerate(self.procedure.see_also):
            self.check_procedure_exists(related, ("see_also", index))
        return self.problems

    def check_procedure_exists(self, procedure_id: str, path: Path) -> bool:
        if procedure_id in self.catalog.procedures:
            return True
        close = difflib.get_close_matches(procedure_id, self.catalog.procedures, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "; create it or fix the id"
        self.report(path, f"no procedure '{procedure_id}'{hint}")
        return False

    def check_references(self, step: Any, kind: str, path: Path) -> None:
        if step.on_failure.run:
            self.check_procedure_exists(step.on_failure.run, path + ("on_failure", "run"))
        if kind != "procedure":
            return
        call = step.procedure
        if not self.check_procedure_exists(call.id, path + ("procedure",)):
            return
        target = self.catalog.procedures[call.id].procedure
        for name in call.inputs:
            if name not in target.inputs:
                takes = f"it takes {', '.join(target.inputs)}" if target.inputs else "it takes none"
                self.report(
                    path + ("procedure", "inputs", name),
                    f"'{call.id}' has no input '{name}'; {takes}, so remove it"
                    + _did_you_mean(name, target.inputs),
                    key=True,
                )
        for name, declared in target.inputs.items():
            if declared.required and declared.default is None and name not in call.inputs:
                self.report(
                    path + ("procedure",),
                    f"'{call.id}' needs input '{name}'; add it under `inputs:` of this call",
                )

    def check_values(self, step: Any, kind: str, path: Path, saved: set[str]) -> None:
        expressions: list[tuple[Path, str]] = [
            (("expect", i), e) for i, e in enumerate(step.expect)
        ]
        expressions += [(("save", name), e) for name, e in step.save.items()]
        for where, source in expressions:
            try:
                reads = expr.expression_reads(source)
            except expr.ExpressionError as error:
                self.report(path + where, str(error))
                continue
            self.check_reads(reads, path + where, saved, result=True)
        texts: list[tuple[Path, str]] = []
        spec = getattr(step, kind)
        if isinstance(spec, str):
            texts.append(((kind,), spec))
        else:
            _templates(spec, (kind,), texts)
        texts += [((name,), getattr(step, name)) for name in ("title", "description")]
        texts.append((("on_failure", "hint"), step.on_failure.hint))
        for value_path, text in texts:
            if not text or not expr.has_template(text):
                continue
            try:
                reads = expr.template_reads(text)
            except expr.ExpressionError as error:
                self.report(path + value_path, str(error))
                continue
            self.check_reads(reads, path + value_path, saved, result=False)

    def check_reads(self, reads: expr.Reads, path: Path, saved: set[str], result: bool) -> None:
        if reads.dunders:
            names = ", ".join(f"'{name}'" for name in dict.fromkeys(reads.dunders))
            self.report(
                path, f"expressions may not reach for {names}; read values, not Python internals"
            )
        allowed = expr.known_names() if result else expr.known_names() - {"result"}
        for name in reads.names:
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = (
                    f"; did you mean '{close[0]}'?"
                    if close
                    else (f"; use one of {', '.join(sorted(allowed))}")
                )
                where = " (result exists only in expect and save)" if name == "result" else ""
                self.report(path, f"unknown name '{name}'{where}{hint}")
        for ref in reads.references:
            self.check_reference(ref, path, saved)

    def check_reference(self, ref: expr.Reference, path: Path, saved: set[str]) -> None:
        if ref.namespace == "inputs" and ref.name not in self.procedure.inputs:
            self.report(
                path,
                f"input '{ref.name}' is not declared; add it under `inputs:`"
                + _did_you_mean(ref.name, self.procedure.inputs),
            )
        elif ref.namespace == "secrets" and self.check_secrets and ref.name not in self.secrets:
            self.report(
                path,
                f"secret '{ref.name}' is not declared; add it to `requires.secrets:`"
                + _did_you_mean(ref.name, self.secrets),
            )
        elif ref.namespace == "vars" and ref.name not in saved:
            self.report(
                path,
                f"vars.{ref.name} is not saved by an earlier step; add `save: "
                f"{{{ref.name}: ...}}` to a step before this one" + _did_you_mean(ref.name, saved),
            )
        elif ref.namespace == "env":
            missing = sorted(
                name for name, values in self.env_values.items() if ref.name not in values
            )
            if missing:
                known = set.union(*self.env_values.values()) if self.env_values else set()
                self.report(
                    path,
                    f"env.{ref.name} is not a value of environment {', '.join(missing)}; "
                    "add it under `values:` in environments.yaml"
                    + _did_you_mean(ref.name, known - {ref.name}),
                )


def _did_you_mean(name: str, options: Any) -> str:
    close = difflib.get_close_matches(name, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def lint_procedure(loaded: Loaded, catalog: Catalog) -> list[Problem]:
    """Give the problems of one procedure that need the rest of the catalog to see."""
    return _ProcedureLinter(loaded, catalog).run()


def _call_cycles(catalog: Catalog) -> list[Problem]:
    """Give one problem per `procedure:` step that closes a loop of calls (a linear walk)."""
    calls = {
        pid: [(i, s.spec.id) for i, s in enumerate(lp.procedure.steps) if s.kind == "procedure"]
        for pid, lp in catalog.procedures.items()
    }
    problems: list[Problem] = []
    finished: set[str] = set()
    for root in calls:
        if root in finished:
            continue
        # Depth first, without recursion: `trail` is the chain of calls being followed.
        trail: list[str] = [root]
        pending = [iter(calls[root])]
        while pending:
            step = next(pending[-1], None)
            if step is None:
                finished.add(trail.pop())
                pending.pop()
                continue
            index, callee = step
            if callee in trail:
                loaded = catalog.procedures[trail[-1]]
                line, column = loaded.positions.of(("steps", index, "procedure"))
                cycle = " -> ".join(trail[trail.index(callee) :] + [callee])
                problems.append(
                    Problem(
                        loaded.procedure.source,
                        line,
                        column,
                        f"procedures call each other in a loop: {cycle}; break the loop",
                    )
                )
            elif callee in calls and callee not in finished:
                trail.append(callee)
                pending.append(iter(calls[callee]))
    return problems
