"""``create_trail = false`` on the emulator: a platform team's trail and log group, made outside Terraform,
then examples/existing-trail applied against them (a second deployment beside the shared one). The platform
trail is the organization's trail (this emulated account is the management account), so the deployment also
watches a member account's table: organization mode, as issue 11 asks, without a third apply.

The module must create no trail, bucket or trail log group, put exactly one subscription filter on the
existing group, alert on records written there (data and tamper alike), hand out selectors the trail
accepts, plan nothing after apply, and leave the platform's trail and group as they were on destroy.
The tests run in file order and share one apply (a module-scoped fixture); the last one destroys it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.deployment import Deployment, deployed, require_or_skip
from tests.e2e.test_alerts import result_of, texts
from tools.sandbox import ACCOUNT, REGION, Emulator, cloudtrail_record, role_session, table_arn
from tools.tf import TerraformSetupError
from tools.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

EXAMPLE = "existing-trail"
NAME = "ddb-alerts-existing"
PLATFORM_TRAIL = "platform"
PLATFORM_TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{PLATFORM_TRAIL}"
PLATFORM_GROUP = "/platform/cloudtrail"
PLATFORM_BUCKET = f"platform-cloudtrail-{ACCOUNT}"
WEBHOOK_PARAMETER = "/platform/shared/dynamodb-access-alerts/slack-webhook"
TABLES = ["ledger", "accounts"]
OUTSIDER = role_session("ops-engineer", "bob")
MEMBER = "210987654321"  # a member account of the organization
MEMBER_NAME = "payments-prod"
MEMBER_TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{MEMBER}:table/payments"


def platform_trail(emulator: Emulator) -> None:
    """What the platform team runs already: a bucket, a log group, a role and a trail writing to both."""
    emulator.client("s3").create_bucket(Bucket=PLATFORM_BUCKET)
    logs = emulator.client("logs")
    logs.create_log_group(logGroupName=PLATFORM_GROUP)
    logs.put_retention_policy(logGroupName=PLATFORM_GROUP, retentionInDays=365)
    role = emulator.client("iam").create_role(
        RoleName="platform-cloudtrail-logs",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]
    emulator.client("cloudtrail").create_trail(
        Name=PLATFORM_TRAIL,
        S3BucketName=PLATFORM_BUCKET,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{PLATFORM_GROUP}:*",
        CloudWatchLogsRoleArn=role["Arn"],
        IsOrganizationTrail=True,  # the emulator checks no organization (AWS: the management account)
    )


@pytest.fixture(scope="module")
def existing(emulator: Emulator, receiver: WebhookReceiver, e2e_workdir: Path) -> Iterator[Deployment]:
    platform_trail(emulator)
    emulator.client("ssm").put_parameter(
        Name=WEBHOOK_PARAMETER, Type="SecureString", Value=receiver.url, Overwrite=True
    )
    variables = {
        "name": NAME,
        "table_names": TABLES,
        "existing_log_group_name": PLATFORM_GROUP,
        "existing_trail_arn": PLATFORM_TRAIL_ARN,
        "slack_webhook_url_ssm_parameter_name": WEBHOOK_PARAMETER,
        "table_arns": [MEMBER_TABLE_ARN],
        "account_names": {MEMBER: MEMBER_NAME},
    }
    try:
        with deployed(
            emulator,
            receiver,
            e2e_workdir,
            EXAMPLE,
            var_files=["example.tfvars"],
            variables=variables,
            name=EXAMPLE,
        ) as applied:
            yield applied
    except TerraformSetupError as exc:
        require_or_skip(str(exc))


def state(d: Deployment) -> list[str]:
    return d.workspace.run("state", "list").stdout.split()


def test_no_trail_bucket_or_trail_log_group_of_its_own(existing: Deployment) -> None:
    prefix = "module.dynamodb_access_alerts."
    addresses = [a.removeprefix(prefix) for a in state(existing) if a.startswith(prefix)]
    types = {a.split(".")[0] for a in addresses if not a.startswith("data.")}
    assert not {t for t in types if t == "aws_cloudtrail" or t.startswith("aws_s3_bucket")}, addresses
    assert [a for a in addresses if a.startswith("aws_cloudwatch_log_group.")] == [
        "aws_cloudwatch_log_group.lambda"
    ]
    roles = [a for a in addresses if a.startswith("aws_iam_role.")]
    assert "aws_iam_role.lambda" in roles and not [r for r in roles if r.startswith("aws_iam_role.trail")]
    assert [a for a in addresses if a.startswith("aws_cloudwatch_log_subscription_filter.")] == [
        "aws_cloudwatch_log_subscription_filter.this"
    ]
    assert "data.aws_cloudwatch_log_groups.existing[0]" in addresses
    trails = existing.client("cloudtrail").describe_trails(trailNameList=[PLATFORM_TRAIL, NAME])["trailList"]
    assert [t["Name"] for t in trails] == [PLATFORM_TRAIL]
    buckets = [b["Name"] for b in existing.client("s3").list_buckets()["Buckets"]]
    assert not [b for b in buckets if b.startswith(NAME)], buckets
    groups = existing.client("logs").describe_log_groups(logGroupNamePrefix="/aws/cloudtrail/")["logGroups"]
    assert f"/aws/cloudtrail/{NAME}" not in [g["logGroupName"] for g in groups]


def test_exactly_one_subscription_filter_on_the_existing_group(existing: Deployment) -> None:
    assert existing.outputs["log_group_name"] == PLATFORM_GROUP
    filters = existing.client("logs").describe_subscription_filters(logGroupName=PLATFORM_GROUP)
    (only,) = filters["subscriptionFilters"]
    assert only["destinationArn"] == existing.function["FunctionArn"]
    assert only["filterName"] == f"{NAME}-access-alerts"
    policy = json.loads(existing.client("lambda").get_policy(FunctionName=NAME)["Policy"])
    # The other statement lets the delivery ledger's flush rule invoke the function (ledger.tf).
    (statement,) = [s for s in policy["Statement"] if "logs." in json.dumps(s.get("Principal"))]
    condition = json.dumps(statement.get("Condition"))
    assert f"log-group:{PLATFORM_GROUP}:*" in condition and ACCOUNT in condition


def test_records_in_the_existing_group_alert(existing: Deployment) -> None:
    person = role_session("AWSReservedSSO_AdministratorAccess_5f1a2b3c4d5e6f70", "alice@example.com")
    record = cloudtrail_record(
        "DeleteItem",
        person,
        table_arn=table_arn(TABLES[0]),
        request_parameters={"tableName": TABLES[0], "key": {"entryId": {"S": "e-42"}}},
    )
    run, messages = existing.deliver([record])
    assert result_of(run)["alert"] == 1
    text = texts(messages)
    assert TABLES[0] in text and "DeleteItem" in text and "alice@example.com" in text


def test_changes_to_the_platform_trail_and_group_are_tamper(existing: Deployment) -> None:
    records = [
        cloudtrail_record(
            "StopLogging",
            OUTSIDER,
            event_source="cloudtrail.amazonaws.com",
            request_parameters={"name": PLATFORM_TRAIL},
            data_event=False,
        ),
        cloudtrail_record(
            "DeleteSubscriptionFilter",
            OUTSIDER,
            event_source="logs.amazonaws.com",
            request_parameters={"logGroupName": PLATFORM_GROUP, "filterName": f"{NAME}-access-alerts"},
            data_event=False,
        ),
    ]
    run, messages = existing.deliver(records)
    assert result_of(run)["alert"] == 2
    text = texts(messages)
    assert text.count("TAMPER") >= 2 and "StopLogging" in text and "DeleteSubscriptionFilter" in text


def member_record(event_name: str, **kw: Any) -> dict[str, Any]:
    """A record an organization trail delivers from a member account: its own recipientAccountId."""
    record = cloudtrail_record(event_name, role_session("ops-engineer", "carol", account=MEMBER), **kw)
    record["recipientAccountId"] = MEMBER
    for resource in record.get("resources", []):
        resource["accountId"] = MEMBER
    return record


def test_organization_mode_decides_a_member_accounts_table(existing: Deployment) -> None:
    """The deployed code, reading the document the module wrote, alerts on a write to the member account's
    table, names the account with its friendly name, and says where to open the event instead of linking
    to a console that cannot show it. A same-named table of the member account that is not watched, and a
    member account's change to its own log group named like the platform's, alert on nothing."""
    config = existing.outputs["lambda_configuration"]
    assert MEMBER_TABLE_ARN in config["tables"] and config["account_names"] == {MEMBER: MEMBER_NAME}
    assert config["home"]["account"] == ACCOUNT
    watched = member_record(
        "PutItem",
        table_arn=MEMBER_TABLE_ARN,
        request_parameters={"tableName": "payments", "key": {"paymentId": {"S": "p-7"}}},
    )
    other = member_record(
        "PutItem",
        table_arn=f"arn:aws:dynamodb:{REGION}:{MEMBER}:table/{TABLES[0]}",  # "ledger", but the member's own
        request_parameters={"tableName": TABLES[0], "key": {"entryId": {"S": "e-1"}}},
    )
    lookalike = member_record(
        "DeleteLogGroup",
        event_source="logs.amazonaws.com",
        request_parameters={"logGroupName": PLATFORM_GROUP},
        data_event=False,
    )
    run, messages = existing.deliver([watched, other, lookalike])
    result = result_of(run)
    assert result["alert"] == 1, result
    text = texts(messages)
    assert "payments" in text and "PutItem" in text and "carol" in text
    assert f"{MEMBER}` ({MEMBER_NAME})" in text, "the account and its name"
    assert "console.aws.amazon.com" not in text and "sign in to that account" in text
    assert "TAMPER" not in text


def test_the_platform_trail_accepts_the_required_selectors(existing: Deployment) -> None:
    """What the trail's owner runs: put-event-selectors with the output, read back unchanged."""
    required: list[dict[str, Any]] = json.loads(existing.outputs["required_advanced_event_selectors"])
    assert [s["Name"] for s in required] == [
        "DynamoDB data events of the watched tables",
        "Write management events (tamper and table control-plane alerts)",
    ]
    arns = next(f for f in required[0]["FieldSelectors"] if f["Field"] == "resources.ARN")["Equals"]
    assert {table_arn(t) for t in TABLES} <= set(arns), "the watched tables (and the canary's)"
    cloudtrail = existing.client("cloudtrail")
    cloudtrail.put_event_selectors(TrailName=PLATFORM_TRAIL, AdvancedEventSelectors=required)
    back = cloudtrail.get_event_selectors(TrailName=PLATFORM_TRAIL)["AdvancedEventSelectors"]
    assert back == required


