"""The JSON report: the run's record as one document, one entry per step in plan order."""

from __future__ import annotations

import json
from pathlib import Path

from plbook.records import RunRecord, run_data
from plbook.run.reporters.files import write_replacing


def write_json_report(run: RunRecord, path: Path) -> Path:
    """Write the run as indented JSON; give the path written."""
    text = json.dumps(run_data(run), indent=2, ensure_ascii=False, default=str) + "\n"
    return write_replacing(path, text)
