"""The catalog: every procedure of a runbook and the environments, loaded and then linted.

`load` reads one file into a model; `lint` checks what needs the other procedures; this module
puts the two together, so neither of them knows the other.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from plbook.errors import PlbookError, Problem, did_you_mean
from plbook.lint import lint_catalog
from plbook.load import Loaded, load_environments, load_procedure, procedure_files
from plbook.model import EnvironmentsFile, Procedure
from plbook.yamlsource import Positions

DEFAULT_DIRECTORY = Path("procedures")


@dataclass
class Catalog:
    """Every procedure of a runbook, the environments, and what was wrong with any of them."""

    procedures: dict[str, Loaded] = field(default_factory=dict)
    environments: EnvironmentsFile | None = None
    environments_file: str = ""
    environments_positions: Positions = field(default_factory=Positions)
    problems: list[Problem] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    """Each procedure id (a file's stem) with its file, whether the file loaded or not."""

    def get(self, procedure_id: str) -> Procedure:
        """Give the procedure with this id, or a user error naming the ones that exist."""
        if procedure_id not in self.procedures:
            close = did_you_mean(procedure_id, self.procedures, count=3, quoted=False)
            hint = f"; {close}" if close else "; `plbook list` shows them"
            raise PlbookError(f"no procedure '{procedure_id}'{hint}")
        return self.procedures[procedure_id].procedure

    @property
    def known_ids(self) -> set[str]:
        """Give the id of every procedure file, loaded or broken: what references may name."""
        return set(self.files) | set(self.procedures)


def load_catalog(paths: list[Path] | None = None) -> Catalog:
    """Give every procedure and environment under `paths`, with every problem found."""
    chosen = paths or [DEFAULT_DIRECTORY]
    for path in chosen:
        if not path.exists():
            raise PlbookError(
                f"{path}: no such file or folder; give the procedures folder or a file"
            )
    catalog = Catalog()
    files, environments_path = procedure_files(chosen)
    if environments_path is not None:
        catalog.environments_file = str(environments_path)
        try:
            catalog.environments, catalog.environments_positions = load_environments(
                environments_path
            )
        except PlbookError as error:
            catalog.problems.extend(error.problems)
    with _collector_paused():
        for file in dict.fromkeys(files):
            catalog.files.setdefault(file.stem, str(file))
            _add_procedure(catalog, file)
        catalog.problems.extend(lint_catalog(catalog))
    catalog.problems.sort()
    return catalog


def _add_procedure(catalog: Catalog, file: Path) -> None:
    """Load one procedure file into the catalog, or add its problems."""
    try:
        loaded = load_procedure(file)
    except PlbookError as error:
        catalog.problems.extend(error.problems)
        return
    procedure_id = loaded.procedure.id
    if procedure_id in catalog.procedures:
        first = catalog.procedures[procedure_id].procedure.source
        catalog.problems.append(
            Problem(
                str(file),
                1,
                1,
                f"procedure '{procedure_id}' is also defined by {first}; keep one of the two files",
            )
        )
        return
    catalog.procedures[procedure_id] = loaded


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a catalog is loaded, then restore it.

    Loading makes a great many small objects that stay alive together and form no cycles: the
    collector would rescan them again and again as the catalog grows (a third of the time of
    `plbook validate` over 1,000 procedures) and has nothing to free.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class ScopedProblems:
    """The problems that stop a command, and how many other files have problems of their own."""

    blocking: list[Problem]
    other_files: int

    def warning(self) -> str | None:
        """Give the one line that says other files have problems, or None when none do."""
        if not self.other_files:
            return None
        files = "file has" if self.other_files == 1 else "files have"
        return f"{self.other_files} other procedure {files} problems; run plbook validate"


def files_of_run(catalog: Catalog, procedure_id: str) -> set[str]:
    """Give the files a run of a procedure reads: its own, those of what it calls, environments."""
    files = {catalog.environments_file} if catalog.environments_file else set()
    pending, seen = [procedure_id], set[str]()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in catalog.files:
            files.add(catalog.files[current])
        if current in catalog.procedures:
            steps = catalog.procedures[current].procedure.steps
            pending.extend(s.called_procedure for s in steps if s.called_procedure is not None)
    return files


def scoped_problems(catalog: Catalog, files: set[str]) -> ScopedProblems:
    """Give the problems in `files` (they block) and the number of other files with problems."""
    wanted = {_same_file(name) for name in files}
    blocking = [p for p in catalog.problems if p.line == 0 or _same_file(p.file) in wanted]
    kept = set(blocking)
    others = {p.file for p in catalog.problems if p not in kept}
    return ScopedProblems(blocking, len(others))


def _same_file(name: str) -> Path:
    return Path(name).resolve()
