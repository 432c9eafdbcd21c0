"""How `plbook run` was called, and how a run ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from plbook.records import RUNS_DIR, RunRecord

DEFAULT_TIMEOUT = 30.0
DEFAULT_OUTPUT_LIMIT = 10 * 1024 * 1024
EXIT_PASSED, EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass
class RunOptions:
    """How `plbook run` was called."""

    environment: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    yes: bool = False
    manual: str | None = None
    from_step: str | None = None
    only_step: str | None = None
    resume: str | None = None
    report: Path | None = None
    junit: Path | None = None
    evidence: Path | None = None
    interactive: bool = False
    """A person is there to answer: stdin is a terminal."""
    runs_dir: Path = RUNS_DIR
    run_id: str | None = None
    """The id of a new run, when the caller chose it (`plbook verify` claims a slot with it)."""
    history: str | None = None
    """The project's `history:` setting (a folder or mongodb://…); `PLBOOK_HISTORY` wins."""
    default_timeout: float = DEFAULT_TIMEOUT
    confirm_env: str | None = None
    """`--confirm-env NAME`: the environment a run without a terminal is confirmed against."""
    step_by_step: bool = False
    """`--step`: ask before every step."""
    variables: dict[str, str] = field(default_factory=dict)
    """`--var NAME=VALUE`: saved values given to a step run alone."""

    @property
    def manual_policy(self) -> str:
        """Give what manual steps do: ask in a terminal, skip elsewhere, unless told."""
        return self.manual or ("ask" if self.interactive else "skip")

    @property
    def reports(self) -> dict[str, Path]:
        """Give each report asked for, by reporter name, with where it goes."""
        asked = {"json": self.report, "junit": self.junit, "evidence": self.evidence}
        return {name: path for name, path in asked.items() if path is not None}


@dataclass
class RunOutcome:
    """How a run ended, and where its record is."""

    exit_code: int
    run_id: str | None = None
    journal: Path | None = None
    record: RunRecord | None = None
    next_procedure: str | None = None
