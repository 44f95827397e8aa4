"""Read the applied module back from the emulator with boto3: what the variables asked for is what exists."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from typing import Any

import pytest

from tests.e2e.deployment import Deployment
from tools.sandbox import ACCOUNT, REGION, WEBHOOK_PARAMETER

pytestmark = pytest.mark.e2e

# Module defaults for variables the example may leave out.
DEFAULTS: dict[str, Any] = {
    "track_reads": True,
    "track_stream_reads": True,
    "table_arns": [],
    "exclude_allowed_roles_at_source": True,
    "watch_pipeline": True,
    "watch_table_management": True,
    "key_values": "show",
    "log_retention_in_days": 90,
    "lambda_runtime": "python3.12",
    "allowed_role_arns": [],
    "allowed_management_role_arns": [],
    "lambda_maximum_retry_attempts": 2,
    "lambda_maximum_event_age_in_seconds": 21600,
    "trail_log_expiration_days": 365,
}


def var(d: Deployment, name: str) -> Any:
    value = d.variables.get(name)
    return DEFAULTS[name] if value is None else value


def expected_exclusion_prefixes(patterns: list[str]) -> list[str]:
    """The contract's rule, written independently of the module: only exact role ARNs (12-digit account,
    no path, no wildcard but an optional trailing one) become `userIdentity.arn` prefixes."""
    prefixes = set()
    for p in patterns:
        m = re.fullmatch(r"arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/([A-Za-z0-9+=,.@_-]*)(\*?)", p)
        if m and (m.group(3) or m.group(4)):
            partition, account, name, star = m.groups()
            prefixes.add(f"arn:{partition}:sts::{account}:assumed-role/{name}" + ("" if star else "/"))
    return sorted(prefixes)


def fields(selector: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["Field"]: f for f in selector["FieldSelectors"]}


def test_example_watches_tables_and_allows_roles(deployment: Deployment) -> None:
    """Guard: the scenario below needs tables, an exact allowed role and a management allow-list."""
    assert var(deployment, "table_names"), "prod.tfvars should list tables"
    assert expected_exclusion_prefixes(var(deployment, "allowed_role_arns")), "prod.tfvars: no exact role"
    assert var(deployment, "allowed_management_role_arns"), "prod.tfvars: no management role"


def test_trail_logs_to_the_log_group_with_validation_and_kms(deployment: Deployment) -> None:
    trail = deployment.client("cloudtrail").get_trail(Name=deployment.outputs["trail_arn"])["Trail"]
    assert trail["TrailARN"] == deployment.outputs["trail_arn"]
    assert trail["S3BucketName"] == deployment.outputs["trail_bucket_name"]
    assert trail["LogFileValidationEnabled"] is True
    assert trail["CloudWatchLogsLogGroupArn"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{deployment.log_group}:*"
    )
    assert trail.get("KmsKeyId", "").startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")


def test_advanced_selectors_select_exactly_the_listed_tables(deployment: Deployment) -> None:
    """Exact tables (table_names and table_arns) in one data selector, families (NAMEPREFIX*) as
    resources.ARN starts_with in another: operators are never mixed in one field selector."""
    selectors = deployment.client("cloudtrail").get_event_selectors(
        TrailName=deployment.outputs["trail_arn"]
    )["AdvancedEventSelectors"]
    by_category: dict[str, list[dict[str, dict[str, Any]]]] = {}
    for s in selectors:
        f = fields(s)
        by_category.setdefault(f["eventCategory"]["Equals"][0], []).append(f)
    assert set(by_category) == {"Data", "Management"}
    entries = {f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{t}" for t in var(deployment, "table_names")}
    entries |= set(var(deployment, "table_arns"))
    if deployment.outputs["canary"] is not None:  # the canary's table is logged like a watched one
        entries.add(f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{deployment.outputs['canary']['table_name']}")
    exact = sorted(a for a in entries if not a.endswith("*"))
    families = sorted(a.removesuffix("*") for a in entries if a.endswith("*"))
    data_selectors = by_category["Data"]
    assert len(data_selectors) == (1 if exact else 0) + (1 if families else 0)
    selected_exact = [d["resources.ARN"] for d in data_selectors if "Equals" in d["resources.ARN"]]
    selected_families = [d["resources.ARN"] for d in data_selectors if "StartsWith" in d["resources.ARN"]]
    assert [sorted(r["Equals"]) for r in selected_exact] == ([exact] if exact else [])
    assert [sorted(r["StartsWith"]) for r in selected_families] == ([families] if families else [])
    prefixes = expected_exclusion_prefixes(var(deployment, "allowed_role_arns"))
    for data in data_selectors:
        assert data["resources.type"]["Equals"] == ["AWS::DynamoDB::Table"]
        assert len([k for k in data["resources.ARN"] if k != "Field"]) == 1, "one operator per field"
        if var(deployment, "track_reads"):
            assert "readOnly" not in data
        else:
            assert data["readOnly"]["Equals"] == ["false"]
        if var(deployment, "exclude_allowed_roles_at_source") and prefixes:
            assert sorted(data["userIdentity.arn"]["NotStartsWith"]) == prefixes
        else:
            assert "userIdentity.arn" not in data
        allowed_fields = {"eventCategory", "resources.type", "resources.ARN", "readOnly", "userIdentity.arn"}
        if var(deployment, "track_reads") and not var(deployment, "track_stream_reads"):
            assert sorted(data["eventName"]["NotEquals"]) == ["GetRecords", "GetShardIterator"]
            allowed_fields.add("eventName")
        assert set(data) <= allowed_fields
    (management,) = by_category["Management"]
    assert management["readOnly"]["Equals"] == ["false"], "management events: writes only"
    assert set(management) == {"eventCategory", "readOnly"}


def test_trail_is_multi_region_exactly_when_a_table_is_elsewhere(deployment: Deployment) -> None:
    regions = {a.split(":")[3] for a in var(deployment, "table_arns")} | {REGION}
    trail = deployment.client("cloudtrail").get_trail(Name=deployment.outputs["trail_arn"])["Trail"]
    multi = regions != {REGION}
    assert trail["IsMultiRegionTrail"] is multi
    assert trail["IncludeGlobalServiceEvents"] is multi, "CloudTrail requires both together"
    reason = deployment.outputs["multi_region_reason"]
    assert (reason is not None) is multi
    assert all(r in reason for r in regions - {REGION}) if multi else True


def test_log_group_retention_and_kms(deployment: Deployment) -> None:
    groups = deployment.client("logs").describe_log_groups(logGroupNamePrefix=deployment.log_group)[
        "logGroups"
    ]
    (group,) = [g for g in groups if g["logGroupName"] == deployment.log_group]
    assert group["retentionInDays"] == var(deployment, "log_retention_in_days")
    assert group.get("kmsKeyId", "").startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    function_group = f"/aws/lambda/{deployment.function['FunctionName']}"
    (lambda_group,) = deployment.client("logs").describe_log_groups(logGroupNamePrefix=function_group)[
        "logGroups"
    ]
    assert lambda_group.get("retentionInDays"), "the function's own log group needs a retention too"
    assert lambda_group.get("kmsKeyId")


def test_subscription_filter_targets_the_function_with_permission(deployment: Deployment) -> None:
    (sub,) = deployment.client("logs").describe_subscription_filters(logGroupName=deployment.log_group)[
        "subscriptionFilters"
    ]
    assert sub["destinationArn"] == deployment.function["FunctionArn"]
    assert 'eventSource = "dynamodb.amazonaws.com"' in sub["filterPattern"]
    policy = json.loads(
        deployment.client("lambda").get_policy(FunctionName=deployment.function["FunctionName"])["Policy"]
    )
    (statement,) = [
        s
        for s in policy["Statement"]
        if s["Principal"] in ({"Service": "logs.amazonaws.com"}, "logs.amazonaws.com")
    ]
    assert statement["Action"] == "lambda:InvokeFunction"
    source_arn = statement["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert source_arn == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{deployment.log_group}:*"


def _configuration_document(deployment: Deployment) -> tuple[bytes, dict[str, Any]]:
    """The parameter the function's environment names, read back and decoded (base64, gzip, JSON)."""
    env = deployment.function["Environment"]["Variables"]
    parameter = deployment.client("ssm").get_parameter(
        Name=env["ACCESS_ALERTS_CONFIG_PARAMETER"], WithDecryption=True
    )["Parameter"]
    assert parameter["Type"] == "SecureString"
    raw = gzip.decompress(base64.b64decode(parameter["Value"]))
    return raw, json.loads(raw)


