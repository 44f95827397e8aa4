"""The end-to-end canary on the shared deployment (examples/complete, canary on by default): the schedule as
applied, one run of it as Scheduler would make it, its heartbeat through the trail's log group and the
deployed code, the alarm on silence, and writes or changes by anyone else."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.deployment import Deployment
from tools.sandbox import ACCOUNT, REGION, HandlerRun, cloudtrail_record, role_session

pytestmark = pytest.mark.e2e

OUTSIDER_ROLE = "ops-engineer"


def canary(d: Deployment) -> dict[str, Any]:
    c = d.outputs["canary"]
    assert c is not None, "examples/complete runs with the canary on (canary_interval_minutes defaults to 15)"
    return dict(c)


def result_of(run: HandlerRun) -> dict[str, Any]:
    assert run.ok, f"handler failed (exit {run.returncode}):\n{run.stderr[-3000:]}"
    line = next(x for x in run.stdout.splitlines() if x.startswith("HANDLER_RESULT "))
    parsed: dict[str, Any] = json.loads(line.removeprefix("HANDLER_RESULT "))
    return parsed


def invocation_summary(run: HandlerRun) -> dict[str, Any]:
    (line,) = [
        json.loads(x) for x in run.stdout.splitlines() if x.startswith("{") and '"invocation summary"' in x
    ]
    return line


def scheduled_request(d: Deployment) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the schedule as the emulator has it, the PutItem request its target sends)."""
    schedule = d.client("scheduler").get_schedule(Name=canary(d)["schedule_name"], GroupName="default")
    request: dict[str, Any] = json.loads(schedule["Target"]["Input"])
    return schedule, request


def session_of(role_arn: str, session: str) -> dict[str, Any]:
    """``userIdentity`` of a session of the role named by ``role_arn`` (with its path)."""
    resource = role_arn.split(":role", 1)[1]  # /PATH/NAME
    path, name = resource.rsplit("/", 1)
    return role_session(name, session, path=path + "/")


def put_item_record(request: dict[str, Any], identity: dict[str, Any], when: datetime) -> dict[str, Any]:
    """The CloudTrail record of ``request`` (a PutItem) made by ``identity``: the key with its value,
    the item's attribute names only, the table in resources (facts.md, DynamoDB data events)."""
    table = request["TableName"]
    item = request["Item"]
    record = cloudtrail_record(
        "PutItem",
        identity,
        table_arn=f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}",
        request_parameters={"tableName": table, "key": {"id": item["id"]["S"]}, "item": sorted(item)},
        when=when,
    )
    return record


