"""README's adopter path, from the built wheel in a fresh venv and an empty folder.

Nothing here uses the repository's own install: the package is built (sdist, then the wheel from
the sdist, as `python -m build` does), installed with `pip install` and no extras, and driven
through its `plbook` and `mkdocs` commands only.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from plbook.sandbox.addresses import free_ports

ROOT = Path(__file__).resolve().parents[2]
PLAIN = {**os.environ, "NO_COLOR": "1"}
PLAIN.pop("PLBOOK_SANDBOX_PORTS", None)


@dataclass(frozen=True)
class Installed:
    """A fresh venv with the built wheel installed, and the wheel itself."""

    bin: Path
    wheel: Path

    def plbook(
        self, *arguments: str, cwd: Path, env: dict[str, str] | None = None, timeout: int = 300
    ) -> subprocess.CompletedProcess[str]:
        """Run the venv's `plbook` command, without a terminal."""
        return subprocess.run(
            [str(self.bin / "plbook"), *arguments],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env or PLAIN,
            stdin=subprocess.DEVNULL,
        )

    def start(self, *arguments: str, cwd: Path, ready: str) -> subprocess.Popen[str]:
        """Start a long-running `plbook` command; give it once it prints `ready`."""
        process = subprocess.Popen(
            [str(self.bin / "plbook"), *arguments],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=PLAIN,
            stdin=subprocess.DEVNULL,
        )
        assert process.stdout is not None
        seen: list[str] = []
        deadline = time.monotonic() + 300
        for line in process.stdout:
            seen.append(line)
            if ready in line or time.monotonic() > deadline:
                break
        assert ready in "".join(seen), "".join(seen)[-3000:]
        return process


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the package and install the wheel into a new venv, as a new user would."""
    work = tmp_path_factory.mktemp("package")
    source = work / "source"
    # A clean copy of the tracked files: what a clone holds, no .venv, site/ or .plbook/.
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, tracked):
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, target)
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(work / "dist"), str(source)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    wheel = next((work / "dist").glob("plbook-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        timeout=900,
    )
    return Installed(venv / "bin", wheel)


def test_the_wheel_carries_the_css_templates_schemas_starter_and_stand_ins(installed: Installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for wanted in (
        "plbook/site/templates/procedure.md.j2",
        "plbook/schema/procedure.schema.json",
        "plbook/schema/environments.schema.json",
        "plbook/sandbox/bin/railway",
        "plbook/sandbox/bin/stripe",
        "plbook/sandbox/bin/sandbox_admin.py",
        "plbook/starter/mkdocs.yml",
        "plbook/site/assets/plbook.css",
        "plbook/starter/dot-github/workflows/runbook.yml",
    ):
        assert wanted in names
    css = zipfile.ZipFile(installed.wheel).read("plbook/site/assets/plbook.css")
    assert css == (ROOT / "plbook" / "site" / "assets" / "plbook.css").read_bytes()


@pytest.fixture
def project(installed: Installed, tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """Give a project made by `plbook init` in an empty folder, its site on a free port."""
    folder = tmp_path / "empty"
    folder.mkdir()
    done = installed.plbook("init", "acme-api", cwd=folder)
    assert done.returncode == 0, done.stderr
    project = folder / "acme-api"
    port = free_ports(1)[0]
    environments = project / "procedures" / "environments.yaml"
    # The README's step for serving elsewhere than :8000: site_url follows the port.
    environments.write_text(environments.read_text().replace("127.0.0.1:8000", f"127.0.0.1:{port}"))
    yield project, port


def test_readme_installs_the_package_without_extras() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Use plbook for your own runbook", 1)[1].split("\n## ", 1)[0]
    assert "pip install plbook &&" in section
    assert "plbook[" not in section
    assert "plbook init my-runbook" in section


def test_init_validate_run_build_and_up_from_the_wheel(
    installed: Installed, project: tuple[Path, int]
):
    folder, port = project
    validated = installed.plbook("validate", cwd=folder / "procedures")
    assert validated.returncode == 0, validated.stderr
    assert "2 procedures valid" in validated.stderr
    serving = installed.start("up", "--port", str(port), cwd=folder, ready="Runbook site:")
    try:
        for procedure in ("check-site", "release-checklist"):
            ran = installed.plbook("run", procedure, cwd=folder)
            assert ran.returncode == 0, ran.stdout + ran.stderr
            assert "PASSED" in ran.stdout
    finally:
        serving.send_signal(signal.SIGINT)
        serving.wait(timeout=180)
    built = subprocess.run(
        [str(installed.bin / "mkdocs"), "build", "--strict", "--site-dir", "strict-site"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env=PLAIN,
    )
    assert built.returncode == 0, built.stderr
    page = (folder / "strict-site" / "procedures" / "check-site" / "index.html").read_text()
    assert 'id="step-home"' in page
    for raw in ("{ #step-", "**Runs:**", ":material-"):
        assert raw not in page
    up = installed.plbook("up", "--no-serve", "--port", str(port), cwd=folder)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "No sandbox configured" in up.stdout
    assert "Smoke tests passed; report in .plbook/check-site.json" in up.stdout
    assert (folder / ".plbook" / "check-site.json").is_file()


def test_new_in_the_initialised_project_validates_with_a_schema_that_resolves(
    installed: Installed, project: tuple[Path, int]
):
    folder, _ = project
    done = installed.plbook("new", "check-queue", "--category", "troubleshooting", cwd=folder)
    assert done.returncode == 0, done.stderr
    text = (folder / "procedures" / "check-queue.yaml").read_text()
    schema = re.search(r"\$schema=(\S+)", text)
    assert schema is not None
    assert (folder / "procedures" / schema.group(1)).resolve().is_file()
    assert "{{ env.site_url }}" in text
    assert "api_url" not in text and "backend" not in text
    validated = installed.plbook("validate", cwd=folder)
    assert validated.returncode == 0, validated.stderr
    assert "3 procedures valid" in validated.stderr


def test_two_sandboxes_side_by_side_each_pass_the_promptlens_smoke_tests(
    installed: Installed, tmp_path: Path
):
    shutil.copytree(ROOT / "procedures", tmp_path / "procedures")
    spec = ",".join(
        f"{name}={port}"
        for name, port in zip(("api", "dashboard", "stripe", "mongodb"), free_ports(4), strict=True)
    )
    sandboxes = [
        installed.start("sandbox", "--ports", spec, cwd=tmp_path, ready="Press Ctrl-C"),
    ]
    try:
        base = _free_run_of_four()
        sandboxes.append(
            installed.start("sandbox", "--port-base", str(base), cwd=tmp_path, ready="Press Ctrl-C")
        )
        from_base = f"api={base},dashboard={base + 1},stripe={base + 2},mongodb={base + 3}"
        for ports in (spec, from_base):
            ran = installed.plbook(
                "run",
                "smoke-tests",
                "--manual",
                "skip",
                "--yes",
                cwd=tmp_path,
                env={**PLAIN, "PLBOOK_SANDBOX_PORTS": ports},
            )
            assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr
        busy = installed.plbook("sandbox", "--ports", spec, cwd=tmp_path, timeout=60)
        assert busy.returncode == 2
        api_port = spec.split(",")[0].split("=")[1]
        assert busy.stderr.strip().splitlines() == [
            f"port {api_port} (api) is in use, perhaps by another sandbox; choose free ones "
            "with --ports api=N,dashboard=N,stripe=N,mongodb=N (or --port-base N)"
        ]
    finally:
        for process in sandboxes:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)


def _free_run_of_four() -> int:
    """Give a port N with N to N+3 free just now."""
    for _ in range(50):
        base = free_ports(1)[0]
        if base > 65530:
            continue
        sockets = []
        try:
            for offset in range(4):
                sock = socket.socket()
                sock.bind(("127.0.0.1", base + offset))
                sockets.append(sock)
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise AssertionError("no four consecutive free ports on loopback")