def test_function_configuration_and_environment(deployment: Deployment) -> None:
    fn = deployment.function
    assert fn["Runtime"] == var(deployment, "lambda_runtime")
    assert fn["Handler"] == "access_alerts.handler.lambda_handler"
    env = fn["Environment"]["Variables"]
    # Only where the configuration document is, and which one it must be.
    assert set(env) == {"ACCESS_ALERTS_CONFIG_PARAMETER", "ACCESS_ALERTS_CONFIG_SHA256"}
    raw, document = _configuration_document(deployment)
    assert hashlib.sha256(raw).hexdigest() == env["ACCESS_ALERTS_CONFIG_SHA256"]
    assert document["version"] == 1
    assert document["name"] == deployment.variables.get("name", fn["FunctionName"])
    home_prefix = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/"
    expected_tables = {home_prefix + t for t in var(deployment, "table_names")}
    assert document["tables"] == sorted(expected_tables | set(var(deployment, "table_arns")))
    assert document["home"] == {"partition": "aws", "account": ACCOUNT, "region": REGION}
    assert document["allowed"] == var(deployment, "allowed_role_arns")
    assert document["allowed_management"] == var(deployment, "allowed_management_role_arns")
    assert document["watch_pipeline"] == var(deployment, "watch_pipeline")
    assert document["watch_table_management"] == var(deployment, "watch_table_management")
    assert document["key_values"] == var(deployment, "key_values")
    destinations = document["destinations"]
    assert {k: v for k, v in destinations["default"].items() if v is not None} == {
        "type": "slack_webhook",
        "url_parameter": WEBHOOK_PARAMETER,
    }
    assert set(destinations) == {"default", *var(deployment, "destinations")}
    assert document["default_destinations"] == var(deployment, "default_destinations")
    assert [r["name"] for r in document["routes"]] == [r["name"] for r in var(deployment, "routes")]
    pipeline = document["pipeline"]
    assert pipeline["trail_arn"] == deployment.outputs["trail_arn"]
    assert pipeline["function_name"] == fn["FunctionName"]
    assert deployment.log_group in pipeline["log_group_names"]
    assert env["ACCESS_ALERTS_CONFIG_PARAMETER"] in pipeline["ssm_parameter_names"]
    name = fn["FunctionName"]
    assert pipeline["role_names"][:2] == [f"{name}-lambda", f"{name}-cloudtrail-logs"]
    assert fn["Role"].rsplit("/", 1)[-1] == pipeline["role_names"][0]
    # The webhook never travels in the environment or the document.
    for text in [*env.values(), raw.decode()]:
        assert deployment.receiver.url not in text
        assert "hooks.slack.com" not in text and "https://hooks" not in text


