"""What every step kind shares: how it is shown on a page (StepView) and secret placeholders."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel

if TYPE_CHECKING:
    import httpx
    import pymongo

ModelT = TypeVar("ModelT", bound=BaseModel)

_SECRET_REF = re.compile(r"\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class StepView:
    """A step as a reader sees it: the exact action, its manual twin and implied pass criteria."""

    action: str
    language: str = "text"
    manual_equivalent: str | None = None
    criteria: list[str] = field(default_factory=list)


def with_secret_placeholders(text: str) -> str:
    """Give `text` with every `{{ secrets.NAME }}` shown as the shell variable `$NAME`."""
    return _SECRET_REF.sub(lambda m: "$" + m.group(1), text)


# --- running a step: what the executor gives a kind's `run()` ---------------------------------


class StepFailed(Exception):
    """The step could not do its work (target down, timeout, refused key); the message says what."""

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.result = result or {}


class StepSkipped(Exception):
    """The step was deliberately not carried out (a manual step answered skip)."""

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.result = result or {}


class StepRuntime(Protocol):
    """What a step kind's `resolve()` and `run()` receive from the executor.

    The kinds know the model and `expr`, never the executor: this is the whole of what
    they may ask of it. Clients are shared for the run, so repeated checks reuse connections.
    """

    timeout: float
    """Seconds the step may take (the step's `timeout`, else the default)."""

    def render(self, value: Any, *, shell: bool = False) -> Any:
        """Give `value` with every `{{ }}` filled in from the run (shell-quoted when `shell`)."""

    def env_value(self, name: str) -> Any:
        """Give the chosen environment's value `name` (`name` is the environment's own name)."""

    def secret(self, name: str) -> str | None:
        """Give a secret's value, or None when it is not set."""

    def http_client(self) -> httpx.Client:
        """Give the run's HTTP client."""

    def mongo_client(self, uri: str) -> pymongo.MongoClient[dict[str, Any]]:
        """Give the run's MongoDB client for `uri`, with timeouts from the step's."""

    def subprocess_environment(self) -> dict[str, str]:
        """Give the environment variables a shell step runs with."""

    def ask_manual(self, instruction: str) -> str:
        """Give a person's answer to a manual step: pass, fail or skip."""

    def show_message(self, text: str) -> None:
        """Show a rendered message to the person running the procedure."""

    def run_procedure(self, procedure_id: str, inputs: dict[str, Any]) -> bool:
        """Run another procedure inline with these inputs; give whether every check passed."""


def resolve_model(spec: ModelT, runtime: StepRuntime) -> ModelT:
    """Give a spec model with every `{{ }}` in its fields filled in."""
    rendered = runtime.render(spec.model_dump(by_alias=True))
    return type(spec).model_validate(rendered)
