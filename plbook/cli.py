"""The `plbook` command line: a thin layer over load, lint, site, run and sandbox.

Heavy libraries (stripe, pymongo, httpx, mkdocs) are imported inside the commands that need them,
so `plbook --help` and `plbook validate` stay quick.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from plbook.errors import PlbookError, did_you_mean
from plbook.history.cli import history

if TYPE_CHECKING:
    from plbook.catalog import Catalog
    from plbook.config import ProjectConfig

PATH_HELP = "Folder of procedures (default: procedures/ at the project root)."


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


class _Commands(click.Group):
    """The commands; a procedure id given as a command says how to run it."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Give the command named first; an unknown name gets a one-line suggestion."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            if (_procedures(None) / f"{name}.yaml").is_file():
                raise PlbookError(f"no command '{name}'; did you mean: plbook run {name}")
            hint = did_you_mean(name, self.list_commands(ctx)) or "see plbook --help"
            raise PlbookError(f"no command '{name}'; {hint}")
        return super().resolve_command(ctx, args)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="plbook")
def cli() -> None:
    """Runbook procedures written once as YAML: a searchable site and live checks, one source."""


cli.add_command(history)


@lru_cache(maxsize=1)
def _project() -> ProjectConfig:
    """Give the project this command runs in: the nearest parent with procedures/ or mkdocs.yml."""
    from plbook.config import project

    return project()


def _procedures(path: Path | None) -> Path:
    """Give the procedures folder: as given, else the project's, relative to here when inside."""
    if path is not None:
        return path
    found = _project().procedures
    try:
        return found.relative_to(Path.cwd().resolve())
    except ValueError:
        return Path(os.path.relpath(found))


def _catalog(paths: tuple[Path, ...] = ()) -> Catalog:
    """Give the catalog under `paths`; any problem in any file stops the command."""
    from plbook.catalog import load_catalog

    catalog = load_catalog(list(paths) or [_procedures(None)])
    if catalog.problems:
        raise PlbookError(catalog.problems)
    return catalog


def _catalog_for(path: Path, files: Callable[[Catalog], set[str]]) -> Catalog:
    """Give the catalog under `path`; problems in `files(catalog)` stop the command.

    Problems in other files are one warning line: a broken draft never blocks a run.
    """
    from plbook.catalog import load_catalog, scoped_problems

    catalog = load_catalog([path])
    scoped = scoped_problems(catalog, files(catalog))
    if scoped.blocking:
        raise PlbookError(scoped.blocking)
    _warn(scoped.warning())
    return catalog


def _warn(warning: str | None) -> None:
    if warning:
        click.echo(f"warning: {warning}", err=True)


def _catalog_of_run(path: Path, procedure_id: str) -> Catalog:
    """Give the catalog for a run of one procedure: it, what it calls and the environments."""
    from plbook.catalog import files_of_run

    return _catalog_for(path, lambda catalog: files_of_run(catalog, procedure_id))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check procedure files (default: procedures/) and report every problem at once.

    Files given one by one are checked against the other procedures of their folder.
    """
    if paths and all(path.is_file() for path in paths):
        count = _validate_files(paths)
    else:
        catalog = _catalog(paths)
        folders = [p for p in paths if p.is_dir()] if paths else [_procedures(None)]
        if catalog.environments is None and folders:
            raise PlbookError(
                f"{folders[0]}: no environments.yaml; `plbook run` needs one "
                "(`plbook init` writes a starter)"
            )
        count = len(catalog.procedures)
    click.echo(f"{count} procedure{'s' if count != 1 else ''} valid", err=True)


def _validate_files(files: tuple[Path, ...]) -> int:
    """Check files against their folders' procedures and environments; give how many are valid."""
    from plbook.catalog import load_catalog, scoped_problems

    catalog = load_catalog(list(dict.fromkeys(file.parent for file in files)))
    named = {str(file) for file in files} | {catalog.environments_file}
    scoped = scoped_problems(catalog, named - {""})
    if scoped.blocking:
        raise PlbookError(scoped.blocking)
    _warn(scoped.warning())
    return len({file.stem for file in files} & set(catalog.procedures))


