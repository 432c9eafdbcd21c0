"""`plbook run` end to end, as a real process, against real servers on loopback."""

from __future__ import annotations

import json
import re

from run_support import CANARY, SANDBOX_STRIPE_KEY, Runbook


def test_passing_run_exits_0_and_saved_vars_reach_later_steps(runbook: Runbook) -> None:
    runbook.add_fixture("health-check")
    finished = runbook.run("health-check")
    assert finished.code == 0, finished.stdout + finished.stderr
    assert finished.report["status"] == "passed"
    assert finished.report["vars"] == {"database": "connected"}
    assert finished.step("shell-sees-var")["action"] == "test connected = connected"
    assert "PASS  health" in finished.stdout


def test_5xx_shows_each_failed_expression_with_the_value_it_read(runbook: Runbook) -> None:
    runbook.add_fixture("api-faults")
    runbook.add_fixture("recover")
    finished = runbook.run("api-faults", "--input", "endpoint=/api/down")
    assert finished.code == 1
    assert "result.status was 503" in finished.stdout
    assert "result.json.data.database was 'disconnected'" in finished.stdout
    assert "hint: Check the API logs" in finished.stdout
    assert "next: plbook run recover --env test" in finished.stdout
    assert finished.step("check")["status"] == "failed"
    assert finished.step("after")["status"] == "not_run"
    assert finished.report["next_procedure"] == "recover"


def test_malformed_json_fails_the_check_that_reads_it(runbook: Runbook) -> None:
    runbook.add_fixture("api-faults")
    runbook.add_fixture("recover")
    finished = runbook.run("api-faults", "--input", "endpoint=/api/malformed")
    assert finished.code == 1
    step = finished.step("check")
    assert step["result"]["json"] is None
    assert [f["expression"] for f in step["failures"]] == [
        'result.json.data.database == "connected"'
    ]


def test_target_down_and_timeout_are_clear_verdicts(runbook: Runbook) -> None:
    runbook.add_fixture("api-faults")
    runbook.add_fixture("recover")
    down = runbook.run(
        "api-faults", "--input", "endpoint=/api/health", "--input", "target=down_url"
    )
    assert down.code == 1
    assert "cannot connect to" in down.step("check")["error"]
    assert "Connection refused" in down.stdout
    slow = runbook.run("api-faults", "--input", "endpoint=/api/slow")
    assert slow.code == 1
    assert slow.step("check")["error"].endswith("/api/slow within 1s")


def test_retry_polls_until_the_service_answers(runbook: Runbook) -> None:
    runbook.add(
        "flaky",
        """
title: Flaky
summary: Healthy from the third request.
category: smoke-test
steps:
  - id: poll
    title: Comes back within three attempts
    http: {url: "{{ env.api_url }}/api/flaky"}
    expect: [result.status == 200]
    retry: {attempts: 5, interval: 100ms}
""",
    )
    finished = runbook.run("flaky")
    assert finished.code == 0, finished.stdout
    assert finished.step("poll")["attempts"] == 3


def test_mongo_reads_and_a_confirmed_write_through_pymongo(
    runbook: Runbook, mongodb_uri: str
) -> None:
    runbook.add_fixture("mongo-checks")
    finished = runbook.run("mongo-checks", "--yes", env={"MONGODB_URI": mongodb_uri})
    assert finished.code == 0, finished.stdout + finished.stderr
    assert len(finished.report["vars"]["user_id"]) == 24  # an ObjectId, as a string
    assert finished.step("reset-usage")["result"] == {"matched": 1, "modified": 1}


def test_destructive_step_without_terminal_needs_yes_and_nothing_runs(
    runbook: Runbook, mongodb_uri: str
) -> None:
    runbook.add_fixture("mongo-checks")
    finished = runbook.run("mongo-checks", env={"MONGODB_URI": mongodb_uri})
    assert finished.code == 2
    assert (
        "destructive steps need --yes without a terminal: mongo-checks#reset-usage"
        in finished.stderr
    )
    assert not (runbook.directory / ".plbook").exists()


