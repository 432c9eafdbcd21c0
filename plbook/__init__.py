"""plbook: runbook procedures written once as YAML, rendered as a site and run as live checks."""

from plbook.errors import PlbookError, Problem

__version__ = "0.1.0"
__all__ = ["PlbookError", "Problem", "__version__"]