@cli.command(name="list")
@click.option("--category", help="Only this category.")
@click.option("--tag", help="Only procedures with this tag.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--path", type=click.Path(path_type=Path), help=PATH_HELP)
def list_procedures(
    category: str | None, tag: str | None, as_json: bool, path: Path | None
) -> None:
    """List procedures: id, category, title and number of steps."""
    catalog = _catalog_for(_procedures(path), lambda catalog: set())
    rows: list[dict[str, Any]] = [
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
@click.option("--path", type=click.Path(path_type=Path), help=PATH_HELP)
@click.option(
    "--env", "environment", metavar="NAME", help="Environment the --twin lines are filled for."
)
@click.option(
    "--twin",
    is_flag=True,
    help="Print each step's manual twin (curl, mongosh, stripe), ready to paste.",
)
def show(procedure_id: str, path: Path | None, environment: str | None, twin: bool) -> None:
    """Print a procedure as readable text: steps numbered, commands exact."""
    if environment is not None and not twin:
        raise click.UsageError("--env goes with --twin (the twin lines are filled per environment)")
    catalog = _catalog_of_run(_procedures(path), procedure_id)
    if twin:
        from plbook.run.plan import choose_environment
        from plbook.twins import procedure_twins, twin_text

        catalog = _follow_running_sandbox(catalog)
        name, chosen = choose_environment(catalog, environment)
        click.echo(twin_text(procedure_twins(catalog.get(procedure_id), name, chosen)), nl=False)
        return
    from plbook.show import render_procedure_text

    click.echo(render_procedure_text(catalog.get(procedure_id)))


@cli.command()
@click.option("--environments", is_flag=True, help="The schema of environments.yaml instead.")
@click.option(
    "--write",
    is_flag=True,
    help="Write both schema files for editors into the project's .plbook/schema/.",
)
def schema(environments: bool, write: bool) -> None:
    """Print the JSON Schema of the procedure format, generated from the models."""
    from plbook.schema import environments_schema, procedure_schema, write_schema_files

    if write:
        for written in write_schema_files(_project().root):
            click.echo(f"wrote {written}", err=True)
        return
    document = environments_schema() if environments else procedure_schema()
    click.echo(json.dumps(document, indent=2))


@cli.command()
@click.argument("procedure_id")
@click.option("--category", "-c", required=True, help="checklist, smoke-test, troubleshooting, ...")
@click.option("--path", type=click.Path(path_type=Path), help=PATH_HELP)
def new(procedure_id: str, category: str, path: Path | None) -> None:
    """Write a commented skeleton procedure that validates, using the project's environments."""
    from plbook.load import ENVIRONMENTS_FILE, load_environments
    from plbook.schema import schema_directory, write_schema_files
    from plbook.skeleton import write_skeleton

    folder = _procedures(path)
    environments_file = folder / ENVIRONMENTS_FILE
    environments = load_environments(environments_file)[0] if environments_file.exists() else None
    root = _project().root
    schema = schema_directory(root) / "procedure.schema.json"
    written = write_skeleton(folder, procedure_id, category, environments, schema)
    write_schema_files(root)
    click.echo(f"wrote {written}; edit it, then run `plbook validate {written}`", err=True)
    if environments is None:
        click.echo(
            f"{folder} has no environments.yaml, which `plbook run` needs; "
            "`plbook init` writes a starter",
            err=True,
        )


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path), default=".")
def init(directory: Path) -> None:
    """Start a runbook project in DIRECTORY (default: here) that validates, runs and builds."""
    from plbook.init import init_project

    for written in init_project(directory):
        click.echo(f"wrote {written}", err=True)
    where = "" if directory == Path(".") else f"cd {directory} && "
    click.echo(f"next: {where}plbook validate && plbook up", err=True)


