"""Issue 9, flood fairness: one caller cannot starve another of delivery.

The issue's reproduction: 40 writes by one role, each with another session name (or each naming another
non-existent table in a BatchGetItem), then one Scan by a second person, in one payload, with 20 s of Lambda
time left. Before, that was 41 messages in order of appearance: 19 went out, the second person's never did,
and every retry re-sent the same first batch. Now a caller over the cap gets one merged message, and every
caller's first message goes before anyone's second (grouping.py, docs/delivery.md).

The records are fixture records (tests/fixtures/records); the floods are built from them.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from access_alerts import alert_json, facts, teams
from access_alerts.delivery import deliver_groups
from access_alerts.grouping import MAX_GROUPS_PER_CALLER, MAX_SAMPLE, AlertGroup, group_alerts
from access_alerts.keys import KeyFormatter
from access_alerts.model import Decision
from access_alerts.policy import Policy
from access_alerts.slack import format_group
from access_alerts.webhook import HttpResponse, WebhookClient
from tests.factories import access_event, alert, user_principal
from tests.fakes import pool, settings
from tests.unit.test_records_fixtures import FIXTURES, SETTINGS, load_fixture

ROLE = "arn:aws:iam::111122223333:role/app-worker"
SECOND = "carol@example.com"


def fixture(name: str) -> dict[str, Any]:
    return load_fixture(FIXTURES / f"{name}.json")[0]


def session_flood(n: int) -> list[dict[str, Any]]:
    """n PutItems of the app-worker role, each from another session."""
    base = fixture("putitem_assumed_role")
    out = []
    for i in range(n):
        rec = copy.deepcopy(base)
        rec["userIdentity"]["arn"] = f"arn:aws:sts::111122223333:assumed-role/app-worker/s-{i:02d}"
        rec["userIdentity"]["principalId"] = f"AROAEXAMPLEIDAPP-WO:s-{i:02d}"
        rec["eventID"] = f"flood-{i:02d}"
        out.append(rec)
    return out


def table_flood(n: int) -> list[dict[str, Any]]:
    """n BatchGetItems of one session, each naming another table that does not exist."""
    base = fixture("batchgetitem_extra_missing_table")
    out = []
    for i in range(n):
        rec = copy.deepcopy(base)
        items = rec["requestParameters"]["requestItems"]
        items[f"does-not-exist-{i:02d}"] = items.pop("does-not-exist-00")
        rec["resources"][1]["ARN"] = rec["resources"][1]["ARN"].replace("-00", f"-{i:02d}")
        rec["eventID"] = f"tables-{i:02d}"
        out.append(rec)
    return out


def decide(records: list[dict[str, Any]]) -> list[Decision]:
    policy = Policy(SETTINGS, monitor_all_tables=True)
    return [policy.evaluate(r) for r in records]


def second_person() -> dict[str, Any]:
    return fixture("scan_sso_admin_second_caller")


@pytest.mark.parametrize("flood", [session_flood, table_flood], ids=["sessions", "tables"])
def test_a_flood_is_one_message_and_the_second_person_comes_second(flood: Any) -> None:
    groups = group_alerts(decide([*flood(40), second_person()]))
    assert len(groups) == 2
    merged, other = groups
    assert merged.count == 40 and merged.merged_groups == 40 and len(merged.event_ids) == 40
    assert other.principal is not None and other.principal.session_name == SECOND
    assert other.count == 1


def test_merged_sessions_are_counted_with_a_bounded_sample() -> None:
    (merged, _) = group_alerts(decide([*session_flood(40), second_person()]))
    assert merged.distinct_sessions == 40 and len(merged.sessions) == MAX_SAMPLE
    assert merged.principal is not None
    assert merged.principal.arn == ROLE and merged.principal.session_name is None
    assert merged.principal.display == "role/app-worker (several sessions)"
    assert merged.tables == ("Orders",) and merged.distinct_tables == 1


def test_merged_tables_are_counted() -> None:
    (merged, _) = group_alerts(decide([*table_flood(40), second_person()]))
    assert merged.distinct_tables == 41  # Orders and the 40 tables that do not exist
    assert "Orders" in merged.tables and merged.distinct_sessions == 1
    assert merged.principal is not None and merged.principal.session_name is not None  # one session: kept


def test_the_cap() -> None:
    at_cap = group_alerts(decide(session_flood(MAX_GROUPS_PER_CALLER)))
    assert len(at_cap) == MAX_GROUPS_PER_CALLER and all(g.merged_groups == 1 for g in at_cap)
    over = group_alerts(decide(session_flood(MAX_GROUPS_PER_CALLER + 1)))
    assert len(over) == 1 and over[0].merged_groups == MAX_GROUPS_PER_CALLER + 1


class Slack:
    """Slack's pace on a fake clock: each post takes 0.3 s; the client's own pacing (0.95/s) sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.bodies: list[dict[str, Any]] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def transport(self, url: str, body: bytes, timeout: float, headers: Any = None) -> HttpResponse:
        self.now += 0.3
        self.bodies.append(json.loads(body))
        return HttpResponse(status=200, body="ok")