def test_function_logs_json_to_its_own_log_group(deployment: Deployment) -> None:
    """Read back from the emulator, which keeps LoggingConfig only through tools/sandbox.py's patch; the
    module does not ignore changes to it, so the empty second plan (test_lifecycle.py) covers it too."""
    fn = deployment.function
    assert fn["LoggingConfig"]["LogFormat"] == "JSON"
    assert fn["LoggingConfig"]["LogGroup"] == f"/aws/lambda/{fn['FunctionName']}"


def test_trail_bucket_expires_every_log_file(deployment: Deployment) -> None:
    rules = deployment.client("s3").get_bucket_lifecycle_configuration(
        Bucket=deployment.outputs["trail_bucket_name"]
    )["Rules"]
    (rule,) = rules
    assert rule["Status"] == "Enabled"
    assert rule["Filter"].get("Prefix", "") == "" and set(rule["Filter"]) <= {"Prefix"}, "all objects"
    days = var(deployment, "trail_log_expiration_days")
    assert rule["Expiration"]["Days"] == days
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == days


def test_async_invoke_config_sends_failures_to_the_encrypted_queue(deployment: Deployment) -> None:
    cfg = deployment.client("lambda").get_function_event_invoke_config(
        FunctionName=deployment.function["FunctionName"]
    )
    assert cfg["MaximumRetryAttempts"] == var(deployment, "lambda_maximum_retry_attempts")
    assert cfg["MaximumEventAgeInSeconds"] == var(deployment, "lambda_maximum_event_age_in_seconds")
    queue_arn = deployment.outputs["on_failure_queue_arn"]
    assert cfg["DestinationConfig"]["OnFailure"]["Destination"] == queue_arn
    attrs = deployment.client("sqs").get_queue_attributes(
        QueueUrl=deployment.outputs["on_failure_queue_url"], AttributeNames=["All"]
    )["Attributes"]
    assert attrs["QueueArn"] == queue_arn
    assert attrs.get("KmsMasterKeyId", "").startswith("arn:aws:kms:")


