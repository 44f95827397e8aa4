"""handler.lambda_handler end to end, in-process: CloudWatch Logs payload -> local webhook receiver."""

from __future__ import annotations

import base64
import json
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest

from access_alerts import config as config_mod
from access_alerts import handler
from access_alerts.config import ConfigError
from access_alerts.delivery import DeliveryError
from access_alerts.handler import PayloadRejected, describe_event
from access_alerts.model import CONTROL_MESSAGE
from access_alerts.webhook import WebhookClient
from tests.fakes import use_post
from tests.generators import ACCOUNT, REGION, config_document, config_environ, make_record
from tools.payloads import encode_subscription
from tools.webhook_receiver import WebhookReceiver

TRAIL = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/access-alerts"


class Context:
    function_name = "access-alerts-fn"
    aws_request_id = "req-1"

    def __init__(self, seconds: float = 60.0) -> None:
        self.end = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self.end - time.monotonic()) * 1000), 0)


def environ(url: str, **fields: Any) -> dict[str, str]:
    pipeline = {**config_document(url)["pipeline"], "trail_arn": TRAIL}
    return config_environ(url, pipeline=pipeline, **fields)


@pytest.fixture
def hook(webhook_receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    for name in config_mod.KNOWN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environ(webhook_receiver.url).items():
        monkeypatch.setenv(name, value)
    handler.reset_state()
    config_mod.clear_secret_cache()
    yield webhook_receiver
    handler.reset_state()


def fast_client(url: str) -> WebhookClient:
    """A client with a fake sleep so retries cost no wall time."""
    return WebhookClient(url, sleep=lambda s: None, rand=lambda: 0.0, rate_per_second=0)


def records(n: int, seed: int = 1, **kw: Any) -> list[str]:
    rng = random.Random(seed)  # noqa: S311  (test data, not crypto)
    return [json.dumps(make_record(i, rng, **kw)) for i in range(n)]


def stop_logging(event_id: str = "5a1e0001-0000-4000-8000-000000000001") -> str:
    return json.dumps(
        {
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDAMALLORY",
                "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory",
                "accountId": ACCOUNT,
                "userName": "mallory",
            },
            "eventTime": "2026-11-18T10:01:40Z",
            "eventSource": "cloudtrail.amazonaws.com",
            "eventName": "StopLogging",
            "awsRegion": REGION,
            "sourceIPAddress": "198.51.100.4",
            "userAgent": "aws-cli/2.15.30",
            "requestParameters": {"name": TRAIL},
            "responseElements": None,
            "eventID": event_id,
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management",
        }
    )


def summary_lines(out: str) -> list[dict[str, Any]]:
    docs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [d for d in docs if "_aws" in d and d.get("message") == "invocation summary"]


