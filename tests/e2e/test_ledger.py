"""The delivery ledger on the deployed pipeline (issue 13's proof; docs/delivery.md, "The delivery ledger").

One person's 10,000 writes to ``payments`` in 16 payloads over two simulated minutes, then one flush after the
digest window: at most 2 messages reach the webhook (prod.tfvars routes them to the default destination
only), and their counts add up to exactly 10,000. Then one payload of writes to ``orders`` (three
destinations) twice and its ``redrive``: nothing is posted again.

moto's DynamoDB answers a Query by looking at every item of the table (DynamoDB reads one partition), so the
ledger's receipts are kept to one destination's 10,000 here: with three, the flush's Query can outlast the
function's 5 s read timeout on a busy machine.

The payloads are the ones moto builds for the subscription filter from PutLogEvents on the trail's log group;
the deployed code (the committed zip, the function's own environment) runs them one after the other in one
warm process, as a reused Lambda environment would. Time is simulated by the harness only: it sets the
ledger's clock (``State.clock``) in its own process for each invocation (tools/sandbox.py,
``run_deployed_invocations``); nothing in an event or the environment can.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.deployment import Deployment
from tools.sandbox import (
    Invocation,
    cloudtrail_record,
    function_environment,
    put_records,
    role_session,
    run_deployed_invocations,
    table_arn,
)
from tools.webhook_receiver import ReceivedRequest, WebhookReceiver

pytestmark = pytest.mark.e2e

PERSON_ROLE = "AWSReservedSSO_AdministratorAccess_5f1a2b3c4d5e6f70"
PERSON_PATH = "/aws-reserved/sso.amazonaws.com/"
RECORDS = 10_000
PAYLOADS = 16
SPREAD_SECONDS = 120  # the payloads arrive over two simulated minutes
API_CYCLE = ("UpdateItem", "PutItem", "DeleteItem")


def person(session: str) -> dict[str, Any]:
    return role_session(PERSON_ROLE, session, path=PERSON_PATH)


def writes(identity: dict[str, Any], count: int, start: datetime, table: str) -> list[dict[str, Any]]:
    """``count`` writes to ``table`` by ``identity``, one key each, spread over two minutes."""
    out = []
    for i in range(count):
        name = API_CYCLE[i % len(API_CYCLE)]
        out.append(
            cloudtrail_record(
                name,
                identity,
                table_arn=table_arn(table),
                request_parameters={"tableName": table, "key": {"id": {"S": f"k-{i:05d}"}}},
                when=start + timedelta(milliseconds=i * SPREAD_SECONDS * 1000 // RECORDS),
            )
        )
    return out


def subscription_payload(deployment: Deployment, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The event moto's subscription filter builds for ``records`` written to the trail's log group."""
    invocations: list[Invocation] = put_records(deployment.emulator, deployment.log_group, records)
    assert [i.function_arn for i in invocations] == [deployment.function["FunctionArn"]]
    return invocations[0].event


def flush_event(deployment: Deployment) -> dict[str, Any]:
    """What the deployed flush rule sends the function (its target's input)."""
    rule = deployment.outputs["lambda_configuration"]["pipeline"]["rule_names"][0]
    targets = deployment.client("events").list_targets_by_rule(Rule=rule)["Targets"]
    assert [t["Arn"] for t in targets] == [deployment.function["FunctionArn"]]
    rule_arn = deployment.client("events").describe_rule(Name=rule)["Arn"]
    policy = deployment.client("lambda").get_policy(FunctionName=deployment.function["FunctionName"])
    allowed = [
        s
        for s in json.loads(policy["Policy"])["Statement"]
        if "events.amazonaws.com" in json.dumps(s.get("Principal"))
        and rule_arn in json.dumps(s.get("Condition"))
    ]
    assert len(allowed) == 1, "the function lets exactly its flush rule invoke it"
    event: dict[str, Any] = json.loads(targets[0]["Input"])
    return event


def about(messages: list[ReceivedRequest], session: str) -> list[ReceivedRequest]:
    """The messages that name ``session`` (other tests' windows may close in the same flush)."""
    return [m for m in messages if session in m.text]


def counts_of(messages: list[ReceivedRequest]) -> list[int]:
    """The record count each Slack message states: "*625 write calls*", "*9,375 more write calls*"."""
    counts = []
    for m in messages:
        found = re.findall(r"\*([\d,]+) (?:more )?write calls?\*", m.text)
        assert len(found) == 1, m.text[:500]
        counts.append(int(found[0].replace(",", "")))
    return counts


def results_ok(results: list[dict[str, Any] | str], expected: int, stderr: str) -> list[dict[str, Any]]:
    assert len(results) == expected, f"expected {expected} results, got {results!r}\n{stderr[-3000:]}"
    failed = [r for r in results if isinstance(r, str)]
    assert not failed, f"invocations failed: {failed}\n{stderr[-3000:]}"
    return [r for r in results if isinstance(r, dict)]