def test_alarms_watch_the_queue_and_function_errors(deployment: Deployment) -> None:
    alarms = deployment.client("cloudwatch").describe_alarms()["MetricAlarms"]
    queue_name = deployment.outputs["on_failure_queue_arn"].rsplit(":", 1)[-1]
    fn_name = deployment.function["FunctionName"]

    def watching(namespace: str, metric: str, dimension: str, value: str) -> list[dict[str, Any]]:
        return [
            a
            for a in alarms
            if a["Namespace"] == namespace
            and a["MetricName"] == metric
            and {"Name": dimension, "Value": value} in a["Dimensions"]
        ]

    assert watching("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue_name)
    assert watching("AWS/Lambda", "Errors", "FunctionName", fn_name)


def test_function_role_has_no_wildcard_actions(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    role_name = deployment.function["Role"].rsplit("/", 1)[-1]
    documents: list[Any] = []
    for policy_name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        documents.append(iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"])
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        if attached["PolicyArn"].startswith("arn:aws:iam::aws:"):
            pytest.fail(f"AWS managed policy {attached['PolicyArn']} attached: not least privilege")
        version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
        documents.append(
            iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)["PolicyVersion"][
                "Document"
            ]
        )
    assert documents, "the function role has no policy at all"
    for doc in documents:
        doc = json.loads(doc) if isinstance(doc, str) else doc
        statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
        for s in statements:
            actions = s.get("Action", [])
            for action in [actions] if isinstance(actions, str) else actions:
                assert action != "*" and not action.endswith(":*"), f"wildcard action {action!r} in {s}"
            if s.get("Effect") == "Allow" and s.get("Resource") in ("*", ["*"]):
                # Only actions that have no resource-level permissions may use "*".
                allowed_star = {
                    "cloudwatch:PutMetricData",
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                }
                acts = [actions] if isinstance(actions, str) else actions
                assert set(acts) <= allowed_star, f"Resource * for {acts}"


def test_kms_key_rotates(deployment: Deployment) -> None:
    key_arn = (
        deployment.function.get("KMSKeyArn")
        or _configuration_document(deployment)[1]["pipeline"]["kms_key_arns"][0]
    )
    assert key_arn, "the module's KMS key should be known to the function"
    assert deployment.client("kms").get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True
