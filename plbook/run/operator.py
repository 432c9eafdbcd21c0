"""Who runs a procedure, from where, with which command line and plbook: for the audit trail."""

from __future__ import annotations

import getpass
import shlex
import socket
import sys
from functools import cache
from importlib import metadata
from typing import Any


@cache
def operator_name() -> str:
    """Give the user name of the person running plbook, or `unknown` when there is none."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"  # a container user without a passwd entry or login name


def operator() -> dict[str, str]:
    """Give who runs plbook and where: user and host."""
    return {"user": operator_name(), "host": socket.gethostname()}


def command_line(arguments: list[str] | None = None) -> str:
    """Give the command line plbook was started with, as a shell would read it."""
    words = list(sys.argv if arguments is None else arguments)
    if words and words[0].endswith(("__main__.py", "/plbook")):
        words[0] = "plbook"
    return shlex.join(words)


def plbook_version() -> str:
    """Give the installed plbook's version."""
    try:
        return metadata.version("plbook")
    except metadata.PackageNotFoundError:
        return "unknown"


def audit_fields() -> dict[str, Any]:
    """Give the audit fields every start and resume of a run journals."""
    return {
        "operator": operator(),
        "command_line": command_line(),
        "plbook_version": plbook_version(),
    }
