"""Destinations and routes of envs/prod.tfvars, through the deployed function: one alert reaching several
destinations by a route, tamper alerts reaching the defaults and the pager, each destination in its own
format (Slack app thread and @here, Teams card, signed SIEM webhook, SNS on the emulator with attributes)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.deployment import Deployment
from tools.sandbox import PAGER_QUEUE, cloudtrail_record, role_session, table_arn
from tools.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

OUTSIDER = "ops-engineer"


def write_to_orders(person: dict[str, Any], n: int = 1) -> list[dict[str, Any]]:
    return [
        cloudtrail_record(
            "PutItem",
            person,
            table_arn=table_arn("orders"),
            request_parameters={"tableName": "orders", "key": {"orderId": {"S": f"ord-{i}"}}},
        )
        for i in range(n)
    ]


def pager_messages(d: Deployment) -> list[dict[str, Any]]:
    sqs = d.client("sqs")
    url = sqs.get_queue_url(QueueName=PAGER_QUEUE)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    found = messages.get("Messages", [])
    for m in found:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return found


def summary_of(stdout: str) -> dict[str, Any]:
    for line in stdout.splitlines():
        if '"invocation summary"' in line:
            return dict(json.loads(line))
    raise AssertionError(f"no summary line in {stdout[-2000:]}")


def test_routing_summary_output(deployment: Deployment) -> None:
    summary = deployment.outputs["routing_summary"]
    assert set(summary) == {"default", "oncall", "orders", "siem", "pager"}
    assert summary["orders"]["routes"] == ["orders-writes"] and summary["orders"]["default"] is False
    assert summary["oncall"]["default"] is True
    assert "every tamper and unparseable alert" in summary["oncall"]["receives"]


def test_a_write_to_orders_reaches_the_team_and_the_siem_by_route(
    deployment: Deployment, destinations_receiver: WebhookReceiver
) -> None:
    destinations_receiver.clear()
    pager_messages(deployment)
    person = role_session(OUTSIDER, "carol")
    run, default_messages = deployment.deliver(write_to_orders(person, 3))
    assert run.ok, run.stderr[-2000:]
    counts = summary_of(run.stdout)["summary"]["destinations"]
    assert {name: c["sent"] for name, c in counts.items()} == {"default": 1, "orders": 1, "siem": 1}
    assert len(default_messages) == 1  # the route named everything
    (card,) = destinations_receiver.delivered("teams")
    assert "DynamoDB data access (write) on orders (3 records)" in card.text and OUTSIDER in card.text
    (siem,) = destinations_receiver.delivered("signed")
    assert siem.verified is True
    body = siem.json()
    assert body["schema_version"] == 1 and body["count"] == 3 and len(body["event_ids"]) == 3
    assert destinations_receiver.delivered("slack_api") == [] and pager_messages(deployment) == []


def test_tamper_reaches_the_defaults_and_the_pager(
    deployment: Deployment, destinations_receiver: WebhookReceiver
) -> None:
    destinations_receiver.clear()
    pager_messages(deployment)
    outsider = role_session(OUTSIDER, "mallory")
    stop = cloudtrail_record(
        "StopLogging",
        outsider,
        event_source="cloudtrail.amazonaws.com",
        request_parameters={"name": deployment.outputs["trail_arn"]},
        data_event=False,
    )
    run, default_messages = deployment.deliver([stop])
    assert run.ok, run.stderr[-2000:]
    assert len(default_messages) == 1 and "TAMPER" in default_messages[0].text
    (slack,) = destinations_receiver.delivered("slack_api")
    payload = slack.json()
    assert payload["channel"] == "C0LOCALTEST" and payload["text"].startswith("<!here> ")
    (message,) = pager_messages(deployment)
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["kind"] == "tamper" and attributes["severity"] == "critical"
    assert json.loads(message["Body"])["kind"] == "tamper"  # raw delivery: the versioned JSON


def test_a_failing_destination_fails_the_invocation_but_not_the_others(
    deployment: Deployment, destinations_receiver: WebhookReceiver
) -> None:
    destinations_receiver.clear()
    destinations_receiver.respond_with(400, body="refused")  # Teams and the SIEM refuse
    try:
        run, default_messages = deployment.deliver(write_to_orders(role_session(OUTSIDER, "dave")))
    finally:
        destinations_receiver.clear()
    assert not run.ok, "a destination that refused the message must fail the invocation"
    counts = summary_of(run.stdout)["summary"]["destinations"]
    assert counts["default"]["sent"] == 1
    assert counts["orders"]["failed"] == 1 and counts["siem"]["failed"] == 1
    assert len(default_messages) == 1
