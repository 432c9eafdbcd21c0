"""The project: where its root is, and what its configuration says `plbook up` starts and proves.

The configuration lives in `plbook.yaml` at the project root, or under `extra: plbook:` in
`mkdocs.yml` (MkDocs' strict mode rejects unknown top-level keys, and `extra` is the one place
it leaves to others):

    sandbox: promptlens          # the sandbox `plbook up` starts; omit for none
    smoke: smoke-tests           # the procedure that proves it; omit for none
    history: .plbook/runs        # where runs are kept: a folder of journals, or mongodb://…
    categories:
      smoke-test: {verify_every: 1d}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from plbook.errors import PlbookError, Problem
from plbook.fields import Duration, Identifier, Strict
from plbook.history.setting import mongodb_uri
from plbook.model import Category

CONFIG_FILE = "plbook.yaml"
MKDOCS_FILE = "mkdocs.yml"
PROCEDURES_DIRECTORY = "procedures"
STATE_DIRECTORY = ".plbook"
SANDBOXES = ("promptlens",)
ROOT_MARKERS = (PROCEDURES_DIRECTORY, MKDOCS_FILE, CONFIG_FILE)


class CategoryDefaults(Strict):
    """What every procedure of one category gets unless it says otherwise."""

    verify_every: Duration | None = Field(
        None, description="How fresh the last passing run must be before the page marks it stale."
    )


class ConfigFile(Strict):
    """The `plbook` configuration as written."""

    sandbox: str | None = Field(None, description=f"The sandbox `plbook up` starts: {SANDBOXES}.")
    smoke: Identifier | None = Field(
        None, description="The procedure `plbook up` runs to prove it."
    )
    history: str | None = Field(
        None, description="Where runs are kept: a folder, or a mongodb:// URI."
    )
    categories: dict[Category, CategoryDefaults] = Field(default_factory=dict)


@dataclass(frozen=True)
class ProjectConfig:
    """A project's root and configuration, with where each came from."""

    root: Path
    source: Path | None = None
    sandbox: str | None = None
    smoke: str | None = None
    history: str | None = None
    categories: dict[str, CategoryDefaults] = field(default_factory=dict)

    @property
    def procedures(self) -> Path:
        """Give the project's procedures folder."""
        return self.root / PROCEDURES_DIRECTORY

    @property
    def state_directory(self) -> Path:
        """Give `.plbook/` at the project root: runs, reports, the running sandbox's addresses."""
        return self.root / STATE_DIRECTORY

    @property
    def runs_dir(self) -> Path:
        """Give where the local journals are: the `history:` folder, else `.plbook/runs/`."""
        if self.history and "://" not in self.history and self.history.strip() != "local":
            return self.root / self.history.strip()
        return self.state_directory / "runs"

    def verify_every(self, category: str) -> float | None:
        """Give the category's default freshness budget in seconds, if the project sets one."""
        defaults = self.categories.get(category)
        return defaults.verify_every if defaults else None


def find_project_root(start: Path | None = None) -> Path:
    """Give the nearest folder at or above `start` with procedures/, mkdocs.yml or plbook.yaml.

    Outside any project it gives `start` itself, so `plbook init` and `plbook new` work there.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return here


class _TolerantLoader(yaml.SafeLoader):
    """A safe loader that reads mkdocs.yml's `!!python/name:` and `!ENV` tags as plain None."""


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def _read(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_TolerantLoader)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        reason = str(error).splitlines()[0]
        raise PlbookError(f"{path}: cannot read it ({reason}); fix the file") from None


def _section(root: Path) -> tuple[Path | None, Any]:
    """Give the file the configuration comes from and its raw `plbook` data."""
    own, mkdocs = root / CONFIG_FILE, root / MKDOCS_FILE
    in_mkdocs = None
    if mkdocs.is_file():
        document = _read(mkdocs)
        extra = document.get("extra") if isinstance(document, dict) else None
        in_mkdocs = extra.get("plbook") if isinstance(extra, dict) else None
    if own.is_file():
        if in_mkdocs is not None:
            raise PlbookError(
                f"{own} and `extra: plbook:` in {mkdocs} both configure plbook; keep one"
            )
        return own, _read(own) or {}
    if in_mkdocs is not None:
        return mkdocs, in_mkdocs
    return None, {}


def load_config(root: Path) -> ProjectConfig:
    """Give the configuration of the project at `root`; none written means no sandbox, no smoke."""
    source, data = _section(root)
    if source is None:
        return ProjectConfig(root=root)
    try:
        parsed = ConfigFile.model_validate(data)
    except ValidationError as error:
        raise PlbookError(
            [_problem(source, problem) for problem in error.errors(include_url=False)]
        ) from None
    if parsed.sandbox is not None and parsed.sandbox not in SANDBOXES:
        raise PlbookError(
            f"{source}: sandbox: no sandbox named '{parsed.sandbox}'; "
            f"choose {', '.join(SANDBOXES)} or leave it out"
        )
    if parsed.history is not None and "://" in parsed.history:
        mongodb_uri(parsed.history.strip(), f"{source}: history")
    return ProjectConfig(
        root=root,
        source=source,
        sandbox=parsed.sandbox,
        smoke=parsed.smoke,
        history=parsed.history,
        categories={str(name): defaults for name, defaults in parsed.categories.items()},
    )


def _problem(source: Path, problem: Any) -> Problem:
    where = ".".join(str(part) for part in problem["loc"]) or "plbook"
    return Problem(str(source), 0, 0, f"{source}: {where}: {problem['msg']}")


def project() -> ProjectConfig:
    """Give the project the current folder is in, found upwards, with its configuration."""
    return load_config(find_project_root())
