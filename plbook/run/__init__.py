"""The executor: runs a procedure's steps live; a journal that every report is made from."""

from plbook.run.engine import run_procedure
from plbook.run.options import RunOptions, RunOutcome

__all__ = ["RunOptions", "RunOutcome", "run_procedure"]
