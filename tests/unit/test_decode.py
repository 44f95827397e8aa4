"""decode_subscription: every malformed payload ends in PayloadError with a clear reason."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from access_alerts.decode import MAX_DECOMPRESSED_BYTES, PayloadError, decode_subscription
from access_alerts.model import CONTROL_MESSAGE, DATA_MESSAGE, LogEvent
from tools.payloads import encode_subscription


def wrap(raw: bytes) -> dict[str, dict[str, str]]:
    return {"awslogs": {"data": base64.b64encode(raw).decode("ascii")}}


def wrap_doc(doc: Any) -> dict[str, dict[str, str]]:
    return wrap(gzip.compress(json.dumps(doc).encode("utf-8")))


def test_round_trip_with_records_and_text() -> None:
    event = encode_subscription(
        [{"eventName": "PutItem"}, '{"eventName": "GetItem"}'],
        owner="111122223333",
        log_group="lg",
        log_stream="ls",
    )
    payload = decode_subscription(event)
    assert payload.message_type == DATA_MESSAGE
    assert (payload.owner, payload.log_group, payload.log_stream) == ("111122223333", "lg", "ls")
    assert [json.loads(e.message)["eventName"] for e in payload.log_events] == ["PutItem", "GetItem"]
    assert len({e.id for e in payload.log_events}) == 2
    assert all(isinstance(e.timestamp, int) for e in payload.log_events)


def test_encode_keeps_log_event_ids() -> None:
    event = encode_subscription([LogEvent(id="abc", timestamp=5, message="m")])
    assert decode_subscription(event).log_events == (LogEvent(id="abc", timestamp=5, message="m"),)


def test_integer_ids_like_moto_and_missing_ids() -> None:
    payload = decode_subscription(
        wrap_doc(
            {
                "messageType": "DATA_MESSAGE",
                "logEvents": [
                    {"id": 0, "timestamp": 1700000000000, "message": "{}"},
                    {"timestamp": "1700000000001", "message": "{}"},
                    {"id": "", "timestamp": True, "message": "{}"},
                ],
            }
        )
    )
    assert [e.id for e in payload.log_events] == ["0", "#1", "#2"]
    assert [e.timestamp for e in payload.log_events] == [1700000000000, 1700000000001, None]


def test_control_message_is_returned_with_its_type() -> None:
    payload = decode_subscription(
        wrap_doc(
            {
                "messageType": "CONTROL_MESSAGE",
                "owner": "CloudwatchLogs",
                "logGroup": "",
                "logStream": "",
                "subscriptionFilters": [],
                "logEvents": [
                    {
                        "id": "",
                        "timestamp": 1,
                        "message": "CWL CONTROL MESSAGE: Checking health of destination Lambda.",
                    }
                ],
            }
        )
    )
    assert payload.message_type == CONTROL_MESSAGE
    assert len(payload.log_events) == 1


def test_control_message_without_log_events() -> None:
    assert decode_subscription(wrap_doc({"messageType": "CONTROL_MESSAGE"})).log_events == ()


def test_non_utf8_bytes_are_replaced_and_the_payload_still_decodes() -> None:
    doc = json.dumps(
        {
            "messageType": "DATA_MESSAGE",
            "logEvents": [{"id": "1", "timestamp": 1, "message": '{"eventName": "PutItem", "k": "XX"}'}],
        }
    ).encode()
    raw = doc.replace(b"XX", b"\xff\xfe")
    payload = decode_subscription(wrap(gzip.compress(raw)))
    assert "\ufffd" in payload.log_events[0].message
    assert json.loads(payload.log_events[0].message)["eventName"] == "PutItem"


def test_odd_log_event_entries_are_kept_not_dropped() -> None:
    payload = decode_subscription(
        wrap_doc(
            {
                "messageType": "DATA_MESSAGE",
                "logEvents": [
                    "just a string",
                    {"id": "2", "message": {"eventName": "GetItem"}},
                    {"id": "3", "message": 42},
                ],
            }
        )
    )
    assert len(payload.log_events) == 3
    assert json.loads(payload.log_events[1].message) == {"eventName": "GetItem"}
    assert payload.log_events[2].message == "42"


def test_multi_member_gzip() -> None:
    doc = json.dumps({"messageType": "DATA_MESSAGE", "logEvents": []}).encode()
    raw = gzip.compress(doc[:10]) + gzip.compress(doc[10:])
    assert decode_subscription(wrap(raw)).log_events == ()


BAD: list[tuple[str, Any, str]] = [
    ("event not an object", ["awslogs"], "not an object"),
    ("event is None", None, "not an object"),
    ("no awslogs", {"Records": []}, "no 'awslogs'"),
    ("awslogs not object", {"awslogs": "x"}, "not an object"),
    ("no data", {"awslogs": {}}, "no 'awslogs.data'"),
    ("data not string", {"awslogs": {"data": 5}}, "not a string"),
    ("data empty", {"awslogs": {"data": ""}}, "empty"),
    ("not base64", {"awslogs": {"data": "!!!not base64!!!"}}, "not base64"),
    ("non-ascii base64", {"awslogs": {"data": "héllo"}}, "not base64"),
    ("not gzip", wrap(b"plain text, not gzip"), "not gzip"),
    (
        "truncated gzip",
        wrap(gzip.compress(b'{"messageType": "DATA_MESSAGE", "logEvents": []}' * 50)[:40]),
        "truncated",
    ),
    ("corrupt gzip", wrap(gzip.compress(b"x" * 100)[:-8] + b"\x00\x00\x00\x00\x01\x00\x00\x00"), "gzip"),
    ("garbage after gzip", wrap(gzip.compress(b"{}") + b"junk"), "after the gzip"),
    ("not JSON", wrap(gzip.compress(b"this is not json")), "not JSON"),
    ("deep JSON", wrap(gzip.compress(b"[" * 100000 + b"]" * 100000)), "not JSON"),
    ("JSON list", wrap_doc([1, 2]), "not an object"),
    ("JSON string", wrap_doc("x"), "not an object"),
    ("missing logEvents", wrap_doc({"messageType": "DATA_MESSAGE"}), "no logEvents"),
    ("neither field", wrap_doc({"owner": "x"}), "neither"),
    ("logEvents not list", wrap_doc({"messageType": "DATA_MESSAGE", "logEvents": {"a": 1}}), "not a list"),
    ("unknown messageType", wrap_doc({"messageType": "SURPRISE", "logEvents": []}), "unknown messageType"),
    ("messageType not string", wrap_doc({"messageType": 7, "logEvents": []}), "not a string"),
]


@pytest.mark.parametrize(("event", "fragment"), [(b[1], b[2]) for b in BAD], ids=[b[0] for b in BAD])
def test_malformed_payloads_raise_payload_error(event: Any, fragment: str) -> None:
    with pytest.raises(PayloadError) as info:
        decode_subscription(event)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message
    assert isinstance(info.value, ValueError)


def test_gzip_bomb_is_refused() -> None:
    raw = gzip.compress(b" " * (MAX_DECOMPRESSED_BYTES + 10))
    with pytest.raises(PayloadError, match="larger than"):
        decode_subscription(wrap(raw))


def test_256kb_record_decodes() -> None:
    big = json.dumps({"eventName": "PutItem", "pad": "x" * 262_144})
    payload = decode_subscription(encode_subscription([big]))
    assert payload.log_events[0].message == big


def test_base64_with_line_breaks_is_accepted() -> None:
    data = encode_subscription(["{}"])["awslogs"]["data"]
    wrapped = "\n".join(data[i : i + 76] for i in range(0, len(data), 76))
    assert len(decode_subscription({"awslogs": {"data": wrapped}}).log_events) == 1