def _mkdocs(arguments: list[str]) -> None:
    from mkdocs.__main__ import cli as mkdocs_cli

    from plbook.config import MKDOCS_FILE

    if not {"-f", "--config-file"} & {a.split("=")[0] for a in arguments}:
        # The project's mkdocs.yml, so `plbook build` works from any subfolder too.
        arguments = [*arguments, "--config-file", str(_project().root / MKDOCS_FILE)]
    # mkdocs' own command line, so output and exit codes match a plain `mkdocs` call.
    mkdocs_cli.main(arguments, prog_name="mkdocs")


_PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True}


@cli.command()
@click.option("--path", type=click.Path(path_type=Path), help=PATH_HELP)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Folder to write into (default: procedures/ in the docs_dir of mkdocs.yml).",
)
def pages(path: Path | None, out: Path | None) -> None:
    """Write the procedure pages, index and category pages as Markdown, for any site engine."""
    from plbook.site.engines import docs_dir
    from plbook.site.freshness import procedures_freshness
    from plbook.site.generate import write_pages
    from plbook.site.links import PROCEDURES_FOLDER
    from plbook.site.pages import template_environment

    catalog = _catalog((_procedures(path),))
    folder = out or docs_dir(_project().root / "mkdocs.yml") / PROCEDURES_FOLDER
    procedures = [loaded.procedure for loaded in catalog.procedures.values()]
    freshness = procedures_freshness(procedures, _project())
    written = write_pages(catalog, folder, template_environment(), freshness)
    click.echo(f"wrote {len(written)} files in {folder}/ (ignored by git)", err=True)


@cli.command(context_settings=_PASS_THROUGH)
@click.option("--path", type=click.Path(path_type=Path), help=PATH_HELP)
@click.option(
    "--engine",
    type=click.Choice(["mkdocs", "properdocs", "zensical"]),
    default="mkdocs",
    show_default=True,
    help="The site generator; zensical gets the pages written first (`plbook pages`).",
)
@click.argument("engine_args", nargs=-1, type=click.UNPROCESSED)
def build(path: Path | None, engine: str, engine_args: tuple[str, ...]) -> None:
    """Validate the procedures, build the site strictly, then check every procedure page is there.

    Further options go to the engine, e.g. `plbook build --site-dir public`.
    """
    from plbook.site import engines
    from plbook.site.generate import write_pages
    from plbook.site.links import PROCEDURES_FOLDER
    from plbook.site.pages import template_environment

    catalog = _catalog((_procedures(path),))
    # The engines read mkdocs.yml from where they run: the project's root, from any subfolder.
    os.chdir(_project().root)
    if engine == "zensical":
        from plbook.site.freshness import procedures_freshness

        procedures = [loaded.procedure for loaded in catalog.procedures.values()]
        freshness = procedures_freshness(procedures, _project())
        write_pages(
            catalog, engines.docs_dir() / PROCEDURES_FOLDER, template_environment(), freshness
        )
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
@click.option("--path", type=click.Path(path_type=Path), help=PATH_HELP)
@click.argument("mkdocs_args", nargs=-1, type=click.UNPROCESSED)
def serve(path: Path | None, mkdocs_args: tuple[str, ...]) -> None:
    """Validate the procedures, then serve the site with `mkdocs serve`; YAML edits reload it.

    Further options go to mkdocs, e.g. `plbook serve --dev-addr 127.0.0.1:8001`.
    """
    _catalog((_procedures(path),))
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
@click.option(
    "--confirm-env",
    metavar="NAME",
    help="Without a terminal, confirm a run against an environment that asks (with --yes).",
)
@click.option("--step", "step_by_step", is_flag=True, help="Ask before every step (y/n/continue).")
@click.option(
    "--var", "variables", multiple=True, metavar="NAME=VALUE", help="A saved var; repeatable."
)
@click.option("-v", "--verbose", is_flag=True, help="Show all of each command's output.")
@click.option("-q", "--quiet", is_flag=True, help="Show none of each command's output.")
@click.option("--path", type=click.Path(path_type=Path), help=PATH_HELP)
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
    confirm_env: str | None,
    step_by_step: bool,
    variables: tuple[str, ...],
    verbose: bool,
    quiet: bool,
    path: Path | None,
) -> None:
    """Run a procedure's steps live; exit 0 passed, 1 a check failed, 2 invalid, 130 interrupted."""
    from plbook.run import RunOptions, run_procedure
    from plbook.run.terminal import make_terminal

    if verbose and quiet:
        raise PlbookError("give -v or -q, not both")
    if from_step and only_step:
        raise PlbookError("give --from or --only, not both")
    options = RunOptions(
        environment=environment,
        inputs=_assignments("--input", inputs),
        dry_run=dry_run,
        yes=yes,
        manual=manual,
        from_step=from_step,
        only_step=only_step,
        resume=resume,
        report=report,
        junit=junit,
        evidence=evidence,
        # A person is there when stdin is a terminal, even if stdout goes to `tee`.
        interactive=sys.stdin.isatty(),
        runs_dir=_project().runs_dir,
        history=_project().history,
        confirm_env=confirm_env,
        step_by_step=step_by_step,
        variables=_assignments("--var", variables),
    )
    catalog = _follow_running_sandbox(_catalog_of_run(_procedures(path), procedure_id))
    terminal = make_terminal(verbosity=1 if verbose else -1 if quiet else 0)
    # Modules and the catalog live as long as the run: the collections it makes skip them.
    gc.freeze()
    outcome = run_procedure(catalog, procedure_id, options, terminal)
    sys.exit(outcome.exit_code)


