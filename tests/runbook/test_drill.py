"""The bad-deploy drill end to end in a real terminal: fail, roll back by the shown id, green."""

from __future__ import annotations

from pathlib import Path

from incident_drill import run_drill

from plbook.records import read_run


def test_bad_deploy_drill_rolls_back_by_the_shown_id_and_ends_green(tmp_path: Path) -> None:
    drill = run_drill(tmp_path)
    assert drill.offered[0] == "rollback-railway", drill.output[-3000:]
    # The id typed in was read off the `railway deployments` output shown under its step.
    assert drill.typed_id is not None, drill.output[-3000:]
    assert drill.exit_code == 1  # the first smoke-test run failed; its exit code is the run's
    runs = {read_run(path).procedure: read_run(path) for path in tmp_path.glob(".plbook/runs/*")}
    rollback = runs["rollback-railway"]
    assert rollback.status == "passed", drill.output[-3000:]
    assert rollback.inputs["deployment_id"] == drill.typed_id
    assert next(s for s in rollback.steps if s.path == "smoke").status == "passed"
    assert runs["smoke-tests"].status == "failed"
    assert drill.answers < 15
