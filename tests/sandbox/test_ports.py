"""Choosing sandbox ports, runs following the running sandbox, and start-up errors in one line."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from plbook.errors import PlbookError
from plbook.sandbox.addresses import SandboxPorts, free_ports
from plbook.sandbox.mongo_server import MongoServer, MongoServerError
from plbook.sandbox.ports import choose_ports, follow_text, parse_ports, ports_spec

GOOD = Path(__file__).resolve().parents[1] / "core" / "good"
_SCRIPT = Path(sys.executable).with_name("plbook")
PLBOOK = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "plbook"]
PLAIN = {**os.environ, "NO_COLOR": "1"}
PLAIN.pop("PLBOOK_SANDBOX_PORTS", None)
HINT = "choose free ones with --ports api=N,dashboard=N,stripe=N,mongodb=N (or --port-base N)"


def plbook(*arguments: str, cwd: Path, env: dict[str, str] | None = None) -> Any:
    """Run the installed `plbook` command without a terminal."""
    return subprocess.run(
        [*PLBOOK, *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env or PLAIN,
        stdin=subprocess.DEVNULL,
    )


def test_a_busy_port_is_one_line_naming_it_and_the_ports_option(tmp_path: Path) -> None:
    api, dashboard, stripe, mongodb = free_ports(4)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", mongodb))
        taken.listen()
        spec = f"api={api},dashboard={dashboard},stripe={stripe},mongodb={mongodb}"
        done = plbook("sandbox", "--ports", spec, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"port {mongodb} (mongodb) is in use, perhaps by another sandbox; {HINT}"
    )
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--ports", "api=x"], "--ports api=x: write NAME=PORT with NAME one of api, dashboard"),
        (["--ports", "web=9000"], "--ports web=9000: write NAME=PORT"),
        (["--ports", "api=9000,dashboard=9000"], "--ports: two servers cannot share a port"),
        (["--port-base", "65534"], "--port-base: 65537 is not a port; use 1 to 65535"),
        (["--ports", "api=9000", "--port-base", "9000"], "give --ports or --port-base, not both"),
    ],
)
def test_bad_port_choices_are_one_line(tmp_path: Path, arguments: list[str], message: str) -> None:
    done = plbook("sandbox", *arguments, cwd=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert message in done.stderr


def test_ports_are_chosen_by_name_or_from_a_base() -> None:
    assert parse_ports("api=9001,mongodb=9004") == SandboxPorts(9001, 8788, 12111, 9004)
    assert choose_ports(None, 9000) == SandboxPorts(9000, 9001, 9002, 9003)
    assert choose_ports(None, None) == SandboxPorts()
    ports = SandboxPorts(9000, 9001, 9002, 9003)
    assert parse_ports(ports_spec(ports)) == ports


def test_addresses_follow_the_ports_without_chaining() -> None:
    # The API moved to the Stripe stand-in's default port, and Stripe elsewhere: no double move.
    ports = SandboxPorts(api=12111, dashboard=8788, stripe_api=9003, mongodb=9004)
    text = "http://127.0.0.1:8787/api and http://127.0.0.1:12111 and mongodb://localhost:27117/x"
    assert follow_text(text, ports) == (
        "http://127.0.0.1:12111/api and http://127.0.0.1:9003 and mongodb://localhost:9004/x"
    )
    assert follow_text("http://127.0.0.1:87870/", ports) == "http://127.0.0.1:87870/"


def _record(project: Path, pid: int, ports: SandboxPorts) -> None:
    (project / ".plbook").mkdir()
    (project / ".plbook" / "sandbox.json").write_text(
        json.dumps({"pid": pid, "ports": ports_spec(ports)})
    )


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.parametrize("alive", [True, False])
def test_runs_follow_the_sandbox_recorded_in_the_project(tmp_path: Path, alive: bool) -> None:
    shutil.copytree(GOOD, tmp_path / "procedures")
    _record(tmp_path, os.getpid() if alive else _dead_pid(), SandboxPorts(9101, 9102, 9103, 9104))
    done = plbook("run", "health-check", "--dry-run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # A record left by a sandbox that was killed is ignored.
    expected = "http://127.0.0.1:9101/api/health" if alive else "http://127.0.0.1:8787/api/health"
    assert expected in done.stdout


def test_the_ports_variable_chooses_the_sandbox_over_the_record(tmp_path: Path) -> None:
    shutil.copytree(GOOD, tmp_path / "procedures")
    _record(tmp_path, os.getpid(), SandboxPorts(9101, 9102, 9103, 9104))
    chosen = {**PLAIN, "PLBOOK_SANDBOX_PORTS": "api=9201"}
    done = plbook("run", "health-check", "--dry-run", cwd=tmp_path, env=chosen)
    assert "http://127.0.0.1:9201/api/health" in done.stdout
    # Only environments with the stand-in tools follow the sandbox.
    staging = plbook("run", "health-check", "--dry-run", "--env", "staging", cwd=tmp_path)
    assert "https://api.staging.example.com/api/health" in staging.stdout


def test_nx_27017_failing_to_start_keeps_its_log_and_shows_its_last_lines(tmp_path: Path) -> None:
    with socket.socket() as taken:
        # Bound but not listening: nx-27017 cannot bind, and nothing answers in its place.
        taken.bind(("127.0.0.1", 0))
        server = MongoServer(taken.getsockname()[1], tmp_path)
        with pytest.raises(MongoServerError) as raised:
            server.start()
    message = str(raised.value)
    log = tmp_path / "nx-27017.log"
    assert f"log: {log}" in message.splitlines()[0]
    assert log.is_file()
    assert "address already in use" in message
    assert isinstance(raised.value, PlbookError)
