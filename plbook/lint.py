"""Rules across procedures: references resolve, ids are unique, every `{{ }}` name is declared."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from plbook import expr
from plbook.errors import Problem, did_you_mean
from plbook.load import Loaded
from plbook.model import EnvironmentsFile
from plbook.references import step_condition, step_expressions, step_templates

Path = tuple[str | int, ...]


class Catalog(Protocol):
    """What the rules read: the loaded procedures, every procedure id, the environments."""

    @property
    def procedures(self) -> Mapping[str, Loaded]:
        """Give each loaded procedure by id."""

    @property
    def environments(self) -> EnvironmentsFile | None:
        """Give the environments file, or None when there is none or it is broken."""

    @property
    def environments_file(self) -> str:
        """Give the path of the environments file, or "" when there is none."""

    @property
    def known_ids(self) -> set[str]:
        """Give the id of every procedure file, loaded or broken."""


def lint_catalog(catalog: Catalog) -> list[Problem]:
    """Give every cross-procedure problem in the catalog."""
    problems: list[Problem] = []
    known_ids = catalog.known_ids
    for loaded in catalog.procedures.values():
        problems.extend(_ProcedureLinter(loaded, catalog, known_ids).run())
    problems.extend(_call_cycles(catalog))
    return problems


class _ProcedureLinter:
    def __init__(self, loaded: Loaded, catalog: Catalog, known_ids: set[str]) -> None:
        self.loaded = loaded
        self.known_ids = known_ids
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
        if procedure_id in self.known_ids:
            return True
        hint = did_you_mean(procedure_id, self.known_ids) or "create it or fix the id"
        self.report(path, f"no procedure '{procedure_id}'; {hint}")
        return False

    def check_references(self, step: Any, kind: str, path: Path) -> None:
        listed = isinstance(step.on_failure.run, list)
        for index, choice in enumerate(step.on_failure.choices):
            where = ("on_failure", "run", index, "run") if listed else ("on_failure", "run")
            self.check_procedure_exists(choice.run, path + where)
        callee = step.called_procedure
        if callee is None or not self.check_procedure_exists(callee, path + (kind,)):
            return
        if callee not in self.catalog.procedures:
            return  # its file is broken: that file's own problems say why
        target = self.catalog.procedures[callee].procedure
        given = step.kind_contract.called_inputs(step.spec)
        for name in given:
            if name not in target.inputs:
                takes = f"it takes {', '.join(target.inputs)}" if target.inputs else "it takes none"
                self.report(
                    path + (kind, "inputs", name),
                    f"'{callee}' has no input '{name}'; {takes}, so remove it"
                    + _in_brackets(did_you_mean(name, target.inputs)),
                    key=True,
                )
        for name, declared in target.inputs.items():
            if declared.required and declared.default is None and name not in given:
                self.report(
                    path + (kind,),
                    f"'{callee}' needs input '{name}'; add it under `inputs:` of this call",
                )

    def check_values(self, step: Any, kind: str, path: Path, saved: set[str]) -> None:
        for where, source in step_expressions(step):
            try:
                reads = expr.expression_reads(source)
            except expr.ExpressionError as error:
                self.report(path + where, str(error))
                continue
            self.check_reads(reads, path + where, saved, result=True)
        for where, source in step_condition(step):
            try:
                reads = expr.expression_reads(source)
            except expr.ExpressionError as error:
                self.report(path + where, str(error))
                continue
            self.check_reads(reads, path + where, saved, result=False)
        for value_path, text in step_templates(step):
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
                hint = did_you_mean(name, allowed) or f"use one of {', '.join(sorted(allowed))}"
                where = " (result exists only in expect and save)" if name == "result" else ""
                self.report(path, f"unknown name '{name}'{where}; {hint}")
        for ref in reads.references:
            self.check_reference(ref, path, saved)

    def check_reference(self, ref: expr.Reference, path: Path, saved: set[str]) -> None:
        if ref.namespace == "inputs" and ref.name not in self.procedure.inputs:
            self.report(
                path,
                f"input '{ref.name}' is not declared; add it under `inputs:`"
                + _in_brackets(did_you_mean(ref.name, self.procedure.inputs)),
            )
        elif ref.namespace == "secrets" and self.check_secrets and ref.name not in self.secrets:
            self.report(
                path,
                f"secret '{ref.name}' is not declared; add it to `requires.secrets:`"
                + _in_brackets(did_you_mean(ref.name, self.secrets)),
            )
        elif ref.namespace == "vars" and ref.name not in saved:
            self.report(
                path,
                f"vars.{ref.name} is not saved by an earlier step; add `save: "
                f"{{{ref.name}: ...}}` to a step before this one"
                + _in_brackets(did_you_mean(ref.name, saved)),
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
                    + _in_brackets(did_you_mean(ref.name, known - {ref.name})),
                )


def _in_brackets(suggestion: str | None) -> str:
    return f" ({suggestion})" if suggestion else ""


def lint_procedure(loaded: Loaded, catalog: Catalog) -> list[Problem]:
    """Give the problems of one procedure that need the rest of the catalog to see."""
    return _ProcedureLinter(loaded, catalog, catalog.known_ids).run()


def _call_cycles(catalog: Catalog) -> list[Problem]:
    """Give one problem per `procedure:` step that closes a loop of calls (a linear walk)."""
    calls: dict[str, list[tuple[int, str, str]]] = {
        pid: [
            (i, s.kind, s.called_procedure)
            for i, s in enumerate(lp.procedure.steps)
            if s.called_procedure is not None
        ]
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
            index, kind, callee = step
            if callee in trail:
                loaded = catalog.procedures[trail[-1]]
                line, column = loaded.positions.of(("steps", index, kind))
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
