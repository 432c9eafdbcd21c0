"""Which ports a sandbox uses, and how runs find the sandbox that is running.

`plbook sandbox --ports api=9001,mongodb=9004` or `--port-base 9000` picks the ports. A sandbox
started by `plbook sandbox` or `plbook up` writes its ports to `.plbook/sandbox.json` at the
project root while it runs; `PLBOOK_SANDBOX_PORTS` (the `--ports` syntax) chooses another one.
A run against an environment with `stand_in_tools: true` then reads every `127.0.0.1:<default
port>` in its values and secret defaults as the port actually used, so two sandboxes can run side
by side and the same procedures pass against each.
"""

from __future__ import annotations

import json
import os
import re
import socket
from dataclasses import asdict
from pathlib import Path

from plbook.errors import PlbookError
from plbook.sandbox.addresses import HOST, SandboxPorts

PORTS_VARIABLE = "PLBOOK_SANDBOX_PORTS"
STATE_FILE = "sandbox.json"
PORTS_HINT = "--ports api=N,dashboard=N,stripe=N,mongodb=N (or --port-base N)"
# The names `--ports` takes, and the SandboxPorts field each sets.
PORT_NAMES = {"api": "api", "dashboard": "dashboard", "stripe": "stripe_api", "mongodb": "mongodb"}
_DEFAULTS = SandboxPorts()
_DEFAULT_ADDRESS = re.compile(
    r"(127\.0\.0\.1|localhost):("
    + "|".join(str(getattr(_DEFAULTS, f)) for f in PORT_NAMES.values())
    + r")\b"
)


class PortTakenError(PlbookError, OSError):
    """A sandbox port is in use: a one-line user error at the CLI, an OSError to callers."""


def parse_ports(spec: str, origin: str = "--ports") -> SandboxPorts:
    """Give the ports `api=N,dashboard=N,stripe=N,mongodb=N` names; unnamed ones keep defaults."""
    chosen: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, equals, number = item.partition("=")
        if name not in PORT_NAMES or not equals or not number.isdigit():
            raise PlbookError(
                f"{origin} {spec}: write NAME=PORT with NAME one of {', '.join(PORT_NAMES)}"
            )
        chosen[PORT_NAMES[name]] = _port(int(number), origin)
    return _distinct(SandboxPorts(**chosen), origin)


def ports_from_base(base: int) -> SandboxPorts:
    """Give four consecutive ports from `base`: api, dashboard, stripe, mongodb."""
    _port(base + len(PORT_NAMES) - 1, "--port-base")
    return SandboxPorts(*(_port(base + i, "--port-base") for i in range(len(PORT_NAMES))))


def choose_ports(spec: str | None, base: int | None) -> SandboxPorts:
    """Give the ports from `--ports` over `--port-base` over the defaults."""
    if spec is not None and base is not None:
        raise PlbookError("give --ports or --port-base, not both")
    if spec is not None:
        return parse_ports(spec)
    return ports_from_base(base) if base is not None else SandboxPorts()


def ports_spec(ports: SandboxPorts) -> str:
    """Give the `--ports` text that names these ports."""
    return ",".join(f"{name}={getattr(ports, field)}" for name, field in PORT_NAMES.items())


def _port(number: int, origin: str) -> int:
    if not 1 <= number <= 65535:
        raise PlbookError(f"{origin}: {number} is not a port; use 1 to 65535")
    return number


def _distinct(ports: SandboxPorts, origin: str) -> SandboxPorts:
    values = list(asdict(ports).values())
    if len(set(values)) != len(values):
        raise PlbookError(f"{origin}: two servers cannot share a port ({ports_spec(ports)})")
    return ports


def check_ports_free(ports: SandboxPorts) -> None:
    """Raise a one-line PortTakenError naming the first taken port and how to choose others."""
    for name, field in PORT_NAMES.items():
        number = getattr(ports, field)
        with socket.socket() as probe:
            # As the servers themselves do: a port left in TIME_WAIT by a stopped sandbox is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, number))
            except OSError:
                raise PortTakenError(
                    f"port {number} ({name}) is in use, perhaps by another sandbox; "
                    f"choose free ones with {PORTS_HINT}"
                ) from None


def follow_text(text: str, ports: SandboxPorts) -> str:
    """Give `text` with each default sandbox address moved to the port actually used."""
    by_default = {str(getattr(_DEFAULTS, f)): str(getattr(ports, f)) for f in PORT_NAMES.values()}
    return _DEFAULT_ADDRESS.sub(lambda m: f"{m.group(1)}:{by_default[m.group(2)]}", text)


def write_running_sandbox(state_directory: Path, ports: SandboxPorts) -> Path:
    """Record that this process runs a sandbox on these ports; give the file written."""
    state_directory.mkdir(parents=True, exist_ok=True)
    path = state_directory / STATE_FILE
    record = {"pid": os.getpid(), "ports": ports_spec(ports), "api": ports.api_url}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def clear_running_sandbox(state_directory: Path) -> None:
    """Remove the record, unless a sandbox started later has replaced it."""
    path = state_directory / STATE_FILE
    if _record(path).get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def running_sandbox_ports(state_directory: Path) -> SandboxPorts | None:
    """Give the ports of the sandbox runs should use: PLBOOK_SANDBOX_PORTS, else the record."""
    chosen = os.environ.get(PORTS_VARIABLE)
    if chosen:
        return parse_ports(chosen, PORTS_VARIABLE)
    record = _record(state_directory / STATE_FILE)
    spec = record.get("ports")
    if not _alive(record.get("pid")) or not isinstance(spec, str):
        return None
    return parse_ports(spec, str(state_directory / STATE_FILE))


def _record(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _alive(pid: object) -> bool:
    """Give whether the process that wrote a record still runs (a killed one leaves it stale)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
