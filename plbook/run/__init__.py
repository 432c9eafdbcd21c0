"""The executor: runs a procedure's steps live; a journal that every report is made from."""

from plbook.run.engine import RunOptions, RunOutcome, run_procedure

__all__ = ["RunOptions", "RunOutcome", "run_procedure"]
