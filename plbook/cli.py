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
    """Runbook procedures written once as YAML: a searchable site and live checks from the same files."""


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
        for pid, p in ((pid, loaded.procedure) for pid, loaded in sorted(catalog.procedures.items()))
        if (category is None or p.category == category) and (tag is None or tag in p.tags)
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    headers = ("ID", "CATEGORY", "STEPS", "TITLE")
    table = [headers] + [(r["id"], r["category"], str(r["steps"]), r["title"]) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])


@cli.command()
@click.argument("procedure_id")
@click.option("--path", type=click.Path(path_type=Path), default=PROCEDURES, show_default=True)
def show(procedure_id: str, path: Path) -> None:
    """Print a procedure as readable text: steps numbered, commands exact."""
    from plbook.show import render_procedure_text

    click.echo(render_procedure_text(_catalog((path,)).get(procedure_id)))


@cli.command()
@click.option("--environments", is_flag=True, help="The schema of environments.yaml instead.")
@click.option("--write", is_flag=True, help="Rewrite the checked-in schema files under plbook/schema/.")
def schema(environments: bool, write: bool) -> None:
    """Print the JSON Schema of the procedure format, generated from the models."""
    from plbook.schema import procedure_schema, environments_schema, write_schema_files

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
