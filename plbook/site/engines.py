"""Building the site with MkDocs, ProperDocs or Zensical, and proving every procedure page is there.

MkDocs and ProperDocs run the plbook plugin (pages in memory). Zensical runs no MkDocs plugins and
says nothing about them, so its pages are written first with `plbook pages`. After any engine, the
built site is checked for every procedure's page: an engine that dropped them fails loudly.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from plbook.errors import PlbookError

CONFIG_FILE = Path("mkdocs.yml")
_ENGINE_FLAGS = {
    "mkdocs": ["--strict"],
    # ProperDocs asks for properdocs.yml and falls back to mkdocs.yml with a notice; name it.
    "properdocs": ["--strict", "--config-file", str(CONFIG_FILE)],
    "zensical": ["--strict"],
}


class _SiteConfigLoader(yaml.SafeLoader):
    """Reads mkdocs.yml for its folders; `!!python/name:` and `!ENV` values are not needed here."""


_SiteConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *_: None)
_SiteConfigLoader.add_multi_constructor("!", lambda *_: None)


def read_site_config(path: Path = CONFIG_FILE) -> dict[str, Any]:
    """Give the site configuration as a mapping (an INHERIT is followed)."""
    try:
        config = yaml.load(path.read_text(encoding="utf-8"), Loader=_SiteConfigLoader) or {}
    except (OSError, yaml.YAMLError) as error:
        raise PlbookError(f"{path}: cannot read the site configuration: {error}") from None
    if not isinstance(config, dict):
        raise PlbookError(f"{path}: the site configuration must be a mapping")
    parent = config.pop("INHERIT", None)
    if isinstance(parent, str):
        return {**read_site_config(path.parent / parent), **config}
    return config


def docs_dir(config_path: Path = CONFIG_FILE) -> Path:
    """Give the site's docs folder, as its configuration names it."""
    return config_path.parent / str(read_site_config(config_path).get("docs_dir", "docs"))


def site_dir(config_path: Path, engine_args: list[str]) -> Path:
    """Give the folder the engine builds into: `--site-dir`/`-d` if given, else the config's."""
    for flag in ("--site-dir", "-d"):
        if flag in engine_args and engine_args.index(flag) + 1 < len(engine_args):
            return Path(engine_args[engine_args.index(flag) + 1])
        prefix = f"{flag}="
        for argument in engine_args:
            if argument.startswith(prefix):
                return Path(argument.removeprefix(prefix))
    return config_path.parent / str(read_site_config(config_path).get("site_dir", "site"))


def run_engine(engine: str, engine_args: list[str]) -> int:
    """Run the engine's strict build in a child process; give its exit code."""
    command = [sys.executable, "-m", engine, "build", *_ENGINE_FLAGS[engine], *engine_args]
    return subprocess.call(command)


def missing_pages(site: Path, procedure_ids: list[str]) -> list[str]:
    """Give the ids of procedures whose page the built site lacks (directory or flat URLs)."""
    return [
        pid
        for pid in procedure_ids
        if not (site / "procedures" / pid / "index.html").is_file()
        and not (site / "procedures" / f"{pid}.html").is_file()
    ]
