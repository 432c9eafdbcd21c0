"""Procedures as Markdown pages: one per procedure, an index by category, a page per category.

Plain functions from the model to Markdown text; the MkDocs plugin only places the results.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
import yaml

from plbook.fields import format_duration
from plbook.model import CATEGORIES, EnvironmentsFile, Procedure
from plbook.references import names_read, secrets_used
from plbook.site import markdown
from plbook.site.criteria import condition_in_words, expectation_in_words
from plbook.site.freshness import ProcedureFreshness
from plbook.site.glance import at_a_glance
from plbook.site.twin_tabs import StepTabs, page_tabs
from plbook.steps import StepBase
from plbook.steps.base import StepView

PROCEDURE_TEMPLATE = "procedure.md.j2"
INDEX_TEMPLATE = "index.md.j2"
OVERRIDE_FOLDER = "plbook"
"""Templates in `<custom_dir>/plbook/` replace the packaged ones of the same name."""

CATEGORY_TITLES = {
    "checklist": "Checklists",
    "smoke-test": "Smoke tests",
    "troubleshooting": "Troubleshooting",
    "rollback": "Rollback",
    "cadence": "Daily, weekly and periodic checks",
    "incident": "Incident response",
    "communication": "Communication templates",
}


@dataclass(frozen=True)
class Criterion:
    """One pass criterion: the expression that decides, and the same in words when we have them."""

    expression: str | None
    words: str | None


@dataclass(frozen=True)
class StepSection:
    """What a step's section on the page shows."""

    number: int
    step: StepBase
    kind_label: str
    view: StepView
    language: str
    criteria: list[Criterion]
    retry: str | None
    timeout: str | None
    called: str | None = None
    saves: dict[str, str] = field(default_factory=dict)
    condition: Criterion | None = None
    """When the step runs only if an expression holds: that expression, in words if we can."""
    next_procedures: list[tuple[str, Criterion | None]] = field(default_factory=list)
    """The procedures to run next on failure, each with the result condition that chooses it."""
    tabs: StepTabs = field(default_factory=StepTabs)
    """The step's action and manual twin filled in per environment."""


def template_environment(override_dir: Path | None = None) -> jinja2.Environment:
    """Give the Jinja2 environment for page templates, looking in `override_dir` first."""
    loaders: list[jinja2.BaseLoader] = []
    if override_dir is not None and override_dir.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(override_dir)))
    loaders.append(jinja2.PackageLoader("plbook.site", "templates"))
    environment = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # the output is Markdown; filters below escape what needs it
    )
    environment.filters.update(
        code=markdown.code_span,
        fence=markdown.fence,
        prose=markdown.prose,
        cell=markdown.table_cell,
        html=markdown.html_text,
        text=markdown.plain_text,
        duration=format_duration,
    )
    environment.globals.update(category_titles=CATEGORY_TITLES)
    return environment


def render_procedure_page(
    procedure: Procedure,
    environments: EnvironmentsFile | None = None,
    templates: jinja2.Environment | None = None,
    titles: dict[str, str] | None = None,
    freshness: ProcedureFreshness | None = None,
) -> str:
    """Give the Markdown page of one procedure, front matter included.

    `titles` (procedure id to title) names the procedures this one links to; `freshness`, read
    from the history, adds its last runs (none: the page says nothing of runs).
    """
    templates = templates or template_environment()
    # Themes put these in the page head, navigation and tag lists without escaping them.
    front_matter = {
        "title": markdown.html_text(procedure.title),
        "description": markdown.html_text(procedure.summary),
        "tags": [markdown.html_text(tag) for tag in procedure.tags],
        # Procedures rank above reference pages that mention the same words.
        "search": {"boost": 2},
    }
    line = run_line(procedure)
    tabs = page_tabs(procedure, environments)
    return templates.get_template(PROCEDURE_TEMPLATE).render(
        front_matter=yaml.safe_dump(front_matter, sort_keys=False, allow_unicode=True).strip(),
        procedure=procedure,
        titles=titles or {},
        run_line=line,
        glance=at_a_glance(procedure, environments, line),
        secrets=secret_names(procedure),
        env_values=environment_values(procedure, environments),
        exports=tabs.exports,
        steps=[
            step_section(number, step, tabs.steps[step.id])
            for number, step in enumerate(procedure.steps, 1)
        ],
        freshness=freshness,
    )