def test_database_down_is_a_failed_check(runbook: Runbook) -> None:
    runbook.add_fixture("mongo-checks")
    runbook.add(
        "db-ping",
        """
title: Database ping
summary: The database answers.
category: smoke-test
steps:
  - id: ping
    title: The database answers ping
    timeout: 1s
    mongo: {command: ping}
""",
    )
    from plbook.sandbox.addresses import free_ports

    finished = runbook.run(
        "db-ping", env={"MONGODB_URI": f"mongodb://127.0.0.1:{free_ports(1)[0]}/x"}
    )
    assert finished.code == 1
    assert finished.step("ping")["error"].startswith("MongoDB command failed: 127.0.0.1:")


def test_stripe_sdk_reads_the_stand_in(runbook: Runbook, stripe_api_base: str) -> None:
    runbook.add_fixture("stripe-checks")
    values = {"STRIPE_SECRET_KEY": SANDBOX_STRIPE_KEY}
    _point_stripe_at(runbook, stripe_api_base)
    finished = runbook.run("stripe-checks", env=values)
    assert finished.code == 0, finished.stdout + finished.stderr
    assert finished.report["vars"]["endpoint"] == "we_plbook_sandbox"
    assert SANDBOX_STRIPE_KEY not in finished.stdout + finished.every_record()


def test_stripe_401_and_500_are_clear_verdicts(
    runbook: Runbook, stripe_api_base: str, api_url: str
) -> None:
    runbook.add_fixture("stripe-checks")
    _point_stripe_at(runbook, stripe_api_base)
    refused = runbook.run("stripe-checks", env={"STRIPE_SECRET_KEY": "sk_test_wrong_key_123456"})
    assert refused.code == 1
    assert "(401)" in refused.step("webhooks")["error"]
    assert "Invalid API Key" in refused.step("webhooks")["error"]
    _point_stripe_at(runbook, api_url)
    outage = runbook.run("stripe-checks", env={"STRIPE_SECRET_KEY": SANDBOX_STRIPE_KEY})
    assert outage.code == 1
    assert "(500)" in outage.step("webhooks")["error"]


def _point_stripe_at(runbook: Runbook, base: str) -> None:
    path = runbook.procedures / "environments.yaml"
    path.write_text(re.sub(r"stripe_api_base: \S+", f"stripe_api_base: {base}", path.read_text()))


def test_manual_message_and_nested_procedure(runbook: Runbook) -> None:
    runbook.add_fixture("everything-else")
    runbook.add_fixture("health-check")
    finished = runbook.run("everything-else", "--input", "severity=P1")
    assert finished.code == 0, finished.stdout + finished.stderr  # a skipped manual step passes
    assert finished.step("look")["status"] == "skipped"
    assert "Severity P1: the API is answering again." in finished.stdout
    assert finished.step("announce")["result"]["text"].startswith("Channel: #incidents\n")
    assert finished.step("health/health")["status"] == "passed"
    assert finished.step("health")["result"] == {"passed": True}
    evidence = next((runbook.directory / "incidents").glob("*-everything-else/run.md")).read_text()
    assert "Severity P1: the API is answering again." in evidence
    failing = runbook.run("everything-else", "--manual", "fail")
    assert failing.code == 1
    assert failing.step("look")["result"]["answer"] == "fail"


def test_missing_tool_and_secret_are_listed_at_once_and_nothing_runs(runbook: Runbook) -> None:
    runbook.add(
        "needs",
        """
title: Needs things
summary: A tool and a secret that are not there.
category: rollback
requires:
  tools: [no-such-tool-plbook]
  secrets: [RAILWAY_TOKEN]
steps:
  - id: touch
    title: Would leave a mark
    shell: touch ran.txt
""",
    )
    finished = runbook.run("needs")
    # A run that cannot start is a call problem: exit 2, every problem at once, no record.
    assert finished.code == 2
    assert finished.stderr.splitlines() == [
        "tool 'no-such-tool-plbook' is not on PATH; install it before running",
        "secret RAILWAY_TOKEN is not set; export RAILWAY_TOKEN=... (it is read from the "
        "environment variable)",
    ]
    assert "Traceback" not in finished.stderr
    assert not list((runbook.directory / ".plbook").rglob("*.jsonl"))
    assert not (runbook.directory / "report.json").exists()
    assert not (runbook.directory / "ran.txt").exists()


