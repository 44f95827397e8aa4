"""redrive: on-failure SQS records -> same pipeline -> delete only what was delivered (moto, in-process)."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from access_alerts import config as config_mod
from access_alerts import handler, redrive
from tests.generators import config_environ, make_record
from tools.payloads import encode_subscription
from tools.webhook_receiver import WebhookReceiver


def on_failure_record(event: Any) -> str:
    """The body Lambda puts on an on-failure SQS destination for an async invocation."""
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": "2026-11-25T09:00:00.000Z",
            "requestContext": {
                "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
                "functionArn": "arn:aws:lambda:us-east-1:111122223333:function:access-alerts:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {
                "errorMessage": "1 of 1 alert messages could not be delivered",
                "errorType": "DeliveryError",
            },
        }
    )


def payload(n: int, seed: int, who: str = "bob") -> Any:
    rng = random.Random(seed)  # noqa: S311  (test data, not crypto)
    return encode_subscription(
        [json.dumps(make_record(i, rng, who=who, table="Orders", api=("PutItem", False))) for i in range(n)],
        first_id=seed * 1000,
    )


@pytest.fixture
def env(webhook_receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    config_mod.clear_secret_cache()
    handler.reset_state()
    return config_environ(webhook_receiver.url)


@pytest.fixture
def sqs() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        client = boto3.client("sqs", region_name="us-east-1")
        url = client.create_queue(QueueName="access-alerts-on-failure")["QueueUrl"]
        yield client, url


def queued(client: Any, url: str) -> int:
    attrs = client.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_redrive_delivers_and_deletes(
    env: dict[str, str], sqs: tuple[Any, str], webhook_receiver: WebhookReceiver
) -> None:
    client, url = sqs
    client.send_message(QueueUrl=url, MessageBody=on_failure_record(payload(4, 1)))
    client.send_message(QueueUrl=url, MessageBody=on_failure_record(payload(3, 2, who="alice")))
    out = io.StringIO()
    code = redrive.main(["--queue-url", url, "--wait-seconds", "0"], environ=env, sqs=client, out=out)
    assert code == 0, out.getvalue()
    assert queued(client, url) == 0
    delivered = webhook_receiver.delivered()
    assert len(delivered) == 2
    assert any("4 write calls" in r.text for r in delivered) and any(
        "alice@example.com" in r.text for r in delivered
    )
    assert "2 message(s) delivered and deleted, 0 kept" in out.getvalue()


def test_undelivered_messages_stay_on_the_queue(
    env: dict[str, str], sqs: tuple[Any, str], webhook_receiver: WebhookReceiver
) -> None:
    client, url = sqs
    client.send_message(QueueUrl=url, MessageBody=on_failure_record(payload(2, 1)))
    webhook_receiver.respond_with(404, body="no_active_hooks")
    out = io.StringIO()
    code = redrive.main(["--queue-url", url, "--wait-seconds", "0"], environ=env, sqs=client, out=out)
    assert code == 1
    assert queued(client, url) == 1
    assert "kept: 1 message(s) not delivered" in out.getvalue()


def test_undecodable_and_foreign_messages_are_kept_without_alerting(
    env: dict[str, str], sqs: tuple[Any, str], webhook_receiver: WebhookReceiver
) -> None:
    client, url = sqs
    client.send_message(QueueUrl=url, MessageBody=on_failure_record({"awslogs": {"data": "%%%"}}))
    client.send_message(QueueUrl=url, MessageBody="not json")
    client.send_message(QueueUrl=url, MessageBody=json.dumps({"something": "else"}))
    out = io.StringIO()
    code = redrive.main(["--queue-url", url, "--wait-seconds", "0"], environ=env, sqs=client, out=out)
    assert code == 1
    assert queued(client, url) == 3
    assert webhook_receiver.received() == []
    text = out.getvalue()
    assert "message body is not JSON" in text and "neither an on-failure record" in text
    assert "0 message(s) delivered and deleted, 3 kept" in text


def test_bare_awslogs_event_is_accepted(
    env: dict[str, str], sqs: tuple[Any, str], webhook_receiver: WebhookReceiver
) -> None:
    client, url = sqs
    client.send_message(QueueUrl=url, MessageBody=json.dumps(payload(2, 5)))
    assert (
        redrive.main(["--queue-url", url, "--wait-seconds", "0"], environ=env, sqs=client, out=io.StringIO())
        == 0
    )
    assert queued(client, url) == 0 and len(webhook_receiver.delivered()) == 1


def test_dry_run_sends_and_deletes_nothing(
    env: dict[str, str], sqs: tuple[Any, str], webhook_receiver: WebhookReceiver
) -> None:
    client, url = sqs
    client.send_message(QueueUrl=url, MessageBody=on_failure_record(payload(5, 1)))
    out = io.StringIO()
    code = redrive.main(
        ["--queue-url", url, "--dry-run", "--wait-seconds", "0"], environ=env, sqs=client, out=out
    )
    assert code == 0
    assert "would send 1 message(s) for 5 alert record(s) of 5 record(s)" in out.getvalue()
    assert webhook_receiver.received() == []
    # made visible again at once
    again = client.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    assert len(again.get("Messages", [])) == 1


def test_max_messages_bounds_the_run(
    env: dict[str, str], sqs: tuple[Any, str], webhook_receiver: WebhookReceiver
) -> None:
    client, url = sqs
    for seed in range(3):
        client.send_message(QueueUrl=url, MessageBody=on_failure_record(payload(1, seed)))
    out = io.StringIO()
    assert (
        redrive.main(
            ["--queue-url", url, "--max-messages", "2", "--wait-seconds", "0"],
            environ=env,
            sqs=client,
            out=out,
        )
        == 0
    )
    assert queued(client, url) == 1


def test_creates_its_own_client_from_the_environment(
    env: dict[str, str], sqs: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, url = sqs
    client.send_message(QueueUrl=url, MessageBody=on_failure_record(payload(1, 9)))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert (
        redrive.main(["--queue-url", url, "--wait-seconds", "0", "--region", "us-east-1"], out=io.StringIO())
        == 0
    )
    assert queued(client, url) == 0


def test_configuration_errors_exit_2(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    bad = {"ACCESS_ALERTS_CONFIG": '{"tables": nope'}
    assert redrive.main(["--queue-url", "https://sqs/x"], environ=bad, sqs=object()) == 2
    assert "ACCESS_ALERTS_CONFIG is not JSON" in capsys.readouterr().err
    bad = config_environ("http://127.0.0.1:9/x", tables=["no table/name"])
    assert redrive.main(["--queue-url", "https://sqs/x"], environ=bad, sqs=object()) == 2
    assert "tables entry 'no table/name'" in capsys.readouterr().err
    assert (
        redrive.main(["--queue-url", "https://sqs/x", "--max-messages", "0"], environ=env, sqs=object()) == 2
    )
