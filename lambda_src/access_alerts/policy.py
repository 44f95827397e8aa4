"""Decide one CloudTrail record: ``alert``, ``allowed`` (naming the entry) or ``ignored``.

:meth:`Policy.evaluate` never raises: a record that cannot be parsed, or whose caller cannot be identified,
alerts (fail closed). Allow-list patterns are compiled once; the answer for a principal is memoised, because
a storm of thousands of records usually comes from a handful of principals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from access_alerts.identity import pathless_role_arn, role_path_known, split_arn
from access_alerts.model import (
    AccessEvent,
    AlertKind,
    Decision,
    PipelineResources,
    PolicySettings,
    Principal,
    SubscriptionPayload,
)
from access_alerts.records import (
    DYNAMODB_MANAGEMENT_APIS,
    RecordError,
    is_dynamodb,
    management_targets,
    parse_record,
)

_CHARS = r"[A-Za-z0-9_+=,.@\-*]"
_PATH_CHARS = r"[A-Za-z0-9_+=,.@\-*/]"
_PARTITION = r"(?:aws|aws-cn|aws-us-gov)"
_ACCOUNT = r"(?:[0-9]{12}|\*)"
# The accepted pattern shapes (CONTRACT.md, "Allow-list pattern syntax"). Terraform validates the same.
PATTERN_SHAPE = re.compile(
    rf"arn:{_PARTITION}:iam::{_ACCOUNT}:(?:(?:role|user)/{_PATH_CHARS}*{_CHARS}|root)"
    rf"|arn:{_PARTITION}:sts::{_ACCOUNT}:(?:assumed-role/{_CHARS}+/{_CHARS}+|federated-user/{_CHARS}+)"
    r"|[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.amazonaws\.com"
)

_MEMO_MAX = 4096
_json_decode = json.JSONDecoder().decode

# Tamper: write calls on the pipeline's own resources, by event source. Lambda names carry API-version
# suffixes in CloudTrail (UpdateFunctionCode20150331v2), so those are matched by prefix.
TAMPER_EVENTS: dict[str, frozenset[str]] = {
    "cloudtrail.amazonaws.com": frozenset(
        {
            "StopLogging",
            "DeleteTrail",
            "UpdateTrail",
            "PutEventSelectors",
            "PutInsightSelectors",
        }
    ),
    "logs.amazonaws.com": frozenset(
        {
            "DeleteLogGroup",
            "DeleteLogStream",
            "PutRetentionPolicy",
            "DeleteRetentionPolicy",
            "DeleteSubscriptionFilter",
            "PutSubscriptionFilter",
            "AssociateKmsKey",
            "DisassociateKmsKey",
        }
    ),
    "ssm.amazonaws.com": frozenset(
        {
            "DeleteParameter",
            "DeleteParameters",
            "PutParameter",
            "LabelParameterVersion",
            "UnlabelParameterVersion",
        }
    ),
    "sqs.amazonaws.com": frozenset({"DeleteQueue", "SetQueueAttributes", "PurgeQueue"}),
    "kms.amazonaws.com": frozenset(
        {
            "DisableKey",
            "ScheduleKeyDeletion",
            "PutKeyPolicy",
            "DisableKeyRotation",
            "CreateGrant",
        }
    ),
    "s3.amazonaws.com": frozenset(
        {
            "PutBucketPolicy",
            "DeleteBucketPolicy",
            "DeleteBucket",
            "PutBucketLifecycle",
            "PutBucketLifecycleConfiguration",
            "DeleteBucketLifecycle",
            "PutBucketVersioning",
            "PutBucketAcl",
            "PutBucketPublicAccessBlock",
            "DeleteBucketPublicAccessBlock",
            "PutBucketEncryption",
            "DeleteBucketEncryption",
        }
    ),
}
LAMBDA_TAMPER_PREFIXES = (
    "UpdateFunctionCode",
    "UpdateFunctionConfiguration",
    "DeleteFunction",
    "PutFunctionConcurrency",
    "DeleteFunctionConcurrency",
    "AddPermission",
    "RemovePermission",
    "PutFunctionEventInvokeConfig",
    "UpdateFunctionEventInvokeConfig",
    "DeleteFunctionEventInvokeConfig",
)
CONTROL_PLANE_EVENTS = frozenset(
    {
        "DeleteTable",
        "UpdateTable",
        "RestoreTableFromBackup",
        "RestoreTableToPointInTime",
        "UpdateTimeToLive",
        "DeleteBackup",
        "UpdateContinuousBackups",
        "ExportTableToPointInTime",
        "ImportTable",
        "PutResourcePolicy",
        "DeleteResourcePolicy",
        "TagResource",
        "UntagResource",
        "EnableKinesisStreamingDestination",
        "UpdateKinesisStreamingDestination",
        "DisableKinesisStreamingDestination",
    }
)


class PatternError(ValueError):
    """An allow-list pattern or monitored table entry is not valid; the message names the entry."""


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def _strip_role_path(pattern: str) -> str | None:
    """``arn:P:iam::A:role/a/b/NAME*`` -> ``arn:P:iam::A:role/NAME*``; None when there is no path, or when
    the name part is only wildcards (``role/team/*`` must not become ``role/*``, which allows every role)."""
    head, sep, rest = pattern.partition(":role/")
    if not sep or "/" not in rest:
        return None
    name = rest.rsplit("/", 1)[-1]
    if not name.strip("*"):
        return None
    return f"{head}:role/{name}"


class AllowList:
    """Compiled allow-list patterns. ``match`` returns the first entry that allows a principal."""

    __slots__ = ("_arn", "_has_sts", "_memo", "_service", "entries", "needs_path")

    def __init__(self, patterns: Sequence[str], *, label: str = "allow-list") -> None:
        self.entries: tuple[str, ...] = tuple(patterns)
        arn: list[tuple[str, re.Pattern[str], re.Pattern[str] | None]] = []
        service: list[tuple[str, re.Pattern[str]]] = []
        for entry in self.entries:
            if not isinstance(entry, str) or not PATTERN_SHAPE.fullmatch(entry):
                raise PatternError(
                    f"{label} entry {entry!r} is not an IAM role/user/root, STS assumed-role/federated-user "
                    "ARN pattern or an AWS service principal name (e.g. arn:aws:iam::123456789012:role/NAME, "
                    "dynamodb.amazonaws.com)"
                )
            if entry.startswith("arn:"):
                stripped = _strip_role_path(entry)
                arn.append((entry, _glob(entry), _glob(stripped) if stripped else None))
            else:
                service.append((entry, _glob(entry)))
        self._arn = tuple(arn)
        self._service = tuple(service)
        self._has_sts = any(":sts::" in entry for entry, _, _ in self._arn)
        self.needs_path = any(stripped is not None for _, _, stripped in self._arn)
        self._memo: dict[tuple[str, str | None, str | None, str | None, bool], str | None] = {}

    def __bool__(self) -> bool:
        return bool(self.entries)

    def match(self, principal: Principal, *, path_known: bool = True) -> str | None:
        """The entry that allows ``principal``, or None. Memoised per distinct principal."""
        key = (
            principal.type,
            principal.arn,
            principal.session_arn if self._has_sts else None,
            principal.service if principal.arn is None else None,
            path_known,
        )
        memo = self._memo
        if key in memo:
            return memo[key]
        found = self._match(principal, path_known)
        if len(memo) >= _MEMO_MAX:
            memo.clear()
        memo[key] = found
        return found

    def _match(self, principal: Principal, path_known: bool) -> str | None:
        if principal.arn is None:
            service = principal.service
            if service and principal.type in ("AWSService", "Unknown"):
                for entry, rx in self._service:
                    if rx.fullmatch(service):
                        return entry
            return None
        candidates = [principal.arn]
        pathless = pathless_role_arn(principal.arn)
        if pathless and pathless != principal.arn:
            candidates.append(pathless)
        if principal.session_arn and principal.session_arn != principal.arn:
            candidates.append(principal.session_arn)
        for entry, rx, stripped in self._arn:
            for cand in candidates:
                if rx.fullmatch(cand):
                    return entry
            if (
                stripped is not None
                and not path_known
                and pathless is not None
                and stripped.fullmatch(pathless)
            ):
                return entry
        return None


def _table_entry_ok(entry: object) -> bool:
    if not isinstance(entry, str) or not entry:
        return False
    if entry.startswith("arn:"):
        parts = split_arn(entry)
        return (
            parts is not None
            and parts[1] == "dynamodb"
            and parts[4].startswith("table/")
            and "/" not in parts[4][6:]
            and bool(parts[4][6:])
        )
    return re.fullmatch(r"[A-Za-z0-9_.\-]{1,255}", entry) is not None


def _name_of(value: str) -> str:
    """Resource name from an ARN or a name (last ``/`` or ``:`` segment)."""
    return value.rstrip("/").rsplit("/", 1)[-1]


class _Pipeline:
    """The module's own resources, normalised for comparison with CloudTrail request parameters."""

    def __init__(self, res: PipelineResources) -> None:
        self.trail: set[str] = set()
        if res.trail_arn:
            self.trail = {res.trail_arn, _name_of(res.trail_arn)}
        self.bucket = {res.trail_bucket} if res.trail_bucket else set()
        self.log_groups = {g.lstrip("/") for g in res.log_group_names if g}
        self.function: set[str] = set()
        if res.function_name:
            self.function = {_lambda_name(res.function_name)}
        self.queue: set[str] = set()
        if res.queue_arn:
            parts = split_arn(res.queue_arn)
            self.queue = {res.queue_arn}
            if parts:
                self.queue.add(f"{parts[3]}/{parts[4]}")  # ACCOUNT/NAME, as in a queue URL
        self.kms: set[str] = set()
        if res.kms_key_arn:
            self.kms = {res.kms_key_arn, _name_of(res.kms_key_arn)}
        self.ssm = {_ssm_name(p) for p in res.ssm_parameter_names if p}

    def touched(self, source: str, targets: Sequence[str]) -> str | None:
        """The first target that is one of the pipeline's resources."""
        for t in targets:
            if source == "cloudtrail.amazonaws.com" and t in self.trail:  # the trail's ARN or its name
                return t
            if source == "s3.amazonaws.com" and (t in self.bucket or _name_of(t) in self.bucket):
                return t
            if source == "logs.amazonaws.com" and _log_group(t) in self.log_groups:
                return t
            if source == "lambda.amazonaws.com" and _lambda_name(t) in self.function:
                return t
            if source == "sqs.amazonaws.com" and (t in self.queue or _queue_of_url(t) in self.queue):
                return t
            if source == "kms.amazonaws.com" and t in self.kms:  # key ARN or key id
                return t
            if source == "ssm.amazonaws.com" and _ssm_name(t) in self.ssm:
                return t
        return None


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


def _ssm_name(value: str) -> str:
    if value.startswith("arn:"):
        _, _, value = value.partition(":parameter")
    return value.lstrip("/")


def _alert(
    reason: str, kind: AlertKind, event: AccessEvent | None, source_id: str | None, event_id: str | None
) -> Decision:
    return Decision(
        kind="alert", reason=reason, event=event, alert_kind=kind, source_id=source_id, event_id=event_id
    )


def _ignored(reason: str, event: AccessEvent, source_id: str | None, event_id: str | None) -> Decision:
    return Decision(kind="ignored", reason=reason, event=event, source_id=source_id, event_id=event_id)


def _table_list(event: AccessEvent) -> str:
    if not event.tables:
        return "no table"
    shown = ", ".join(event.tables[:3])
    return shown + (f" and {len(event.tables) - 3} more" if len(event.tables) > 3 else "")


class Policy:
    """Monitored tables plus allow-lists; decides records. Build with :meth:`from_settings`."""

    def __init__(self, settings: PolicySettings, *, monitor_all_tables: bool = False) -> None:
        self.settings = settings
        self.monitor_all_tables = monitor_all_tables
        for entry in settings.tables:
            if not _table_entry_ok(entry):
                raise PatternError(
                    f"monitored table entry {entry!r} is neither a table name nor a "
                    "DynamoDB table ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME)"
                )
        self._names = frozenset(t for t in settings.tables if not t.startswith("arn:"))
        self._arns = frozenset(t for t in settings.tables if t.startswith("arn:"))
        self._arn_names = frozenset(_name_of(t) for t in self._arns)
        self.allowed = AllowList(settings.allowed, label="allowed")
        self.allowed_management = AllowList(settings.allowed_management, label="allowed_management")
        self._pipeline = _Pipeline(settings.pipeline)

    @classmethod
    def from_settings(cls, settings: PolicySettings, *, monitor_all_tables: bool = False) -> Policy:
        """Validate and compile. ``monitor_all_tables`` (replay without ``--table``) treats every table
        as monitored. Raises :class:`PatternError` naming a bad entry."""
        return cls(settings, monitor_all_tables=monitor_all_tables)

    # -- tables -------------------------------------------------------------------------------------
    def monitored_tables(self, event: AccessEvent) -> tuple[str, ...]:
        """The event's tables that are monitored (names). A name without a known ARN matches an ARN
        entry of the same name (fail closed)."""
        if self.monitor_all_tables:
            return event.tables
        out: list[str] = []
        arns = event.table_arns
        for name in event.tables:
            if name in self._names:
                out.append(name)
                continue
            if name in self._arn_names:
                suffix = "/" + name
                with_arn = [a for a in arns if a.endswith(suffix)]
                if not with_arn or any(a in self._arns for a in with_arn):
                    out.append(name)
        return tuple(out)

    # -- deciding -----------------------------------------------------------------------------------
    def evaluate(self, message: str | bytes | Mapping[str, object], source_id: str | None = None) -> Decision:
        """Parse, identify and decide one CloudTrail record. Never raises."""
        try:
            return self._evaluate(message, source_id)
        except Exception as exc:  # defensive: anything unexpected still ends as an alert
            return _alert(
                f"record could not be processed ({type(exc).__name__})", "unparseable", None, source_id, None
            )

    def _evaluate(self, message: str | bytes | Mapping[str, object], source_id: str | None) -> Decision:
        record: object
        if type(message) is str:
            text = message
        elif type(message) is dict or isinstance(message, Mapping):
            text = None
            record = message
        elif isinstance(message, bytes | bytearray):
            text = message.decode("utf-8", errors="replace")
        else:
            return _alert(
                f"record is a {type(message).__name__}, not JSON text", "unparseable", None, source_id, None
            )
        if text is not None:
            try:
                record = _json_decode(text)
            except RecursionError:
                return _alert("record is not JSON (nested too deeply)", "unparseable", None, source_id, None)
            except (ValueError, TypeError) as exc:
                reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
                return _alert(f"record is not JSON ({reason})", "unparseable", None, source_id, None)
        if type(record) is not dict and not isinstance(record, Mapping):
            return _alert("record is not a JSON object", "unparseable", None, source_id, None)
        raw_id = record.get("eventID")
        event_id = raw_id if isinstance(raw_id, str) and raw_id else None
        try:
            event = parse_record(record)
        except RecordError as exc:
            return _alert(
                f"record is not a CloudTrail event: {exc}", "unparseable", None, source_id, event_id
            )
        if record.get("eventType") == "AwsCloudTrailInsight" or record.get("eventCategory") == "Insight":
            return _ignored("CloudTrail Insights event", event, source_id, event_id)
        if event.category == "data":
            return self._decide_data(event, record, source_id, event_id)
        return self._decide_management(event, record, source_id, event_id)

    def _decide_data(
        self, event: AccessEvent, record: Mapping[str, Any], source_id: str | None, event_id: str | None
    ) -> Decision:
        if not is_dynamodb(event.event_source, event.event_name):
            return _ignored(
                f"not a DynamoDB event ({event.event_source or 'no source'})", event, source_id, event_id
            )
        if not event.tables:
            return _alert(
                f"{event.event_name} by {event.principal.display}: the table could not be determined "
                "from the record",
                "data",
                event,
                source_id,
                event_id,
            )
        monitored = self.monitored_tables(event)
        if not monitored:
            return _ignored(f"table not monitored ({_table_list(event)})", event, source_id, event_id)
        subject = f"{event.access} on {', '.join(monitored[:3])}"
        return self._judge(event, record, self.allowed, "allow-list", "data", subject, source_id, event_id)

    def _decide_management(
        self, event: AccessEvent, record: Mapping[str, Any], source_id: str | None, event_id: str | None
    ) -> Decision:
        kind: AlertKind | None = None
        what = ""
        name = event.event_name
        source = event.event_source
        if is_dynamodb(source, name):
            # Listed control-plane calls, and (fail closed) write calls of DynamoDB APIs we do not know yet.
            if name in CONTROL_PLANE_EVENTS or (
                name not in DYNAMODB_MANAGEMENT_APIS and event.access == "write"
            ):
                monitored = self.monitored_tables(event)
                if monitored:
                    if not self.settings.watch_table_management:
                        return _ignored("table management watching is off", event, source_id, event_id)
                    kind, what = "control_plane", f"monitored table {', '.join(monitored[:3])}"
        elif self._is_tamper_name(source, name):
            touched = self._pipeline.touched(source, management_targets(record))
            if touched is not None:
                if not self.settings.watch_pipeline:
                    return _ignored("pipeline watching is off", event, source_id, event_id)
                kind, what = "tamper", f"alerting pipeline resource {touched}"
                if event.target != touched:
                    event = replace(event, target=touched)
        if kind is None:
            return _ignored("management event on a resource that is not watched", event, source_id, event_id)
        return self._judge(
            event,
            record,
            self.allowed_management,
            "management allow-list",
            kind,
            f"{name} on {what}",
            source_id,
            event_id,
        )

    @staticmethod
    def _judge(
        event: AccessEvent,
        record: Mapping[str, Any],
        allow_list: AllowList,
        list_name: str,
        kind: AlertKind,
        subject: str,
        source_id: str | None,
        event_id: str | None,
    ) -> Decision:
        """Allowed when the caller matches ``allow_list``, else an alert. An unidentified caller alerts."""
        principal = event.principal
        if not principal.identified:
            return _alert(
                f"{subject} by a caller that could not be identified", kind, event, source_id, event_id
            )
        path_known = role_path_known(record.get("userIdentity")) if allow_list.needs_path else True
        matched = allow_list.match(principal, path_known=path_known)
        if matched is not None:
            return Decision(
                kind="allowed",
                reason=f"{principal.display} matches the {list_name}",
                event=event,
                matched=matched,
                source_id=source_id,
                event_id=event_id,
            )
        return _alert(
            f"{subject} by {principal.display}, not on the {list_name}", kind, event, source_id, event_id
        )

    @staticmethod
    def _is_tamper_name(source: str, name: str) -> bool:
        if source == "lambda.amazonaws.com":
            return name.startswith(LAMBDA_TAMPER_PREFIXES)
        names = TAMPER_EVENTS.get(source)
        return names is not None and name in names

    def evaluate_payload(self, payload: SubscriptionPayload) -> list[Decision]:
        """One decision per log event; a control message's events are ignored."""
        if payload.message_type != "DATA_MESSAGE":
            return [
                Decision(kind="ignored", reason="CloudWatch Logs control message", source_id=ev.id)
                for ev in payload.log_events
            ]
        evaluate = self.evaluate
        return [evaluate(ev.message, ev.id) for ev in payload.log_events]
