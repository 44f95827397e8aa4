"""iter_file_records: file shapes detected by content; unreadable files raise SourceError."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from access_alerts.decode import decode_subscription
from access_alerts.sources import SourceError, iter_file_records
from tools.payloads import encode_subscription

REC_A = {
    "eventVersion": "1.09",
    "eventName": "PutItem",
    "eventSource": "dynamodb.amazonaws.com",
    "eventID": "a",
}
REC_B = {
    "eventVersion": "1.09",
    "eventName": "GetItem",
    "eventSource": "dynamodb.amazonaws.com",
    "eventID": "b",
}


def names(path: Path) -> list[str]:
    out = []
    for _, rec in iter_file_records(path):
        out.append((json.loads(rec) if isinstance(rec, str) else rec)["eventID"])
    return out


def write(path: Path, text: str, gz: bool = False) -> Path:
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_cloudtrail_log_file(tmp_path: Path, gz: bool) -> None:
    # CloudTrail's S3 objects are named .json.gz; detection must not depend on the name.
    p = write(tmp_path / "whatever.txt", json.dumps({"Records": [REC_A, REC_B]}), gz)
    assert names(p) == ["a", "b"]
    ids = [sid for sid, _ in iter_file_records(p)]
    assert ids == [f"{p}:Records[0]", f"{p}:Records[1]"]


@pytest.mark.parametrize("gz", [False, True])
def test_json_lines(tmp_path: Path, gz: bool) -> None:
    p = write(tmp_path / "r.json", json.dumps(REC_A) + "\n\n" + json.dumps(REC_B) + "\n", gz)
    assert names(p) == ["a", "b"]
    assert [sid for sid, _ in iter_file_records(p)] == [f"{p}:1", f"{p}:3"]


@pytest.mark.parametrize("gz", [False, True])
def test_subscription_event(tmp_path: Path, gz: bool) -> None:
    p = write(tmp_path / "event", json.dumps(encode_subscription([REC_A, REC_B])), gz)
    assert names(p) == ["a", "b"]


def test_decoded_subscription_document(tmp_path: Path) -> None:
    payload = decode_subscription(encode_subscription([REC_A]))
    doc = {
        "messageType": "DATA_MESSAGE",
        "owner": "1",
        "logGroup": "g",
        "logStream": "s",
        "logEvents": [
            {"id": e.id, "timestamp": e.timestamp, "message": e.message} for e in payload.log_events
        ],
    }
    p = write(tmp_path / "doc.json", json.dumps(doc, indent=2))
    assert names(p) == ["a"]


def test_control_message_file_has_no_records_but_what_it_carries(tmp_path: Path) -> None:
    check = "CWL CONTROL MESSAGE: Checking health of destination Lambda function."
    p = write(tmp_path / "c.json", json.dumps(encode_subscription([check], message_type="CONTROL_MESSAGE")))
    assert list(iter_file_records(p)) == []
    # Anything else in a control message is a record to decide (issue 9: never silently zero).
    p = write(
        tmp_path / "d.json", json.dumps(encode_subscription([check, "x"], message_type="CONTROL_MESSAGE"))
    )
    assert [record for _, record in iter_file_records(p)] == ["x"]


def test_single_record_and_array(tmp_path: Path) -> None:
    assert names(write(tmp_path / "one.json", json.dumps(REC_A, indent=2))) == ["a"]
    assert names(write(tmp_path / "arr.json", json.dumps([REC_A, REC_B]))) == ["a", "b"]


def test_jsonl_of_subscription_events_and_log_files(tmp_path: Path) -> None:
    lines = [json.dumps(encode_subscription([REC_A])), json.dumps({"Records": [REC_B]})]
    assert names(write(tmp_path / "mixed.jsonl", "\n".join(lines))) == ["a", "b"]


def test_bad_line_inside_jsonl_is_passed_on_as_text(tmp_path: Path) -> None:
    p = write(tmp_path / "r.jsonl", json.dumps(REC_A) + "\n{broken\n" + json.dumps(REC_B) + "\n")
    got = list(iter_file_records(p))
    assert got[1] == (f"{p}:2", "{broken")
    assert len(got) == 3


def test_utf8_bom_and_non_utf8_bytes(tmp_path: Path) -> None:
    p = tmp_path / "bom.json"
    p.write_bytes(
        b"\xef\xbb\xbf" + json.dumps({"Records": [dict(REC_A, note="XX")]}).encode().replace(b"XX", b"\xff")
    )
    ((_, rec),) = list(iter_file_records(p))
    assert isinstance(rec, dict) and rec["note"] == "\ufffd"


BAD: list[tuple[str, Any, str]] = [
    ("empty", b"", "empty"),
    ("not json", b"hello world\nsecond line", "not JSON"),
    ("bad gzip", b"\x1f\x8b\x08\x00garbage-garbage", "gzip"),
    ("truncated gzip", gzip.compress(json.dumps({"Records": [REC_A] * 50}).encode())[:60], "truncated"),
    ("json scalar", b"42", "not an object"),
    ("unrelated object", b'{"hello": "world"}', "neither"),
    ("Records not list", b'{"Records": {"a": 1}}', "not a list"),
    ("bad subscription", b'{"awslogs": {"data": "@@@"}}', "not base64"),
]


@pytest.mark.parametrize(("content", "fragment"), [(b[1], b[2]) for b in BAD], ids=[b[0] for b in BAD])
def test_unreadable_files_raise_source_error(tmp_path: Path, content: bytes, fragment: str) -> None:
    p = tmp_path / "bad"
    p.write_bytes(content)
    with pytest.raises(SourceError) as info:
        list(iter_file_records(p))
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        list(iter_file_records(tmp_path / "nope.json"))
    with pytest.raises(SourceError, match="directory"):
        list(iter_file_records(tmp_path))
