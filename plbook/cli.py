"""The `plbook` command line: a thin layer over load, lint, site, run and sandbox.

Heavy libraries (stripe, pymongo, httpx, mkdocs) are imported inside the commands that need them,
so `plbook --help` and `plbook validate` stay quick.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from plbook.errors import PlbookError

PROCEDURES = Path("procedures")


def main() -> None:
    """Run the CLI: user mistakes print one line each and exit 2, Ctrl-C exits 130."""
    try:
        cli.main(standalone_mode=False)
    except PlbookError as error:
        for line in error.lines():
            click.echo(line, err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(2 if error.exit_code == 2 else error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="plbook")
def cli() -> None:
    """Runbook procedures written once as YAML: a searchable site and live checks, one source."""


def _catalog(paths: tuple[Path, ...] = ()) -> Any:
    from plbook.load import load_catalog

    catalog = load_catalog(list(paths) or [PROCEDURES])
    if catalog.problems:
        raise PlbookError(catalog.problems)
    return catalog


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check procedure files (default: procedures/) and report every problem at once."""
    catalog = _catalog(paths)
    count = len(catalog.procedures)
    click.echo(f"{count} procedure{'s' if count != 1 else ''} valid", err=True)


@cli.command(name="list")
@click.option("--category", help="Only this category.")
@click.option("--tag", help="Only procedures with this tag.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--path", type=click.Path(path_type=Path), default=PROCEDURES, show_default=True)
def list_procedures(category: str | None, tag: str | None, as_json: bool, path: Path) -> None:
    """List procedures: id, category, title and number of steps."""
    catalog = _catalog((path,))
    rows = [
        {"id": pid, "category": p.category, "title": p.title, "steps": len(p.steps), "tags": p.tags}
        for pid, p in (
            (pid, loaded.procedure) for pid, loaded in sorted(catalog.procedures.items())
        )
        if (category is None or p.category == category) and (tag is None or tag in p.tags)
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    headers = ("ID", "CATEGORY", "STEPS", "TITLE")
    table = [headers] + [(r["id"], r["category"], str(r["steps"]), r["title"]) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        click.echo(
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
        )


@cli.command()
@click.argument("procedure_id")
@click.option("--path", type=click.Path(path_type=Path), default=PROCEDURES, show_default=True)
def show(procedure_id: str, path: Path) -> None:
    """Print a procedure as readable text: steps numbered, commands exact."""
    from plbook.show import render_procedure_text

    click.echo(render_procedure_text(_catalog((path,)).get(procedure_id)))


@cli.command()
@click.option("--environments", is_flag=True, help="The schema of environments.yaml instead.")
@click.option(
    "--write", is_flag=True, help="Rewrite the checked-in schema files under plbook/schema/."
)
def schema(environments: bool, write: bool) -> None:
    """Print the JSON Schema of the procedure format, generated from the models."""
    from plbook.schema import environments_schema, procedure_schema, write_schema_files

    if write:
        for written in write_schema_files():
            click.echo(f"wrote {written}", err=True)
        return
    document = environments_schema() if environments else procedure_schema()
    click.echo(json.dumps(document, indent=2))


@cli.command()
@click.argument("procedure_id")
@click.option("--category", "-c", required=True, help="checklist, smoke-test, troubleshooting, ...")
@click.option("--path", type=click.Path(path_type=Path), default=PROCEDURES, show_default=True)
def new(procedure_id: str, category: str, path: Path) -> None:
    """Write a commented skeleton procedure that validates."""
    from plbook.skeleton import write_skeleton

    written = write_skeleton(path, procedure_id, category)
    click.echo(f"wrote {written}; edit it, then run `plbook validate {written}`", err=True)


def _mkdocs(arguments: list[str]) -> None:
    from mkdocs.__main__ import cli as mkdocs_cli

    # mkdocs' own command line, so output and exit codes match a plain `mkdocs` call.
    mkdocs_cli.main(arguments, prog_name="mkdocs")


_PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True}


@cli.command()
@click.option("--path", type=click.Path(path_type=Path), default=PROCEDURES, show_default=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Folder to write into (default: procedures/ in the docs_dir of mkdocs.yml).",
)
def pages(path: Path, out: Path | None) -> None:
    """Write the procedure pages, index and category pages as Markdown, for any site engine."""
    from plbook.site.engines import docs_dir
    from plbook.site.generate import write_pages
    from plbook.site.links import PROCEDURES_FOLDER
    from plbook.site.pages import template_environment

    folder = out or docs_dir() / PROCEDURES_FOLDER
    written = write_pages(_catalog((path,)), folder, template_environment())
    click.echo(f"wrote {len(written)} files in {folder}/ (ignored by git)", err=True)


@cli.command(context_settings=_PASS_THROUGH)
@click.option("--path", type=click.Path(path_type=Path), default=PROCEDURES, show_default=True)
@click.option(
    "--engine",
    type=click.Choice(["mkdocs", "properdocs", "zensical"]),
    default="mkdocs",
    show_default=True,
    help="The site generator; zensical gets the pages written first (`plbook pages`).",
)
@click.argument("engine_args", nargs=-1, type=click.UNPROCESSED)
def build(path: Path, engine: str, engine_args: tuple[str, ...]) -> None:
    """Validate the procedures, build the site strictly, then check every procedure page is there.

    Further options go to the engine, e.g. `plbook build --site-dir public`.
    """
    from plbook.site import engines
    from plbook.site.generate import write_pages
    from plbook.site.links import PROCEDURES_FOLDER
    from plbook.site.pages import template_environment

    catalog = _catalog((path,))
    if engine == "zensical":
        write_pages(catalog, engines.docs_dir() / PROCEDURES_FOLDER, template_environment())
    code = engines.run_engine(engine, list(engine_args))
    if code:
        sys.exit(code)
    site = engines.site_dir(engines.CONFIG_FILE, list(engine_args))
    if engine == "zensical":  # the MkDocs plugin does this itself on the other engines
        from plbook.site.search import tune_search_index

        tune_search_index(site, [loaded.procedure for loaded in catalog.procedures.values()])
    missing = engines.missing_pages(site, sorted(catalog.procedures))
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        click.echo(
            f"{engine} built {site}/ without the pages of {len(missing)} procedures ({shown}); "
            "is the plbook plugin (or `plbook pages`) in use?",
            err=True,
        )
        sys.exit(1)


@cli.command(context_settings=_PASS_THROUGH)
@click.option("--path", type=click.Path(path_type=Path), default=PROCEDURES, show_default=True)
@click.argument("mkdocs_args", nargs=-1, type=click.UNPROCESSED)
def serve(path: Path, mkdocs_args: tuple[str, ...]) -> None:
    """Validate the procedures, then serve the site with `mkdocs serve`; YAML edits reload it.

    Further options go to mkdocs, e.g. `plbook serve --dev-addr 127.0.0.1:8001`.
    """
    _catalog((path,))
    _mkdocs(["serve", *mkdocs_args])


@cli.command()
@click.argument("procedure_id")
@click.option(
    "--env", "environment", metavar="NAME", help="Environment (default: environments.yaml's)."
)
@click.option(
    "--input", "inputs", multiple=True, metavar="NAME=VALUE", help="An input; repeatable."
)
@click.option(
    "--dry-run", is_flag=True, help="Print every step with its values filled in; run nothing."
)
@click.option(
    "--yes", is_flag=True, help="Run destructive steps without asking (needed without a terminal)."
)
@click.option(
    "--manual",
    type=click.Choice(["ask", "skip", "fail"]),
    help="Manual steps: ask (terminal default), skip (CI default) or fail.",
)
@click.option("--from", "from_step", metavar="STEP", help="Start at this step.")
@click.option("--only", "only_step", metavar="STEP", help="Run only this step.")
@click.option("--resume", metavar="RUN", help="Continue a run at its first unfinished step.")
@click.option(
    "--report", type=click.Path(path_type=Path), metavar="FILE.json", help="Write a JSON report."
)
@click.option(
    "--junit", type=click.Path(path_type=Path), metavar="FILE.xml", help="Write JUnit XML."
)
@click.option(
    "--evidence",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Write Markdown evidence to DIR/<date>-<id>/run.md.",
)
@click.option("--path", type=click.Path(path_type=Path), default=PROCEDURES, show_default=True)
def run(
    procedure_id: str,
    environment: str | None,
    inputs: tuple[str, ...],
    dry_run: bool,
    yes: bool,
    manual: str | None,
    from_step: str | None,
    only_step: str | None,
    resume: str | None,
    report: Path | None,
    junit: Path | None,
    evidence: Path | None,
    path: Path,
) -> None:
    """Run a procedure's steps live; exit 0 passed, 1 a check failed, 2 invalid, 130 interrupted."""
    from plbook.run import RunOptions, run_procedure
    from plbook.run.terminal import make_terminal

    given: dict[str, str] = {}
    for item in inputs:
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise PlbookError(f"--input {item}: write NAME=VALUE")
        given[name] = value
    if from_step and only_step:
        raise PlbookError("give --from or --only, not both")
    options = RunOptions(
        environment=environment,
        inputs=given,
        dry_run=dry_run,
        yes=yes,
        manual=manual,
        from_step=from_step,
        only_step=only_step,
        resume=resume,
        report=report,
        junit=junit,
        evidence=evidence,
        interactive=sys.stdin.isatty() and sys.stdout.isatty(),
    )
    outcome = run_procedure(_catalog((path,)), procedure_id, options, make_terminal())
    sys.exit(outcome.exit_code)


@cli.command()
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="NAME",
    help="Inject a fault: db-down, slow-api, bad-webhook-secret, quota-desync, bad-deploy.",
)
def sandbox(faults: tuple[str, ...]) -> None:
    """Start the local PromptLens stand-in on loopback until Ctrl-C."""
    from plbook.sandbox import UnknownFaultError, serve_sandbox
    from plbook.sandbox.faults import check_fault_names

    try:
        check_fault_names(faults)
    except UnknownFaultError as error:
        raise PlbookError(str(error)) from None
    serve_sandbox(list(faults))


@cli.command()
@click.option("--port", default=8000, show_default=True, help="Port for the site on 127.0.0.1.")
@click.option("--no-serve", is_flag=True, help="Stop after the smoke tests (for CI).")
@click.option(
    "--fault", "faults", multiple=True, metavar="NAME", help="Start the sandbox with a fault."
)
def up(port: int, no_serve: bool, faults: tuple[str, ...]) -> None:
    """The main job: validate, build the site, start the sandbox, smoke-test it, serve the site."""
    from plbook.up import run_main_job

    sys.exit(run_main_job(port, serve=not no_serve, faults=list(faults)))
