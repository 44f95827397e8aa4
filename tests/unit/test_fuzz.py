"""Property tests: decode raises only PayloadError; evaluate never raises and fails closed."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access_alerts.decode import PayloadError, decode_subscription
from access_alerts.model import Decision, PipelineResources, PolicySettings
from access_alerts.policy import Policy, is_insights_event
from tools.payloads import encode_subscription

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "records"
BY_NAME: dict[str, dict[str, Any]] = {}
for _p in sorted(FIXTURES.glob("*.json")):
    _r = json.loads(_p.read_text(encoding="utf-8"))
    _r.pop("_expect")
    BY_NAME[_p.stem] = _r
RECORDS = list(BY_NAME.values())

A = "111122223333"
POLICY = Policy(
    PolicySettings(
        tables=(f"arn:aws:dynamodb:us-east-1:{A}:table/Orders", "Music"),
        allowed=(
            f"arn:aws:iam::{A}:role/service/orders-writer",
            "dynamodb.amazonaws.com",
            f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/*",
        ),
        allowed_management=(f"arn:aws:iam::{A}:role/deployer",),
        pipeline=PipelineResources(
            trail_arn=f"arn:aws:cloudtrail:us-east-1:{A}:trail/ddb-alerts", function_name="ddb-alerts"
        ),
    )
)

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
FIELDS = [
    "eventName",
    "eventSource",
    "eventCategory",
    "userIdentity",
    "requestParameters",
    "resources",
    "eventID",
    "recipientAccountId",
    "awsRegion",
    "readOnly",
    "errorCode",
    "sessionCredentialFromConsole",
    "eventType",
    "eventVersion",
]
SUBFIELDS = [
    "tableName",
    "TableName",
    "key",
    "Key",
    "item",
    "requestItems",
    "RequestItems",
    "transactItems",
    "statement",
    "statements",
    "transactStatements",
    "streamArn",
    "name",
    "functionName",
    "arn",
    "type",
    "sessionContext",
    "invokedBy",
    "onBehalfOf",
    "backupArn",
    "targetTableName",
    "resourceArn",
]


def check(d: object) -> Decision:
    assert isinstance(d, Decision)
    assert d.kind in ("alert", "allowed", "ignored")
    assert (d.alert_kind is not None) == (d.kind == "alert")
    assert (d.matched is not None) == (d.kind == "allowed")
    assert d.reason
    # The catch-all in evaluate exists for safety; reaching it means a parsing bug.
    assert not d.reason.startswith("record could not be processed"), d.reason
    return d


@st.composite
def mutated_records(draw: st.DrawFn) -> dict[str, Any]:
    rec = json.loads(json.dumps(draw(st.sampled_from(RECORDS))))
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["replace", "delete", "sub"]))
        field = draw(st.sampled_from(FIELDS))
        if action == "delete":
            rec.pop(field, None)
        elif action == "replace":
            rec[field] = draw(json_values)
        else:
            target = rec.get(field)
            if isinstance(target, dict):
                target[draw(st.sampled_from(SUBFIELDS))] = draw(json_values)
    return rec


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_records())
def test_mutated_records_never_raise(rec: dict[str, Any]) -> None:
    d = check(POLICY.evaluate(rec))
    d2 = check(POLICY.evaluate(json.dumps(rec)))
    assert (d.kind, d.alert_kind, d.matched) == (d2.kind, d2.alert_kind, d2.matched)
    name = rec.get("eventName")
    if is_insights_event(rec):  # CloudTrail Insights events carry no eventName and are ignored by design
        assert d.kind == "ignored"
    elif not isinstance(name, str) or not name:
        assert (d.kind, d.alert_kind) == ("alert", "unparseable")


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_random_json_values_never_raise(value: Any) -> None:
    d = check(POLICY.evaluate(json.dumps(value)))
    if isinstance(value, dict) and is_insights_event(value):
        assert d.kind == "ignored"
    elif not isinstance(value, dict) or not isinstance(value.get("eventName"), str) or not value["eventName"]:
        assert (d.kind, d.alert_kind) == ("alert", "unparseable")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_random_bytes_and_text_never_raise(message: bytes | str) -> None:
    d = check(POLICY.evaluate(message))
    assert d.kind in ("alert", "ignored", "allowed")


@settings(max_examples=300, deadline=None)
@given(json_values | st.binary(max_size=100))
def test_decode_random_events_raises_only_payload_error(event: Any) -> None:
    for candidate in (event, {"awslogs": event}, {"awslogs": {"data": event}}):
        try:
            payload = decode_subscription(candidate)
        except PayloadError as exc:
            assert str(exc)
            continue
        assert payload.message_type in ("DATA_MESSAGE", "CONTROL_MESSAGE")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated_records() | st.text(max_size=50), min_size=0, max_size=5), st.data())
def test_mutated_payloads_decode_or_fail_cleanly_and_every_record_gets_one_decision(
    messages: list[Any], data: st.DataObject
) -> None:
    event = encode_subscription(messages, timestamp=1_763_456_789_000)
    raw = bytearray(base64.b64decode(event["awslogs"]["data"]))
    mutation = data.draw(st.sampled_from(["none", "flip", "truncate", "append", "b64"]))
    if mutation == "flip" and raw:
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] ^= data.draw(st.integers(1, 255))
    elif mutation == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    elif mutation == "append":
        raw += data.draw(st.binary(min_size=1, max_size=20))
    encoded = base64.b64encode(bytes(raw)).decode()
    if mutation == "b64":
        encoded = encoded[: len(encoded) // 2] + "*" + encoded[len(encoded) // 2 :]
    try:
        payload = decode_subscription({"awslogs": {"data": encoded}})
    except PayloadError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    decisions = POLICY.evaluate_payload(payload)
    assert len(decisions) == len(payload.log_events)
    for d in decisions:
        check(d)
    if mutation == "none":
        assert len(decisions) == len(messages)


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=0, max_size=200))
def test_random_gzip_content_is_decoded_or_rejected(blob: bytes) -> None:
    event = {"awslogs": {"data": base64.b64encode(gzip.compress(blob)).decode()}}
    try:
        payload = decode_subscription(event)
    except PayloadError:
        return
    for d in POLICY.evaluate_payload(payload):
        check(d)


def test_256kb_record_and_non_utf8_bytes_are_decided() -> None:
    rec = dict(BY_NAME["putitem_assumed_role"])
    rec["requestParameters"] = {"tableName": "Orders", "key": {"Id": "x" * 262_144}}
    d = check(POLICY.evaluate(json.dumps(rec)))
    assert d.event is not None and d.event.tables == ("Orders",)
    raw = (
        json.dumps(dict(BY_NAME["putitem_assumed_role"], userAgent="UA-XX"))
        .encode()
        .replace(b"XX", b"\xc3\x28\xff")
    )
    d2 = check(POLICY.evaluate(raw))
    assert d2.event is not None and d2.event.user_agent is not None and "\ufffd" in d2.event.user_agent
