"""delivery.deliver_groups: formatting + sending, failures; RunSummary counts; the metrics line."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import pytest

from access_alerts import slack, webhook
from access_alerts.config import DeliverySettings
from access_alerts.delivery import DeliveryError, DeliveryReport, RunSummary, deliver_groups
from access_alerts.grouping import group_alerts
from access_alerts.metrics import METRICS, NAMESPACE, emf_document, emit_summary
from access_alerts.model import Decision
from access_alerts.webhook import PostResult
from tests.factories import (
    access_event,
    alert,
    allowed,
    ignored,
    role_principal,
    storm,
    user_principal,
)

SETTINGS = DeliverySettings(name="prod", direct_webhook_url="https://example.com/hook")


class FakePost:
    def __init__(self, fail_when: Any = None) -> None:
        self.payloads: list[Mapping[str, Any]] = []
        self.deadlines: list[float | None] = []
        self.fail_when = fail_when or (lambda payload: False)

    def __call__(self, payload: Mapping[str, Any], deadline: float | None) -> PostResult:
        self.payloads.append(payload)
        self.deadlines.append(deadline)
        if self.fail_when(payload):
            return PostResult(False, 500, 6, "gave up after 6 attempts; HTTP 500")
        return PostResult(True, 200, 1, "delivered")


def mixed() -> list[Any]:
    e = access_event()
    return [
        *storm(500, principal=role_principal("alice@example.com"), table="Orders", id_prefix="a"),
        *storm(
            300,
            principal=user_principal("bob"),
            table="Customers",
            access="write",
            api="PutItem",
            id_prefix="b",
        ),
        alert(access_event(api="StopLogging", category="management", table="", event_id="t1"), kind="tamper"),
        *[allowed(e) for _ in range(40)],
        *[ignored() for _ in range(7)],
    ]


def deliver(decisions: list[Decision], settings: DeliverySettings, **kw: Any) -> RunSummary:
    """Group, deliver and count, as the handler does."""
    groups = group_alerts(decisions)
    return RunSummary.count(decisions, groups, deliver_groups(groups, settings, **kw))


def test_counts_add_up_and_every_group_is_sent() -> None:
    post = FakePost()
    summary = deliver(mixed(), SETTINGS, deadline=123.0, post=post)
    assert summary == RunSummary(
        records=848,
        alert=801,
        allowed=40,
        ignored=7,
        groups=3,
        messages_sent=3,
        messages_failed=0,
        records_in_failed_deliveries=0,
    )
    assert summary.alert + summary.allowed + summary.ignored == summary.records
    assert post.deadlines == [123.0, 123.0, 123.0]
    assert post.payloads[0]["blocks"][0]["text"]["text"].startswith(":warning: TAMPER")


def test_no_alerts_no_webhook_needed() -> None:
    summary = deliver([ignored(), allowed(access_event())], DeliverySettings(), post=None)
    assert summary.records == 2 and summary.messages_sent == 0 and summary.groups == 0


def test_failure_does_not_stop_other_messages() -> None:
    post = FakePost(fail_when=lambda p: "Customers" in json.dumps(p))
    s = deliver(mixed(), SETTINGS, post=post)
    assert len(post.payloads) == 3
    assert (s.messages_sent, s.messages_failed, s.records_in_failed_deliveries) == (2, 1, 300)
    assert s.alert == 801 and s.records == 848
    assert "b-000000" in s.failures[0] and "HTTP 500" in s.failures[0]
    error = DeliveryError(s)
    assert "1 of 3 alert messages" in str(error)
    assert "example.com" not in str(error)


def test_post_that_raises_counts_as_failed() -> None:
    def boom(payload: Mapping[str, Any], deadline: float | None) -> PostResult:
        raise OSError("socket exploded")

    report = deliver_groups(group_alerts(storm(3)), SETTINGS, post=boom)
    assert (
        report == DeliveryReport(failed=1, records_in_failed=3, failures=(report.failures[0],))
        and "post raised OSError" in report.failures[0]
    )


def test_formatting_failure_still_sends_a_minimal_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> dict[str, Any]:
        raise RuntimeError("bug")

    monkeypatch.setattr(slack, "format_group", broken)
    post = FakePost()
    summary = deliver(storm(2), SETTINGS, post=post)
    assert summary.messages_sent == 1
    assert "could not be formatted" in post.payloads[0]["text"] and "e-000001" in post.payloads[0]["text"]


def test_hash_mode_uses_the_deployment_secret() -> None:
    settings = DeliverySettings(
        key_values="hash", direct_webhook_url="https://e.com/x", direct_key_hash_secret="k"
    )
    post = FakePost()
    deliver([alert(access_event(keys=({"pk": "secret-customer"},)))], settings, post=post)
    dumped = json.dumps(post.payloads)
    assert "secret-customer" not in dumped and "hmac:" in dumped


def test_default_post_uses_webhook_client(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    class Client:
        def __init__(self, url: str) -> None:
            seen.append(url)

        def __call__(self, payload: Mapping[str, Any], deadline: float | None) -> PostResult:
            return PostResult(True, 200, 1)

    monkeypatch.setattr(webhook, "WebhookClient", Client)
    assert deliver(storm(1), SETTINGS).messages_sent == 1
    assert seen == ["https://example.com/hook"]


def test_summary_as_dict() -> None:
    d = RunSummary(records=1, alert=1, failures=("x",)).as_dict()
    assert d["failures"] == ["x"] and d["records"] == 1 and d["messages_sent"] == 0


# -- metrics -------------------------------------------------------------------------------------


def test_emf_line_is_one_json_object_with_all_counts() -> None:
    counts = RunSummary(
        records=10,
        alert=4,
        allowed=5,
        ignored=1,
        messages_sent=1,
        messages_failed=1,
        records_in_failed_deliveries=2,
    ).as_dict()
    counts.pop("failures")
    out = io.StringIO()
    emit_summary(
        counts, "prod-fn", extra={"outcome": "delivery_failed"}, stream=out, clock=lambda: 1700000000.5
    )
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    doc = json.loads(lines[0])
    cw = doc["_aws"]["CloudWatchMetrics"][0]
    assert doc["_aws"]["Timestamp"] == 1700000000500
    assert cw["Namespace"] == NAMESPACE == "DynamoDBAccessAlerts"
    assert cw["Dimensions"] == [["FunctionName"]] and doc["FunctionName"] == "prod-fn"
    names = [m["Name"] for m in cw["Metrics"]]
    assert names == [name for name, _ in METRICS]
    assert all(m["Unit"] == "Count" for m in cw["Metrics"])
    assert (doc["Records"], doc["Alerts"], doc["Allowed"], doc["Ignored"]) == (10, 4, 5, 1)
    assert (doc["MessagesSent"], doc["MessagesFailed"], doc["RecordsInFailedDeliveries"]) == (1, 1, 2)
    assert doc["outcome"] == "delivery_failed" and doc["summary"]["records"] == 10
    # every metric named in the directive is a top-level number (EMF requirement)
    for name in names:
        assert isinstance(doc[name], int)


def test_emf_missing_counts_are_zero() -> None:
    doc = emf_document({}, "f", timestamp_ms=0)
    assert doc["Records"] == 0 and doc["MessagesFailed"] == 0
