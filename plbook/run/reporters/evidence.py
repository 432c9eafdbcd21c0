"""Markdown evidence for an incident folder: `incidents/<date>-<procedure>/run.md`.

The runbook keeps incident evidence in git as `incidents/2024-01-15-database-outage/`;
a run's evidence goes in the same shape, next to logs, screenshots and the postmortem.
"""

from __future__ import annotations

import json
from pathlib import Path

from plbook.fields import format_duration
from plbook.records import RunRecord, StepRecord, failure_lines
from plbook.run.reporters.files import write_replacing
from plbook.steps import STEP_KINDS

SYMBOLS = {
    "passed": "✅ passed",
    "failed": "❌ failed",
    "skipped": "⏭️ skipped",
    "interrupted": "⏹️ interrupted",
    "not_run": "not run",
}
LONGEST_OUTPUT = 20_000


def evidence_markdown(run: RunRecord) -> str:
    """Give the run as Markdown: what ran, against what, each verdict with what was seen."""
    lines = [
        f"# {run.title}",
        "",
        f"- Procedure: `{run.procedure}`",
        f"- Run: `{run.run_id}`",
        f"- Environment: `{run.environment}`",
        f"- Started: {run.started_at}",
        f"- Finished: {run.finished_at} ({_took(run.duration_ms)})",
        f"- Result: **{run.status}**",
    ]
    if run.operator:
        lines.append(f"- Operator: {run.operator.get('user')} on {run.operator.get('host')}")
    if run.command_line:
        lines.append(f"- Command: `{run.command_line}`")
    if run.plbook_version:
        lines.append(f"- plbook: {run.plbook_version}")
    for resume in run.resumes:
        who = resume.get("operator", {})
        lines.append(
            f"- Resumed: {resume['at']} by {who.get('user')} on {who.get('host')} "
            f"at step `{resume.get('from')}`"
        )
    if run.inputs:
        lines.append("- Inputs: " + ", ".join(f"`{k}={v}`" for k, v in run.inputs.items()))
    if run.next_procedure:
        lines.append(f"- Next procedure: `plbook run {run.next_procedure}`")
    for also in run.also_procedures:
        lines.append(f"- Also suggested: `plbook run {also}`")
    lines += ["", "| Step | Title | Result |", "|---|---|---|"]
    for step in run.steps:
        lines.append(f"| `{step.path}` | {_cell(step.title)} | {SYMBOLS[step.status]} |")
    lines += _answers(run) + _timeline(run)
    for step in run.steps:
        lines += _step_section(step)
    return "\n".join(lines) + "\n"


def _answers(run: RunRecord) -> list[str]:
    """Give the answers table: every confirmation and manual verdict, who gave it and how."""
    if not run.answers:
        return []
    lines = ["", "## Answers", "", "| When | Step | Question | Answer | By | Interactive |"]
    lines.append("|---|---|---|---|---|---|")
    for answer in run.answers:
        typed = "yes" if answer.given_by.startswith("person") else f"no ({answer.given_by})"
        lines.append(
            f"| {answer.at} | `{answer.path or '-'}` | {_cell(answer.question)} | "
            f"{_cell(answer.answer)} | {_cell(answer.user)} | {_cell(typed)} |"
        )
    return lines


def _timeline(run: RunRecord) -> list[str]:
    """Give the timeline: every start, resume, attempt, verdict and answer, in order."""
    lines = ["", "## Timeline", ""]
    for moment in run.timeline:
        where = f" `{moment.path}`" if moment.path else ""
        lines.append(f"- {moment.at}{where}: {_cell(moment.what)}")
    return lines


def _took(milliseconds: float) -> str:
    return format_duration(max(milliseconds, 1) / 1000)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _step_section(step: StepRecord) -> list[str]:
    verdict = f"Result: {SYMBOLS[step.status]}"
    if step.finished_at:
        verdict += f" at {step.finished_at}"
    if step.attempts > 1:
        verdict += f" after {step.attempts} attempts"
    lines = ["", f"## {step.path}: {step.title}", "", verdict]
    if step.action:
        lines += ["", "```", step.action, "```"]
    explanation = failure_lines(step)
    if explanation:
        lines += ["", "```text", *explanation, "```"]
    return lines + _seen(step)


def _seen(step: StepRecord) -> list[str]:
    """Give what the step saw: text the kind shows as is, its output, and the result as JSON."""
    if not step.result:
        return []
    kind = STEP_KINDS.get(step.kind)
    shown = kind.evidence_text(step.result) if kind else None
    if shown is not None:
        heading, text = shown
        return ["", f"{heading}:", "", "```text", text, "```"]
    printed = kind.output_text(step.result) if kind else None
    output = ["", "Output:", "", "```text", _capped(printed.rstrip("\n")), "```"] if printed else []
    return output + _result_details(step)


def _capped(text: str) -> str:
    """Give text cut to the longest the evidence keeps."""
    if len(text) > LONGEST_OUTPUT:
        return text[:LONGEST_OUTPUT] + "\n... (cut; the full result is in the run journal)"
    return text


def _result_details(step: StepRecord) -> list[str]:
    """Give the step's whole result as JSON, folded away under "What was seen"."""
    text = _capped(json.dumps(step.result, indent=2, ensure_ascii=False, default=str))
    return [
        "",
        "<details><summary>What was seen</summary>",
        "",
        "```json",
        text,
        "```",
        "",
        "</details>",
    ]


def write_evidence(run: RunRecord, directory: Path) -> Path:
    """Write `run.md` under `<directory>/<date>-<procedure>/`; give its path.

    A second run of the same procedure on the same day gets `run-2.md`, so no evidence is
    overwritten; a resumed run rewrites its own file.
    """
    folder = directory / f"{run.started_at[:10]}-{run.procedure}"
    folder.mkdir(parents=True, exist_ok=True)
    number = 1
    while True:
        path = folder / ("run.md" if number == 1 else f"run-{number}.md")
        if not path.exists() or f"`{run.run_id}`" in path.read_text(encoding="utf-8"):
            break
        number += 1
    return write_replacing(path, evidence_markdown(run))
