"""grouping.group_alerts: storms collapse, tamper/control-plane never merge, order is stable."""

from __future__ import annotations

from access_alerts.grouping import MAX_KEYS, count_decisions, group_alerts
from tests.factories import (
    access_event,
    alert,
    allowed,
    ignored,
    role_principal,
    storm,
    user_principal,
)


def test_ten_thousand_records_one_person_one_table_is_one_group() -> None:
    decisions = storm(10_000)
    groups = group_alerts(decisions)
    assert len(groups) == 1
    g = groups[0]
    assert g.count == 10_000
    assert len(g.event_ids) == 10_000 and g.event_ids[0] == "e-000000" and g.event_ids[-1] == "e-009999"
    assert len(g.keys) == MAX_KEYS and g.distinct_keys == 10_000
    assert g.event_names == ("Scan",)
    assert g.first_time == "2026-11-25T09:00:00Z" and g.last_time == "2026-11-25T09:59:59Z"


def test_three_people_two_tables_at_most_six_groups() -> None:
    people = [role_principal("alice@example.com"), role_principal("carol@example.com"), user_principal("bob")]
    decisions = []
    for i in range(3000):
        p = people[i % 3]
        table = "Orders" if i % 2 else "Customers"
        decisions += storm(1, principal=p, table=table, id_prefix=f"x{i}")
    groups = group_alerts(decisions)
    assert len(groups) == 6
    assert sum(g.count for g in groups) == 3000
    assert {(g.principal.display if g.principal else None, g.tables) for g in groups} == {
        (p.display, (t,)) for p in people for t in ("Orders", "Customers")
    }


def test_read_and_write_are_separate_groups_with_sorted_distinct_apis() -> None:
    d = [
        alert(access_event(api="PutItem", access="write", event_id="1")),
        alert(access_event(api="GetItem", access="read", event_id="2")),
        alert(access_event(api="DeleteItem", access="write", event_id="3", error_code="AccessDenied")),
        alert(access_event(api="PutItem", access="write", event_id="4")),
    ]
    groups = group_alerts(d)
    assert [(g.access, g.event_names, g.count) for g in groups] == [
        ("write", ("DeleteItem", "PutItem"), 3),
        ("read", ("GetItem",), 1),
    ]
    assert groups[0].error_codes == ("AccessDenied",)
    assert groups[0].event_ids == ("1", "3", "4")


def test_a_table_and_its_replica_in_another_region_are_separate_groups() -> None:
    d = [
        alert(access_event(event_id="1", region="us-east-1")),
        alert(access_event(event_id="2", region="eu-west-1")),
        alert(access_event(event_id="3", region="us-east-1")),
    ]
    groups = group_alerts(d)
    assert [(g.tables, g.regions, g.event_ids) for g in groups] == [
        (("Orders",), ("us-east-1",), ("1", "3")),
        (("Orders",), ("eu-west-1",), ("2",)),
    ]


def test_tamper_and_control_plane_are_never_merged_and_come_first() -> None:
    data = storm(3)
    tamper = [
        alert(
            access_event(
                api="StopLogging",
                category="management",
                event_id=f"t{i}",
                table="",
                target="arn:aws:cloudtrail:eu-west-1:111122223333:trail/alerts",
            ),
            kind="tamper",
        )
        for i in range(2)
    ]
    control = [
        alert(
            access_event(api="DeleteTable", access="write", category="management", event_id="c1"),
            kind="control_plane",
        )
    ]
    groups = group_alerts([*data, tamper[0], *control, tamper[1]])
    assert [g.alert_kind for g in groups] == ["tamper", "tamper", "control_plane", "data"]
    assert [g.event_ids for g in groups[:3]] == [("t0",), ("t1",), ("c1",)]
    assert groups[0].targets == ("arn:aws:cloudtrail:eu-west-1:111122223333:trail/alerts",)
    assert groups[3].count == 3


def test_unparseable_records_group_together_with_reasons_and_source_ids() -> None:
    d = [
        alert(None, kind="unparseable", reason="record is not JSON", source_id=f"log-{i}") for i in range(7)
    ] + [
        alert(None, kind="unparseable", reason="record is not an object", source_id="log-x", event_id="ev-9")
    ]
    groups = group_alerts(d)
    assert len(groups) == 1
    g = groups[0]
    assert g.count == 8 and g.principal is None
    assert g.reasons == ("record is not JSON", "record is not an object")
    assert g.missing_event_ids == 7 and g.event_ids == ("ev-9",)
    assert g.source_ids == ("log-0", "log-1", "log-2", "log-3", "log-4")  # bounded


def test_non_alerts_are_not_grouped_but_counted() -> None:
    e = access_event()
    d = [alert(e), allowed(e), ignored(e), ignored(None), alert(e)]
    assert count_decisions(d) == {"records": 5, "alert": 2, "allowed": 1, "ignored": 2}
    groups = group_alerts(d)
    assert len(groups) == 1 and groups[0].count == 2
    assert groups[0].event_ids == (e.event_id,)  # duplicate eventIDs listed once


def test_order_is_deterministic_by_first_appearance() -> None:
    a = storm(2, principal=user_principal("zed"), id_prefix="z")
    b = storm(2, principal=user_principal("amy"), id_prefix="a")
    interleaved = [a[0], b[0], a[1], b[1]]
    first = group_alerts(interleaved)
    again = group_alerts(list(interleaved))
    assert [g.principal.display for g in first if g.principal] == ["user/zed", "user/amy"]
    assert first == again


def test_samples_are_bounded() -> None:
    d = [
        alert(
            access_event(
                event_id=str(i),
                source_ip=f"10.0.0.{i}",
                user_agent=f"agent/{i}",
                statements=(f"SELECT * FROM Orders WHERE pk = '***(Redacted)' -- {i}",),  # noqa: S608
                attribute_names=tuple(f"attr{j}" for j in range(30)),
            )
        )
        for i in range(50)
    ]
    g = group_alerts(d)[0]
    assert len(g.source_ips) == 5 and len(g.user_agents) == 5 and len(g.statements) == 5
    assert len(g.attribute_names) == 20
    assert len(g.event_ids) == 50