def test_mixed_payload_is_grouped_delivered_and_counted(
    hook: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    messages = (
        records(300, who="alice", table="Orders", api=("Scan", True))
        + records(200, seed=2, who="app", table="Orders")  # allowed role (its path is in the record)
        + records(50, seed=3, who="bob", table="Sessions")  # not a monitored table
        + [stop_logging()]
    )
    result = handler.lambda_handler(encode_subscription(messages), Context())
    assert result["status"] == "ok"
    assert result["records"] == 551
    assert (result["alert"], result["allowed"], result["ignored"]) == (301, 200, 50)
    assert result["messages_sent"] == 2 and result["messages_failed"] == 0
    delivered = hook.delivered()
    assert len(delivered) == 2
    assert "TAMPER" in delivered[0].text and "StopLogging" in delivered[0].text
    assert "300 read calls" in delivered[1].text and "alice@example.com" in delivered[1].text
    lines = summary_lines(capsys.readouterr().out)
    assert len(lines) == 1
    line = lines[0]
    assert line["FunctionName"] == "access-alerts-fn" and line["Records"] == 551 and line["Alerts"] == 301
    assert line["outcome"] == "ok"
    assert hook.url not in json.dumps(line)


def test_control_message_is_acknowledged(hook: WebhookReceiver) -> None:
    event = encode_subscription(
        ["CWL CONTROL MESSAGE: Checking health of destination Lambda."],
        message_type=CONTROL_MESSAGE,
        log_group="",
        log_stream="",
    )
    result = handler.lambda_handler(event, Context())
    assert result["status"] == "ok" and result["message_type"] == CONTROL_MESSAGE
    assert result["messages_sent"] == 0 and hook.received() == []


def test_only_allowed_records_send_nothing(hook: WebhookReceiver) -> None:
    result = handler.lambda_handler(encode_subscription(records(20, who="app", table="Orders")), Context())
    assert result["allowed"] == 20 and result["messages_sent"] == 0 and hook.received() == []


@pytest.mark.parametrize(
    "event",
    [
        {"awslogs": {"data": "<!channel> not base64 at all %%%"}},
        {"awslogs": {"data": base64.b64encode(b"\x1f\x8b\x08truncated").decode()}},
        {"hello": "<!channel>"},
        "just a string",
    ],
)
def test_unparseable_payload_alerts_then_fails(
    hook: WebhookReceiver, event: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(PayloadRejected):
        handler.lambda_handler(event, Context())
    delivered = hook.delivered()
    assert len(delivered) == 1
    text = delivered[0].text
    assert "Unparseable record" in text and "unparseable subscription payload" in text
    assert "<!channel>" not in delivered[0].body.decode() and "%%%" not in text  # content never shown
    line = summary_lines(capsys.readouterr().out)[0]
    assert line["outcome"] == "unparseable_payload" and line["Alerts"] == 1 and line["MessagesSent"] == 1


def test_describe_event_shows_only_shape() -> None:
    assert describe_event({"awslogs": {"data": "abc"}}) == "awslogs.data of 3 characters"
    assert describe_event({"a": 1, "b": 2}) == "an object with 2 top-level field(s)"
    assert describe_event("secret") == "a str of 6 characters"
    assert describe_event(None) == "a value of type NoneType"


def test_rejected_message_fails_the_invocation(
    hook: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    hook.respond_with(400, body="invalid_payload")
    with pytest.raises(DeliveryError) as info:
        handler.lambda_handler(
            encode_subscription(records(5, who="bob", table="Orders", api=("PutItem", False))), Context()
        )
    assert info.value.summary.records_in_failed_deliveries == 5
    assert len(hook.received()) == 1  # a 400 is not retried
    line = summary_lines(capsys.readouterr().out)[0]
    assert line["outcome"] == "delivery_failed" and line["MessagesFailed"] == 1
    assert line["RecordsInFailedDeliveries"] == 5
    assert "invalid_payload" in line["failures"][0]


def test_server_errors_are_retried_within_the_invocation(hook: WebhookReceiver) -> None:
    use_post(handler.get_state().senders, fast_client(hook.url))
    hook.respond_with(500, times=2)
    result = handler.lambda_handler(
        encode_subscription(records(5, who="bob", table="Orders", api=("Query", True))), Context()
    )
    assert result["messages_sent"] == 1
    assert [r.status for r in hook.received()] == [500, 500, 200]


def test_deadline_stops_waiting_for_retry_after(hook: WebhookReceiver) -> None:
    hook.respond_with(429, retry_after=30)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as info:
        handler.lambda_handler(encode_subscription(records(3, who="bob", table="Orders")), Context(seconds=8))
    assert time.monotonic() - started < 2.0
    assert "deadline" in info.value.summary.failures[0]


def test_config_is_loaded_once_per_cold_start(hook: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = handler.load_config

    def counting(env: Any) -> Any:
        calls.append(1)
        return real(env)

    monkeypatch.setattr(handler, "load_config", counting)
    for _ in range(3):
        handler.lambda_handler(encode_subscription(records(2, who="app", table="Orders")), Context())
    assert calls == [1]


def test_bad_config_fails_every_invocation(
    hook: WebhookReceiver, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in environ(hook.url, allowed=["not-an-arn"]).items():
        monkeypatch.setenv(name, value)
    for _ in range(2):
        with pytest.raises(ConfigError, match="allowed entry 'not-an-arn'"):
            handler.lambda_handler(encode_subscription(records(1)), Context())
    for name, value in environ(hook.url, key_values="maybe").items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="key_values must be one of"):
        handler.lambda_handler(encode_subscription(records(1)), Context())
    assert "configuration error" in capsys.readouterr().out


def test_webhook_url_never_logged(hook: WebhookReceiver, capsys: pytest.CaptureFixture[str]) -> None:
    hook.respond_with(400, body="no_service")
    with pytest.raises(DeliveryError):
        handler.lambda_handler(encode_subscription(records(3, who="bob", table="Orders")), Context())
    captured = capsys.readouterr()
    assert hook.url not in captured.out + captured.err
    assert "local-test-hook" not in captured.out + captured.err


def test_record_bodies_not_logged(hook: WebhookReceiver, capsys: pytest.CaptureFixture[str]) -> None:
    handler.lambda_handler(encode_subscription(records(3, who="bob", table="Orders")), Context())
    out = capsys.readouterr().out
    assert "o-" not in out.replace("outcome", "")  # key values (OrderId o-NNN) stay out of the logs
    assert "requestParameters" not in out
