"""The canary's heartbeat (docs/canary.md): recognised only as a successful PutItem of the canary table by
the canary role, counted instead of alerted, published in the invocation summary with its delay; anything
else on the canary table alerts; changes to the canary's table are tampering."""

from __future__ import annotations

import copy
import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from access_alerts import config as config_mod
from access_alerts import handler
from access_alerts.canary import (
    CANARY_MATCH,
    CanaryWatch,
    event_time_seconds,
    heartbeat_delay_seconds,
    heartbeats,
)
from access_alerts.delivery import DeliveryReport, RunSummary
from access_alerts.metrics import emit_summary
from access_alerts.model import CanarySettings, Decision, PipelineResources, PolicySettings
from access_alerts.policy import Policy
from access_alerts.records import parse_record
from tests.generators import config_environ
from tools.payloads import encode_subscription
from tools.webhook_receiver import WebhookReceiver

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "records"
A = "111122223333"
TABLE = "ddb-alerts-access-alerts-canary"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{A}:table/{TABLE}"
ROLE_ARN = f"arn:aws:iam::{A}:role/ddb-alerts-canary"
CANARY = CanarySettings(table_arn=TABLE_ARN, role_arn=ROLE_ARN)
ORDERS = f"arn:aws:dynamodb:us-east-1:{A}:table/Orders"


def fixture(name: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    record.pop("_expect")
    return record


def heartbeat(**changes: Any) -> dict[str, Any]:
    record = fixture("putitem_canary_heartbeat.json")
    record.update(changes)
    return record


def policy(**settings: Any) -> Policy:
    return Policy(PolicySettings(tables=(ORDERS,), **{"canary": CANARY, **settings}))


# -- recognising the heartbeat ---------------------------------------------------------------------------


def test_heartbeat_is_allowed_as_the_canary() -> None:
    d = policy().evaluate(heartbeat())
    assert (d.kind, d.matched, d.alert_kind) == ("allowed", CANARY_MATCH, None)
    assert "heartbeat of the canary" in d.reason and TABLE in d.reason


def test_role_path_in_the_document_matches_a_record_without_it() -> None:
    """The module may give its roles a path (role_path); an STS session ARN never shows it."""
    with_path = CanarySettings(
        table_arn=TABLE_ARN, role_arn=f"arn:aws:iam::{A}:role/security/ddb-alerts-canary"
    )
    record = heartbeat()
    del record["userIdentity"]["sessionContext"]
    assert policy(canary=with_path).evaluate(record).matched == CANARY_MATCH


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("another role of the same name in another account", {"account": "444455556666"}),
        ("another role", {"role": "ddb-alerts-canary-2"}),
        ("a failed write", {"errorCode": "AccessDenied"}),
        ("a delete", {"eventName": "DeleteItem"}),
        ("a read", {"eventName": "GetItem", "readOnly": True}),
    ],
)
def test_anything_but_the_canary_writing_its_table_alerts(what: str, change: dict[str, Any]) -> None:
    record = heartbeat()
    identity = record["userIdentity"]
    if "account" in change:
        old = change.pop("account")
        for key in ("arn",):
            identity[key] = identity[key].replace(A, old)
        issuer = identity["sessionContext"]["sessionIssuer"]
        issuer["arn"] = issuer["arn"].replace(A, old)
    if "role" in change:
        name = change.pop("role")
        identity["arn"] = identity["arn"].replace("/ddb-alerts-canary/", f"/{name}/")
        identity["sessionContext"]["sessionIssuer"]["arn"] = f"arn:aws:iam::{A}:role/{name}"
    record.update(change)
    d = policy().evaluate(record)
    assert (d.kind, d.alert_kind) == ("alert", "data"), what
    assert d.matched is None


def test_canary_role_on_a_watched_table_alerts() -> None:
    d = policy().evaluate(fixture("putitem_watched_table_by_canary_role.json"))
    assert (d.kind, d.alert_kind) == ("alert", "data")