@pytest.mark.parametrize("flood", [session_flood, table_flood], ids=["sessions", "tables"])
def test_with_20_seconds_left_the_second_person_is_delivered(flood: Any) -> None:
    slack = Slack()
    client = WebhookClient(
        "https://hooks.example/x", transport=slack.transport, clock=slack.clock, sleep=slack.sleep
    )
    delivery = settings()
    groups = group_alerts(decide([*flood(40), second_person()]))
    report = deliver_groups(
        groups, delivery, senders=pool(delivery.routing, {"default": client}), deadline=slack.now + 20 - 3
    )
    assert report.failed == 0 and report.sent == 2
    assert SECOND in json.dumps(slack.bodies[1])


def test_round_robin_with_tamper_and_control_plane_first_in_each_round() -> None:
    a, b, c = user_principal("a"), user_principal("b"), user_principal("c")
    a_data = [alert(access_event(principal=a, table=f"T{i}", event_id=f"a-d{i}")) for i in range(3)]
    a_tamper = alert(access_event(principal=a, api="StopLogging", table="", event_id="a-t"), kind="tamper")
    b_data = alert(access_event(principal=b, event_id="b-d"))
    c_control = alert(access_event(principal=c, api="DeleteTable", event_id="c-c"), kind="control_plane")
    groups = group_alerts([*a_data, b_data, a_tamper, c_control])
    firsts = [g.event_ids[0] for g in groups]
    # Round 1: each caller's most important group (tamper, control plane, data); round 2: a's next ones.
    assert firsts == ["a-t", "c-c", "b-d", "a-d0", "a-d1", "a-d2"]


def test_a_tamper_flood_is_merged_too_and_does_not_starve_others() -> None:
    base = fixture("stoplogging_pipeline_trail")
    flood = []
    for i in range(30):
        rec = copy.deepcopy(base)
        rec["eventID"] = f"t-{i:02d}"
        flood.append(rec)
    policy = Policy(SETTINGS)
    decisions = [policy.evaluate(r) for r in [*flood, second_person()]]
    assert all(d.kind == "alert" for d in decisions)
    groups = group_alerts(decisions)
    assert [(g.alert_kind, g.count) for g in groups] == [("tamper", 30), ("data", 1)]


def merged_group() -> AlertGroup:
    return group_alerts(decide([*session_flood(40), *table_flood(3)]))[0]


def test_every_format_says_how_many_sessions_and_tables() -> None:
    (sessions,) = [g for g in group_alerts(decide(session_flood(40)))]
    keys = KeyFormatter("show")
    slack_text = json.dumps(format_group(sessions, "prod", keys))
    assert "40 sessions" in slack_text and "s-00" in slack_text and "and 30 more" in slack_text
    assert "40 groups" in slack_text
    shown = {f.label: f.text for f in facts.facts(sessions, keys)}
    assert shown["Sessions"].startswith("40: s-00")
    card = json.dumps(teams.format_group(sessions, "prod", keys))
    assert "40 sessions" in card
    body = alert_json.format_group(sessions, "prod", keys)
    assert (
        body["distinct_sessions"] == 40
        and body["merged_groups"] == 40
        and len(body["sessions"]) == MAX_SAMPLE
    )
    (tables,) = group_alerts(decide(table_flood(40)))
    slack_text = json.dumps(format_group(tables, "prod", keys))
    assert "41 tables" in slack_text
    assert alert_json.format_group(tables, "prod", keys)["distinct_tables"] == 41
