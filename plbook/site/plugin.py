"""The MkDocs plugin: places a page per procedure, the procedure index and `plbook:ID` links.

A thin adapter: pages are rendered by `plbook.site.pages`, navigation by `plbook.site.nav`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from plbook.catalog import Catalog, load_catalog
from plbook.errors import PlbookError
from plbook.site import pages
from plbook.site.nav import place_procedures

log = get_plugin_logger(__name__)

PROCEDURES_FOLDER = "procedures"
"""Where procedure pages live in the site: /procedures/<id>/."""

TAGS_PAGE = "tags.md"
_PLBOOK_LINK = re.compile(r'href="plbook:([^"#]*)(#[^"]*)?"')


class PlbookConfig(Config):
    """Options under `plugins: - plbook:` in mkdocs.yml."""

    enabled = config_options.Type(bool, default=True)
    procedures = config_options.Type(str, default="procedures")
    """The folder of procedure YAML files, relative to mkdocs.yml."""
    procedures_in_nav = config_options.Type(bool, default=False)
    """List every procedure in the navigation; fine for a few dozen, slow and long beyond."""


class PlbookPlugin(BasePlugin[PlbookConfig]):
    """Adds the procedure pages at build time; no generated Markdown is written to disk."""

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if not self.config.enabled:
            return config
        try:
            self.catalog: Catalog = load_catalog([self._procedures_dir(config)])
        except PlbookError as error:
            raise PluginError(str(error)) from None
        if self.catalog.problems:
            lines = "\n".join(str(problem) for problem in self.catalog.problems)
            raise PluginError(f"invalid procedures (`plbook validate` lists them):\n{lines}")
        override = (
            Path(config.theme.custom_dir) / pages.OVERRIDE_FOLDER
            if config.theme.custom_dir
            else None
        )
        self.templates = pages.template_environment(override)
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files | None:
        if not self.config.enabled:
            return files
        for file in list(files):
            if file.src_uri.startswith(pages.OVERRIDE_FOLDER + "/") and file.src_uri.endswith(
                ".j2"
            ):
                files.remove(file)  # page templates from the theme folder are not site content
        procedures = {pid: loaded.procedure for pid, loaded in self.catalog.procedures.items()}
        if "index" in procedures:
            raise PluginError("a procedure cannot be called 'index': its page would hide the index")
        titles = {pid: procedure.title for pid, procedure in procedures.items()}
        environments = self.catalog.environments
        self.procedure_files: dict[str, File] = {}
        for pid, procedure in sorted(procedures.items()):
            content = pages.render_procedure_page(procedure, environments, self.templates, titles)
            self.procedure_files[pid] = self._add(
                files, config, f"{PROCEDURES_FOLDER}/{pid}.md", content
            )
        self.listing_files = [
            self._add(
                files,
                config,
                f"{PROCEDURES_FOLDER}/index.md",
                pages.render_procedure_index(procedures.values(), self.templates),
            )
        ]
        for category in sorted(
            {p.category for p in procedures.values()}, key=pages.CATEGORIES.index
        ):
            members = [p for p in procedures.values() if p.category == category]
            self.listing_files.append(
                self._add(
                    files,
                    config,
                    f"{PROCEDURES_FOLDER}/category/{category}.md",
                    pages.render_category_page(category, members, self.templates),
                )
            )
        if files.get_file_from_path(TAGS_PAGE) is None:
            self._add(files, config, TAGS_PAGE, "# Tags\n\n<!-- material/tags -->\n")
        return files

    def _add(self, files: Files, config: MkDocsConfig, src_uri: str, content: str) -> File:
        existing = files.get_file_from_path(src_uri)
        if existing is not None and not existing.generated_by:
            raise PluginError(
                f"{config.docs_dir}/{src_uri} is in the way of a generated page; rename it"
            )
        file = File.generated(config, src_uri, content=content)
        files.append(file)
        return file

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation | None:
        if not self.config.enabled or self.config.procedures_in_nav:
            return nav
        return place_procedures(nav, self.listing_files, self.procedure_files.values())

    def on_page_content(
        self, html: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if not self.config.enabled or "plbook:" not in html:
            return html
        return _PLBOOK_LINK.sub(lambda match: self._resolve(match, page), html)

    def _resolve(self, match: re.Match[str], page: Page) -> str:
        procedure_id, fragment = match.group(1), match.group(2) or ""
        file = self.procedure_files.get(procedure_id)
        if file is None:
            log.warning(
                f"Doc file '{page.file.src_uri}' links to procedure '{procedure_id}', "
                f"which does not exist (procedures are in {self.config.procedures}/)"
            )
            return match.group(0)
        if fragment.startswith("#step-"):
            steps = {step.id for step in self.catalog.procedures[procedure_id].procedure.steps}
            if fragment.removeprefix("#step-") not in steps:
                log.warning(
                    f"Doc file '{page.file.src_uri}' links to step '{fragment[6:]}' of "
                    f"'{procedure_id}', which has no such step"
                )
        return f'href="{file.url_relative_to(page.file)}{fragment}"'

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        if self.config.enabled:
            server.watch(str(self._procedures_dir(config)))
        return server

    def _procedures_dir(self, config: MkDocsConfig) -> Path:
        folder = Path(config.config_file_path or ".").parent / self.config.procedures
        # Relative to the working folder when inside it, so problems read `procedures/x.yaml:3:1`.
        return (
            Path(os.path.relpath(folder)) if folder.resolve().is_relative_to(Path.cwd()) else folder
        )
