"""What the CLI stand-ins share: talking to the sandbox's admin endpoints, and their parser.

Stdlib only: the stand-ins run under whatever `python3` is on PATH.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any, NoReturn

DEFAULT_SANDBOX_API = "http://127.0.0.1:8787"
SECRET_NAME_ENDINGS = ("SECRET", "KEY", "TOKEN", "PASSWORD")


class StandInParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line and exit 2, like the tools it stands in for."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def stand_in_parser(tool: str, description: str) -> StandInParser:
    """Give the top-level parser of a stand-in, its help saying plainly what it is."""
    return StandInParser(
        prog=tool,
        description=(
            f"plbook sandbox stand-in for the {description} CLI: "
            f"acts on the local sandbox, not on {description}.\n"
            f"It reaches the sandbox at $PLBOOK_SANDBOX_API (default {DEFAULT_SANDBOX_API})."
        ),
        # Keeps the first sentence on one line, so it reads (and greps) as written.
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def fail(tool: str, message: str) -> NoReturn:
    """Print a one-line error and exit 1."""
    print(f"{tool}: {message}", file=sys.stderr)
    sys.exit(1)


def sandbox_api() -> str:
    """Give the sandbox backend's base URL, where the admin endpoints are."""
    return os.environ.get("PLBOOK_SANDBOX_API", DEFAULT_SANDBOX_API).rstrip("/")


def request_json(
    tool: str,
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    form: bytes | None = None,
) -> Any:
    """Give the JSON answer to a request; exit 1 with the server's message when it fails."""
    data = form if form is not None else (json.dumps(body).encode() if body is not None else None)
    content_type = "application/x-www-form-urlencoded" if form is not None else "application/json"
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": content_type, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        answer = error.read().decode(errors="replace")
        try:
            parsed = json.loads(answer)
        except ValueError:
            fail(tool, f"{method} {url} answered {error.code}: {answer[:200]}")
        message = parsed.get("error")
        if isinstance(message, dict):
            message = message.get("message")
        fail(tool, str(message or answer[:200]))
    except OSError as error:
        fail(
            tool,
            f"cannot reach the plbook sandbox at {url} ({error}); is `plbook sandbox` running?",
        )


def admin(tool: str, method: str, path: str, body: Any = None) -> Any:
    """Call one of the sandbox's /__sandbox/ admin endpoints."""
    return request_json(tool, method, f"{sandbox_api()}/__sandbox/{path}", body)


def masked(name: str, value: str) -> str:
    """Give a variable's value fit to print: secrets become a prefix and a fingerprint."""
    if not name.upper().endswith(SECRET_NAME_ENDINGS):
        return value
    prefix = value.split("_", 1)[0] + "_" if "_" in value[:8] else ""
    fingerprint = hashlib.sha256(value.encode()).hexdigest()[:8]
    return f"{prefix}**** (sha256:{fingerprint})"


def print_table(rows: list[list[str]], header: list[str]) -> None:
    """Print rows as left-aligned columns under a header."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def parse_duration(text: str) -> float:
    """Give seconds for a duration such as `30s`, `15m`, `24h` or `7d`."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}; use e.g. 30m, 24h, 7d")
    return int(text[:-1]) * units[text[-1]]