def test_ten_thousand_records_in_sixteen_payloads_make_at_most_two_messages(
    deployment: Deployment, destinations_receiver: WebhookReceiver
) -> None:
    routes = deployment.outputs["lambda_configuration"]["routes"]
    data_to_payments = [
        r["name"]
        for r in routes
        if (not r["tables"] or "payments" in r["tables"]) and (not r["kinds"] or "data" in r["kinds"])
    ]
    assert data_to_payments == ["everything"], "payments' data alerts go to the default destination only"
    session = f"bulk-export-{uuid.uuid4().hex[:8]}@example.com"
    window_minutes = int(deployment.outputs["lambda_configuration"]["ledger"]["digest_window_minutes"])
    assert window_minutes > 0, "examples/complete keeps digest windows on"
    start = datetime.now(UTC).replace(microsecond=0)
    t0 = start.timestamp()
    records = writes(person(session), RECORDS, start, "payments")
    size = -(-RECORDS // PAYLOADS)
    invocations: list[tuple[dict[str, Any], float | None]] = []
    for n in range(PAYLOADS):
        payload = subscription_payload(deployment, records[n * size : (n + 1) * size])
        invocations.append((payload, t0 + n * SPREAD_SECONDS / (PAYLOADS - 1)))
    invocations.append((flush_event(deployment), t0 + (window_minutes + 1) * 60))
    hook_before = len(deployment.receiver.received())
    others_before = len(destinations_receiver.received())

    run, results = run_deployed_invocations(
        deployment.code_dir, deployment.function, invocations, deployment.emulator.aws_env()
    )
    deployment.handler_runs.append(run)

    done = results_ok(results, PAYLOADS + 1, run.stderr)
    payloads, flush = done[:PAYLOADS], done[PAYLOADS]
    assert sum(r["alert"] for r in payloads) == RECORDS
    assert flush["message_type"] == "FLUSH" and flush["follow_ups"] >= 1, flush
    assert [r["messages_sent"] for r in payloads] == [1] + [0] * (PAYLOADS - 1)
    assert sum(r["ledger_held"] for r in payloads) == RECORDS - size
    messages = about(deployment.receiver.received()[hook_before:], session)
    assert 1 <= len(messages) <= 2, [m.text[:300] for m in messages]
    assert all(m.status == 200 for m in messages)
    assert sum(counts_of(messages)) == RECORDS, counts_of(messages)
    assert counts_of(messages)[0] == size, "the first payload is posted at once; the rest wait for the window"
    assert "Digest" in messages[-1].text and f"{window_minutes}-minute digest window" in messages[-1].text
    assert about(destinations_receiver.received()[others_before:], session) == []


def test_one_payload_twice_and_its_redrive_post_nothing_again(
    deployment: Deployment, destinations_receiver: WebhookReceiver
) -> None:
    session = f"redrive-{uuid.uuid4().hex[:8]}@example.com"
    payload = subscription_payload(deployment, writes(person(session), 3, datetime.now(UTC), "orders"))
    hook_before = len(deployment.receiver.received())
    dest_before = len(destinations_receiver.received())

    run, results = run_deployed_invocations(
        deployment.code_dir,
        deployment.function,
        [(payload, None), (payload, None)],
        deployment.emulator.aws_env(),
    )
    deployment.handler_runs.append(run)
    first, again = results_ok(results, 2, run.stderr)
    assert first["messages_sent"] == 3, first  # default, orders (Teams) and the SIEM
    assert again["messages_sent"] == 0 and again["messages_skipped"] == 3, again
    assert again["ledger_repeats"] == 9, again  # 3 records, 3 destinations
    after_runs = (len(deployment.receiver.received()), len(destinations_receiver.received()))

    # The same payload as Lambda would leave it on the on-failure queue, redriven with the deployed code.
    sqs = deployment.client("sqs")
    queue_url = deployment.outputs["on_failure_queue_url"]
    on_failure_record = {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": deployment.function["FunctionArn"],
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorType": "DeliveryError", "errorMessage": "simulated"},
    }
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(on_failure_record))
    started = time.monotonic()
    redrive = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); from access_alerts.cli import main; "
            "sys.exit(main(sys.argv[2:]))",
            str(deployment.code_dir),
            "redrive",
            "--queue-url",
            queue_url,
            "--wait-seconds",
            "0",
        ],
        env=function_environment(deployment.function, deployment.emulator.aws_env()),
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert redrive.returncode == 0, f"{redrive.stdout}\n{redrive.stderr[-3000:]}"
    assert "delivered 0 message(s) for 3 alert record(s)" in redrive.stdout, redrive.stdout
    assert time.monotonic() - started < 120
    assert (len(deployment.receiver.received()), len(destinations_receiver.received())) == after_runs
    assert len(about(deployment.receiver.received()[hook_before:], session)) == 1
    assert len(about(destinations_receiver.received()[dest_before:], session)) == 2  # Teams and the SIEM
    left = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages") or []
    assert left == [], "the redriven message is deleted once nothing is left to deliver"
