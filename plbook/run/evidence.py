"""Markdown evidence for an incident folder: `incidents/<date>-<procedure>/run.md`.

The runbook keeps incident evidence in git as `incidents/2024-01-15-database-outage/`;
a run's evidence goes in the same shape, next to logs, screenshots and the postmortem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plbook.fields import format_duration

SYMBOLS = {
    "passed": "✅ passed",
    "failed": "❌ failed",
    "skipped": "⏭️ skipped",
    "interrupted": "⏹️ interrupted",
    "not_run": "not run",
}
LONGEST_OUTPUT = 20_000


def evidence_markdown(report: dict[str, Any]) -> str:
    """Give the run as Markdown: what ran, against what, each verdict with what was seen."""
    lines = [
        f"# {report['title']}",
        "",
        f"- Procedure: `{report['procedure']}`",
        f"- Run: `{report['run_id']}`",
        f"- Environment: `{report['environment']}`",
        f"- Started: {report['started_at']}",
        f"- Finished: {report['finished_at']} ({_took(report['duration_ms'])})",
        f"- Result: **{report['status']}**",
    ]
    if report["inputs"]:
        lines.append("- Inputs: " + ", ".join(f"`{k}={v}`" for k, v in report["inputs"].items()))
    if report["next_procedure"]:
        lines.append(f"- Next procedure: `plbook run {report['next_procedure']}`")
    for problem in report["problems"]:
        lines.append(f"- Not started: {problem}")
    lines += ["", "| Step | Title | Result |", "|---|---|---|"]
    for step in report["steps"]:
        lines.append(f"| `{step['path']}` | {_cell(step['title'])} | {SYMBOLS[step['status']]} |")
    for step in report["steps"]:
        lines += _step_section(step)
    return "\n".join(lines) + "\n"


def _took(milliseconds: float) -> str:
    return format_duration(max(milliseconds, 1) / 1000)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _step_section(step: dict[str, Any]) -> list[str]:
    lines = ["", f"## {step['path']}: {step['title']}", "", f"Result: {SYMBOLS[step['status']]}"]
    if "finished_at" in step:
        lines[-1] += f" at {step['finished_at']}"
    if step.get("attempts", 0) > 1:
        lines[-1] += f" after {step['attempts']} attempts"
    if step.get("action"):
        lines += ["", "```", step["action"], "```"]
    for failure in step.get("failures", []):
        lines += ["", f"- Expected `{failure['expression']}`"]
        lines += [f"    - {value}" for value in failure["values"]]
    if step.get("error"):
        lines += ["", f"> {step['error']}"]
    if step.get("hint") and step["status"] == "failed":
        lines += ["", f"Hint: {step['hint']}"]
    result = step.get("result")
    if step["kind"] == "message" and result:
        lines += ["", "Message sent:", "", "```text", str(result.get("text", "")), "```"]
    elif result:
        text = json.dumps(result, indent=2, ensure_ascii=False, default=str)
        if len(text) > LONGEST_OUTPUT:
            text = text[:LONGEST_OUTPUT] + "\n... (cut; the full result is in the run journal)"
        lines += [
            "",
            "<details><summary>What was seen</summary>",
            "",
            "```json",
            text,
            "```",
            "",
            "</details>",
        ]
    return lines


def write_evidence(report: dict[str, Any], directory: Path) -> Path:
    """Write `run.md` under `<directory>/<date>-<procedure>/`; give its path.

    A second run of the same procedure on the same day gets `run-2.md`, so no evidence is
    overwritten; a resumed run rewrites its own file.
    """
    folder = directory / f"{report['started_at'][:10]}-{report['procedure']}"
    folder.mkdir(parents=True, exist_ok=True)
    number = 1
    while True:
        path = folder / ("run.md" if number == 1 else f"run-{number}.md")
        if not path.exists() or f"`{report['run_id']}`" in path.read_text(encoding="utf-8"):
            break
        number += 1
    path.write_text(evidence_markdown(report), encoding="utf-8")
    return path
