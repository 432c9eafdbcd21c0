"""Reporters: each one module that writes a finished run's record in one format, by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plbook.records import RunRecord
from plbook.run.reporters import evidence, json_report, junit


@dataclass(frozen=True)
class Reporter:
    """A report format: how to write it, and whether the terminal says where it went."""

    write: Callable[[RunRecord, Path], Path]
    announced: bool = False


REPORTERS: dict[str, Reporter] = {
    "json": Reporter(json_report.write_json_report),
    "junit": Reporter(junit.write_junit),
    "evidence": Reporter(evidence.write_evidence, announced=True),
}