def render_procedure_index(
    procedures: Iterable[Procedure],
    templates: jinja2.Environment | None = None,
    *,
    title: str = "Procedures",
    link_prefix: str = "",
    category_links: bool = True,
    freshness: dict[str, ProcedureFreshness] | None = None,
) -> str:
    """Give a Markdown page listing procedures grouped by category, in the categories' order.

    With `freshness`, each says when it was last verified, and a table lists them stalest first.
    """
    templates = templates or template_environment()
    procedures = list(procedures)
    by_category: dict[str, list[Procedure]] = {category: [] for category in CATEGORIES}
    for procedure in procedures:
        by_category[procedure.category].append(procedure)
    groups = {
        category: sorted(members, key=lambda p: p.title.lower())
        for category, members in by_category.items()
        if members
    }
    return templates.get_template(INDEX_TEMPLATE).render(
        title=title,
        groups=groups,
        link_prefix=link_prefix,
        category_links=category_links,
        freshness=freshness or {},
        by_freshness=by_freshness(procedures, freshness or {}),
    )


def by_freshness(
    procedures: Iterable[Procedure], freshness: dict[str, ProcedureFreshness]
) -> list[Procedure]:
    """Give the procedures never verified first, then the stale ones, each from the oldest pass."""
    known = [p for p in procedures if p.id in freshness and not freshness[p.id].unavailable]
    oldest = datetime.min.replace(tzinfo=timezone.utc)

    def order(procedure: Procedure) -> tuple[int, datetime, str]:
        fresh = freshness[procedure.id]
        rank = 0 if fresh.never_verified else 1 if fresh.stale else 2
        return rank, fresh.last_passed or oldest, procedure.title.lower()

    return sorted(known, key=order)


def render_category_page(
    category: str,
    procedures: Iterable[Procedure],
    templates: jinja2.Environment | None = None,
    freshness: dict[str, ProcedureFreshness] | None = None,
) -> str:
    """Give the page of one category, which sits one folder below the procedure pages."""
    return render_procedure_index(
        procedures,
        templates,
        title=CATEGORY_TITLES[category],
        link_prefix="../",
        category_links=False,
        freshness=freshness,
    )


def run_line(procedure: Procedure) -> str:
    """Give the `plbook run` line for the procedure, with a placeholder for each required input."""
    words = ["plbook", "run", procedure.id]
    for name, spec in procedure.inputs.items():
        if spec.required:
            value = shlex.quote(spec.example) if spec.example else name.upper()
            words += ["--input", f"{name}={value}"]
    return " ".join(words)


def secret_names(procedure: Procedure) -> list[str]:
    """Give the names of the secrets the procedure reads: declared, referenced and implied."""
    return sorted(set(procedure.requires.secrets) | secrets_used(procedure.steps))


def environment_values(
    procedure: Procedure, environments: EnvironmentsFile | None
) -> dict[str, dict[str, str]]:
    """Give each `env.NAME` the procedure reads, with its value in every environment."""
    if environments is None:
        return {}
    names = sorted(names_read(procedure.steps, "env") - {"name"})
    return {
        name: {
            env_name: str(environment.values.get(name, ""))
            for env_name, environment in environments.environments.items()
        }
        for name in names
    }


def step_section(number: int, step: StepBase, tabs: StepTabs | None = None) -> StepSection:
    """Give what the page shows for one step (`tabs`: its blocks per environment)."""
    kind = step.kind_contract
    view = kind.describe(step.spec)
    return StepSection(
        number=number,
        step=step,
        kind_label=kind.label,
        view=view,
        language=kind.page_language or view.language,
        criteria=pass_criteria(step, view),
        retry=retry_budget(step),
        timeout=_timeout(step),
        called=step.called_procedure,
        saves=dict(step.save),
        condition=Criterion(step.when, condition_in_words(step.when)) if step.when else None,
        next_procedures=[
            (
                choice.run,
                Criterion(choice.when, condition_in_words(choice.when, step.kind))
                if choice.when
                else None,
            )
            for choice in step.on_failure.choices
        ],
        tabs=tabs or StepTabs(),
    )


def pass_criteria(step: StepBase, view: StepView) -> list[Criterion]:
    """Give the criteria a step passes on: its expectations, else what its kind implies."""
    kind = step.kind
    if step.expect:
        return [Criterion(e, expectation_in_words(e, kind)) for e in step.expect]
    if view.criteria:
        return [Criterion(None, words) for words in view.criteria]
    if step.expectations:
        return [Criterion(e, expectation_in_words(e, kind)) for e in step.expectations]
    return [Criterion(None, "It completes without an error")]


def retry_budget(step: StepBase) -> str | None:
    """Give the step's retry budget in words, e.g. `up to 2m, every 5s`."""
    if step.retry is None:
        return None
    limits = []
    if step.retry.attempts:
        limits.append(f"{step.retry.attempts} attempts")
    if step.retry.timeout:
        limits.append(f"up to {format_duration(step.retry.timeout)}")
    return f"{' or '.join(limits)}, every {format_duration(step.retry.interval)}"


def _timeout(step: StepBase) -> str | None:
    seconds: Any = step.timeout or getattr(step.spec, "timeout", None)
    return format_duration(seconds) if isinstance(seconds, (int, float)) else None