def test_a_heartbeat_naming_two_tables_is_not_a_heartbeat() -> None:
    """Guards the exact table match: a batch write that also touches a watched table is judged as a write."""
    record = heartbeat(eventName="BatchWriteItem")
    record["requestParameters"] = {
        "requestItems": {TABLE: [{"putRequest": {}}], "Orders": [{"putRequest": {}}]}
    }
    record["resources"].append({"accountId": A, "type": "AWS::DynamoDB::Table", "ARN": ORDERS})
    event = parse_record(record)
    assert len(event.tables) == 2
    assert not CanaryWatch(CANARY).is_heartbeat(event)
    assert policy().evaluate(record).kind == "alert"


def test_without_a_canary_its_table_is_not_watched() -> None:
    """canary_interval_minutes = 0: the document's canary is null, nothing is special about such a table."""
    d = Policy(PolicySettings(tables=(ORDERS,))).evaluate(heartbeat())
    assert d.kind == "ignored" and "table not monitored" in d.reason


def test_a_malformed_canary_is_a_configuration_error() -> None:
    from access_alerts.allowlist import PatternError

    with pytest.raises(PatternError, match=r"canary\.table_arn"):
        Policy(PolicySettings(tables=(ORDERS,), canary=CanarySettings(table_arn="t", role_arn=ROLE_ARN)))
    with pytest.raises(PatternError, match=r"canary\.role_arn"):
        Policy(PolicySettings(tables=(ORDERS,), canary=CanarySettings(table_arn=TABLE_ARN, role_arn="x")))


# -- the canary's table is part of the pipeline ----------------------------------------------------------


def test_changing_the_canary_table_is_tampering_even_without_table_management() -> None:
    record = fixture("deletetable_canary_table.json")
    d = policy(watch_table_management=False).evaluate(record)
    assert (d.kind, d.alert_kind) == ("alert", "tamper")
    assert d.event is not None and d.event.target == TABLE


def test_changing_the_canary_table_is_ignored_when_the_pipeline_is_not_watched() -> None:
    d = policy(watch_pipeline=False).evaluate(fixture("deletetable_canary_table.json"))
    assert d.kind == "ignored" and d.reason == "pipeline watching is off"


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("disablealarmactions_canary_alarm.json", "ddb-alerts-canary-silent"),
        ("putmetricalarm_canary_alarm_not_breaching.json", "ddb-alerts-canary-silent"),
        ("deletealarms_pipeline_alarm_among_others.json", "ddb-alerts-function-errors"),
        ("updateschedule_canary_disabled.json", "ddb-alerts-access-alerts-canary"),
        ("deleterolepolicy_canary_role.json", "ddb-alerts-canary"),
    ],
)
def test_silencing_alarms_or_the_canary_is_tampering(name: str, target: str) -> None:
    pipeline = PipelineResources(
        alarm_names=("ddb-alerts-function-errors", "ddb-alerts-canary-silent"),
        schedule_names=("ddb-alerts-access-alerts-canary",),
        role_names=("ddb-alerts-canary",),
    )
    record = fixture(name)
    d = policy(pipeline=pipeline).evaluate(record)
    assert (d.kind, d.alert_kind) == ("alert", "tamper")
    assert d.event is not None and d.event.target == target
    # the same call on resources that are not the pipeline's is none of our business
    assert policy().evaluate(record).kind == "ignored"


def test_resources_are_recognised_by_arn_too() -> None:
    pipeline = PipelineResources(
        alarm_names=("ddb-alerts-canary-silent",),
        schedule_names=("ddb-alerts-access-alerts-canary",),
        role_names=("ddb-alerts-canary",),
    )
    record = fixture("disablealarmactions_canary_alarm.json")
    record["requestParameters"] = {
        "alarmNames": [f"arn:aws:cloudwatch:us-east-1:{A}:alarm:ddb-alerts-canary-silent"]
    }
    assert policy(pipeline=pipeline).evaluate(record).alert_kind == "tamper"
    record = fixture("updateschedule_canary_disabled.json")
    record["requestParameters"] = {}
    record["resources"] = [
        {"ARN": f"arn:aws:scheduler:us-east-1:{A}:schedule/default/ddb-alerts-access-alerts-canary"}
    ]
    assert policy(pipeline=pipeline).evaluate(record).alert_kind == "tamper"


