"""The MkDocs plugin (MkDocs 1.6 and ProperDocs): places the pages of `plbook.site.generate`.

A thin adapter: pages come from `plbook.site.generate`, navigation from `plbook.site.nav`, and
`plbook:` links are resolved by the Markdown extension in `plbook.site.links`, which the plugin
adds with the catalog it loaded. Pages live in memory: nothing is written to the docs folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation

from plbook.catalog import Catalog, load_catalog
from plbook.config import find_project_root, load_config
from plbook.errors import PlbookError
from plbook.site import generate, pages, search
from plbook.site.freshness import ProcedureFreshness, procedures_freshness
from plbook.site.links import PROCEDURES_FOLDER, PlbookLinksExtension, steps_of
from plbook.site.nav import chain_procedures, place_procedures

log = get_plugin_logger(__name__)

TAGS_PAGE = generate.TAGS_PAGE
LINKS_EXTENSION = "plbook.site.links"
REQUIRED_EXTENSIONS: dict[str, dict[str, Any]] = {
    "admonition": {},
    "attr_list": {},
    "md_in_html": {},
    "tables": {},
    "toc": {"permalink": True},
    "pymdownx.details": {},
    "pymdownx.superfences": {},
    "pymdownx.highlight": {},
    "pymdownx.inlinehilite": {},
    "pymdownx.tabbed": {"alternate_style": True},
    "pymdownx.tasklist": {"custom_checkbox": True},
}
"""The Markdown extensions procedure pages are written for, with the settings added when absent."""


class PlbookConfig(Config):
    """Options under `plugins: - plbook:` in mkdocs.yml."""

    enabled = config_options.Type(bool, default=True)
    procedures = config_options.Type(str, default="procedures")
    """The folder of procedure YAML files, relative to mkdocs.yml."""
    history = config_options.Type(bool, default=True)
    """Show each procedure's last runs, read from the project's run history at build time."""
    procedures_in_nav = config_options.Type(bool, default=False)
    """List every procedure in the navigation; fine for a few dozen, slow and long beyond."""


class PlbookPlugin(BasePlugin[PlbookConfig]):
    """Adds the procedure pages at build time; no generated Markdown is written to disk."""

    supports_multiple_instances = False

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
        _add_markdown_extensions(config)
        config.markdown_extensions = [
            name for name in config.markdown_extensions if name != LINKS_EXTENSION
        ]
        config.mdx_configs.pop(LINKS_EXTENSION, None)
        steps = steps_of({pid: p.procedure for pid, p in self.catalog.procedures.items()})
        config.markdown_extensions.append(
            PlbookLinksExtension(procedures=self.config.procedures, steps=steps)  # type: ignore[arg-type]
        )
        if generate.STYLESHEET not in config.extra_css:
            config.extra_css.append(generate.STYLESHEET)
        if generate.SCRIPT not in [str(script) for script in config.extra_javascript]:
            config.extra_javascript.append(generate.SCRIPT)  # type: ignore[arg-type]
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files | None:
        if not self.config.enabled:
            return files
        written = Path(config.docs_dir) / PROCEDURES_FOLDER
        for file in list(files):
            if file.src_uri.startswith(pages.OVERRIDE_FOLDER + "/") and file.src_uri.endswith(
                ".j2"
            ):
                files.remove(file)  # page templates from the theme folder are not site content
            elif file.src_uri.startswith(PROCEDURES_FOLDER + "/") and generate.is_written_folder(
                written
            ):
                files.remove(file)  # pages `plbook pages` wrote: made again here, from the YAML
        freshness = self._freshness(config)
        try:
            texts = generate.site_pages(self.catalog, self.templates, freshness)
        except PlbookError as error:
            raise PluginError(str(error)) from None
        self.procedure_files: dict[str, File] = {}
        self.listing_files: list[File] = []
        for src_uri, content in texts.items():
            file = self._add(files, config, src_uri, content)
            pid = src_uri.removeprefix(PROCEDURES_FOLDER + "/").removesuffix(".md")
            if pid in self.catalog.procedures:
                self.procedure_files[pid] = file
                file.edit_uri = self._source_from_docs(pid, config)
            else:
                self.listing_files.append(file)
        for src_uri, content in generate.asset_texts().items():
            self._add(files, config, src_uri, content)
        for src_uri, source in generate.shown_files(freshness).items():
            self._add(files, config, src_uri, source=source)
        if files.get_file_from_path(TAGS_PAGE) is None:
            self._add(files, config, TAGS_PAGE, generate.TAGS_PAGE_TEXT)
        return files

    def _add(
        self,
        files: Files,
        config: MkDocsConfig,
        src_uri: str,
        content: str | None = None,
        *,
        source: Path | None = None,
    ) -> File:
        """Add a generated page or asset (`content`), or a file copied from `source`."""
        existing = files.get_file_from_path(src_uri)
        if existing is not None and not existing.generated_by:
            raise PluginError(
                f"{config.docs_dir}/{src_uri} is in the way of a generated page; rename it"
            )
        if source is not None:
            file = File.generated(config, src_uri, abs_src_path=str(source))
        else:
            file = File.generated(config, src_uri, content=content or "")
        files.append(file)
        return file

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation | None:
        if not self.config.enabled or self.config.procedures_in_nav:
            return nav
        nav = place_procedures(nav, self.listing_files, self.procedure_files.values())
        chain_procedures(self._by_category())
        return nav

    def _by_category(self) -> list[list[File]]:
        """Give the procedure pages per category, in the order the category's listing shows them."""
        procedures = {pid: loaded.procedure for pid, loaded in self.catalog.procedures.items()}
        return [
            [
                self.procedure_files[pid]
                for pid in sorted(
                    (pid for pid, p in procedures.items() if p.category == category),
                    key=lambda pid: procedures[pid].title.lower(),
                )
            ]
            for category in pages.CATEGORIES
        ]

    @event_priority(-100)  # after the search plugin has written its index
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self.config.enabled:
            procedures = [loaded.procedure for loaded in self.catalog.procedures.values()]
            search.tune_search_index(Path(config.site_dir), procedures)

    def _freshness(self, config: MkDocsConfig) -> dict[str, ProcedureFreshness] | None:
        """Give each procedure's last runs from the project's history, unless switched off."""
        if not self.config.history:
            return None
        root = find_project_root(Path(config.config_file_path or ".").parent)
        try:
            project = load_config(root)
        except PlbookError as error:
            log.warning(f"run history not read: {error}")
            return None
        procedures = [loaded.procedure for loaded in self.catalog.procedures.values()]
        found = procedures_freshness(procedures, project)
        unavailable = next((f.unavailable for f in found.values() if f.unavailable), None)
        if unavailable:
            log.info(f"pages say the history is unavailable: {unavailable}")
        return found

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        if self.config.enabled:
            server.watch(str(self._procedures_dir(config)))
        return server

    def _source_from_docs(self, pid: str, config: MkDocsConfig) -> str:
        """Give the procedure's YAML file relative to the docs folder: "Edit this page" opens it."""
        source = Path(self.catalog.procedures[pid].procedure.source or f"{pid}.yaml").resolve()
        return Path(os.path.relpath(source, Path(config.docs_dir).resolve())).as_posix()

    def _procedures_dir(self, config: MkDocsConfig) -> Path:
        folder = Path(config.config_file_path or ".").parent / self.config.procedures
        # Relative to the working folder when inside it, so problems read `procedures/x.yaml:3:1`.
        return (
            Path(os.path.relpath(folder)) if folder.resolve().is_relative_to(Path.cwd()) else folder
        )


def _add_markdown_extensions(config: MkDocsConfig) -> None:
    """Add the Markdown extensions procedure pages need to a config that lacks them."""
    for name, settings in REQUIRED_EXTENSIONS.items():
        if name not in config.markdown_extensions:
            config.markdown_extensions.append(name)
            if settings:
                config.mdx_configs[name] = dict(settings)
