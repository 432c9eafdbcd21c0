"""The Python-Markdown extension that turns `plbook:ID[#step-X]` links into links to pages.

MkDocs, ProperDocs and Zensical all render Markdown with Python-Markdown, so a link written once
works on every engine. The MkDocs plugin adds this extension itself; for Zensical, list it:

    markdown_extensions:
      - plbook.site.links:
          procedures: procedures

A link is rewritten to the procedure page's `.md` path relative to the page, before the engine's
own link processor runs, so the engine turns it into a URL and checks that the page exists.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor

PROCEDURES_FOLDER = "procedures"
"""Where procedure pages live in the docs folder: procedures/<id>.md."""

SCHEME = "plbook:"
STEP_PREFIX = "#step-"

# Under the `mkdocs` logger: MkDocs' and ProperDocs' strict mode count its warnings as errors.
log = logging.getLogger("mkdocs.plugins.plbook.links")

# After `inline` (20), which makes the links; before the engines' path resolvers (0).
_PRIORITY = 5
_ENGINE_PAGE_PROCESSORS = {"relpath": "file", "zrelpath": "path"}

_steps_by_folder: dict[tuple[str, float], dict[str, frozenset[str]]] = {}


class ProcedureLinks(Treeprocessor):
    """Rewrites `plbook:` hrefs of one page into relative links to the procedure pages."""

    def __init__(self, md: Markdown, steps: Mapping[str, frozenset[str]], source: str) -> None:
        super().__init__(md)
        self.steps = steps
        self.source = source

    def run(self, root: Element) -> None:
        page = current_page(self.md)
        for element in root.iter("a"):
            href = element.get("href", "")
            if href.startswith(SCHEME):
                element.set("href", self.resolve(href, page))

    def resolve(self, href: str, page: str | None) -> str:
        """Give the link for one `plbook:` href; an unknown target is kept and warned about."""
        procedure_id, _, fragment = href.removeprefix(SCHEME).partition("#")
        fragment = f"#{fragment}" if fragment else ""
        where = f"Doc file '{page}'" if page else "A page"
        if procedure_id not in self.steps:
            log.warning(
                f"{where} links to procedure '{procedure_id}', which does not exist "
                f"(procedures are in {self.source}/)"
            )
            return href
        if fragment.startswith(STEP_PREFIX):
            step = fragment.removeprefix(STEP_PREFIX)
            if step not in self.steps[procedure_id]:
                log.warning(
                    f"{where} links to step '{step}' of '{procedure_id}', which has no such step"
                )
        return procedure_path(procedure_id, page) + fragment


class PlbookLinksExtension(Extension):
    """Resolves `plbook:` links against the procedures in a folder (or given step ids)."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "procedures": ["procedures", "The folder of procedure YAML files"],
            "steps": [{}, "Procedure id to its step ids; loaded from `procedures` when empty"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Python-Markdown's name
        source = str(self.getConfig("procedures"))
        steps = self.getConfig("steps") or steps_in_folder(Path(source))
        md.treeprocessors.register(ProcedureLinks(md, steps, source), "plbook_links", _PRIORITY)
        md.registerExtension(self)


def makeExtension(**kwargs: Any) -> PlbookLinksExtension:  # noqa: N802 - Python-Markdown's name
    """Give the extension, as Python-Markdown asks a module named in `markdown_extensions`."""
    return PlbookLinksExtension(**kwargs)


def current_page(md: Markdown) -> str | None:
    """Give the source path of the page being rendered, as the engine's link resolver knows it."""
    for name, attribute in _ENGINE_PAGE_PROCESSORS.items():
        if name in md.treeprocessors:
            found = getattr(md.treeprocessors[name], attribute, None)
            path = getattr(found, "src_uri", found)  # MkDocs keeps a File, Zensical a path
            if isinstance(path, str):
                return path.replace("\\", "/")
    return None


def procedure_path(procedure_id: str, page: str | None) -> str:
    """Give the `.md` path of a procedure's page relative to `page` (docs-relative without one)."""
    target = f"{PROCEDURES_FOLDER}/{procedure_id}.md"
    if page is None:
        return target
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


def steps_in_folder(folder: Path) -> dict[str, frozenset[str]]:
    """Give each procedure id in `folder` with its step ids; cached until a file there changes."""
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    key = (str(folder.resolve()), max((file.stat().st_mtime for file in files), default=0.0))
    if key not in _steps_by_folder:
        from plbook.catalog import load_catalog

        catalog = load_catalog([folder])
        _steps_by_folder[key] = steps_of(
            {pid: loaded.procedure for pid, loaded in catalog.procedures.items()}
        )
    return _steps_by_folder[key]


def steps_of(procedures: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Give each procedure id with the ids of its steps."""
    return {
        pid: frozenset(step.id for step in procedure.steps) for pid, procedure in procedures.items()
    }
