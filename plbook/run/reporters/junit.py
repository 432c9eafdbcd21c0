"""JUnit XML from a run's record: one testcase per leaf step, valid against Ant's JUnit schema.

The schema is the common one for Ant's JUnit task (windyroad/JUnit-Schema): `hostname` and a
timestamp without a timezone on the suite, `type` on every failure and error, and at most one
of skipped, error or failure per testcase. A `procedure` step whose own steps are in the run
is not a testcase: its failing leaf is, so CI shows each failure once.
"""

from __future__ import annotations

import json
import re
import socket
from datetime import datetime, timezone
from pathlib import Path
from xml.etree import ElementTree

from plbook.records import RunRecord, StepRecord, failure_lines
from plbook.run.reporters.files import write_replacing


def leaf_steps(run: RunRecord) -> list[StepRecord]:
    """Give the steps that have no steps of their own in the run."""
    parents = {step.path.rsplit("/", 1)[0] for step in run.steps if "/" in step.path}
    return [step for step in run.steps if step.path not in parents]


def suite_timestamp(started_at: str) -> str:
    """Give a run's start as the schema's timestamp: UTC, to the second, no timezone."""
    moment = datetime.fromisoformat(started_at).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def junit_xml(run: RunRecord) -> str:
    """Give the run as a JUnit XML document."""
    cases = leaf_steps(run)
    count = {status: sum(1 for c in cases if c.status == status) for status in _STATUSES}
    suite = ElementTree.Element(
        "testsuite",
        {
            "name": run.procedure,
            "timestamp": suite_timestamp(run.started_at),
            "hostname": run.operator.get("host") or socket.gethostname() or "localhost",
            "tests": str(len(cases)),
            "failures": str(count["failed"]),
            "errors": str(count["interrupted"]),
            "skipped": str(count["skipped"] + count["not_run"]),
            "time": f"{run.duration_ms / 1000:.3f}",
        },
    )
    properties = ElementTree.SubElement(suite, "properties")
    for name, value in (
        ("run_id", run.run_id),
        ("environment", run.environment),
        ("status", run.status),
        ("operator", run.operator.get("user", "")),
        ("command_line", run.command_line or ""),
        ("plbook_version", run.plbook_version or ""),
    ):
        ElementTree.SubElement(properties, "property", {"name": name, "value": value})
    for step in cases:
        _testcase(suite, run.procedure, step)
    ElementTree.SubElement(suite, "system-out").text = _results(cases)
    ElementTree.SubElement(suite, "system-err")
    for element in suite.iter():
        element.text = _xml_safe(element.text)
        element.attrib = {name: _xml_safe(value) or "" for name, value in element.attrib.items()}
    ElementTree.indent(suite)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(suite, "unicode") + "\n"
    )


_STATUSES = ("passed", "failed", "skipped", "interrupted", "not_run")


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
        kind = "expectation" if step.failures and not step.error else "step-error"
        failure = ElementTree.SubElement(case, "failure", {"message": _message(step), "type": kind})
        failure.text = _details(step)
    elif step.status == "interrupted":
        error = ElementTree.SubElement(
            case, "error", {"message": step.error or "interrupted", "type": "interrupted"}
        )
        error.text = _details(step)
    elif step.status in ("skipped", "not_run"):
        said = "not run" if step.status == "not_run" else "skipped"
        ElementTree.SubElement(case, "skipped", {"message": step.error or said})


def _results(cases: list[StepRecord]) -> str:
    """Give what each step saw, for the suite's system-out (Ant's testcases carry none)."""
    parts = [
        f"== {step.path}\n" + json.dumps(step.result, indent=2, ensure_ascii=False, default=str)
        for step in cases
        if step.result is not None
    ]
    return "\n".join(parts)


def _message(step: StepRecord) -> str:
    if step.error:
        return step.error
    said = "; ".join(f"{f.expression} ({', '.join(f.values)})" for f in step.failures)
    return said or "failed"


def _details(step: StepRecord) -> str:
    lines = [f"action: {step.action}"] if step.action else []
    return "\n".join(lines + failure_lines(step))


# What XML 1.0 cannot hold even escaped: most control characters, surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str | None) -> str | None:
    """Give text with the characters XML cannot hold written out as `\\xNN`, so CI can parse it."""
    if text is None:
        return None
    return _NOT_XML.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def write_junit(run: RunRecord, path: Path) -> Path:
    """Write the run as JUnit XML; give the path written."""
    return write_replacing(path, junit_xml(run))
