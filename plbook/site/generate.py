"""Every page plbook adds to a site, as text by docs-relative path; and `plbook pages` writing them.

The MkDocs plugin places these pages in memory; `plbook pages` writes the same files for engines
that do not run MkDocs plugins (Zensical). One function decides what the pages are for both.
"""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

import jinja2

from plbook.catalog import Catalog
from plbook.errors import PlbookError
from plbook.model import Procedure
from plbook.site import pages
from plbook.site.freshness import ProcedureFreshness
from plbook.site.links import PROCEDURES_FOLDER
from plbook.site.reference import render_format_reference

STYLESHEET = f"{PROCEDURES_FOLDER}/plbook.css"
"""The site's stylesheet, shipped with plbook and added to every site."""
SCRIPT = f"{PROCEDURES_FOLDER}/plbook.js"
"""Makes manual steps tickable checklist items, kept in the browser's local storage."""
TAGS_PAGE = "tags.md"
TAGS_PAGE_TEXT = "---\nsearch:\n  exclude: true\n---\n\n# Tags\n\n<!-- material/tags -->\n"
FORMAT_REFERENCE = "format-reference"
"""The format reference's page name, beside the procedure pages."""
WRITTEN_MARK = "# Written by `plbook pages`; made again from procedures/ at every build.\n"
"""First line of the .gitignore `plbook pages` leaves in its folder: the files there are ours."""


def procedures_of(catalog: Catalog) -> dict[str, Procedure]:
    """Give the catalog's procedures by id; refuse an id whose page would hide the index."""
    procedures = {pid: loaded.procedure for pid, loaded in catalog.procedures.items()}
    for taken in ("index", FORMAT_REFERENCE):
        if taken in procedures:
            raise PlbookError(f"a procedure cannot be called '{taken}': its page would hide ours")
    return procedures


def site_pages(
    catalog: Catalog,
    templates: jinja2.Environment,
    freshness: dict[str, ProcedureFreshness] | None = None,
) -> dict[str, str]:
    """Give each generated page's text by docs-relative path.

    The procedures, their index, a page per category and the format reference; with
    `freshness` (by procedure id, see `site.freshness`), each says when it last ran.
    """
    procedures = procedures_of(catalog)
    titles = {pid: procedure.title for pid, procedure in procedures.items()}
    fresh = freshness or {}
    generated = {
        f"{PROCEDURES_FOLDER}/{pid}.md": pages.render_procedure_page(
            procedure, catalog.environments, templates, titles, fresh.get(pid)
        )
        for pid, procedure in sorted(procedures.items())
    }
    generated[f"{PROCEDURES_FOLDER}/index.md"] = pages.render_procedure_index(
        procedures.values(), templates, freshness=freshness
    )
    for category in sorted({p.category for p in procedures.values()}, key=pages.CATEGORIES.index):
        members = [p for p in procedures.values() if p.category == category]
        generated[f"{PROCEDURES_FOLDER}/category/{category}.md"] = pages.render_category_page(
            category, members, templates, freshness
        )
    generated[f"{PROCEDURES_FOLDER}/{FORMAT_REFERENCE}.md"] = render_format_reference(catalog)
    return generated


def shown_files(freshness: dict[str, ProcedureFreshness] | None) -> dict[str, Path]:
    """Give the files pages show from their last verified runs (screenshots), by docs path."""
    return {
        f"{PROCEDURES_FOLDER}/{shown.site_path}": shown.source
        for fresh in (freshness or {}).values()
        for files in fresh.shown_files.values()
        for shown in files
    }


def asset_texts() -> dict[str, str]:
    """Give the stylesheet and script every site gets, by docs-relative path (package data)."""
    assets = files("plbook.site").joinpath("assets")
    return {
        path: assets.joinpath(path.rsplit("/", 1)[-1]).read_text(encoding="utf-8")
        for path in (STYLESHEET, SCRIPT)
    }


def write_pages(
    catalog: Catalog,
    folder: Path,
    templates: jinja2.Environment,
    freshness: dict[str, ProcedureFreshness] | None = None,
) -> list[Path]:
    """Write the generated pages, stylesheet, script and shown files into `folder`; give them.

    `folder` is the site's procedures folder (`<docs_dir>/procedures`). It is emptied first (a
    removed procedure leaves no stale page) and holds a .gitignore of everything, so the written
    pages never reach git.
    """
    if folder.exists() and not is_written_folder(folder):
        raise PlbookError(
            f"{folder} exists and was not written by `plbook pages`; move it, "
            "the procedure pages go there"
        )
    prefix = f"{PROCEDURES_FOLDER}/"
    texts = {
        path.removeprefix(prefix): text
        for path, text in site_pages(catalog, templates, freshness).items()
    }
    texts.update({path.removeprefix(prefix): text for path, text in asset_texts().items()})
    texts[TAGS_PAGE] = TAGS_PAGE_TEXT
    for old in sorted(folder.rglob("*"), reverse=True) if folder.exists() else []:
        old.rmdir() if old.is_dir() else old.unlink()
    written = []
    for relative, text in texts.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for relative, source in shown_files(freshness).items():
        path = folder / relative.removeprefix(prefix)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        written.append(path)
    (folder / ".gitignore").write_text(WRITTEN_MARK + "*\n", encoding="utf-8")
    return written


def is_written_folder(folder: Path) -> bool:
    """Tell whether `folder` holds pages `plbook pages` wrote (and may write again)."""
    marker = folder / ".gitignore"
    return marker.is_file() and marker.read_text(encoding="utf-8").startswith(WRITTEN_MARK)