@cli.command()
@click.argument("procedure_ids", nargs=-1, metavar="[ID]...")
@click.option("--all", "every", is_flag=True, help="Every procedure of the runbook.")
@click.option("--env", "environment", required=True, metavar="NAME", help="Environment to verify.")
@click.option(
    "--jobs", default=4, show_default=True, type=click.IntRange(1, 64), help="Runs at once."
)
@click.option(
    "--slot", metavar="KEY", help="The scheduler's slot (2026-12-01T06:00): one run per slot."
)
@click.option("--yes", is_flag=True, help="Run procedures with destructive steps too.")
@click.option("--path", type=click.Path(path_type=Path), help=PATH_HELP)
def verify(
    procedure_ids: tuple[str, ...],
    every: bool,
    environment: str,
    jobs: int,
    slot: str | None,
    yes: bool,
    path: Path | None,
) -> None:
    """Run procedures unattended, each its own run in the history; exit 1 if any failed.

    Procedures with destructive steps are skipped unless --yes; manual steps are recorded as
    skipped-unattended. A second firing of one --slot records nothing new.
    """
    from plbook.run import RunOptions
    from plbook.verify import verification_table, verify_procedures

    if every == bool(procedure_ids):
        raise PlbookError("plbook verify: give procedure ids or --all, not both or neither")
    catalog = _follow_running_sandbox(_catalog((_procedures(path),)))
    chosen = sorted(catalog.procedures) if every else list(dict.fromkeys(procedure_ids))
    for procedure_id in chosen:
        catalog.get(procedure_id)  # an unknown id is a user error before anything runs
    options = RunOptions(
        environment=environment,
        yes=yes,
        runs_dir=_project().runs_dir,
        history=_project().history,
    )
    rows = verify_procedures(catalog, chosen, options, jobs, slot)
    click.echo("\n".join(verification_table(rows)))
    sys.exit(1 if any(row.verdict == "failed" for row in rows) else 0)


def _assignments(flag: str, items: tuple[str, ...]) -> dict[str, str]:
    """Give `NAME=VALUE` items as a mapping, or a user error naming the flag."""
    given: dict[str, str] = {}
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise PlbookError(f"{flag} {item}: write NAME=VALUE")
        given[name] = value
    return given