def test_second_plan_has_no_changes(existing: Deployment) -> None:
    plan = existing.workspace.plan(detailed_exitcode=True, check=False)
    detail = plan.stdout[-4000:] + plan.stderr[-2000:]
    assert plan.returncode == 0, f"expected no changes after apply (exit 0), got {plan.returncode}:\n{detail}"
    assert "Warning:" not in plan.stdout + plan.stderr, f"the plan warns:\n{detail}"


def test_destroy_leaves_the_platform_trail_and_group(existing: Deployment) -> None:
    existing.destroy()
    assert state(existing) == []
    logs = existing.client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=PLATFORM_GROUP)["logGroups"]
    assert [(g["logGroupName"], g.get("retentionInDays")) for g in groups] == [(PLATFORM_GROUP, 365)]
    assert logs.describe_subscription_filters(logGroupName=PLATFORM_GROUP)["subscriptionFilters"] == []
    trail = existing.client("cloudtrail").get_trail(Name=PLATFORM_TRAIL)["Trail"]
    assert trail["CloudWatchLogsLogGroupArn"].endswith(f"log-group:{PLATFORM_GROUP}:*")
    status = existing.client("cloudtrail").get_trail_status(Name=PLATFORM_TRAIL)
    assert "IsLogging" in status
    assert existing.client("s3").head_bucket(Bucket=PLATFORM_BUCKET)
    functions = [f["FunctionName"] for f in existing.client("lambda").list_functions()["Functions"]]
    assert NAME not in functions
