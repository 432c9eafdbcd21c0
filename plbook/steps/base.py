"""The step-kind contract: what every kind declares, and what the executor gives it to run.

A kind is one subclass of `StepKind` in one module; the registry in `plbook.steps` lists them.
Everything about a kind (its spec, its page, its manual twin, how it runs, the clients it
opens, the secrets it implies, whether it writes) is answered by the kind itself, so the
executor, the site and the linter never name one. A kind imports its client library (httpx,
pymongo, stripe...) inside `run()` or the function that opens its resource, so that
`plbook --help` and `plbook validate` stay quick.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel

from plbook import expr
from plbook.steps.twin import Twin, TwinContext, TwinJson

SpecT = TypeVar("SpecT")
ModelT = TypeVar("ModelT", bound=BaseModel)
ResourceT = TypeVar("ResourceT")
UNATTENDED = "unattended"
"""The answer to a manual step when nobody is there to give one (`plbook verify`)."""


@dataclass(frozen=True)
class StepView:
    """A step as a reader sees it: the exact action, its manual twin and implied pass criteria."""

    action: str
    language: str = "text"
    manual_equivalent: str | None = None
    criteria: list[str] = field(default_factory=list)
    heading: str = "Runs"
    """The words above the action on the page (`Runs:`, `Message:`)."""
    checklist: bool = False
    """Shown as a checklist item for a person to tick, not as a code block."""


def with_secret_placeholders(text: str) -> str:
    """Give `text` with every `{{ secrets.NAME }}` shown as the shell variable `$NAME`."""
    return expr.replace_secret_references(text, lambda name: "$" + name)


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
    they may ask of it.
    """

    timeout: float
    """Seconds one attempt of the step may take (the step's `timeout`, else the default)."""

    output_limit: int
    """Most bytes of a response body or of each output stream a step keeps (`max_output`)."""

    @property
    def deadline(self) -> float:
        """Give the `time.monotonic()` moment by which the current attempt must end."""

    def remaining(self) -> float:
        """Give the seconds left before the attempt's deadline (never below zero)."""

    def render(
        self, value: Any, *, shell: bool = False, overrides: Mapping[str, Any] | None = None
    ) -> Any:
        """Give `value` with every `{{ }}` filled in from the run (shell-quoted when `shell`).

        `overrides` replaces names the expressions read (`inputs`), for this rendering only.
        """

    def input_values(self) -> Mapping[str, Any]:
        """Give the inputs of the procedure the step belongs to."""

    def holds_secret(self, text: str) -> bool:
        """Tell whether `text` contains the value of a secret of the run (in any form masked)."""

    def env_value(self, name: str) -> Any:
        """Give the chosen environment's value `name` (`name` is the environment's own name)."""

    def secret(self, name: str) -> str | None:
        """Give a secret's value, or None when it is not set."""

    def resource(self, key: Hashable, open_resource: Callable[[], ResourceT]) -> ResourceT:
        """Give the run's resource under `key`, opened by `open_resource` on first use.

        The run closes it at its end: a context manager is exited, else its `close()` called.
        """

    def evidence_path(self, name: str) -> Path:
        """Give where the step saves a file kept with the run's evidence (a screenshot).

        The folder exists; the file name joins the step's path and `name`, so `name` should be
        the kind's own word or the author's, never a filled-in value.
        """

    def subprocess_environment(self) -> dict[str, str]:
        """Give the environment variables a subprocess of the step runs with."""

    def ask_manual(self, instruction: str) -> str:
        """Give a person's answer to a manual step: pass, fail or skip; UNATTENDED if none."""

    def show_message(self, text: str) -> None:
        """Show a rendered message to the person running the procedure."""

    def show_output(self, line: str) -> None:
        """Show a line the step printed, as it prints it (a long command's progress)."""

    def run_procedure(self, procedure_id: str, inputs: dict[str, Any]) -> bool:
        """Run another procedure inline with these inputs; give whether every check passed."""


