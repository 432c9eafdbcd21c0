"""Who runs a procedure, from where, with which command line, plbook, runbook commit and CI job.

The audit trail of every run's start and resume; the history and the site read these fields.
"""

from __future__ import annotations

import getpass
import os
import shlex
import socket
import subprocess
import sys
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

GIT_TIMEOUT_SECONDS = 2.0
# (variable that says we run there, name, variable with the job's name, variable with its URL)
_CI_SYSTEMS = (
    ("GITHUB_ACTIONS", "GitHub Actions", "GITHUB_JOB", None),
    ("GITLAB_CI", "GitLab CI", "CI_JOB_NAME", "CI_JOB_URL"),
    ("BUILDKITE", "Buildkite", "BUILDKITE_LABEL", "BUILDKITE_BUILD_URL"),
    ("CIRCLECI", "CircleCI", "CIRCLE_JOB", "CIRCLE_BUILD_URL"),
    ("JENKINS_URL", "Jenkins", "JOB_NAME", "BUILD_URL"),
)


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


def audit_fields(project: Path) -> dict[str, Any]:
    """Give the audit fields every start and resume of a run journals (the engine masks them)."""
    return {
        "operator": operator(),
        "command_line": command_line(),
        "plbook_version": plbook_version(),
        "git_commit": git_commit(project),
        "ci": ci_job(dict(os.environ)),
    }


def git_commit(project: Path) -> str | None:
    """Give the commit the runbook at `project` is checked out at, or None outside git."""
    try:
        done = subprocess.run(
            ["git", "-C", str(project), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def ci_job(environ: dict[str, str]) -> dict[str, str] | None:
    """Give the CI system, job and URL this process runs in, from the variables CI sets."""
    if environ.get("PLBOOK_CI_NAME"):
        # Schedulers without CI variables (a Kubernetes CronJob) name themselves.
        return _present(
            {"name": environ["PLBOOK_CI_NAME"], "url": environ.get("PLBOOK_CI_URL", "")}
        )
    for marker, name, job, url in _CI_SYSTEMS:
        if environ.get(marker):
            found = {"name": name, "job": environ.get(job, ""), "url": environ.get(url or "", "")}
            if marker == "GITHUB_ACTIONS":
                found["url"] = _github_run_url(environ)
            return _present(found)
    return {"name": "CI"} if environ.get("CI", "").lower() in ("true", "1") else None


def _github_run_url(environ: dict[str, str]) -> str:
    if not (environ.get("GITHUB_REPOSITORY") and environ.get("GITHUB_RUN_ID")):
        return ""
    server = environ.get("GITHUB_SERVER_URL", "https://github.com")
    return f"{server}/{environ['GITHUB_REPOSITORY']}/actions/runs/{environ['GITHUB_RUN_ID']}"


def _present(fields: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in fields.items() if value}
