"""Every manual twin on the runbook's pages reaches the verdict `plbook run` reaches.

Prints `twin conformance: N/M agree` and the table of the steps that do not, and fails below
M/M. A twin that says it is not exact counts as a failure until it is.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conformance import MONGOSH_BIN, ROOT, Comparison, run_and_compare

from plbook.catalog import load_catalog
from plbook.steps.base import StepKind

pytestmark = pytest.mark.timeout(900)

FAULTED_RUNS = {
    # Their steps for a broken system run only then (`when:`), and failing verdicts must agree too.
    "troubleshoot-stripe-payments": ("bad-webhook-secret",),
    "troubleshoot-quota-desync": ("quota-desync",),
    "troubleshoot-api-latency": ("slow-api",),
}


def _twin_steps(catalog) -> dict[str, list[str]]:
    """Give each procedure that has steps with twins, with their ids."""
    found: dict[str, list[str]] = {}
    for procedure_id, loaded in sorted(catalog.procedures.items()):
        for step in loaded.procedure.steps:
            if type(step.kind_contract).twin is StepKind.twin:
                continue  # this kind has no twin
            found.setdefault(procedure_id, []).append(step.id)
    return found


def _example_inputs(procedure) -> dict[str, str]:
    return {
        name: str(declared.example)
        for name, declared in procedure.inputs.items()
        if declared.default is None and declared.example is not None
    }


def test_every_twin_reaches_plbooks_verdict(tmp_path: Path, monkeypatch, capsys) -> None:
    if not (MONGOSH_BIN / "mongosh").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{MONGOSH_BIN}/mongosh is missing: .ci/setup --twins installs it")
        pytest.skip("mongosh is not installed; run `bash .ci/setup --twins`")
    catalog = load_catalog([ROOT / "procedures"])
    expected = _twin_steps(catalog)

    def compare_every_procedure() -> list[Comparison]:
        found: list[Comparison] = []
        for procedure_id in expected:
            inputs = _example_inputs(catalog.get(procedure_id))
            runs = tmp_path / "runs"
            found += run_and_compare(catalog, procedure_id, inputs, runs, monkeypatch)
            if procedure_id in FAULTED_RUNS:
                faults = FAULTED_RUNS[procedure_id]
                found += run_and_compare(catalog, procedure_id, inputs, runs, monkeypatch, faults)
        return found

    # The runs go in a thread of their own, as browser steps do in a `plbook run` process: the
    # site tests keep a Playwright session (and its event loop) open in the main thread.
    with ThreadPoolExecutor(max_workers=1) as worker:
        comparisons = worker.submit(compare_every_procedure).result()
    total = sum(len(steps) for steps in expected.values())
    by_step: dict[tuple[str, str], list[Comparison]] = {}
    for comparison in comparisons:
        by_step.setdefault((comparison.procedure, comparison.step), []).append(comparison)
    # A step agrees when every run that reached it agrees, healthy and broken alike.
    agreeing = [key for key, seen in by_step.items() if all(c.agrees for c in seen)]
    with capsys.disabled():
        print()
        for comparison in comparisons:
            if not comparison.agrees:
                print(
                    f"  drift {comparison.procedure}#{comparison.step}: plbook {comparison.plbook},"
                    f" twin {comparison.twin} {comparison.detail}"
                )
        compared = set(by_step)
        for procedure_id, steps in expected.items():
            for step_id in steps:
                if (procedure_id, step_id) not in compared:
                    print(f"  not compared {procedure_id}#{step_id}: the run did not reach it")
        print(f"twin conformance: {len(agreeing)}/{total} agree")
    assert len(agreeing) == total
