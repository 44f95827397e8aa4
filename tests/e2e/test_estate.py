"""A real estate on the shared deployment (issue 10): 300 tables, a family and a replica in a second
Region (tests/e2e/estate.py adds them to prod.tfvars). The selectors are read back from the emulator; the
deployed code decides a stream read, a read in the second Region, a write to a table of the family (each
alerts) and the allowed consumer's stream read (no alert)."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from tests.e2e.deployment import Deployment
from tests.e2e.estate import CONSUMER_ROLE, EXACT_TABLES, FAMILY, REPLICA_ARN, SECOND_REGION
from tools.sandbox import ACCOUNT, REGION, cloudtrail_record, role_session, table_arn

pytestmark = pytest.mark.e2e

READER = "analytics-adhoc"
EXACT_SELECTOR = "DynamoDB data events of the watched tables"
FAMILY_SELECTOR = "DynamoDB data events of the watched table families"


def _fields(selector: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["Field"]: f for f in selector["FieldSelectors"]}


def _selectors(d: Deployment) -> dict[str, dict[str, dict[str, Any]]]:
    read = d.client("cloudtrail").get_event_selectors(TrailName=d.outputs["trail_arn"])
    return {s["Name"]: _fields(s) for s in read["AdvancedEventSelectors"]}


def _result(run: Any) -> dict[str, Any]:
    assert run.ok, f"handler failed (exit {run.returncode}):\n{run.stderr[-3000:]}"
    line = next(x for x in run.stdout.splitlines() if x.startswith("HANDLER_RESULT "))
    parsed: dict[str, Any] = json.loads(line.removeprefix("HANDLER_RESULT "))
    return parsed


def test_the_deployment_is_an_estate(deployment: Deployment) -> None:
    """Guard: the shared deployment really has 300 exact tables, a family and a second Region."""
    names = deployment.variables["table_names"]
    assert len([n for n in names if not n.endswith("*")]) == len(EXACT_TABLES) == 300
    assert FAMILY in names
    assert deployment.variables["table_arns"] == [REPLICA_ARN]


def test_selectors_read_back_select_300_tables_the_replica_and_the_family(deployment: Deployment) -> None:
    selectors = _selectors(deployment)
    assert set(selectors) == {
        EXACT_SELECTOR,
        FAMILY_SELECTOR,
        "Write management events (tamper and table control-plane alerts)",
    }
    exact, family = selectors[EXACT_SELECTOR], selectors[FAMILY_SELECTOR]
    canary = deployment.outputs["canary"]  # its table is logged like a watched one
    canary_arns = [table_arn(canary["table_name"])] if canary else []
    expected = sorted([table_arn(t) for t in EXACT_TABLES] + [REPLICA_ARN] + canary_arns)
    assert sorted(exact["resources.ARN"]["Equals"]) == expected
    assert family["resources.ARN"]["StartsWith"] == [table_arn(FAMILY.removesuffix("*"))]
    for data in (exact, family):
        assert data["eventCategory"]["Equals"] == ["Data"]
        assert data["resources.type"]["Equals"] == ["AWS::DynamoDB::Table"]
        consumer_prefix = f"arn:aws:sts::{ACCOUNT}:assumed-role/{CONSUMER_ROLE}/"
        assert consumer_prefix in data["userIdentity.arn"]["NotStartsWith"], "the consumer is excluded"
    count = sum(
        len(v) for s in selectors.values() for f in s.values() for v in f.values() if isinstance(v, list)
    )
    assert count == deployment.outputs["selector_value_count"] <= 500


def test_trail_is_multi_region_with_global_service_events(deployment: Deployment) -> None:
    trail = deployment.client("cloudtrail").get_trail(Name=deployment.outputs["trail_arn"])["Trail"]
    assert trail["IsMultiRegionTrail"] is True
    assert trail["IncludeGlobalServiceEvents"] is True
    assert trail["TrailARN"].split(":")[3] == REGION, "the trail (and its log group) live in the home Region"
    assert SECOND_REGION in deployment.outputs["multi_region_reason"]


def test_document_lists_every_table_and_the_home(deployment: Deployment) -> None:
    env = deployment.function["Environment"]["Variables"]
    value = deployment.client("ssm").get_parameter(
        Name=env["ACCESS_ALERTS_CONFIG_PARAMETER"], WithDecryption=True
    )["Parameter"]["Value"]
    document = json.loads(gzip.decompress(base64.b64decode(value)))
    assert len(document["tables"]) == 302
    assert REPLICA_ARN in document["tables"] and table_arn(FAMILY) in document["tables"]
    assert document["home"] == {"partition": "aws", "account": ACCOUNT, "region": REGION}


def _stream_read(identity: dict[str, Any], *, with_table: bool) -> dict[str, Any]:
    table = EXACT_TABLES[0]
    stream = f"{table_arn(table)}/stream/2026-11-01T00:00:00.000"
    resources = [{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Stream", "ARN": stream}]
    if with_table:
        resources.append({"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table", "ARN": table_arn(table)})
    return cloudtrail_record(
        "GetRecords",
        identity,
        request_parameters={"shardIterator": f"{stream}|1|AAAA", "limit": 100},
        resources=resources,
        read_only=True,
    )


def _replica_read(identity: dict[str, Any]) -> dict[str, Any]:
    record = cloudtrail_record(
        "GetItem",
        identity,
        request_parameters={"tableName": "orders", "key": {"orderId": {"S": "ord-7"}}},
        resources=[{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table", "ARN": REPLICA_ARN}],
        read_only=True,
    )
    record["awsRegion"] = SECOND_REGION
    return record


def _family_write(identity: dict[str, Any]) -> dict[str, Any]:
    table = FAMILY.removesuffix("*") + "acme"
    return cloudtrail_record(
        "PutItem",
        identity,
        table_arn=table_arn(table),
        request_parameters={"tableName": table, "key": {"tenantId": {"S": "acme"}}},
    )


def test_stream_read_replica_read_and_family_write_alert(deployment: Deployment) -> None:
    reader = role_session(READER, "carol@example.com")
    records = [
        _stream_read(reader, with_table=False),
        _stream_read(reader, with_table=True),
        _replica_read(reader),
        _family_write(reader),
    ]
    run, messages = deployment.deliver(records)
    result = _result(run)
    assert (result["alert"], result["allowed"], result["ignored"]) == (4, 0, 0), result
    text = "\n\n".join(m.text for m in messages)
    assert f"{table_arn(EXACT_TABLES[0])}/stream/2026-11-01T00:00:00.000" in text, "the stream is named"
    assert SECOND_REGION in text and f"region={SECOND_REGION}" in text, "Region shown and console link there"
    assert FAMILY.removesuffix("*") + "acme" in text


def test_allowed_consumer_stream_read_is_quiet(deployment: Deployment) -> None:
    consumer = role_session(CONSUMER_ROLE, "awslambda_1234_20261128")
    run, messages = deployment.deliver([_stream_read(consumer, with_table=True)])
    result = _result(run)
    assert (result["alert"], result["allowed"]) == (0, 1), result
    assert messages == []


def test_iam_change_to_the_functions_role_is_tamper_on_a_multi_region_trail(deployment: Deployment) -> None:
    """The multi-Region trail logs IAM (global service events): changing the function's role alerts."""
    role_name = deployment.function["Role"].rsplit("/", 1)[-1]
    outsider = role_session("ops-engineer", "dave")
    record = cloudtrail_record(
        "PutRolePolicy",
        outsider,
        event_source="iam.amazonaws.com",
        request_parameters={"roleName": role_name, "policyName": "deny-all", "policyDocument": "{}"},
        data_event=False,
    )
    run, messages = deployment.deliver([record])
    result = _result(run)
    assert result["alert"] == 1, result
    text = "\n\n".join(m.text for m in messages)
    assert "TAMPER" in text and "PutRolePolicy" in text and role_name in text
