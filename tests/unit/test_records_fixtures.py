"""Table-driven: every fixture under tests/fixtures/records is decided as its ``_expect`` sidecar says.

The fixtures are real-shaped CloudTrail records; the loader strips the ``_expect`` field before the record
goes anywhere near the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from access_alerts.decode import decode_subscription
from access_alerts.model import CanarySettings, PipelineResources, PolicySettings
from access_alerts.policy import Policy
from access_alerts.records import parse_record
from tools.payloads import encode_subscription

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "records"
ACCT = "111122223333"

SETTINGS = PolicySettings(
    tables=(
        f"arn:aws:dynamodb:us-east-1:{ACCT}:table/Orders",
        "Music",
        "Customers",
        f"arn:aws:dynamodb:us-east-1:{ACCT}:table/tenant-*",  # a family
        f"arn:aws:dynamodb:eu-west-1:{ACCT}:table/Orders",  # a replica in another Region
    ),
    allowed=(
        f"arn:aws:iam::{ACCT}:role/orders-stream-consumer",
        f"arn:aws:iam::{ACCT}:role/service/orders-writer",
        f"arn:aws:iam::{ACCT}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_ReadOnly_*",
        "dynamodb.amazonaws.com",
        f"arn:aws:iam::{ACCT}:user/ci-*",
        f"arn:aws:iam::{ACCT}:role/service/billing-*",  # a path and a wildcard in the name
    ),
    allowed_management=(f"arn:aws:iam::{ACCT}:role/deployer",),
    watch_pipeline=True,
    watch_table_management=True,
    pipeline=PipelineResources(
        trail_arn=f"arn:aws:cloudtrail:us-east-1:{ACCT}:trail/ddb-alerts",
        trail_bucket=f"ddb-alerts-trail-{ACCT}",
        log_group_names=("/aws/cloudtrail/ddb-alerts",),
        function_name="ddb-alerts",
        queue_arn=f"arn:aws:sqs:us-east-1:{ACCT}:ddb-alerts-failed",
        kms_key_arns=(f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",),
        ssm_parameter_names=("/ddb-alerts/webhook-url",),
        alarm_names=(
            "ddb-alerts-undelivered-alerts",
            "ddb-alerts-function-errors",
            "ddb-alerts-canary-silent",
        ),
        schedule_names=("ddb-alerts-access-alerts-canary",),
        role_names=("ddb-alerts-lambda", "ddb-alerts-cloudtrail-logs", "ddb-alerts-canary"),
        table_names=("ddb-alerts-delivery-ledger",),
        rule_names=("ddb-alerts-flush-digests",),
    ),
    canary=CanarySettings(
        table_arn=f"arn:aws:dynamodb:us-east-1:{ACCT}:table/ddb-alerts-access-alerts-canary",
        role_arn=f"arn:aws:iam::{ACCT}:role/ddb-alerts-canary",
    ),
)


def load_fixture(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(record without the sidecar, expectations)."""
    record = json.loads(path.read_text(encoding="utf-8"))
    expect = record.pop("_expect")
    return record, expect


ALL = sorted(FIXTURES.glob("*.json"))


def test_fixture_directory_is_populated() -> None:
    assert len(ALL) >= 50


@pytest.mark.parametrize("path", ALL, ids=[p.stem for p in ALL])
def test_fixture_decision(path: Path) -> None:
    record, expect = load_fixture(path)
    policy = Policy(SETTINGS)
    d = policy.evaluate(json.dumps(record), source_id=path.name)
    assert d.kind == expect["decision"], d.reason
    assert d.source_id == path.name
    assert d.reason
    if expect.get("parsed", True) is False:  # decided from its shape alone (a CloudTrail Insights event)
        assert d.event is None and d.alert_kind is None and d.matched is None
        assert d.event_id == expect.get("event_id", record.get("eventID"))
        return
    assert d.event is not None
    ev = d.event
    assert list(ev.tables) == expect["tables"]
    assert ev.access == expect["access"]
    if d.kind == "alert":
        assert d.alert_kind == expect["alert_kind"]
        assert d.matched is None
    else:
        assert d.alert_kind is None
    if d.kind == "allowed":
        assert d.matched == expect["matched"]
    else:
        assert d.matched is None
    if expect["principal"] is None:
        assert not ev.principal.identified
    else:
        assert (ev.principal.arn or ev.principal.service or ev.principal.display) == expect["principal"]
    assert d.event_id == expect.get("event_id", record.get("eventID"))
    if "keys" in expect:
        assert len(ev.keys) == expect["keys"]
    if "error_code" in expect:
        assert ev.error_code == expect["error_code"]
    if "target" in expect:
        assert ev.target == expect["target"]
    assert d.reason


@pytest.mark.parametrize("path", ALL, ids=[p.stem for p in ALL])
def test_fixture_same_decision_via_mapping_bytes_and_payload(path: Path) -> None:
    record, _ = load_fixture(path)
    policy = Policy(SETTINGS)
    a = policy.evaluate(record)
    b = policy.evaluate(json.dumps(record).encode("utf-8"))
    (c,) = policy.evaluate_payload(decode_subscription(encode_subscription([record])))
    assert (a.kind, a.matched, a.alert_kind, a.reason) == (b.kind, b.matched, b.alert_kind, b.reason)
    assert (a.kind, a.matched, a.alert_kind, a.reason) == (c.kind, c.matched, c.alert_kind, c.reason)
    assert a.event == b.event == c.event


def test_old_record_versions_parse_without_optional_fields() -> None:
    record, _ = load_fixture(FIXTURES / "getitem_old_version_allowed_user.json")
    assert "eventCategory" not in record and "readOnly" not in record and "eventID" not in record
    ev = parse_record(record)
    assert ev.category == "data"
    assert ev.event_id is None
    assert ev.keys == ({"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}},)
    assert ev.table_arns == ()  # no recipientAccountId and no resources: the account is unknown
    record["recipientAccountId"] = ACCT
    assert parse_record(record).table_arns == (f"arn:aws:dynamodb:us-east-1:{ACCT}:table/Music",)
