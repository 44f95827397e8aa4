"""Slack Block Kit messages: snapshots of representative cases, escaping, limits, key modes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from access_alerts.grouping import group_alerts
from access_alerts.keys import KeyFormatter, canonical_key, key_digest
from access_alerts.model import Principal
from access_alerts.slack import (
    FIELD_LIMIT,
    HEADER_LIMIT,
    MAX_PAYLOAD_CHARS,
    SECTION_LIMIT,
    clip_mrkdwn,
    code,
    console_link,
    esc,
    format_group,
)
from tests.factories import access_event, alert, role_principal, storm, user_principal

SHOW = KeyFormatter("show")
HOSTILE = "<!channel> <https://evil.example|click me> & `rm -rf` <@U123>"


@pytest.fixture
def snap(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def one(decisions: list[Any], keys: KeyFormatter = SHOW, name: str = "prod-alerts") -> dict[str, Any]:
    groups = group_alerts(decisions)
    assert len(groups) == 1
    return format_group(groups[0], name, keys)


def all_mrkdwn(payload: dict[str, Any]) -> list[str]:
    texts = [payload["text"]]
    for block in payload["blocks"]:
        if isinstance(block.get("text"), dict) and block["text"]["type"] == "mrkdwn":
            texts.append(block["text"]["text"])
        texts.extend(f["text"] for f in block.get("fields", []))
    return texts


def assert_within_limits(payload: dict[str, Any]) -> None:
    assert len(json.dumps(payload, ensure_ascii=False)) <= MAX_PAYLOAD_CHARS
    blocks = payload["blocks"]
    assert 1 <= len(blocks) <= 50
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["type"] == "plain_text"
    assert len(blocks[0]["text"]["text"]) <= HEADER_LIMIT
    for block in blocks[1:]:
        if "text" in block:
            assert len(block["text"]["text"]) <= SECTION_LIMIT
        fields = block.get("fields", [])
        assert len(fields) <= 10
        assert all(len(f["text"]) <= FIELD_LIMIT for f in fields)


# -- snapshots -----------------------------------------------------------------------------------


def test_single_data_alert(snap: SnapshotAssertion) -> None:
    payload = one(
        [alert(access_event(api="GetItem", keys=({"Artist": "No One You Know", "SongTitle": "Call Me"},)))]
    )
    assert_within_limits(payload)
    assert payload == snap


def test_grouped_storm(snap: SnapshotAssertion) -> None:
    payload = one(storm(10_000, access="write", api="DeleteItem"))
    assert_within_limits(payload)
    assert "10,000 records" in payload["blocks"][0]["text"]["text"]
    assert "and 9990 more" in json.dumps(payload)
    assert payload == snap


def test_tamper(snap: SnapshotAssertion) -> None:
    event = access_event(
        api="StopLogging",
        access="write",
        category="management",
        table="",
        keys=(),
        event_id="aaaa-tamper-1",
        target="arn:aws:cloudtrail:eu-west-1:111122223333:trail/prod-alerts",
        principal=user_principal("mallory"),
        console=True,
    )
    payload = one(
        [alert(event, kind="tamper", reason="StopLogging on the alerting trail by a non-allowed principal")]
    )
    assert payload["blocks"][0]["text"]["text"].startswith(":warning: TAMPER")
    assert payload == snap


def test_control_plane(snap: SnapshotAssertion) -> None:
    event = access_event(
        api="DeleteTable",
        access="write",
        category="management",
        keys=(),
        event_id="cccc-1",
        target="arn:aws:dynamodb:eu-west-1:111122223333:table/Orders",
    )
    payload = one([alert(event, kind="control_plane", reason="DeleteTable on monitored table Orders")])
    assert "control-plane" in payload["blocks"][0]["text"]["text"]
    assert payload == snap


def test_unparseable(snap: SnapshotAssertion) -> None:
    decisions = [
        alert(
            None,
            kind="unparseable",
            reason="record is not JSON (Expecting value at position 0)",
            source_id="37516444594976512018976743961371914452669294282012803072",
        ),
        alert(
            None,
            kind="unparseable",
            reason="record is not JSON (Expecting value at position 0)",
            source_id="37516444594976512018976743961371914452669294282012803073",
        ),
    ]
    payload = one(decisions)
    assert payload == snap


def test_unidentified_caller(snap: SnapshotAssertion) -> None:
    nobody = Principal(type="Unknown", arn=None, display="unknown caller (no userIdentity)", identified=False)
    payload = one(
        [
            alert(
                access_event(principal=nobody, api="GetRecords", keys=()),
                reason="caller could not be identified (no userIdentity)",
            )
        ]
    )
    assert payload == snap


def test_hostile_strings(snap: SnapshotAssertion) -> None:
    evil = role_principal(session=HOSTILE)
    event = access_event(
        principal=evil,
        table="Orders<!here>",
        keys=({"pk": HOSTILE, "sk": {"S": "a`b"}},),
        user_agent=HOSTILE,
        statements=(f"SELECT * FROM \"Orders\" WHERE pk = '***(Redacted)' AND x = '{HOSTILE}'",),  # noqa: S608
        error_code="<!everyone>",
        error_message=HOSTILE,
        api="ExecuteStatement",
    )
    payload = one([alert(event, reason=f"not allowed {HOSTILE}")])
    for text in all_mrkdwn(payload):
        assert "<!" not in text and "<@" not in text and "<https://evil" not in text
        # every < left is the start of one of our own CloudTrail links
        assert all(
            part.startswith("https://eu-west-1.console.aws.amazon.com/") for part in text.split("<")[1:]
        )
    assert "&lt;!channel&gt;" in json.dumps(payload)
    assert payload == snap


def test_hash_mode(snap: SnapshotAssertion) -> None:
    keys = KeyFormatter("hash", b"per-deployment-secret")
    payload = one([alert(access_event(keys=({"pk": {"S": "customer#42"}, "sk": {"S": "order#7"}},)))], keys)
    dumped = json.dumps(payload)
    assert "customer#42" not in dumped and "order#7" not in dumped
    assert "hmac:" in dumped
    assert payload == snap


def test_hide_mode(snap: SnapshotAssertion) -> None:
    payload = one(
        [alert(access_event(keys=({"pk": {"S": "customer#42"}, "sk": {"S": "order#7"}},)))],
        KeyFormatter("hide"),
    )
    dumped = json.dumps(payload)
    assert "customer#42" not in dumped and "pk, sk" in dumped
    assert payload == snap


def test_very_long_values_truncated(snap: SnapshotAssertion) -> None:
    long = "x" * 50_000
    event = access_event(
        principal=role_principal(session="s" * 5000, role="R" * 64),
        table="T" * 255,
        keys=tuple({"pk": long + str(i)} for i in range(20)),
        user_agent="u" * 10_000,
        statements=tuple(f"SELECT {long} {i}" for i in range(5)),
        attribute_names=tuple("a" * 300 + str(i) for i in range(20)),
        error_code="E" * 1000,
        error_message="m" * 10_000,
    )
    payload = one([alert(event, reason="r" * 10_000)])
    assert_within_limits(payload)
    assert "\u2026" in json.dumps(payload, ensure_ascii=False)
    assert payload == snap


# -- behaviour -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<https://x|y>", "&lt;https://x|y&gt;"),
        ("a & b", "a &amp; b"),
        ("&lt;", "&amp;lt;"),
    ],
)
def test_esc(raw: str, escaped: str) -> None:
    assert esc(raw) == escaped


def test_code_span_cannot_be_closed_by_backticks_or_newlines() -> None:
    text = code("a`b\nc<d>", 100)
    assert text.count("`") == 2 and "\n" not in text and "&lt;d&gt;" in text


def test_clip_mrkdwn_never_splits_entities_or_links() -> None:
    assert clip_mrkdwn("abc &amp; def", 7) == "abc \u2026"
    assert clip_mrkdwn("see <https://example.com|link> now", 12) == "see \u2026"
    assert clip_mrkdwn("short", 10) == "short"


def test_console_link_escapes_event_id_and_checks_region() -> None:
    assert console_link("us-east-1", "a/b|c>d") == (
        "https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/a%2Fb%7Cc%3Ed"
    )
    assert console_link("evil.com/x", "id") is None
    assert console_link(None, "id") is None


def test_key_digest_is_stable_keyed_and_order_independent() -> None:
    a = key_digest({"pk": "x", "sk": "y"}, b"k1")
    assert a == key_digest({"sk": "y", "pk": "x"}, b"k1")
    assert a != key_digest({"pk": "x", "sk": "y"}, b"k2")
    assert a.startswith("hmac:") and len(a) == len("hmac:") + 12
    assert canonical_key({"b": 1, "a": "é"}) == '{"a":"é","b":1}'
    with pytest.raises(ValueError, match="needs a secret"):
        KeyFormatter("hash")
    assert "k1" not in repr(KeyFormatter("hash", b"k1"))


def test_formatting_never_fails_on_odd_values() -> None:
    weird = access_event(
        principal=Principal(type="", arn="", display=""),
        table="",
        keys=({},),
        event_id="",
        time="",
        region="",
        source_ip="",
        user_agent="\x00\x1b[31m",
    )
    payload = one([alert(weird, reason="")])
    assert_within_limits(payload)
    assert "\x1b" not in json.dumps(payload, ensure_ascii=False)


def test_many_groups_fields_cap() -> None:
    payload = one(storm(3))
    fields = next(b for b in payload["blocks"] if "fields" in b)["fields"]
    assert len(fields) <= 10


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    session=st.text(max_size=400),
    agent=st.text(max_size=4000),
    key=st.dictionaries(st.text(max_size=50), st.text(max_size=3000), max_size=4),
    statement=st.text(max_size=5000),
    table=st.text(min_size=1, max_size=300),
    count=st.integers(min_value=1, max_value=30),
)
def test_any_values_give_a_valid_bounded_escaped_message(
    session: str, agent: str, key: dict[str, str], statement: str, table: str, count: int
) -> None:
    event = access_event(
        principal=role_principal(session=session),
        user_agent=agent,
        keys=(key,),
        statements=(statement,),
        table=table,
        error_code=session[:50] or None,
    )
    payload = one([alert(event, event_id=f"id-{i}") for i in range(count)], KeyFormatter("show"))
    assert_within_limits(payload)
    for text in all_mrkdwn(payload):
        for part in text.split("<")[1:]:
            assert part.startswith("https://eu-west-1.console.aws.amazon.com/cloudtrailv2/")
        assert ">" not in text.replace("|Open in CloudTrail>", "").replace("|event 2>", "").replace(
            "|event 3>", ""
        )
