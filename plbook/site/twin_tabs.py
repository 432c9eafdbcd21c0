"""What a procedure page shows per environment tab: resolved actions, manual twins, exports.

Every block a reader may copy is filled in for its environment; what the reader supplies is a
shell variable (`$EMAIL`, `$MONGODB_URI`), never a value. What cannot be filled in for an
environment says so in words instead of showing a `{{ }}` to paste.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plbook.model import EnvironmentsFile, Procedure
from plbook.site.glance import environment_names
from plbook.twins import ProcedureTwins, export_text, procedure_twins


@dataclass(frozen=True)
class StepTabs:
    """One step's blocks per environment (environment name to text, in tab order)."""

    actions: dict[str, str] = field(default_factory=dict)
    twins: dict[str, str] = field(default_factory=dict)
    not_exact: dict[str, str] = field(default_factory=dict)
    """Environment name to why its twin cannot be exact."""
    unresolved: list[str] = field(default_factory=list)
    """Environments whose values cannot fill in this step."""


@dataclass(frozen=True)
class PageTabs:
    """A page's per-environment blocks: the exports to set first, and each step's blocks."""

    exports: dict[str, str]
    steps: dict[str, StepTabs]


def page_tabs(procedure: Procedure, environments: EnvironmentsFile | None) -> PageTabs:
    """Give every environment's exports and step blocks for a procedure's page."""
    listed = environments.environments if environments else {}
    by_environment: dict[str, ProcedureTwins] = {
        name: procedure_twins(procedure, name, listed[name])
        for name in environment_names(environments)
    }
    exports = {
        name: export_text(twins.exports) for name, twins in by_environment.items() if twins.exports
    }
    steps = {step.id: StepTabs() for step in procedure.steps}
    for name, twins in by_environment.items():
        for twin in twins.steps:
            tabs = steps[twin.step.id]
            if twin.action is None:
                tabs.unresolved.append(name)
                continue
            tabs.actions[name] = twin.action
            if twin.twin is not None:
                kept = [f"# keeps vars.{var}\n{line}" for var, line in twin.setters.items()]
                tabs.twins[name] = "\n".join([twin.twin.command, *kept])
                if twin.twin.not_exact:
                    tabs.not_exact[name] = twin.twin.not_exact
    return PageTabs(exports, steps)