def test_bad_call_exits_2_with_one_line(runbook: Runbook) -> None:
    runbook.add_fixture("health-check")
    unknown_step = runbook.run("health-check", "--only", "helth")
    assert unknown_step.code == 2
    assert unknown_step.stderr.strip() == (
        "--only helth: 'health-check' has no step 'helth'; did you mean 'health'?"
    )
    unknown_input = runbook.run("health-check", "--input", "x=1")
    assert unknown_input.code == 2
    assert "'health-check' has no input 'x'" in unknown_input.stderr
    production = runbook.run("health-check", "--env", "production")
    assert production.code == 2
    assert "without a terminal, add --yes" in production.stderr


def test_only_and_from_choose_the_steps(runbook: Runbook) -> None:
    runbook.add_fixture("health-check")
    only = runbook.run("health-check", "--only", "health")
    assert [s["path"] for s in only.report["steps"]] == ["health"]
    start = runbook.run("health-check", "--from", "shell-sees-var")
    assert start.code == 1  # vars.database was never saved
    assert "cannot fill in a value" in start.step("shell-sees-var")["error"]


def test_dry_run_resolves_values_masks_secrets_and_runs_nothing(runbook: Runbook) -> None:
    runbook.add(
        "tokened",
        """
title: Tokened
summary: Calls the API with a bearer token.
category: smoke-test
steps:
  - id: echo
    title: The API sees the token
    http:
      url: "{{ env.api_url }}/api/echo"
      headers: {Authorization: "Bearer {{ secrets.API_TOKEN }}"}
  - id: touch
    title: Would leave a mark
    shell: touch ran.txt
""",
    )
    finished = runbook.run("tokened", "--dry-run")
    assert finished.code == 0
    assert "/api/echo" in finished.stdout and "Bearer *****" in finished.stdout
    assert CANARY not in finished.stdout + finished.stderr
    assert not (runbook.directory / "ran.txt").exists()
    assert not (runbook.directory / ".plbook").exists()


def test_journal_has_one_json_event_per_line(runbook: Runbook) -> None:
    runbook.add_fixture("health-check")
    runbook.run("health-check")
    journal = next((runbook.directory / ".plbook" / "runs").glob("*.jsonl"))
    events = [json.loads(line)["event"] for line in journal.read_text().splitlines()]
    assert events == [
        "run-started",
        "step-started",
        "step-finished",
        "step-started",
        "step-finished",
        "run-finished",
    ]


DELETE_COMMAND = """\
title: Purge the scratch users
summary: A database command that deletes documents.
category: troubleshooting
steps:
  - id: purge
    title: Delete every scratch user
    mongo:
      command: {delete: scratch_users, deletes: [{q: {}, limit: 0}]}
"""


def test_mongo_delete_command_is_a_write_gated_like_any_other(
    runbook: Runbook, mongodb_uri: str
) -> None:
    import pymongo

    with pymongo.MongoClient(mongodb_uri, serverSelectionTimeoutMS=5000) as client:
        scratch = client.get_default_database().scratch_users
        scratch.insert_many([{"email": f"u{i}@example.com"} for i in range(3)])

        runbook.add("purge", DELETE_COMMAND)
        unmarked = runbook.run("purge", "--yes", env={"MONGODB_URI": mongodb_uri})
        assert unmarked.code == 2
        assert "procedures/purge.yaml:5:" in unmarked.stderr
        assert "the MongoDB command `delete` is not one of the read-only commands" in (
            unmarked.stderr
        )
        assert scratch.count_documents({}) == 3

        runbook.add("purge", DELETE_COMMAND + "    destructive: true\n")
        unconfirmed = runbook.run("purge", env={"MONGODB_URI": mongodb_uri})
        assert unconfirmed.code == 2
        assert "destructive steps need --yes without a terminal: purge#purge" in (
            unconfirmed.stderr
        )
        assert scratch.count_documents({}) == 3

        confirmed = runbook.run("purge", "--yes", env={"MONGODB_URI": mongodb_uri})
        assert confirmed.code == 0, confirmed.stdout + confirmed.stderr
        assert confirmed.step("purge")["result"]["reply"]["n"] == 3
        assert scratch.count_documents({}) == 0
