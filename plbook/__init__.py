"""plbook: runbook procedures written once as YAML, rendered as a site and run as live checks.

The names below are the public surface; each is imported when first used, so that
`import plbook` (and `plbook --help`) stays quick.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from plbook.errors import PlbookError, Problem

if TYPE_CHECKING:
    from plbook.catalog import Catalog, load_catalog
    from plbook.records import RunRecord, read_run
    from plbook.run import RunOptions, RunOutcome, run_procedure
    from plbook.steps.base import StepKind, StepRuntime, StepView

__version__ = "0.1.0"
_LAZY = {
    "Catalog": "plbook.catalog",
    "load_catalog": "plbook.catalog",
    "RunRecord": "plbook.records",
    "read_run": "plbook.records",
    "RunOptions": "plbook.run",
    "RunOutcome": "plbook.run",
    "run_procedure": "plbook.run",
    "StepKind": "plbook.steps.base",
    "StepRuntime": "plbook.steps.base",
    "StepView": "plbook.steps.base",
}
__all__ = [
    "Catalog",
    "PlbookError",
    "Problem",
    "RunOptions",
    "RunOutcome",
    "RunRecord",
    "StepKind",
    "StepRuntime",
    "StepView",
    "__version__",
    "load_catalog",
    "read_run",
    "run_procedure",
]


def __getattr__(name: str) -> Any:
    """Give a public name from the module that defines it, imported on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module 'plbook' has no attribute {name!r}")
    return getattr(import_module(_LAZY[name]), name)
