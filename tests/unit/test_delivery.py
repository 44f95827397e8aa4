"""delivery.deliver_groups: routing, formatting + sending per destination, failures, the ledger seam;
RunSummary counts; the metrics lines."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest

from access_alerts import rules, slack, webhook
from access_alerts.delivery import (
    DeliveryError,
    DeliveryReport,
    DestinationReport,
    Plan,
    RunSummary,
    ThreadMemory,
    deliver_groups,
)
from access_alerts.destinations import Route
from access_alerts.grouping import AlertGroup, group_alerts
from access_alerts.metrics import (
    DESTINATION_METRICS,
    METRICS,
    emf_document,
    emit_destination_metrics,
    emit_summary,
)
from access_alerts.model import Decision
from access_alerts.senders import SenderPool
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
from tests.fakes import FakePost, pool, routing, settings

SETTINGS = settings()


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
        alert(
            access_event(api="StopLogging", category="management", access="write", table="", event_id="t1"),
            kind="tamper",
        ),
        *[allowed(e) for _ in range(40)],
        *[ignored() for _ in range(7)],
    ]


def deliver(decisions: list[Decision], post: FakePost | None = None, **kw: Any) -> RunSummary:
    """Group, deliver to the one default destination through ``post``, and count, as the handler does."""
    groups = group_alerts(decisions)
    senders = pool(SETTINGS.routing, {"default": post}) if post is not None else None
    return RunSummary.count(decisions, groups, deliver_groups(groups, SETTINGS, senders=senders, **kw))


def test_counts_add_up_and_every_group_is_sent() -> None:
    post = FakePost()
    summary = deliver(mixed(), post, deadline=123.0)
    assert summary == RunSummary(
        records=848,
        alert=801,
        allowed=40,
        ignored=7,
        groups=3,
        messages_sent=3,
        messages_failed=0,
        records_in_failed_deliveries=0,
        destinations=(DestinationReport("default", "slack_webhook", sent=3),),
    )
    assert summary.alert + summary.allowed + summary.ignored == summary.records
    assert post.deadlines == [123.0, 123.0, 123.0]
    assert post.payloads[0]["blocks"][0]["text"]["text"].startswith(":warning: TAMPER")


def test_no_alerts_no_destination_needed() -> None:
    summary = deliver([ignored(), allowed(access_event())])
    assert summary.records == 2 and summary.messages_sent == 0 and summary.groups == 0
    assert summary.destinations == ()


def test_failure_does_not_stop_other_messages() -> None:
    post = FakePost(fail_when=lambda p: "Customers" in json.dumps(p))
    s = deliver(mixed(), post)
    assert len(post.payloads) == 3
    assert (s.messages_sent, s.messages_failed, s.records_in_failed_deliveries) == (2, 1, 300)
    assert s.alert == 801 and s.records == 848
    assert s.failures[0].startswith("default: ")
    assert "b-000000" in s.failures[0] and "HTTP 500" in s.failures[0]
    error = DeliveryError(s)
    assert "1 of 3 alert messages" in str(error) and "default 2 sent, 1 failed" in str(error)
    assert "example.com" not in str(error)


def test_post_that_raises_counts_as_failed() -> None:
    def boom(payload: Mapping[str, Any], deadline: float | None) -> PostResult:
        raise OSError("socket exploded")

    report = deliver_groups(
        group_alerts(storm(3)), SETTINGS, senders=pool(SETTINGS.routing, {"default": boom})
    )
    assert (report.sent, report.failed, report.records_in_failed) == (0, 1, 3)
    assert "sender raised OSError" in report.failures[0]


def test_formatting_failure_still_sends_a_minimal_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> dict[str, Any]:
        raise RuntimeError("bug")

    monkeypatch.setattr(slack, "format_group", broken)
    post = FakePost()
    summary = deliver(storm(2), post)
    assert summary.messages_sent == 1
    assert "could not be formatted" in post.payloads[0]["text"] and "e-000001" in post.payloads[0]["text"]


def test_hash_mode_uses_the_deployment_secret() -> None:
    hashed = settings(key_values="hash", key_hash_secret="k" * 32)
    post = FakePost()
    groups = group_alerts([alert(access_event(keys=({"pk": "secret-customer"},)))])
    deliver_groups(groups, hashed, senders=pool(hashed.routing, {"default": post}))
    dumped = json.dumps(post.payloads)
    assert "secret-customer" not in dumped and "hmac:" in dumped


def test_default_pool_builds_a_webhook_client_from_the_destination(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    class Client:
        def __init__(self, url: str, **kw: Any) -> None:
            seen.append(url)

        def __call__(self, payload: Mapping[str, Any], deadline: float | None) -> PostResult:
            return PostResult(True, 200, 1)

    monkeypatch.setattr(webhook, "WebhookClient", Client)
    monkeypatch.setattr("access_alerts.senders.WebhookClient", Client)
    assert deliver(storm(1)).messages_sent == 1
    assert seen == ["https://example.com/default"]


def test_summary_as_dict() -> None:
    d = RunSummary(
        records=1, alert=1, failures=("x",), destinations=(DestinationReport("a", "sns", sent=1),)
    ).as_dict()
    assert d["failures"] == ["x"] and d["records"] == 1 and d["messages_sent"] == 0
    assert d["destinations"] == {
        "a": {"type": "sns", "sent": 1, "failed": 0, "skipped": 0, "records_in_failed": 0}
    }


# -- several destinations ------------------------------------------------------------------------------


ROUTES = routing(
    "oncall",
    "orders-team",
    "siem",
    routes=[
        Route("orders", tables=("Orders",), destinations=("orders-team",)),
        Route("writes", access=("write",), destinations=("siem",)),
    ],
    defaults=["oncall"],
)


def test_each_group_reaches_its_routes_destinations_and_tamper_the_defaults_too() -> None:
    posts = {name: FakePost() for name in ROUTES.destinations}
    report = deliver_groups(group_alerts(mixed()), settings(ROUTES), senders=pool(ROUTES, posts))
    texts = {name: [json.dumps(p) for p in post.payloads] for name, post in posts.items()}
    # Orders reads -> orders-team; Customers writes -> siem; tamper (a write) -> siem and the defaults.
    assert len(texts["orders-team"]) == 1 and "Orders" in texts["orders-team"][0]
    assert len(texts["siem"]) == 2 and "TAMPER" in texts["siem"][0] and "Customers" in texts["siem"][1]
    assert len(texts["oncall"]) == 1 and "TAMPER" in texts["oncall"][0]
    assert [(d.destination, d.sent) for d in report.destinations] == [
        ("oncall", 1),
        ("orders-team", 1),
        ("siem", 2),
    ]


def test_a_failing_destination_does_not_hide_what_the_others_received() -> None:
    posts = {"oncall": FakePost(), "orders-team": FakePost(lambda p: True), "siem": FakePost()}
    decisions = mixed()
    groups = group_alerts(decisions)
    summary = RunSummary.count(
        decisions, groups, deliver_groups(groups, settings(ROUTES), senders=pool(ROUTES, posts))
    )
    by_name = {d.destination: d for d in summary.destinations}
    assert (by_name["orders-team"].failed, by_name["orders-team"].records_in_failed) == (1, 500)
    assert by_name["siem"].sent == 2 and by_name["oncall"].sent == 1
    assert (summary.messages_sent, summary.messages_failed, summary.records_in_failed_deliveries) == (
        3,
        1,
        500,
    )
    message = str(DeliveryError(summary))
    assert "oncall 1 sent; orders-team 0 sent, 1 failed; siem 2 sent" in message
    assert "repeat" in message  # says that a retry can repeat messages


def test_records_in_failed_deliveries_count_a_group_once_across_destinations() -> None:
    both = routing("a", "b", routes=[Route("all", destinations=("a", "b"))], defaults=["a"])
    posts = {"a": FakePost(lambda p: True), "b": FakePost(lambda p: True)}
    report = deliver_groups(group_alerts(storm(7)), settings(both), senders=pool(both, posts))
    assert report.failed == 2 and report.records_in_failed == 7


def test_destinations_are_worked_in_parallel_each_with_its_own_pace() -> None:
    slow_started = threading.Event()
    release = threading.Event()

    def slow(payload: Mapping[str, Any], deadline: float | None) -> PostResult:
        slow_started.set()
        release.wait(5)
        return PostResult(True, 200, 1)

    fast = FakePost()

    def fast_post(payload: Mapping[str, Any], deadline: float | None) -> PostResult:
        result = fast(payload, deadline)
        if len(fast.payloads) == 3:
            release.set()  # only reached while the slow destination is still waiting
        return result

    both = routing("slow", "fast", routes=[Route("all", destinations=("slow", "fast"))], defaults=["slow"])
    started = time.monotonic()
    report = deliver_groups(
        group_alerts(mixed()), settings(both), senders=pool(both, {"slow": slow, "fast": fast_post})
    )
    assert slow_started.is_set() and release.is_set() and time.monotonic() - started < 5
    assert report.sent == 6 and report.failed == 0


def test_a_destination_without_its_secret_fails_alone() -> None:
    from access_alerts.config import ConfigError

    both = routing("a", "b", routes=[Route("all", destinations=("a", "b"))], defaults=["a"])
    post = FakePost()
    senders = pool(both, {"a": post})

    def missing(destination: Any, read: Any) -> Any:
        raise ConfigError(f"destinations.{destination.name}.url_parameter: cannot read SSM parameter '/x'")

    senders._factory = missing
    report = deliver_groups(group_alerts(storm(2)), settings(both), senders=senders)
    by_name = {d.destination: d for d in report.destinations}
    assert by_name["a"].sent == 1
    assert by_name["b"].failed == 1 and "cannot read SSM parameter" in by_name["b"].failures[0]


# -- the ledger seam -----------------------------------------------------------------------------------


class RecordingHooks:
    def __init__(self, skip: set[str] | None = None) -> None:
        self.before: list[tuple[str, tuple[str, ...]]] = []
        self.after: list[tuple[str, tuple[str, ...], str | None]] = []
        self.failed: list[tuple[str, tuple[str, ...]]] = []
        self.skip = skip or set()

    def before_post(self, destination: str, group: AlertGroup) -> Plan:
        self.before.append((destination, group.event_ids[:1]))
        if destination in self.skip:
            return Plan(post=False, reason="already delivered")
        return Plan()

    def after_post(self, destination: str, group: AlertGroup, result: PostResult) -> None:
        self.after.append((destination, group.event_ids[:1], result.ref))

    def after_failure(self, destination: str, group: AlertGroup, result: PostResult) -> None:
        self.failed.append((destination, group.event_ids[:1]))


def test_hooks_are_asked_before_each_post_and_told_after_each_success() -> None:
    posts = {"oncall": FakePost(), "orders-team": FakePost(lambda p: True), "siem": FakePost()}
    hooks = RecordingHooks(skip={"siem"})
    report = deliver_groups(group_alerts(mixed()), settings(ROUTES), senders=pool(ROUTES, posts), hooks=hooks)
    assert sorted(hooks.before) == sorted(
        [("oncall", ("t1",)), ("orders-team", ("a-000000",)), ("siem", ("t1",)), ("siem", ("b-000000",))]
    )
    assert hooks.after == [("oncall", ("t1",), None)]  # orders-team failed, siem was skipped
    assert hooks.failed == [("orders-team", ("a-000000",))]
    by_name = {d.destination: d for d in report.destinations}
    assert by_name["siem"].skipped == 2 and posts["siem"].payloads == []


def test_a_hook_may_post_fewer_records_or_hold_a_group_back_as_not_delivered() -> None:
    decisions = storm(10)
    fewer = group_alerts(decisions[6:])[0]

    class Narrowing(RecordingHooks):
        def before_post(self, destination: str, group: AlertGroup) -> Plan:
            super().before_post(destination, group)
            if destination == "oncall":
                return Plan(group=fewer)  # the 4 records this destination has not received
            return Plan(post=False, failure="another invocation is posting them")

    both = routing("oncall", "siem", routes=[Route("all", destinations=("oncall", "siem"))])
    posts = {"oncall": FakePost(), "siem": FakePost()}
    hooks = Narrowing()
    report = deliver_groups(group_alerts(decisions), settings(both), senders=pool(both, posts), hooks=hooks)
    by_name = {d.destination: d for d in report.destinations}
    assert by_name["oncall"].sent == 1 and ": 4 records by " in str(posts["oncall"].payloads[0]["text"])
    assert hooks.after == [("oncall", ("e-000006",), None)], "told about the group that was posted"
    assert by_name["siem"].failed == 1 and posts["siem"].payloads == []
    assert "another invocation" in by_name["siem"].failures[0]
    assert report.records_in_failed == 10


def test_a_failing_hook_never_stops_an_alert() -> None:
    class Broken:
        def before_post(self, destination: str, group: AlertGroup) -> Plan:
            raise RuntimeError("ledger down")

        def after_post(self, destination: str, group: AlertGroup, result: PostResult) -> None:
            raise RuntimeError("ledger down")

        def after_failure(self, destination: str, group: AlertGroup, result: PostResult) -> None:
            raise RuntimeError("ledger down")

    post = FakePost()
    report = deliver_groups(
        group_alerts(storm(2)), SETTINGS, senders=pool(SETTINGS.routing, {"default": post}), hooks=Broken()
    )
    assert report.sent == 1 and len(post.payloads) == 1


def test_thread_memory_threads_a_storms_later_messages_under_the_first() -> None:
    now = [0.0]
    memory = ThreadMemory(ttl=60, size=2, clock=lambda: now[0])
    first, tamper = group_alerts(storm(3))[0], group_alerts(mixed())[0]
    assert memory.before_post("oncall", first) == Plan()
    memory.after_post("oncall", first, PostResult(True, 200, 1, ref="111.1"))
    assert memory.before_post("oncall", first) == Plan(thread="111.1")
    memory.after_post("oncall", first, PostResult(True, 200, 1, ref="222.2"))  # a reply: thread stays
    assert memory.before_post("oncall", first) == Plan(thread="111.1")
    assert memory.before_post("other", first) == Plan()  # per destination
    memory.after_post("oncall", tamper, PostResult(True, 200, 1, ref="333.3"))
    assert memory.before_post("oncall", tamper) == Plan()  # tamper messages stand alone
    now[0] = 61.0
    assert memory.before_post("oncall", first) == Plan()  # expired


def test_pool_is_reused_between_calls() -> None:
    calls: list[str] = []

    def factory(destination: Any, read: Any) -> Any:
        calls.append(destination.name)
        return pool(SETTINGS.routing, {"default": FakePost()}).get("default")

    senders = SenderPool(SETTINGS.routing, factory=factory)
    deliver_groups(group_alerts(storm(1)), SETTINGS, senders=senders)
    deliver_groups(group_alerts(storm(1)), SETTINGS, senders=senders)
    assert calls == ["default"]
    assert DeliveryReport().describe() == "no destination"


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
    assert cw["Namespace"] == rules.metric_names().namespace == "DynamoDBAccessAlerts"
    assert cw["Dimensions"] == [["FunctionName"]] and doc["FunctionName"] == "prod-fn"
    names = [m["Name"] for m in cw["Metrics"]]
    # the canary's heartbeat count is in every summary; its delay only when a heartbeat arrived
    assert names == [name for name, _ in METRICS] + ["CanarySeen"]
    assert all(m["Unit"] == "Count" for m in cw["Metrics"])
    assert doc["CanarySeen"] == 0 and "CanaryDelaySeconds" not in doc
    assert (doc["Records"], doc["Alerts"], doc["Allowed"], doc["Ignored"]) == (10, 4, 5, 1)
    assert (doc["MessagesSent"], doc["MessagesFailed"], doc["RecordsInFailedDeliveries"]) == (1, 1, 2)
    assert doc["outcome"] == "delivery_failed" and doc["summary"]["records"] == 10
    # every metric named in the directive is a top-level number (EMF requirement)
    for name in names:
        assert isinstance(doc[name], int)


def test_emf_missing_counts_are_zero() -> None:
    doc = emf_document({}, "f", timestamp_ms=0)
    assert doc["Records"] == 0 and doc["MessagesFailed"] == 0


def test_destination_metrics_one_line_per_destination() -> None:
    out = io.StringIO()
    docs = emit_destination_metrics(
        {"oncall": {"type": "slack_app", "sent": 2, "failed": 1, "skipped": 0, "records_in_failed": 5}},
        "prod-fn",
        stream=out,
        clock=lambda: 1.0,
    )
    assert len(out.getvalue().splitlines()) == 1 == len(docs)
    doc = json.loads(out.getvalue())
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["FunctionName", "Destination"]]
    assert (doc["FunctionName"], doc["Destination"]) == ("prod-fn", "oncall")
    assert [m["Name"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]] == [
        n for n, _ in DESTINATION_METRICS
    ]
    assert (doc["MessagesSent"], doc["MessagesFailed"], doc["RecordsInFailedDeliveries"]) == (2, 1, 5)
