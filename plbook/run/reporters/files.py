"""Where reports go: checked before a run starts, and written whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def _folder_problem(folder: Path, option: str, given: Path) -> str | None:
    """Give why files cannot be made in `folder` (made if missing), or None."""
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        return f"{option} {given}: {existing} is a file, not a folder; choose another place"
    try:
        # Trying is the one sure test: permissions, a read-only mount, root, a pseudo-filesystem.
        tempfile.TemporaryFile(dir=existing).close()
    except OSError:
        return f"{option} {given}: cannot write in {existing}; choose a place you can write to"
    return None


def file_problem(path: Path, option: str) -> str | None:
    """Give why a report file cannot be written at `path`, or None."""
    if path.is_dir():
        return f"{option} {path}: that is a folder; give a file name such as {path / 'report'}"
    return _folder_problem(path.parent, option, path)


def folder_problem(path: Path, option: str) -> str | None:
    """Give why report files cannot be written under the folder `path`, or None."""
    if path.exists() and not path.is_dir():
        return f"{option} {path}: that is a file; give a folder (it is made if missing)"
    return _folder_problem(path, option, path)


def write_replacing(path: Path, text: str) -> Path:
    """Write `text` to a new file that then takes the place of `path`; give `path`.

    A symbolic link at `path` is replaced, never written through, and a reader never sees
    half a report.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
