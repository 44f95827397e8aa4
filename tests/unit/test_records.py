"""parse_record details: access by API and statement, tables from every place, keys and names bounded."""

from __future__ import annotations

from typing import Any

import pytest

from access_alerts.records import (
    MAX_KEYS,
    RecordError,
    parse_record,
    statement_verb,
    statements_access,
    table_of_arn,
)
from access_alerts.tamper import management_targets

A = "111122223333"


def rec(name: str, params: Any = None, resources: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    r: dict[str, Any] = {
        "eventName": name,
        "eventSource": "dynamodb.amazonaws.com",
        "requestParameters": params,
        "awsRegion": "us-east-1",
        "recipientAccountId": A,
        "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::{A}:user/u"},
    }
    if resources is not None:
        r["resources"] = [{"ARN": a} for a in resources]
    r.update(extra)
    return r


@pytest.mark.parametrize(
    ("name", "access"),
    [
        ("PutItem", "write"),
        ("UpdateItem", "write"),
        ("DeleteItem", "write"),
        ("BatchWriteItem", "write"),
        ("TransactWriteItems", "write"),
        ("GetItem", "read"),
        ("BatchGetItem", "read"),
        ("Query", "read"),
        ("Scan", "read"),
        ("TransactGetItems", "read"),
        ("GetRecords", "read"),
        ("GetShardIterator", "read"),
        ("SomethingNew", "write"),
    ],
)
def test_access_by_api_ignores_read_only(name: str, access: str) -> None:
    for read_only in (True, False, None):
        ev = parse_record(rec(name, {"tableName": "T"}, readOnly=read_only))
        assert ev.access == access
        assert ev.category == "data"


@pytest.mark.parametrize("category", ["Management", "Data", None])
def test_describe_stream_is_a_management_read_whatever_the_record_says(category: str | None) -> None:
    stream = f"arn:aws:dynamodb:us-east-1:{A}:table/T/stream/2026-11-01T00:00:00.000"
    record = rec("DescribeStream", {"streamArn": stream}, eventSource="streams.dynamodb.amazonaws.com")
    if category is not None:
        record["eventCategory"] = category
    ev = parse_record(record)
    assert (ev.category, ev.access, ev.tables) == ("management", "read", ("T",))


@pytest.mark.parametrize(
    ("statements", "access"),
    [
        (["SELECT * FROM T"], "read"),
        (["  select a FROM T"], "read"),
        (["(SELECT * FROM T)"], "read"),
        (["EXISTS(SELECT * FROM T WHERE k='1')", "SELECT * FROM T"], "read"),
        (["INSERT INTO T value {'a': 1}"], "write"),
        (["UPDATE T SET a=1"], "write"),
        (["DELETE FROM T WHERE k='1'"], "write"),
        (["SELECT * FROM T", "DELETE FROM T"], "write"),
        (["", "SELECT * FROM T"], "write"),
        (["EXPLAIN SELECT"], "write"),
        ([], "write"),
    ],
)
def test_partiql_access_by_statement(statements: list[str], access: str) -> None:
    assert statements_access(tuple(statements)) == access


def test_statement_verb() -> None:
    assert statement_verb("\n\tselect 1") == "SELECT"
    assert statement_verb("") == ""


def test_partiql_without_any_statement_is_write() -> None:
    ev = parse_record(rec("ExecuteStatement", {}, [f"arn:aws:dynamodb:us-east-1:{A}:table/T"]))
    assert ev.access == "write"
    assert ev.tables == ("T",)


def test_partiql_tables_from_statements_and_casing() -> None:
    ev = parse_record(
        rec(
            "BatchExecuteStatement",
            {
                "Statements": [
                    {"Statement": 'SELECT * FROM "Music"."AlbumIndex" WHERE a=?'},
                    {"Statement": "UPDATE Orders SET x=1"},
                ]
            },
        )
    )
    assert ev.tables == ("Music", "Orders")
    assert ev.statements == ('SELECT * FROM "Music"."AlbumIndex" WHERE a=?', "UPDATE Orders SET x=1")
    assert ev.access == "write"


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (f"arn:aws:dynamodb:us-east-1:{A}:table/T", "T"),
        (f"arn:aws:dynamodb:us-east-1:{A}:table/T/index/I", "T"),
        (f"arn:aws:dynamodb:us-east-1:{A}:table/T/stream/2026-01-01T00:00:00.000", "T"),
        (f"arn:aws:dynamodb:us-east-1:{A}:table/T/backup/0170-abc", "T"),
        (f"arn:aws-cn:dynamodb:cn-north-1:{A}:table/T/export/01", "T"),
    ],
)
def test_table_of_arn(arn: str, expected: str) -> None:
    found = table_of_arn(arn)
    assert found is not None and found[0] == expected
    assert found[1].endswith(f":table/{expected}")


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:s3:::b",
        "arn:aws:dynamodb:us-east-1:1:global-table/G",
        "arn:aws:dynamodb:us-east-1:1:table/",
        "nonsense",
    ],
)
def test_not_table_arns(arn: str) -> None:
    assert table_of_arn(arn) is None


