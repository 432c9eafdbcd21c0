"""`plbook init`: a working runbook project from nothing, copied from `plbook/starter/`.

The starter validates, builds strictly and runs green on a fresh machine with nothing else
running: its http example checks the very site `plbook up` serves. Files whose names start with
`dot-` in the starter are written with a leading dot (`.gitignore`, `.github/`, `.vscode/`), so
the package carries them as ordinary files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from plbook.errors import PlbookError
from plbook.schema import write_schema_files

STARTER = Path(__file__).parent / "starter"
NAME_PLACEHOLDER = "__NAME__"


def _starter_files() -> Iterator[tuple[Path, Path]]:
    """Give each starter file with the path it takes in a new project."""
    for source in sorted(STARTER.rglob("*")):
        if source.is_file() and "__pycache__" not in source.parts:
            parts = source.relative_to(STARTER).parts
            yield source, Path(*(re.sub(r"^dot-", ".", part) for part in parts))


def project_name(directory: Path) -> str:
    """Give a readable project name from the folder's name: `acme-api` gives `Acme api`."""
    words = re.sub(r"[-_.]+", " ", directory.resolve().name).strip()
    return words[:1].upper() + words[1:] if words else "My"


def init_project(directory: Path) -> list[Path]:
    """Write the starter project into `directory`; give the files written.

    Nothing is written when any of its files exists already, so a project is never overwritten.
    """
    planned = [(source, directory / target) for source, target in _starter_files()]
    taken = [str(target) for _, target in planned if target.exists()]
    if taken:
        raise PlbookError(
            f"{directory} already has {', '.join(taken)}; "
            "run `plbook init` in an empty folder or move those aside"
        )
    name = project_name(directory)
    for source, target in planned:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            source.read_text(encoding="utf-8").replace(NAME_PLACEHOLDER, name), encoding="utf-8"
        )
    return [target for _, target in planned] + write_schema_files(directory)