def test_schedule_writes_one_heartbeat_with_the_canary_role(deployment: Deployment) -> None:
    c = canary(deployment)
    schedule, request = scheduled_request(deployment)
    assert schedule["State"] == "ENABLED" and schedule["ScheduleExpression"] == "rate(15 minutes)"
    assert schedule["FlexibleTimeWindow"]["Mode"] == "OFF"
    target = schedule["Target"]
    assert target["Arn"] == "arn:aws:scheduler:::aws-sdk:dynamodb:putItem"
    assert target["RoleArn"] == c["role_arn"]
    assert request == {"TableName": c["table_name"], "Item": {"id": {"S": "heartbeat"}}}

    # One run, as the universal target makes it: PutItem with the input as the request.
    ddb = deployment.client("dynamodb")
    ddb.put_item(**request)
    assert ddb.get_item(TableName=c["table_name"], Key={"id": {"S": "heartbeat"}})["Item"] == request["Item"]
    table = ddb.describe_table(TableName=c["table_name"])["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["KMSMasterKeyArn"] == deployment.outputs["kms_key_arn"]

    role = deployment.client("iam").get_role(RoleName=c["role_arn"].rsplit("/", 1)[-1])["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}


def test_canary_table_is_in_the_trail_selector(deployment: Deployment) -> None:
    c = canary(deployment)
    trail = deployment.outputs["trail_arn"]
    selectors = deployment.client("cloudtrail").get_event_selectors(TrailName=trail)["AdvancedEventSelectors"]
    arns = [
        v
        for s in selectors
        for f in s["FieldSelectors"]
        if f["Field"] == "resources.ARN"
        for v in f.get("Equals", [])
    ]
    assert f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{c['table_name']}" in arns


def test_heartbeat_is_counted_and_sends_nothing(deployment: Deployment) -> None:
    c = canary(deployment)
    _, request = scheduled_request(deployment)
    called = datetime.now(UTC) - timedelta(seconds=150)
    record = put_item_record(request, session_of(c["role_arn"], "d32c5kddcf5bb8c3"), called)
    # Scheduler's fields as CloudTrail might show them (not checked against AWS; the function ignores them)
    record["sourceIPAddress"] = record["userAgent"] = "scheduler.amazonaws.com"
    run, messages = deployment.deliver([record])
    result = result_of(run)
    assert (result["records"], result["allowed"], result["alert"]) == (1, 1, 0)
    assert messages == []
    summary = invocation_summary(run)
    assert summary["CanarySeen"] == 1
    assert 150 <= summary["CanaryDelaySeconds"] <= 150 + 120  # the call's time to the function's
    units = {m["Name"]: m["Unit"] for m in summary["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert units["CanarySeen"] == "Count" and units["CanaryDelaySeconds"] == "Seconds"
    assert summary["FunctionName"] == deployment.function["FunctionName"]


def test_alarm_fires_on_silence_and_notifies_alarm_actions(deployment: Deployment) -> None:
    c = canary(deployment)
    (alarm,) = deployment.client("cloudwatch").describe_alarms(AlarmNames=[c["alarm_name"]])["MetricAlarms"]
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["AlarmActions"] == deployment.variables["alarm_actions"] != []
    assert alarm["OKActions"] == deployment.variables["alarm_actions"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "DynamoDBAccessAlerts",
        "CanarySeen",
        "Sum",
    )
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": deployment.function["FunctionName"]}]
    assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["Period"]) == (
        "LessThanThreshold",
        1.0,
        60,
    )
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == c["alarm_minutes"] == 45
    assert c["alarm_name"] in deployment.outputs["alarm_names"]


def test_someone_else_writing_the_canary_table_alerts(deployment: Deployment) -> None:
    c = canary(deployment)
    _, request = scheduled_request(deployment)
    record = put_item_record(request, role_session(OUTSIDER_ROLE, "bob"), datetime.now(UTC))
    run, messages = deployment.deliver([record])
    result = result_of(run)
    assert (result["alert"], result["allowed"], result["messages_sent"]) == (1, 0, 1)
    assert invocation_summary(run)["CanarySeen"] == 0
    (message,) = messages
    assert c["table_name"] in message.text and OUTSIDER_ROLE in message.text


def test_silencing_the_canary_is_tamper(deployment: Deployment) -> None:
    c = canary(deployment)
    outsider = role_session(OUTSIDER_ROLE, "bob")
    records = [
        cloudtrail_record(
            "DisableAlarmActions",
            outsider,
            event_source="monitoring.amazonaws.com",
            request_parameters={"alarmNames": [c["alarm_name"]]},
            data_event=False,
        ),
        cloudtrail_record(
            "UpdateSchedule",
            outsider,
            event_source="scheduler.amazonaws.com",
            request_parameters={"name": c["schedule_name"], "groupName": "default", "state": "DISABLED"},
            data_event=False,
        ),
    ]
    run, messages = deployment.deliver(records)
    assert result_of(run)["alert"] == 2
    assert len(messages) == 2  # tamper alerts are never grouped together
    text = "\n".join(m.text for m in messages)
    assert c["alarm_name"] in text and c["schedule_name"] in text
    assert "TAMPER" in text.upper()