# -- counting it and its delay ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-18T10:15:00Z", datetime(2026, 11, 18, 10, 15, tzinfo=UTC).timestamp()),
        ("2026-11-18T10:15:00+00:00", datetime(2026, 11, 18, 10, 15, tzinfo=UTC).timestamp()),
        ("2026-11-18T10:15:00", None),  # no zone: not guessed
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_event_time(text: str | None, expected: float | None) -> None:
    assert event_time_seconds(text) == expected


def test_delay_is_the_slowest_heartbeat_and_never_negative() -> None:
    p = policy()
    called = datetime(2026, 11, 18, 10, 15, tzinfo=UTC).timestamp()
    early = p.evaluate(heartbeat(eventTime="2026-11-18T10:11:00Z"))
    late = p.evaluate(heartbeat(eventTime="2026-11-18T10:15:00Z"))
    other = p.evaluate(fixture("putitem_canary_table_other_principal.json"))
    decisions = [late, other, early]
    assert heartbeats(decisions) == 2
    assert heartbeat_delay_seconds(decisions, now=called + 120.04) == 360.0
    assert heartbeat_delay_seconds([late], now=called - 5) == 0.0  # clock skew
    assert heartbeat_delay_seconds([other], now=called) is None
    no_time = Decision(kind="allowed", reason="r", event=copy.copy(late.event), matched=CANARY_MATCH)
    assert no_time.event is not None
    no_time.event.event_time = None
    assert heartbeat_delay_seconds([no_time], now=called) is None


def test_summary_publishes_heartbeats_and_delay() -> None:
    p = policy()
    called = datetime(2026, 11, 18, 10, 15, tzinfo=UTC).timestamp()
    decisions = [p.evaluate(heartbeat())]
    summary = RunSummary.count(decisions, [], DeliveryReport(), now=called + 240)
    assert (summary.allowed, summary.canary_seen, summary.canary_delay_seconds) == (1, 1, 240.0)
    assert RunSummary.count(decisions, [], DeliveryReport()).canary_delay_seconds is None  # replay, redrive
    counts = summary.as_dict()
    counts.pop("failures")
    out = io.StringIO()
    doc = emit_summary(counts, "fn", stream=out, clock=lambda: called + 241)
    metrics = {m["Name"]: m["Unit"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert metrics["CanarySeen"] == "Count" and metrics["CanaryDelaySeconds"] == "Seconds"
    assert (doc["CanarySeen"], doc["CanaryDelaySeconds"]) == (1, 240.0)
    assert json.loads(out.getvalue()) == doc


# -- in the handler ----------------------------------------------------------------------------------


@pytest.fixture
def canary_hook(
    webhook_receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WebhookReceiver]:
    for name in config_mod.KNOWN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    env = config_environ(
        webhook_receiver.url,
        tables=[ORDERS],
        allowed=[],
        canary={"table_arn": TABLE_ARN, "role_arn": ROLE_ARN},
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    handler.reset_state()
    config_mod.clear_secret_cache()
    yield webhook_receiver
    handler.reset_state()


class Context:
    function_name = "ddb-alerts"
    aws_request_id = "req-canary"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def invocation_summary(out: str) -> dict[str, Any]:
    (line,) = [json.loads(x) for x in out.splitlines() if x.startswith("{") and '"invocation summary"' in x]
    return line


def test_heartbeat_sends_nothing_and_reports_its_delay(
    canary_hook: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    called = time.time() - 300
    record = heartbeat(eventTime=datetime.fromtimestamp(called, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    result = handler.lambda_handler(encode_subscription([json.dumps(record)]), Context())
    assert (result["allowed"], result["alert"], result["messages_sent"]) == (1, 0, 0)
    assert canary_hook.received() == []
    line = invocation_summary(capsys.readouterr().out)
    assert line["CanarySeen"] == 1
    assert 299 <= line["CanaryDelaySeconds"] <= 330


def test_someone_else_writing_the_canary_table_alerts(
    canary_hook: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    record = fixture("putitem_canary_table_other_principal.json")
    result = handler.lambda_handler(encode_subscription([json.dumps(record)]), Context())
    assert (result["alert"], result["messages_sent"]) == (1, 1)
    (message,) = canary_hook.delivered()
    assert TABLE in message.text
    line = invocation_summary(capsys.readouterr().out)
    assert line["CanarySeen"] == 0 and "CanaryDelaySeconds" not in line
