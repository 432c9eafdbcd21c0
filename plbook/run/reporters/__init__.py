"""Reporters: each one module that writes a finished run's record in one format, by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plbook.records import RunRecord
from plbook.run.reporters import evidence, files, json_report, junit


@dataclass(frozen=True)
class Reporter:
    """A report format: how to write it, and whether the terminal says where it went."""

    write: Callable[[RunRecord, Path], Path]
    option: str
    writes_a_folder: bool = False
    announced: bool = False

    def problem(self, target: Path) -> str | None:
        """Give why the report cannot be written to `target` (checked before step 1), or None."""
        if self.writes_a_folder:
            return files.folder_problem(target, self.option)
        return files.file_problem(target, self.option)


REPORTERS: dict[str, Reporter] = {
    "json": Reporter(json_report.write_json_report, "--report"),
    "junit": Reporter(junit.write_junit, "--junit"),
    "evidence": Reporter(
        evidence.write_evidence, "--evidence", writes_a_folder=True, announced=True
    ),
}


def report_problems(reports: dict[str, Path]) -> list[str]:
    """Give why any of the reports asked for cannot be written where asked."""
    found = (REPORTERS[name].problem(target) for name, target in reports.items())
    return [problem for problem in found if problem]
