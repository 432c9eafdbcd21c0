"""JUnit XML from a run report: one testcase per step, so CI shows each check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree


def junit_xml(report: dict[str, Any]) -> str:
    """Give the report as a JUnit XML document."""
    steps = report["steps"]
    suite = ElementTree.Element(
        "testsuite",
        {
            "name": report["procedure"],
            "tests": str(len(steps)),
            "failures": str(report["counts"]["failed"]),
            "errors": str(report["counts"]["interrupted"]),
            "skipped": str(report["counts"]["skipped"] + report["counts"]["not_run"]),
            "time": f"{report['duration_ms'] / 1000:.3f}",
            "timestamp": report["started_at"],
        },
    )
    properties = ElementTree.SubElement(suite, "properties")
    for name in ("run_id", "environment", "status"):
        ElementTree.SubElement(properties, "property", {"name": name, "value": str(report[name])})
    for step in steps:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            {
                "classname": f"{report['procedure']}",
                "name": f"{step['path']}: {step['title']}",
                "time": f"{step.get('duration_ms', 0) / 1000:.3f}",
            },
        )
        status = step["status"]
        if status == "failed":
            failure = ElementTree.SubElement(case, "failure", {"message": _message(step)})
            failure.text = _details(step)
        elif status == "interrupted":
            error = ElementTree.SubElement(
                case, "error", {"message": step.get("error") or "interrupted"}
            )
            error.text = _details(step)
        elif status in ("skipped", "not_run"):
            ElementTree.SubElement(
                case,
                "skipped",
                {"message": step.get("error") or ("not run" if status == "not_run" else "skipped")},
            )
        if step.get("result") is not None:
            output = ElementTree.SubElement(case, "system-out")
            output.text = json.dumps(step["result"], indent=2, ensure_ascii=False, default=str)
    ElementTree.indent(suite)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(suite, "unicode") + "\n"
    )


def _message(step: dict[str, Any]) -> str:
    if step.get("error"):
        return str(step["error"])
    failures = step.get("failures", [])
    return "; ".join(f"{f['expression']} ({', '.join(f['values'])})" for f in failures) or "failed"


def _details(step: dict[str, Any]) -> str:
    lines = [f"action: {step['action']}"] if step.get("action") else []
    for failure in step.get("failures", []):
        lines.append(f"expected: {failure['expression']}")
        lines += [f"  {value}" for value in failure["values"]]
    if step.get("error"):
        lines.append(str(step["error"]))
    if step.get("hint"):
        lines.append(f"hint: {step['hint']}")
    return "\n".join(lines)


def write_junit(report: dict[str, Any], path: Path) -> None:
    """Write the report as JUnit XML."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(report), encoding="utf-8")
