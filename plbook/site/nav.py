"""Navigation that stays small however many procedures there are.

Material renders the whole navigation into every page, so a nav entry per procedure would make the
build quadratic and the sidebar unreadable. The nav holds one "Procedures" section with the index
and a page per category; procedure pages are reached from those, from search and from tags.
"""

from __future__ import annotations

from collections.abc import Iterable

from mkdocs.structure import StructureItem
from mkdocs.structure.files import File
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page

SECTION_TITLE = "Procedures"


def place_procedures(
    nav: Navigation, listings: list[File], procedures: Iterable[File]
) -> Navigation:
    """Give `nav` with the listing pages in one section and the procedure pages out of the tree."""
    hidden = {file.src_uri for file in listings} | {file.src_uri for file in procedures}
    section = Section(SECTION_TITLE, [file.page for file in listings if file.page is not None])
    position = next(
        (i for i, item in enumerate(nav.items) if _holds_any(item, hidden)), len(nav.items)
    )
    items = (
        _without(nav.items[:position], hidden) + [section] + _without(nav.items[position:], hidden)
    )
    _link_parents(items, None)
    pages = list(_pages(items))
    for before, page, after in zip([None, *pages[:-1]], pages, [*pages[1:], None], strict=True):
        page.previous_page, page.next_page = before, after
    for file in procedures:
        if file.page is not None:
            # The section is the page's place in the site: it opens in the sidebar and breadcrumbs.
            file.page.parent = section
            file.page.previous_page = file.page.next_page = None
    nav.items, nav.pages = items, pages
    return nav


def chain_procedures(groups: Iterable[list[File]]) -> None:
    """Link each procedure page to its neighbours in its category's listing (prev/next footer)."""
    for files in groups:
        pages = [file.page for file in files if file.page is not None]
        if not pages:
            continue
        for before, page, after in zip([None, *pages[:-1]], pages, [*pages[1:], None], strict=True):
            page.previous_page, page.next_page = before, after


def _holds_any(item: StructureItem, uris: set[str]) -> bool:
    if isinstance(item, Page):
        return item.file.src_uri in uris
    if isinstance(item, Section):
        return any(_holds_any(child, uris) for child in item.children)
    return False


def _without(items: list[StructureItem], uris: set[str]) -> list[StructureItem]:
    kept: list[StructureItem] = []
    for item in items:
        if isinstance(item, Page) and item.file.src_uri in uris:
            continue
        if isinstance(item, Section):
            item.children = _without(item.children, uris)
            if not item.children:
                continue
        kept.append(item)
    return kept


def _link_parents(items: list[StructureItem], parent: Section | None) -> None:
    for item in items:
        item.parent = parent
        if isinstance(item, Section):
            _link_parents(item.children, item)


def _pages(items: list[StructureItem]) -> Iterable[Page]:
    for item in items:
        if isinstance(item, Page):
            yield item
        elif isinstance(item, Section):
            yield from _pages(item.children)
