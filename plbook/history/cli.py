"""`plbook history`: list runs, show one run's timeline, push local journals to MongoDB."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from plbook.errors import PlbookError
from plbook.fields import parse_duration
from plbook.history.setting import history_uri, open_store, retention_seconds
from plbook.history.store import HistoryStore, RunQuery

if TYPE_CHECKING:
    from plbook.config import ProjectConfig

_LIST = "list"


class _HistoryGroup(click.Group):
    """A group whose bare form lists runs: `plbook history [ID] [--env NAME]…` means `… list …`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = [_LIST, *args]
        return super().parse_args(ctx, args)


@click.group(cls=_HistoryGroup)
def history() -> None:
    """Runs kept in the history: local journals, or MongoDB when PLBOOK_HISTORY names one.

    `plbook history [ID] [--env NAME] [--since 7d]` lists runs (the `list` command).
    """


def _project() -> ProjectConfig:
    from plbook.config import project

    return project()


def _open_store() -> HistoryStore:
    """Give the project's history store: `PLBOOK_HISTORY`, else its `history:` setting."""
    config = _project()
    return open_store(config.runs_dir, history_uri(config.history))


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.now(timezone.utc) - timedelta(seconds=parse_duration(value))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise PlbookError(
            f"--since {value}: write a duration (7d, 12h) or a date (2026-11-30)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _store_call(call: Any) -> Any:
    """Give what a store call gives; an unreachable MongoDB is a one-line error, not a traceback."""
    from pymongo.errors import PyMongoError

    try:
        return call()
    except PyMongoError as error:
        first_line = (str(error).splitlines() or [""])[0][:200]
        raise PlbookError(
            f"history: MongoDB did not answer ({type(error).__name__}: {first_line})"
        ) from None


@history.command(name=_LIST)
@click.argument("procedure_id", required=False)
@click.option("--env", "environment", metavar="NAME", help="Only runs against this environment.")
@click.option(
    "--since", metavar="AGE|DATE", help="Only runs started within AGE (7d) or since DATE."
)
@click.option(
    "--limit", default=20, show_default=True, type=click.IntRange(min=1), help="At most N runs."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_runs(
    procedure_id: str | None, environment: str | None, since: str | None, limit: int, as_json: bool
) -> None:
    """List runs, newest first: when, procedure, environment, verdict, duration, who, run id."""
    from plbook.history.timeline import as_json as run_json
    from plbook.history.timeline import runs_table

    query = RunQuery(procedure_id, environment, _since(since), limit)
    store = _open_store()
    try:
        runs = _store_call(lambda: store.runs(query))
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps([run_json(run) for run in runs], indent=2, default=str))
    elif not runs:
        click.echo(f"no runs in {store.where} match", err=True)
    else:
        click.echo("\n".join(runs_table(runs)))


@history.command()
@click.argument("run_id", metavar="RUN")
@click.option("--json", "as_json", is_flag=True, help="Print the run's events as JSON lines.")
def show(run_id: str, as_json: bool) -> None:
    """Print a run's timeline: steps, attempts, answers, confirmations, failures."""
    from plbook.history.timeline import run_timeline

    store = _open_store()
    try:
        events = _store_call(lambda: store.events(run_id))
    finally:
        store.close()
    if as_json:
        click.echo("\n".join(json.dumps(e, ensure_ascii=False) for e in events))
    elif not events or events[0].get("event") != "run-started":
        raise PlbookError(
            f"run '{run_id}' in {store.where} has no run-started event; nothing to show"
        )
    else:
        click.echo("\n".join(run_timeline(events)))


@history.command()
@click.option(
    "--runs-dir",
    type=click.Path(path_type=Path),
    help="Where the journals are (default: the project's, .plbook/runs).",
)
def push(runs_dir: Path | None) -> None:
    """Upload the events the MongoDB history lacks from local journals; again adds nothing."""
    config = _project()
    uri = history_uri(config.history)
    if uri is None:
        raise PlbookError("plbook history push: set PLBOOK_HISTORY=mongodb://HOST/DATABASE first")
    from plbook.history.local import LocalStore
    from plbook.history.mongo import MongoStore
    from plbook.history.push import push_journals

    remote = MongoStore(uri, retention_seconds())
    try:
        result = _store_call(lambda: push_journals(LocalStore(runs_dir or config.runs_dir), remote))
    finally:
        remote.close()
    for problem in result.unreadable:
        click.echo(f"warning: {problem}", err=True)
    click.echo(f"pushed {result.events} events of {result.runs} runs to {remote.where}", err=True)