def _follow_running_sandbox(catalog: Any) -> Any:
    """Give the catalog with its stand-in environments moved to the running sandbox's ports."""
    from plbook.sandbox.addresses import SANDBOX_API_VARIABLE
    from plbook.sandbox.ports import follow_text, running_sandbox_ports

    ports = running_sandbox_ports(_project().state_directory)
    if ports is None or catalog.environments is None:
        return catalog
    listed = catalog.environments.environments
    for name, environment in listed.items():
        if environment.stand_in_tools:
            listed[name] = environment.model_copy(
                update={
                    "values": {
                        k: follow_text(v, ports) if isinstance(v, str) else v
                        for k, v in environment.values.items()
                    },
                    "secrets": {
                        k: follow_text(v, ports) if v else v for k, v in environment.secrets.items()
                    },
                }
            )
    # The CLI stand-ins (railway, vercel, stripe) find the sandbox through this variable.
    os.environ.setdefault(SANDBOX_API_VARIABLE, ports.api_url)
    return catalog


def _sandbox_options(command: Any) -> Any:
    """Add the options that choose a sandbox's ports and faults."""
    for option in (
        click.option(
            "--fault",
            "faults",
            multiple=True,
            metavar="NAME",
            help="Inject a fault: db-down, slow-api, bad-webhook-secret, quota-desync, "
            "bad-deploy, bad-dashboard-deploy, dashboard-stuck-loading.",
        ),
        click.option(
            "--port-base",
            type=int,
            metavar="N",
            help="Listen on N (api), N+1 (dashboard), N+2 (stripe), N+3 (mongodb).",
        ),
        click.option(
            "--ports",
            metavar="api=N,dashboard=N,stripe=N,mongodb=N",
            help="Sandbox ports; unnamed ones keep their defaults (8787, 8788, 12111, 27117).",
        ),
    ):
        command = option(command)
    return command


def _sandbox_ports(faults: tuple[str, ...], ports: str | None, port_base: int | None) -> Any:
    """Give the chosen ports after checking the fault names."""
    from plbook.sandbox import UnknownFaultError
    from plbook.sandbox.faults import check_fault_names
    from plbook.sandbox.ports import choose_ports

    try:
        check_fault_names(faults)
    except UnknownFaultError as error:
        raise PlbookError(str(error)) from None
    return choose_ports(ports, port_base)


def _latency_ms(latency: str) -> int:
    """Give `--latency` in whole milliseconds, or stop with a one-line error."""
    from plbook.fields import parse_duration

    try:
        return round(parse_duration(latency) * 1000)
    except ValueError as error:
        raise PlbookError(f"--latency: {error}") from None


@cli.command()
@_sandbox_options
@click.option(
    "--latency",
    default="0ms",
    metavar="DURATION",
    help="Add this delay to every HTTP answer, e.g. 100ms (for benchmarks).",
)
def sandbox(
    faults: tuple[str, ...], ports: str | None, port_base: int | None, latency: str
) -> None:
    """Start the local PromptLens stand-in on loopback until Ctrl-C."""
    from plbook.sandbox import serve_sandbox

    chosen = _sandbox_ports(faults, ports, port_base)
    latency_ms = _latency_ms(latency)
    serve_sandbox(list(faults), chosen, _project().state_directory, latency_ms=latency_ms)


@cli.command()
@click.option("--port", default=8000, show_default=True, help="Port for the site on 127.0.0.1.")
@click.option("--no-serve", is_flag=True, help="Stop after the smoke tests (for CI).")
@_sandbox_options
def up(
    port: int, no_serve: bool, faults: tuple[str, ...], ports: str | None, port_base: int | None
) -> None:
    """The main job: build the site, start the sandbox, smoke-test it, serve the site.

    What it starts and proves comes from the project's configuration (plbook.yaml).
    """
    from plbook.up import MainJob, run_main_job

    job = MainJob(
        project=_project(),
        port=port,
        serve=not no_serve,
        faults=list(faults),
        ports=_sandbox_ports(faults, ports, port_base),
    )
    sys.exit(run_main_job(job))
