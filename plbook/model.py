"""The procedure format as pydantic models: the one definition of what a procedure may say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PrivateAttr, field_validator

from plbook.fields import Duration, Identifier, Name, Prose, Strict
from plbook.steps import Step, StepBase

Category = Literal[
    "checklist", "smoke-test", "troubleshooting", "rollback", "cadence", "incident", "communication"
]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]


class Input(Strict):
    """A value given at run time with `--input NAME=VALUE`."""

    description: Prose = Field(
        "", description="What the value is, shown on the page and in --help."
    )
    required: bool = Field(False, description="The run refuses to start without it.")
    default: str | int | float | bool | None = Field(
        None, description="The value when `--input` does not give one."
    )
    pattern: str | None = Field(None, description="Regular expression the value must match.")
    example: str | None = Field(None, description="A value to show on the page.")

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"not a regular expression ({error}); fix or quote it") from None
        return pattern


class Requires(Strict):
    """What must be in place before step 1 runs."""

    tools: list[str] = Field(default_factory=list, description="Commands that must be on PATH.")
    secrets: list[Name] = Field(
        default_factory=list,
        description="Environment variables holding credentials; always masked.",
    )


def _without_default(schema: dict[str, Any]) -> None:
    """Leave the default out of the schema: an id is optional in a file, set once loaded."""
    schema.pop("default", None)


class Procedure(Strict):
    """One procedure: what it is for, what it needs, and its steps in order."""

    # Always set once loaded: the loader gives every procedure its file's name as its id.
    id: Identifier = Field(
        "",
        description="Optional; must equal the file name without .yaml.",
        json_schema_extra=_without_default,
    )
    title: Prose = Field(description="What the procedure does, as the page's heading.")
    summary: Prose = Field(description="One sentence under the title; the page's description.")
    category: Category = Field(description="Where it is listed: one of the seven categories.")
    services: list[str] = Field(default_factory=list, description="The services it touches.")
    tags: list[str] = Field(default_factory=list, description="Tag pages and `plbook list --tag`.")
    estimated_time: Duration | None = Field(None, description="How long a run takes, e.g. 5m.")
    verify_every: Duration | None = Field(
        None,
        description=(
            "How fresh its last passing run must be, e.g. 7d; older, its page says stale. "
            "Default: the category's `verify_every` in the project configuration."
        ),
    )
    when: list[Prose] = Field(default_factory=list, description="When to reach for it.")
    symptoms: list[Prose] = Field(
        default_factory=list, description="What the on-call engineer sees."
    )
    requires: Requires = Field(
        default_factory=Requires, description="Tools and secrets checked before step 1."
    )
    inputs: dict[Name, Input] = Field(
        default_factory=dict, description="Values given with `--input NAME=VALUE`."
    )
    see_also: list[Identifier] = Field(default_factory=list, description="Related procedures.")
    steps: Annotated[  # type: ignore[valid-type]
        list[Step], Field(min_length=1, description="The steps, run and shown in order.")
    ]

    _source: str = PrivateAttr("")

    @property
    def source(self) -> str:
        """Give the file the procedure was loaded from."""
        return self._source

    def step(self, step_id: str) -> StepBase:
        """Give the step with this id."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


def _names_to_mapping(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return {name: None for name in value}
    return value


class Environment(Strict):
    """A place procedures run against: plain values and the names of the secrets it needs."""

    description: Prose = Field("", description="What the environment is, in words.")
    values: dict[Name, str | int | float | bool] = Field(
        default_factory=dict, description="Plain values, read as `{{ env.NAME }}`."
    )
    secrets: Annotated[
        dict[Name, str | None],
        BeforeValidator(
            _names_to_mapping, json_schema_input_type=list[str] | dict[str, str | None]
        ),
    ] = Field(
        default_factory=dict,
        description="Secret names; a mapping may give a default (only for local stand-ins).",
    )
    stand_in_tools: bool = Field(
        False, description="Put the sandbox's stand-ins for railway, vercel and stripe on PATH."
    )
    confirm: bool = Field(False, description="Ask before any run against it, even read-only.")

    def tool_directories(self) -> list[Path]:
        """Give the folders put first on PATH for runs against it: the stand-ins, when asked."""
        if not self.stand_in_tools:
            return []
        from plbook.sandbox.tools import stand_in_tools_directory

        return [stand_in_tools_directory()]

    @field_validator("values")
    @classmethod
    def _name_is_reserved(cls, values: dict[str, Any]) -> dict[str, Any]:
        if "name" in values:
            raise ValueError("`name` is reserved: `{{ env.name }}` is the environment's own name")
        return values


class EnvironmentsFile(Strict):
    """`procedures/environments.yaml`: every environment and which one runs by default."""

    default: str = Field("sandbox", description="The environment used when --env is not given.")
    environments: dict[Identifier, Environment] = Field(
        description="Every environment by name (production, staging, sandbox, ...)."
    )
