"""A project anywhere: its root found from a subfolder, its configuration, `init`, `new`, `up`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from plbook.config import find_project_root, load_config
from plbook.errors import PlbookError

GOOD = Path(__file__).parent / "good"
_SCRIPT = Path(sys.executable).with_name("plbook")
PLBOOK = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "plbook"]
PLAIN = {**os.environ, "NO_COLOR": "1"}
PLAIN.pop("PLBOOK_SANDBOX_PORTS", None)

OFFLINE_PROCEDURE = """\
title: Say hello
summary: A run that needs nothing but plbook.
category: communication
steps:
  - id: hello
    title: Say hello
    message: {channel: Team chat, body: "Hello from {{ env.name }}"}
"""


def plbook(*arguments: str, cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed `plbook` command without a terminal."""
    return subprocess.run(
        [*PLBOOK, *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=PLAIN,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Give a project folder with the good procedures, an offline one, and a deep subfolder."""
    shutil.copytree(GOOD, tmp_path / "procedures")
    (tmp_path / "procedures" / "say-hello.yaml").write_text(OFFLINE_PROCEDURE)
    (tmp_path / "docs" / "deep").mkdir(parents=True)
    return tmp_path


def test_commands_find_the_project_root_from_a_subfolder(project: Path) -> None:
    deep = project / "docs" / "deep"
    validated = plbook("validate", cwd=deep)
    assert validated.returncode == 0, validated.stderr
    assert "4 procedures valid" in validated.stderr
    listed = plbook("list", cwd=deep)
    assert "say-hello" in listed.stdout
    ran = plbook("run", "say-hello", cwd=deep)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    # The journal lives in the root's .plbook/, never in the folder the command ran from.
    assert len(list((project / ".plbook" / "runs").glob("*-say-hello-*.jsonl"))) == 1
    assert not (deep / ".plbook").exists()


def test_problems_found_from_a_subfolder_name_files_relative_to_it(project: Path) -> None:
    (project / "procedures" / "broken.yaml").write_text("title: [\n")
    done = plbook("validate", cwd=project / "docs")
    assert done.returncode == 2
    assert done.stderr.startswith("../procedures/broken.yaml:")


def test_the_root_is_the_nearest_folder_with_a_marker(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    assert find_project_root(inner) == tmp_path.resolve()
    (tmp_path / "a" / "procedures").mkdir()
    assert find_project_root(inner) == (tmp_path / "a").resolve()


def test_validate_refuses_a_folder_without_environments(tmp_path: Path) -> None:
    (tmp_path / "procedures").mkdir()
    (tmp_path / "procedures" / "say-hello.yaml").write_text(OFFLINE_PROCEDURE)
    done = plbook("validate", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "procedures: no environments.yaml; `plbook run` needs one (`plbook init` writes a starter)"
    )


def test_configuration_comes_from_plbook_yaml(tmp_path: Path) -> None:
    (tmp_path / "plbook.yaml").write_text(
        "sandbox: promptlens\nsmoke: smoke-tests\nhistory: mongodb://127.0.0.1:1/runs\n"
        "categories:\n  smoke-test: {verify_every: 1d}\n"
    )
    config = load_config(tmp_path)
    assert (config.sandbox, config.smoke, config.history) == (
        "promptlens",
        "smoke-tests",
        "mongodb://127.0.0.1:1/runs",
    )
    assert config.verify_every("smoke-test") == 86400
    assert config.verify_every("rollback") is None


def test_configuration_may_live_under_extra_in_mkdocs_yml(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: x\nmarkdown_extensions:\n  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "extra:\n  plbook:\n    smoke: check-site\n"
    )
    config = load_config(tmp_path)
    assert (config.sandbox, config.smoke) == (None, "check-site")
    (tmp_path / "plbook.yaml").write_text("smoke: other\n")
    with pytest.raises(PlbookError, match="both configure plbook; keep one"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sandbox: acme\n", "no sandbox named 'acme'; choose promptlens or leave it out"),
        ("smoke_test: x\n", "smoke_test: Extra inputs are not permitted"),
        ("categories:\n  smoke-tests: {verify_every: 1d}\n", "categories.smoke-tests"),
        ("categories:\n  rollback: {verify_every: soon}\n", "'soon' is not a duration"),
    ],
)
def test_a_bad_configuration_is_one_line_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "plbook.yaml").write_text(text)
    with pytest.raises(PlbookError) as raised:
        load_config(tmp_path)
    assert raised.value.lines()[0].startswith(f"{tmp_path / 'plbook.yaml'}: ")
    assert message in str(raised.value)


def test_up_without_configuration_builds_and_serves_the_site_only(tmp_path: Path) -> None:
    shutil.copytree(GOOD, tmp_path / "procedures")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Runbook\n")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: Runbook\ntheme: {name: material}\nplugins: [search, tags, plbook]\n"
        "markdown_extensions: [admonition, attr_list, md_in_html]\n"
    )
    from plbook.sandbox.addresses import free_ports

    done = plbook("up", "--no-serve", "--port", str(free_ports(1)[0]), cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No sandbox configured" in done.stdout
    assert "No smoke test configured" in done.stdout
    assert "report in" not in done.stdout
    assert (tmp_path / "site" / "procedures" / "health-check" / "index.html").is_file()


def test_init_writes_a_project_that_validates_and_never_overwrites(tmp_path: Path) -> None:
    done = plbook("init", "acme", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    made = tmp_path / "acme"
    for name in (
        "procedures/environments.yaml",
        "procedures/check-site.yaml",
        "procedures/release-checklist.yaml",
        "mkdocs.yml",
        "plbook.yaml",
        ".vscode/settings.json",
        ".gitignore",
        ".github/workflows/runbook.yml",
        ".pre-commit-config.yaml",
        ".plbook/schema/procedure.schema.json",
    ):
        assert (made / name).is_file(), name
    mkdocs = (made / "mkdocs.yml").read_text()
    assert "site_name: Acme Runbook" in mkdocs
    assert "site_overrides" not in mkdocs and "promptlens" not in mkdocs.lower()
    assert (made / ".gitignore").read_text().split() == ["site/", ".plbook/"]
    assert plbook("validate", cwd=made).returncode == 0
    (made / "procedures" / "check-site.yaml").write_text("edited")
    again = plbook("init", "acme", cwd=tmp_path)
    assert again.returncode == 2
    assert "already has" in again.stderr
    assert (made / "procedures" / "check-site.yaml").read_text() == "edited"


def test_new_uses_only_what_the_environments_define(tmp_path: Path) -> None:
    (tmp_path / "procedures").mkdir()
    (tmp_path / "procedures" / "environments.yaml").write_text(
        "default: dev\nenvironments:\n"
        "  dev: {values: {base_url: 'http://127.0.0.1:9'}}\n"
        "  live: {confirm: true, values: {base_url: 'https://example.com'}}\n"
    )
    done = plbook("new", "check-queue", "--category", "troubleshooting", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "procedures" / "check-queue.yaml").read_text()
    assert '"{{ env.base_url }}"' in text
    assert "api_url" not in text and "backend" not in text and "README.md" not in text
    assert "$schema=../.plbook/schema/procedure.schema.json" in text
    assert (tmp_path / ".plbook" / "schema" / "procedure.schema.json").is_file()
    validated = plbook("validate", cwd=tmp_path)
    assert validated.returncode == 0, validated.stderr
