"""The step kinds: one module each behind the contract of `plbook.steps.base`, registered here.

A new kind is one new module plus one line in STEP_KINDS.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, create_model, model_validator

from plbook import expr
from plbook.fields import Identifier, Name, Prose, Size, Strict, Wait
from plbook.steps import browser, http, manual, message, mongo, procedure, shell, stripe
from plbook.steps.base import StepKind

STEP_KINDS: dict[str, StepKind[Any]] = {
    kind.name: kind
    for kind in (
        manual.KIND,
        shell.KIND,
        http.KIND,
        mongo.KIND,
        stripe.KIND,
        browser.KIND,
        procedure.KIND,
        message.KIND,
    )
}


class Retry(Strict):
    """Poll until every expectation holds, within a number of attempts or a time budget."""

    attempts: int | None = Field(None, gt=0, description="Most attempts, the first included.")
    timeout: Wait | None = Field(None, description="Time budget for all attempts.")
    interval: Wait = Field(2.0, description="Pause between attempts.")

    @model_validator(mode="after")
    def _has_budget(self) -> Retry:
        if self.attempts is None and self.timeout is None:
            raise ValueError(
                "give `attempts` or `timeout` (or both), e.g. {timeout: 2m, interval: 5s}"
            )
        return self


class NextProcedure(Strict):
    """A procedure to run next when a condition over the failed step's `result` holds."""

    when: str | None = Field(
        None,
        description="Expression over the failed step's `result` (and inputs, env, vars); "
        "without it the entry always applies.",
    )
    run: Identifier = Field(description="Procedure to run next when `when` holds.")


class FailureGuidance(Strict):
    """What to tell and what to do when the step fails."""

    hint: Prose | None = Field(None, description="What to check or do next, in words.")
    run: Identifier | list[NextProcedure] | None = Field(
        None,
        description="Procedure to run next (offered, or named in CI), or a list of "
        "`{when: EXPR, run: ID}` of which the first whose condition holds is chosen.",
    )
    then: Literal["abort", "continue"] = Field("abort", description="Stop the run, or go on.")

    @property
    def choices(self) -> list[NextProcedure]:
        """Give the procedures to run next, each with its condition (None: always)."""
        if self.run is None:
            return []
        if isinstance(self.run, str):
            return [NextProcedure(when=None, run=self.run)]
        return list(self.run)

    def chosen(self, names: Mapping[str, Any]) -> str | None:
        """Give the procedure to run next for a failure whose names (`result`...) are these."""
        for choice in self.choices:
            if choice.when is None:
                return choice.run
            try:
                if expr.evaluate(choice.when, dict(names)):
                    return choice.run
            except expr.ExpressionError:
                continue  # a result without the field read: this condition does not hold
        return None


def _guidance_from_word(value: Any) -> Any:
    if value in ("abort", "continue"):
        return {"then": value}
    if isinstance(value, str):
        raise ValueError(f"'{value}' is not abort, continue or a mapping {{hint, run, then}}")
    return value


OnFailure = Annotated[
    FailureGuidance,
    BeforeValidator(
        _guidance_from_word, json_schema_input_type=Literal["abort", "continue"] | FailureGuidance
    ),
]


class StepBase(Strict):
    """What every step has, whatever its kind."""

    id: Identifier = Field(description="Stable id, used in anchors (#step-ID), --from and --only.")
    title: Prose = Field(description="What the step checks or does, as a heading.")
    description: Prose | None = Field(None, description="More words for the page.")
    expect: list[str] = Field(
        default_factory=list, description="Expressions over `result` that must all hold."
    )
    save: dict[Name, str] = Field(
        default_factory=dict, description="Values kept for later steps as `vars.NAME`."
    )
    retry: Retry | None = Field(None, description="Poll until the expectations hold.")
    timeout: Wait | None = Field(None, description="Longest the step may take.")
    max_output: Size | None = Field(
        None,
        description="Most bytes of a response body, or of each output stream of a command, "
        "the step keeps (default 10MiB).",
    )
    on_failure: OnFailure = Field(
        default_factory=lambda: FailureGuidance.model_validate({}),
        description="abort (default), continue, or {hint, run, then}.",
    )
    destructive: bool = Field(
        False, description="Changes something: never runs without an explicit yes."
    )
    when: str | None = Field(
        None,
        description="Expression over inputs, env and vars: the step runs only if it holds "
        "(otherwise it is skipped: condition false).",
    )

    # Kept once asked: the step loop, the journal and the page ask for it many times.
    @cached_property
    def kind(self) -> str:
        """Give the name of the step's kind (`http`, `shell`, ...)."""
        return next(name for name in STEP_KINDS if getattr(self, name) is not None)

    @property
    def kind_contract(self) -> StepKind[Any]:
        """Give the step's kind: what describes, resolves and runs it."""
        return STEP_KINDS[self.kind]

    @property
    def spec(self) -> Any:
        """Give the kind-specific part of the step."""
        return getattr(self, self.kind)

    @property
    def expectations(self) -> list[str]:
        """Give the expectations that decide the verdict: written ones, else the kind's default."""
        return self.expect or list(self.kind_contract.default_expect)

    @property
    def called_procedure(self) -> str | None:
        """Give the id of the procedure this step runs, if it runs one."""
        return self.kind_contract.called_procedure(self.spec)

    @model_validator(mode="after")
    def _one_kind(self) -> StepBase:
        kinds = [name for name in STEP_KINDS if getattr(self, name) is not None]
        if len(kinds) != 1:
            found = " and ".join(kinds) if kinds else "none"
            raise ValueError(
                f"a step is exactly one kind of {', '.join(STEP_KINDS)}; found {found}: "
                "keep exactly one of these keys"
            )
        writes = self.kind_contract.writes(self.spec)
        if writes and not self.destructive:
            raise ValueError(writes)
        return self


def _kind_summary(kind: Any) -> str:
    """Give the first line of a step kind's module docstring: what the kind does."""
    module = sys.modules[type(kind).__module__]
    return (module.__doc__ or module.__name__).strip().splitlines()[0]


if TYPE_CHECKING:
    # To the type checker a step is what every step has; its kind keys are made below.
    Step = StepBase
else:
    Step = create_model(
        "Step",
        __base__=StepBase,
        __doc__="One step: the common fields plus exactly one kind key.",
        **{
            name: (kind.spec_type | None, Field(None, description=_kind_summary(kind)))
            for name, kind in STEP_KINDS.items()
        },
    )
