"""A procedure as plain terminal text: what `plbook show` prints."""

from __future__ import annotations

import textwrap

from plbook.fields import format_duration
from plbook.model import Procedure


def render_procedure_text(procedure: Procedure) -> str:
    """Give the procedure as readable text, steps numbered and commands exact."""
    out: list[str] = [procedure.title, "=" * len(procedure.title), procedure.summary, ""]
    facts = [f"id: {procedure.id}", f"category: {procedure.category}"]
    if procedure.services:
        facts.append("services: " + ", ".join(procedure.services))
    if procedure.estimated_time:
        facts.append(f"time: {format_duration(procedure.estimated_time)}")
    out += ["  ".join(facts), ""]
    for heading, items in (("When", procedure.when), ("Symptoms", procedure.symptoms)):
        if items:
            out += [f"{heading}:"] + [f"  - {item}" for item in items] + [""]
    requires = procedure.requires
    if requires.tools or requires.secrets:
        out.append(
            "Requires: "
            + ", ".join(
                [f"tool {t}" for t in requires.tools] + [f"secret {s}" for s in requires.secrets]
            )
        )
    for name, spec in procedure.inputs.items():
        need = "required" if spec.required else f"default {spec.default!r}"
        out.append(f"Input {name} ({need}): {spec.description}")
    out += [f"Run: plbook run {procedure.id}", ""]
    for number, step in enumerate(procedure.steps, 1):
        marker = "  [DESTRUCTIVE]" if step.destructive else ""
        out.append(f"{number}. {step.title}  ({step.kind}, #{step.id}){marker}")
        if step.when:
            out.append(f"   only if: {step.when}")
        if step.description:
            out += textwrap.indent(step.description.strip(), "   ").splitlines()
        view = step.kind_contract.describe(step.spec)
        out += textwrap.indent(view.action, "     ").splitlines()
        for expectation in step.expectations:
            out.append(f"   pass if: {expectation}")
        if step.retry:
            budget = [f"{step.retry.attempts} attempts"] if step.retry.attempts else []
            if step.retry.timeout:
                budget.append(f"up to {format_duration(step.retry.timeout)}")
            every = format_duration(step.retry.interval)
            out.append(f"   retry: {', '.join(budget)}, every {every}")
        if step.on_failure.hint:
            out.append(f"   on failure: {step.on_failure.hint}")
        for choice in step.on_failure.choices:
            condition = f" (if {choice.when})" if choice.when else ""
            out.append(f"   next: plbook run {choice.run}{condition}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
