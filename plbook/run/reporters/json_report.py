"""The JSON report: the run's record as one document, one entry per step in plan order."""

from __future__ import annotations

import json
from pathlib import Path

from plbook.records import RunRecord, run_data


def write_json_report(run: RunRecord, path: Path) -> Path:
    """Write the run as indented JSON; give the path written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(run_data(run), indent=2, ensure_ascii=False, default=str) + "\n",
        encoding="utf-8",
    )
    return path
