"""Rules across procedures, checked on small runbooks written for each case."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from plbook.catalog import load_catalog
from plbook.errors import PlbookError

GOOD = Path(__file__).parent / "good"
HEAD = "title: T\nsummary: S\ncategory: incident\n"


@pytest.fixture
def runbook(tmp_path: Path) -> Path:
    """Give a copy of the valid test runbook to add files to."""
    folder = tmp_path / "procedures"
    shutil.copytree(GOOD, folder)
    return folder


def problems(folder: Path, **files: str) -> list[str]:
    """Write `files` ({id: text}) into `folder`; give each problem as `id:line:col: message`."""
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text)
    return [
        f"{Path(p.file).stem}:{p.line}:{p.column}: {p.message}"
        for p in load_catalog([folder]).problems
    ]


def test_the_good_runbook_has_no_problems(runbook: Path) -> None:
    assert problems(runbook) == []


def test_env_value_missing_in_one_environment_names_it(runbook: Path) -> None:
    environments = runbook / "environments.yaml"
    environments.write_text(
        environments.read_text().replace(
            'values: {api_url: "https://api.staging.example.com", test_email: test@example.com}',
            'values: {api_url: "https://api.staging.example.com"}',
        )
    )
    assert problems(runbook) == [
        "rollback-api:23:25: env.test_email is not a value of environment staging; "
        "add it under `values:` in environments.yaml"
    ]


def test_env_name_is_always_there(runbook: Path) -> None:
    assert (
        problems(runbook, x=HEAD + "steps:\n  - {id: a, title: A, shell: 'echo {{ env.name }}'}\n")
        == []
    )


def test_secret_declared_by_the_environments_needs_no_requires(runbook: Path) -> None:
    text = HEAD + "steps:\n  - {id: a, title: A, shell: 'echo {{ secrets.MONGODB_URI }}'}\n"
    assert problems(runbook, x=text) == []


def test_broken_environments_file_does_not_make_every_secret_undeclared(runbook: Path) -> None:
    (runbook / "environments.yaml").write_text("default: sandbox\nenvironments: [oops]\n")
    text = HEAD + "steps:\n  - {id: a, title: A, shell: 'echo {{ secrets.MONGODB_URI }}'}\n"
    found = problems(runbook, x=text)
    assert len(found) == 1 and found[0].startswith(
        "environments:2:15: 'environments': expected a mapping"
    )


def test_vars_must_be_saved_by_an_earlier_step(runbook: Path) -> None:
    text = HEAD + textwrap.dedent("""\
    steps:
      - {id: a, title: A, shell: "true", save: {out: result.stdout}}
      - {id: b, title: B, shell: "echo {{ vars.out }}", expect: ["vars.out == result.stdout"]}
      - {id: c, title: C, shell: "echo {{ vars.later }}"}
      - {id: d, title: D, shell: "true", save: {later: result.stdout}}
    """)
    assert problems(runbook, x=text) == [
        "x:7:30: vars.later is not saved by an earlier step; add `save: {later: ...}` to a step "
        "before this one"
    ]


def test_values_in_titles_hints_and_every_spec_field_are_checked(runbook: Path) -> None:
    text = HEAD + textwrap.dedent("""\
    steps:
      - id: a
        title: "Plan {{ inputs.plan }}"
        stripe: {retrieve: subscriptions, id: "{{ vars.subscription }}"}
        on_failure: {hint: "See {{ env.dashboard }}"}
    """)
    assert problems(runbook, x=text) == [
        "x:6:12: input 'plan' is not declared; add it under `inputs:`",
        # The stripe step's default api_key reads this secret, which nothing declares here.
        "x:7:13: secret 'STRIPE_SECRET_KEY' is not declared; add it to `requires.secrets:`",
        "x:7:43: vars.subscription is not saved by an earlier step; "
        "add `save: {subscription: ...}` to a step before this one",
        "x:8:24: env.dashboard is not a value of environment production, sandbox, staging; "
        "add it under `values:` in environments.yaml",
    ]


def test_a_loop_between_procedures_is_reported_once(runbook: Path) -> None:
    found = problems(
        runbook,
        ping=HEAD + "steps:\n  - {id: a, title: A, procedure: pong}\n",
        pong=HEAD + "steps:\n  - {id: a, title: A, procedure: ping}\n",
    )
    assert found == [
        "pong:5:34: procedures call each other in a loop: ping -> pong -> ping; break the loop"
    ]


def test_calls_in_a_diamond_are_no_loop_and_stay_fast(runbook: Path) -> None:
    # Each layer calls both procedures of the next: following every path would take 2**40 steps.
    layers = 40
    files = {}
    for layer in range(layers):
        calls = (
            "".join(f"  - {{id: s{i}, title: S, procedure: p{layer + 1}-{i}}}\n" for i in (0, 1))
            if layer < layers - 1
            else "  - {id: s, title: S, manual: M}\n"
        )
        for side in (0, 1):
            files[f"p{layer}-{side}"] = HEAD + "steps:\n" + calls
    assert problems(runbook, **files) == []


def test_same_id_as_yaml_and_yml_is_reported(runbook: Path) -> None:
    (runbook / "health-check.yml").write_text((runbook / "health-check.yaml").read_text())
    found = problems(runbook)
    assert len(found) == 1
    assert "procedure 'health-check' is also defined by" in found[0]


def test_load_catalog_of_a_missing_folder_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(PlbookError, match="no such file or folder"):
        load_catalog([tmp_path / "missing"])