def test_tables_from_every_parameter_casing() -> None:
    ev = parse_record(
        rec(
            "BatchWriteItem",
            {
                "RequestItems": {
                    "A": [{"PutRequest": {"Item": ["x"]}}, {"DeleteRequest": {"Key": {"k": {"S": "1"}}}}],
                    f"arn:aws:dynamodb:eu-west-1:{A}:table/B": [{"deleteRequest": {"key": {"k": "2"}}}],
                }
            },
        )
    )
    assert ev.tables == ("A", "B")
    assert ev.table_arns == (
        f"arn:aws:dynamodb:eu-west-1:{A}:table/B",
        f"arn:aws:dynamodb:us-east-1:{A}:table/A",
    )
    assert ev.keys == ({"k": {"S": "1"}}, {"k": "2"})
    assert ev.attribute_names == ("x",)


def test_transact_items_any_casing() -> None:
    ev = parse_record(
        rec(
            "TransactWriteItems",
            {
                "TransactItems": [
                    {"Put": {"TableName": "A", "Item": {"pk": {"S": "secret-value"}, "n": {"N": "1"}}}},
                    {"ConditionCheck": {"TableName": "B", "Key": {"pk": "c"}}},
                ]
            },
        )
    )
    assert ev.tables == ("A", "B")
    assert ev.keys == ({"pk": "c"},)
    assert ev.attribute_names == ("pk", "n")  # names only, never values


def test_keys_are_bounded() -> None:
    keys = [{"k": str(i)} for i in range(MAX_KEYS * 3)]
    ev = parse_record(rec("BatchGetItem", {"requestItems": {"T": {"keys": keys}}}))
    assert len(ev.keys) == MAX_KEYS


def test_projection_and_attributes_to_get() -> None:
    ev = parse_record(
        rec(
            "GetItem",
            {
                "tableName": "T",
                "key": {"k": "1"},
                "projectionExpression": "a, #b ,c",
                "attributesToGet": ["d"],
            },
        )
    )
    assert ev.attribute_names == ("a", "#b", "c", "d")


def test_stream_arn_parameter() -> None:
    ev = parse_record(
        rec("GetShardIterator", {"streamArn": f"arn:aws:dynamodb:us-east-1:{A}:table/S/stream/x"})
    )
    assert ev.tables == ("S",)
    assert ev.access == "read"


def test_fields_copied() -> None:
    ev = parse_record(
        rec(
            "PutItem",
            {"tableName": "T"},
            eventID="id-1",
            eventTime="2026-11-18T00:00:00Z",
            sourceIPAddress="192.0.2.1",
            userAgent="ua",
            errorCode="ConditionalCheckFailedException",
            errorMessage="The conditional request failed",
            sessionCredentialFromConsole="true",
        )
    )
    assert (ev.event_id, ev.event_time, ev.source_ip, ev.user_agent) == (
        "id-1",
        "2026-11-18T00:00:00Z",
        "192.0.2.1",
        "ua",
    )
    assert (ev.error_code, ev.error_message, ev.console) == (
        "ConditionalCheckFailedException",
        "The conditional request failed",
        True,
    )
    assert ev.account_id == A and ev.region == "us-east-1"


def test_category() -> None:
    assert parse_record(rec("DeleteTable", {"tableName": "T"})).category == "management"
    assert parse_record(rec("PutItem", {"tableName": "T"}, eventCategory="Management")).category == "data"
    assert (
        parse_record(rec("Frobnicate", {"tableName": "T"}, eventCategory="Management")).category
        == "management"
    )
    s3 = rec("GetObject", {}, eventSource="s3.amazonaws.com", eventCategory="Data")
    assert parse_record(s3).category == "data"
    ct = rec("StopLogging", {"name": "t"}, eventSource="cloudtrail.amazonaws.com")
    ev = parse_record(ct)
    assert (ev.category, ev.target, ev.access) == ("management", "t", "write")


def test_management_targets_include_lists_and_resources() -> None:
    r = rec(
        "DeleteParameters",
        {"names": ["/a", "/b"]},
        [f"arn:aws:ssm:us-east-1:{A}:parameter/a"],
        eventSource="ssm.amazonaws.com",
    )
    assert parse_record(r).targets == ("/a", "/b", f"arn:aws:ssm:us-east-1:{A}:parameter/a")
    assert management_targets(r["requestParameters"], ["arn:x"]) == ("/a", "/b", "arn:x")


@pytest.mark.parametrize("bad", [{}, {"eventName": None}, {"eventName": ""}, {"eventName": 3}])
def test_record_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(RecordError, match="no eventName"):
        parse_record(bad)


def test_non_mapping_record() -> None:
    with pytest.raises(RecordError):
        parse_record([1, 2])  # type: ignore[arg-type]
