"""Tampering: a call that changes one of the alerting pipeline's own resources.

Two questions, answered from data: is the call one that changes a resource of its service (the catalogue in
``rules.json``, shared with the subscription filter in Terraform: the service's write API list, and, failing
closed, any call of the service this version does not know that is not a read), and does it name one of the
pipeline's resources (:class:`~access_alerts.model.PipelineResources`)? A few calls change every resource of
their service in the account (CloudWatch Logs account policies): those count whatever they name. CloudTrail
names a resource in many forms (a trail by name or ARN, a queue by URL, a log group with or without its
leading ``/`` or as an ARN, a key by id or ARN), so both sides are normalised before they are compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from access_alerts import rules
from access_alerts.identity import split_arn
from access_alerts.model import PipelineResources

MAX_TARGETS = 50  # of one list-valued request parameter (DeleteParameters names up to 10)

# Request parameters that name the resource a management call acts on, per service (either casing).
TARGET_FIELDS = (
    # CloudTrail
    "name",
    "Name",
    "trailName",
    "TrailName",
    # CloudWatch Logs
    "logGroupName",
    "logGroupIdentifier",
    # Lambda
    "functionName",
    "FunctionName",
    # tags and resource policies (CloudTrail AddTags, SSM AddTagsToResource, logs TagResource, ...)
    "resourceId",
    "ResourceId",
    "resourceIdentifier",
    "logGroupArn",
    "logGroupIdentifiers",
    # SQS StartMessageMoveTask names the queue it drains by ARN
    "sourceArn",
    "SourceArn",
    # KMS CreateAlias/UpdateAlias name the key an alias is to point at
    "targetKeyId",
    "TargetKeyId",
    # SSM (name is above)
    "names",
    "Names",
    # SQS
    "queueUrl",
    "QueueUrl",
    # KMS
    "keyId",
    "KeyId",
    # S3
    "bucketName",
    "BucketName",
    # CloudWatch alarms (DeleteAlarms and DisableAlarmActions name a list)
    "alarmName",
    "alarmNames",
    # IAM (EventBridge Scheduler names its schedule by "name", above)
    "roleName",
    # EventBridge rules: DeleteRule, DisableRule and PutRule name it by "name" (above), PutTargets and
    # RemoveTargets by "rule", TagResource and UntagResource by its ARN
    "rule",
    "Rule",
    "resourceARN",
    "ResourceARN",
    # DynamoDB
    "tableName",
    "TableName",
    "tableArn",
    "resourceArn",
    "ResourceArn",
    "backupArn",
    "targetTableName",
    "sourceTableName",
    "sourceTableArn",
)


def management_targets(
    params: Mapping[str, Any], resource_arns: Iterable[str], response: object = None
) -> tuple[str, ...]:
    """Every resource identifier a management call names: request parameters first, then ``resources``,
    then the same fields of ``responseElements`` (KMS names an alias's key there and in ``resources``)."""
    out: dict[str, None] = {}
    _add_targets(out, params)
    for arn in resource_arns:
        out[arn] = None
    if isinstance(response, Mapping):
        _add_targets(out, response)
    return tuple(out)


def _add_targets(out: dict[str, None], fields: Mapping[str, Any]) -> None:
    for field in TARGET_FIELDS:
        value = fields.get(field)
        if isinstance(value, str) and value:
            out[value] = None
        elif isinstance(value, list):
            for item in value[:MAX_TARGETS]:
                if isinstance(item, str) and item:
                    out[item] = None


def is_tamper_call(source: str, event_name: str) -> bool:
    """A call that changes a resource of the kind the pipeline is made of: a listed write of the service's
    rules.json catalogue, or (fail closed) a call of a pipeline service that this version does not know and
    that is not a read."""
    calls = rules.pipeline_calls().get(source)
    return calls is not None and calls.changes(event_name)


_ACCOUNT_WIDE = {"logs.amazonaws.com": "log group"}


def _name_of(value: str) -> str:
    """Resource name from an ARN or a name (its last ``/`` segment)."""
    return value.rstrip("/").rsplit("/", 1)[-1]


def _queue_of_url(value: str) -> str:
    """``https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`` -> ``ACCOUNT/NAME``."""
    parts = value.rstrip("/").rsplit("/", 2)
    return f"{parts[-2]}/{parts[-1]}" if len(parts) == 3 else value


def _log_group(value: str) -> str:
    if value.startswith("arn:"):
        _, _, rest = value.partition(":log-group:")
        value = rest[:-2] if rest.endswith(":*") else rest
    return value.lstrip("/")


def _lambda_name(value: str) -> str:
    # name | arn:P:lambda:R:A:function:NAME[:QUALIFIER] | A:function:NAME[:QUALIFIER]
    if ":function:" in value:
        value = value.split(":function:", 1)[1].split(":", 1)[0]
    return value


def _alarm_name(value: str) -> str:
    # name | arn:P:cloudwatch:R:A:alarm:NAME (alarm names may contain "/" but not ":alarm:")
    if value.startswith("arn:") and ":alarm:" in value:
        value = value.split(":alarm:", 1)[1]
    return value


def _ssm_name(value: str) -> str:
    if value.startswith("arn:"):
        _, _, value = value.partition(":parameter")
    return value.lstrip("/")


class PipelineWatch:
    """The pipeline's resources, normalised for comparison with what CloudTrail records name."""

    def __init__(self, resources: PipelineResources) -> None:
        res = resources
        self.trail: set[str] = {res.trail_arn, _name_of(res.trail_arn)} if res.trail_arn else set()
        self.bucket = {res.trail_bucket} if res.trail_bucket else set()
        self.log_groups = {g.lstrip("/") for g in res.log_group_names if g}
        self.function = {_lambda_name(res.function_name)} if res.function_name else set()
        self.queue: set[str] = set()
        if res.queue_arn:
            self.queue.add(res.queue_arn)
            parts = split_arn(res.queue_arn)
            if parts:
                self.queue.add(f"{parts[3]}/{parts[4]}")  # ACCOUNT/NAME, as in a queue URL
        self.kms: set[str] = set()
        for key in res.kms_key_arns:
            if key:
                self.kms.update((key, _name_of(key)))  # key ARN or key id
        self.ssm = {_ssm_name(p) for p in res.ssm_parameter_names if p}
        self.alarms = {a for a in res.alarm_names if a}
        self.schedules = {n for n in res.schedule_names if n}
        self.roles = {n for n in res.role_names if n}
        self.tables = {n for n in res.table_names if n}
        self.rules = {n for n in res.rule_names if n}

    def own_table(self, tables: Sequence[str]) -> str | None:
        """The first of ``tables`` (names) that is one of the pipeline's own DynamoDB tables (the ledger)."""
        return next((t for t in tables if t in self.tables), None)

    def touched(self, source: str, event_name: str, targets: Sequence[str]) -> str | None:
        """The first of ``targets`` that is a pipeline resource, when the call is a tamper call; for a call
        that changes every resource of its service in the account (rules.json ``account_calls``, such as
        CloudWatch Logs account policies), a description of that, whatever it names."""
        calls = rules.pipeline_calls().get(source)
        if calls is None or not calls.changes(event_name):
            return None
        if calls.is_account_call(event_name) and self._has_resources_of(source):
            noun = _ACCOUNT_WIDE.get(source, f"resources of {source}")
            return f"every {noun} in the account and Region ({event_name} applies to all of them)"
        for target in targets:
            if self._is_pipeline_resource(source, target):
                return target
        return None

    def _has_resources_of(self, source: str) -> bool:
        return bool(
            {
                "cloudtrail.amazonaws.com": self.trail,
                "s3.amazonaws.com": self.bucket,
                "logs.amazonaws.com": self.log_groups,
                "lambda.amazonaws.com": self.function,
                "sqs.amazonaws.com": self.queue,
                "kms.amazonaws.com": self.kms,
                "ssm.amazonaws.com": self.ssm,
            }.get(source)
        )

    def _is_pipeline_resource(self, source: str, t: str) -> bool:
        if source == "cloudtrail.amazonaws.com":
            return t in self.trail  # the trail's ARN or its name
        if source == "s3.amazonaws.com":  # a bucket name, or its ARN arn:P:s3:::NAME
            return t in self.bucket or _name_of(t) in self.bucket or t.rsplit(":", 1)[-1] in self.bucket
        if source == "logs.amazonaws.com":
            return _log_group(t) in self.log_groups
        if source == "lambda.amazonaws.com":
            return _lambda_name(t) in self.function
        if source == "sqs.amazonaws.com":
            return t in self.queue or _queue_of_url(t) in self.queue
        if source == "kms.amazonaws.com":
            return t in self.kms  # key ARN or key id
        if source == "ssm.amazonaws.com":
            return _ssm_name(t) in self.ssm
        if source == "monitoring.amazonaws.com":
            return _alarm_name(t) in self.alarms
        if source == "scheduler.amazonaws.com":
            return _name_of(t) in self.schedules  # a name, or arn:P:scheduler:R:A:schedule/GROUP/NAME
        if source == "iam.amazonaws.com":
            return _name_of(t) in self.roles  # a role name, or its ARN with any path
        if source == "events.amazonaws.com":
            return _name_of(t) in self.rules  # a rule name, or arn:P:events:R:A:rule/[BUS/]NAME
        return False
