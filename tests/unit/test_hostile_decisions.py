"""Issue 9, decisions: what must alert is never ignored, and nothing is dropped without a word.

* Every DynamoDB management write that names a watched table alerts (control plane) unless rules.json lists
  it as harmless; one whose table cannot be determined alerts too (after looking in ``responseElements``,
  ``resources`` and every request value).
* A record is decided by what it did, whatever ``eventCategory`` it claims; only a genuine CloudTrail
  Insights event is ignored.
* A CloudWatch Logs CONTROL_MESSAGE that carries records has them decided (and says so in the log).

The single cases are fixture records (tests/fixtures/records, decided by test_records_fixtures.py); these
tests sweep the siblings: every API of the rules.json lists, and the control-message payload fixture.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import replace
from typing import Any

import pytest

from access_alerts import handler, rules
from access_alerts.decode import payload_from_document
from access_alerts.policy import Policy
from access_alerts.sources import iter_file_records
from tests.unit.test_records_fixtures import FIXTURES, SETTINGS, load_fixture

PAYLOADS = FIXTURES / "payloads"


POLICY = Policy(SETTINGS)  # compiled once: hundreds of cases below use it
BASE = load_fixture(FIXTURES / "deletetable_monitored.json")[0]


def management_call(name: str, **changes: Any) -> dict[str, Any]:
    """The DeleteTable fixture (a person's SSO session, table Orders) turned into another DynamoDB call."""
    record = copy.deepcopy(BASE)
    record["eventName"] = name
    record.update(changes)
    return record


DDB = rules.dynamodb()
MANAGEMENT_WRITES = sorted(
    n for n in DDB.management if not DDB.is_management_read(n) and n not in DDB.harmless_writes
)
MANAGEMENT_READS = sorted(n for n in DDB.management if DDB.is_management_read(n))


def test_the_issue_s_calls_are_management_writes() -> None:
    issue = {
        "CreateBackup",
        "CreateGlobalTable",
        "UpdateGlobalTable",
        "UpdateGlobalTableSettings",
        "UpdateTableReplicaAutoScaling",
        "UpdateContributorInsights",
    }
    assert issue <= set(MANAGEMENT_WRITES)
    assert DDB.harmless_writes == {"PurchaseReservedCapacityOfferings"}


@pytest.mark.parametrize("name", MANAGEMENT_WRITES)
def test_every_management_write_on_a_watched_table_alerts(name: str) -> None:
    d = POLICY.evaluate(management_call(name))
    assert (d.kind, d.alert_kind) == ("alert", "control_plane"), d.reason
    assert "Orders" in d.reason


@pytest.mark.parametrize("name", MANAGEMENT_WRITES)
def test_every_management_write_without_a_table_alerts(name: str) -> None:
    record = management_call(name, requestParameters={"clientToken": "x"}, responseElements=None)
    record.pop("resources")
    d = POLICY.evaluate(record)
    assert (d.kind, d.alert_kind) == ("alert", "control_plane"), d.reason
    assert "could not be determined" in d.reason


@pytest.mark.parametrize("name", MANAGEMENT_WRITES)
def test_management_write_on_another_table_is_ignored(name: str) -> None:
    record = management_call(
        name,
        requestParameters={"tableName": "Scratch"},
        resources=[
            {"type": "AWS::DynamoDB::Table", "ARN": "arn:aws:dynamodb:us-east-1:111122223333:table/Scratch"}
        ],
    )
    assert POLICY.evaluate(record).kind == "ignored"


@pytest.mark.parametrize("name", MANAGEMENT_READS)
def test_management_reads_are_ignored(name: str) -> None:
    d = POLICY.evaluate(management_call(name, readOnly=True))
    assert d.kind == "ignored" and d.event is not None and d.event.access == "read"


def test_table_is_found_anywhere_in_the_response_or_request() -> None:
    record = management_call(
        "SomeFutureCall",
        requestParameters={
            "spec": {"target": {"arn": "arn:aws:dynamodb:us-east-1:111122223333:table/Orders"}}
        },
        responseElements=None,
    )
    record.pop("resources")
    d = POLICY.evaluate(record)
    assert d.kind == "alert" and d.event is not None and d.event.tables == ("Orders",)


def test_table_management_watching_off_ignores_them() -> None:
    policy = Policy(replace(SETTINGS, watch_table_management=False))
    assert policy.evaluate(management_call("CreateBackup")).kind == "ignored"
    tableless = management_call("CreateBackup", requestParameters={}, responseElements=None)
    tableless.pop("resources")
    assert policy.evaluate(tableless).kind == "ignored"


def test_allowed_management_role_may_do_them() -> None:
    admin = (
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/"
        "AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b"
    )
    policy = Policy(replace(SETTINGS, allowed_management=(admin,)))
    assert policy.evaluate(management_call("UpdateGlobalTable")).kind == "allowed"


@pytest.mark.parametrize("category", ["Insight", "NetworkActivity", "Nonsense", None, 42])
def test_a_data_call_is_decided_whatever_its_category(category: object) -> None:
    record, _ = load_fixture(FIXTURES / "putitem_assumed_role.json")
    record["eventCategory"] = category
    d = POLICY.evaluate(record)
    assert (d.kind, d.alert_kind) == ("alert", "data"), d.reason


# -- CONTROL_MESSAGE ------------------------------------------------------------------------------------


def control_document() -> dict[str, Any]:
    doc = json.loads((PAYLOADS / "control_message_with_records.json").read_text(encoding="utf-8"))
    doc.pop("_expect")
    return doc


def test_control_message_records_are_decided(caplog: pytest.LogCaptureFixture) -> None:
    payload = payload_from_document(control_document())
    with caplog.at_level(logging.WARNING, logger="access_alerts.handler"):
        decided = handler.decide_event({"awslogs": {"data": _encode(control_document())}}, Policy(SETTINGS))
    kinds = sorted(d.kind for d in decided.decisions)
    assert kinds == ["alert", "ignored"]
    assert [d.event_id for d in decided.decisions if d.kind == "alert"] == [
        "7c1f0501-3b2e-4a7d-9d5e-0a1b2c3d0501"
    ]
    assert decided.message_type == "CONTROL_MESSAGE"
    assert any("control message carried records" in r.message for r in caplog.records)
    assert len(Policy(SETTINGS).evaluate_payload(payload)) == 2


def test_plain_control_message_is_one_ignored_decision(caplog: pytest.LogCaptureFixture) -> None:
    doc = control_document()
    doc["logEvents"] = doc["logEvents"][:1]
    with caplog.at_level(logging.WARNING, logger="access_alerts.handler"):
        decided = handler.decide_event({"awslogs": {"data": _encode(doc)}}, Policy(SETTINGS))
    assert [d.kind for d in decided.decisions] == ["ignored"]
    assert not any("carried records" in r.message for r in caplog.records)


def test_replay_reads_the_records_of_a_control_message() -> None:
    found = list(iter_file_records(PAYLOADS / "control_message_with_records.json"))
    assert len(found) == 1
    (_source_id, record) = found[0]
    assert "7c1f0501-3b2e-4a7d-9d5e-0a1b2c3d0501" in str(record)


def _encode(document: dict[str, Any]) -> str:
    import base64
    import gzip

    return base64.b64encode(gzip.compress(json.dumps(document).encode("utf-8"))).decode("ascii")


# -- the tamper catalogue -------------------------------------------------------------------------------

PIPE = SETTINGS.pipeline
NAMING = {  # one request parameter per service that names the pipeline's resource of that service
    "cloudtrail.amazonaws.com": {"name": PIPE.trail_arn},
    "s3.amazonaws.com": {"bucketName": PIPE.trail_bucket},
    "logs.amazonaws.com": {"logGroupName": PIPE.log_group_names[0]},
    "lambda.amazonaws.com": {"functionName": PIPE.function_name},
    "sqs.amazonaws.com": {"queueUrl": "https://sqs.us-east-1.amazonaws.com/111122223333/ddb-alerts-failed"},
    "kms.amazonaws.com": {"keyId": PIPE.kms_key_arns[0]},
    "ssm.amazonaws.com": {"name": PIPE.ssm_parameter_names[0]},
    "events.amazonaws.com": {"rule": PIPE.rule_names[0]},
}
CATALOGUE = [
    (source, name, kind)
    for source, calls in sorted(rules.pipeline_calls().items())
    if source in NAMING
    for kind, names in (("write", calls.calls), ("harmless", calls.not_tamper))
    for name in sorted(names)
]


def pipeline_call(source: str, name: str, params: dict[str, Any]) -> dict[str, Any]:
    record = management_call(name, eventSource=source, requestParameters=params, responseElements=None)
    record.pop("resources")
    return record


def test_the_issue_s_pipeline_calls_are_in_the_catalogue() -> None:
    issue = {
        "logs.amazonaws.com": {
            "PutDataProtectionPolicy",
            "DeleteDataProtectionPolicy",
            "PutTransformer",
            "DeleteTransformer",
            "PutIndexPolicy",
            "PutAccountPolicy",
            "DeleteAccountPolicy",
        },
        "lambda.amazonaws.com": {
            "PublishVersion",
            "PutFunctionCodeSigningConfig",
            "PutFunctionRecursionConfig",
            "PutRuntimeManagementConfig",
        },
        "s3.amazonaws.com": {
            "PutBucketOwnershipControls",
            "PutBucketReplication",
            "PutBucketNotificationConfiguration",
            "PutBucketLogging",
        },
        "sqs.amazonaws.com": {"AddPermission", "RemovePermission"},
        "kms.amazonaws.com": {"UpdateAlias", "DeleteAlias", "ReplicateKey"},
    }
    for source, names in issue.items():
        assert names <= rules.pipeline_calls()[source].calls, source
    assert rules.pipeline_calls()["logs.amazonaws.com"].account_calls == {
        "PutAccountPolicy",
        "DeleteAccountPolicy",
    }


@pytest.mark.parametrize(("source", "name", "kind"), CATALOGUE)
def test_every_catalogued_call_on_a_pipeline_resource(source: str, name: str, kind: str) -> None:
    d = POLICY.evaluate(pipeline_call(source, name, NAMING[source]))
    if kind == "write":
        assert (d.kind, d.alert_kind) == ("alert", "tamper"), d.reason
    else:
        assert d.kind == "ignored", d.reason


@pytest.mark.parametrize("source", sorted(NAMING))
def test_unknown_and_versioned_writes_fail_closed_and_reads_do_not(source: str) -> None:
    policy = POLICY
    assert policy.evaluate(pipeline_call(source, "ChangeSomethingNew", NAMING[source])).alert_kind == "tamper"
    assert (
        policy.evaluate(pipeline_call(source, "ChangeSomethingNew20990101v7", NAMING[source])).kind == "alert"
    )
    assert policy.evaluate(pipeline_call(source, "DescribeSomethingNew", NAMING[source])).kind == "ignored"
    assert (
        policy.evaluate(pipeline_call(source, "ChangeSomethingNew", {"name": "not-ours"})).kind == "ignored"
    )


def test_account_wide_calls_alert_whatever_they_name() -> None:
    policy = POLICY
    for name in ("PutAccountPolicy", "DeleteAccountPolicy"):
        d = policy.evaluate(pipeline_call("logs.amazonaws.com", name, {"policyName": "p"}))
        assert (
            d.alert_kind == "tamper" and d.event is not None and "every log group" in (d.event.target or "")
        )
    # A deployment that watches no log group of its own is not blinded by them.
    unwatched = replace(SETTINGS, pipeline=replace(SETTINGS.pipeline, log_group_names=()))
    assert (
        Policy(unwatched).evaluate(pipeline_call("logs.amazonaws.com", "PutAccountPolicy", {})).kind
        == "ignored"
    )