class StepKind(Generic[SpecT]):
    """One kind of step: declared attributes plus the methods the core calls, nothing more."""

    name: ClassVar[str]
    """The key that names the kind in a procedure file (`http:`)."""
    label: ClassVar[str]
    """What the page calls a step of this kind."""
    spec_type: ClassVar[Any]
    """The kind's `Spec`: the type of its part of a step (a pydantic model, or `str`)."""
    default_expect: ClassVar[tuple[str, ...]] = ()
    """Expectations that decide the verdict when a step writes none."""
    result_words: ClassVar[Mapping[str, str]] = {}
    """What each `result` field means in words, for pass criteria (`count`: documents)."""
    result_part_words: ClassVar[Mapping[str, str]] = {}
    """How a part inside a `result` field reads, `{part}` its name: "`{part}` in the JSON body"."""
    page_language: ClassVar[str | None] = None
    """The page's highlighting for the action, when it differs from the view's language."""
    asks_a_person: ClassVar[bool] = False
    """Its verdict is a person's answer (a manual check): no flag but `--manual` gives it."""

    def describe(self, spec: SpecT) -> StepView:
        """Give what the page shows for a spec, with `{{ }}` parts as written."""
        raise NotImplementedError

    def resolve(self, spec: SpecT, runtime: StepRuntime) -> SpecT:
        """Give the spec with every `{{ }}` value filled in."""
        raise NotImplementedError

    def run(self, spec: SpecT, runtime: StepRuntime) -> dict[str, Any]:
        """Do the step once with a resolved spec; give its `result` (StepFailed when it cannot)."""
        raise NotImplementedError

    def action_line(self, spec: SpecT) -> str:
        """Give the action logged, confirmed and reported for a resolved spec."""
        return self.describe(spec).action

    def twin(self, spec: SpecT, context: TwinContext) -> Twin | None:
        """Give the line a person types to do the same by hand, or None when there is none.

        `spec` is resolved for one environment by a `TwinRuntime`: what the person supplies
        (inputs, secrets, saved vars, `now`) is left as placeholders for the kind to write.
        """
        return None

    def twin_json(self, spec: SpecT, context: TwinContext) -> TwinJson | None:
        """Give the twin as a command that prints JSON, so a later step's var can be kept."""
        return None

    def twin_result(self, spec: SpecT, output: str) -> dict[str, Any]:
        """Give the step's `result` from what its twin printed, so its expectations can judge it."""
        raise NotImplementedError

    def implied_secrets(self, spec: SpecT) -> set[str]:
        """Give the secrets a spec uses without naming them in a `{{ }}`."""
        return set()

    def writes(self, spec: SpecT) -> str | None:
        """Give why a spec changes data (the message asks for `destructive: true`), else None."""
        return None

    def called_procedure(self, spec: SpecT) -> str | None:
        """Give the id of the procedure a spec runs, or None."""
        return None

    def called_inputs(self, spec: SpecT) -> Mapping[str, Any]:
        """Give the inputs a spec gives the procedure it runs."""
        return {}

    def output_text(self, result: Mapping[str, Any]) -> str | None:
        """Give what the step printed, shown under it in the terminal and the evidence, or None."""
        return None

    def evidence_text(self, result: Mapping[str, Any]) -> tuple[str, str] | None:
        """Give a heading and text the evidence shows as is (a message sent), else None."""
        return None

    def shown_files(self, result: Mapping[str, Any]) -> list[str]:
        """Give the files of a passed step's `result` its page shows from the last verified run.

        Names of files the step saved with `StepRuntime.evidence_path` (a screenshot), in the
        run's files folder; the site copies those it finds and shows them under the step.
        """
        return []

    def readiness_problems(self, spec: SpecT, environment: Mapping[str, Any]) -> list[str]:
        """Give what this environment lacks for a spec to run (checked before step 1)."""
        return []


def resolve_model(spec: ModelT, runtime: StepRuntime) -> ModelT:
    """Give a spec model with every `{{ }}` in its fields filled in."""
    rendered = runtime.render(spec.model_dump(by_alias=True))
    return type(spec).model_validate(rendered)
