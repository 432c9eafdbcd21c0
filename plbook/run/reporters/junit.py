"""JUnit XML from a run's record: one testcase per step, so CI shows each check."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

from plbook.records import RunRecord, StepRecord, failure_lines


def junit_xml(run: RunRecord) -> str:
    """Give the run as a JUnit XML document."""
    suite = ElementTree.Element(
        "testsuite",
        {
            "name": run.procedure,
            "tests": str(len(run.steps)),
            "failures": str(run.counts["failed"]),
            "errors": str(run.counts["interrupted"]),
            "skipped": str(run.counts["skipped"] + run.counts["not_run"]),
            "time": f"{run.duration_ms / 1000:.3f}",
            "timestamp": run.started_at,
        },
    )
    properties = ElementTree.SubElement(suite, "properties")
    for name, value in (
        ("run_id", run.run_id),
        ("environment", run.environment),
        ("status", run.status),
    ):
        ElementTree.SubElement(properties, "property", {"name": name, "value": value})
    for step in run.steps:
        _testcase(suite, run.procedure, step)
    ElementTree.indent(suite)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(suite, "unicode") + "\n"
    )


def _testcase(suite: ElementTree.Element, procedure: str, step: StepRecord) -> None:
    case = ElementTree.SubElement(
        suite,
        "testcase",
        {
            "classname": procedure,
            "name": f"{step.path}: {step.title}",
            "time": f"{(step.duration_ms or 0) / 1000:.3f}",
        },
    )
    if step.status == "failed":
        failure = ElementTree.SubElement(case, "failure", {"message": _message(step)})
        failure.text = _details(step)
    elif step.status == "interrupted":
        error = ElementTree.SubElement(case, "error", {"message": step.error or "interrupted"})
        error.text = _details(step)
    elif step.status in ("skipped", "not_run"):
        said = "not run" if step.status == "not_run" else "skipped"
        ElementTree.SubElement(case, "skipped", {"message": step.error or said})
    if step.result is not None:
        output = ElementTree.SubElement(case, "system-out")
        output.text = json.dumps(step.result, indent=2, ensure_ascii=False, default=str)


def _message(step: StepRecord) -> str:
    if step.error:
        return step.error
    said = "; ".join(f"{f.expression} ({', '.join(f.values)})" for f in step.failures)
    return said or "failed"


def _details(step: StepRecord) -> str:
    lines = [f"action: {step.action}"] if step.action else []
    return "\n".join(lines + failure_lines(step))


def write_junit(run: RunRecord, path: Path) -> Path:
    """Write the run as JUnit XML; give the path written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(run), encoding="utf-8")
    return path
