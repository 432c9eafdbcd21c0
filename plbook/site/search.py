"""Symptoms as search results of their own: an entry per symptom, alert name or error string.

Material's search (MkDocs, ProperDocs) and Zensical's both weigh a section's title far above its
text, so a symptom found only in a list loses to any page with the same words in a heading. Each
symptom becomes a boosted section titled with the symptom itself, pointing at that symptom on
the procedure's page: the exact phrase an engineer types ranks the page that treats it first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from plbook.model import Procedure
from plbook.site import markdown
from plbook.site.links import PROCEDURES_FOLDER

SYMPTOM_BOOST = 5
"""Above a procedure page's own boost (2): an exact symptom beats a title that shares its words."""
SYMPTOM_ANCHOR = "symptom-"
"""Each symptom on the page has the id `symptom-N`: one search location (and link) each."""
INDEX_FILES = ("search/search_index.json", "search.json")
"""Material's (MkDocs, ProperDocs) and Zensical's search index, under the site folder."""


def symptom_entries(procedures: Iterable[Procedure]) -> list[dict[str, Any]]:
    """Give one search entry per symptom of each procedure."""
    return [
        {
            "location": f"{PROCEDURES_FOLDER}/{procedure.id}/#{SYMPTOM_ANCHOR}{number}",
            "title": markdown.html_text(symptom),
            "text": markdown.html_text(procedure.title),
            "boost": SYMPTOM_BOOST,
        }
        for procedure in procedures
        for number, symptom in enumerate(procedure.symptoms, 1)
    ]


def tune_search_index(site: Path, procedures: Iterable[Procedure]) -> Path | None:
    """Add the symptom entries to the built site's search index and trim it; give its path.

    Every section of a page repeats the page's tags; the page's own entry keeps them (results are
    grouped by page), so sections drop them: a smaller index for every reader's first page load.
    """
    for name in INDEX_FILES:
        path = site / name
        if path.is_file():
            index = json.loads(path.read_text(encoding="utf-8"))
            entries = index["docs"] if "docs" in index else index["items"]
            for entry in entries:
                if "#" in entry["location"]:
                    entry.pop("tags", None)
            entries.extend(symptom_entries(procedures))
            path.write_text(
                json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
            )
            return path
    return None
