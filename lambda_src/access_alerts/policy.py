"""Decide one CloudTrail record: ``alert``, ``allowed`` (naming the entry) or ``ignored``.

:meth:`Policy.evaluate` never raises: a record that cannot be parsed, or whose caller cannot be identified,
alerts (fail closed). Data events on watched tables are judged against the ``allowed`` list; tamper calls on
the pipeline's resources (:mod:`access_alerts.tamper`) and control-plane calls on watched tables against the
``allowed_management`` list (:mod:`access_alerts.allowlist`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from access_alerts import rules
from access_alerts.allowlist import AllowList, PatternError
from access_alerts.canary import CANARY_MATCH, CanaryWatch
from access_alerts.decode import is_health_check
from access_alerts.identity import role_path_known, split_arn
from access_alerts.model import (
    AccessEvent,
    AlertKind,
    Decision,
    PolicySettings,
    SubscriptionPayload,
)
from access_alerts.records import RecordError, is_dynamodb, parse_record
from access_alerts.tables import WatchedTables
from access_alerts.tamper import PipelineWatch
from access_alerts.text import first_line


def _alert(
    reason: str, kind: AlertKind, event: AccessEvent | None, source_id: str | None, event_id: str | None
) -> Decision:
    return Decision(
        kind="alert", reason=reason, event=event, alert_kind=kind, source_id=source_id, event_id=event_id
    )


def _ignored(reason: str, event: AccessEvent, source_id: str | None, event_id: str | None) -> Decision:
    return Decision(kind="ignored", reason=reason, event=event, source_id=source_id, event_id=event_id)


def is_insights_event(record: Mapping[str, Any]) -> bool:
    """A CloudTrail Insights event as CloudTrail writes one: ``eventType`` ``AwsCloudTrailInsight`` with an
    ``insightDetails`` object and no caller. Only that shape is ignored; a record that merely says
    ``eventCategory: Insight`` is decided like any other."""
    return (
        record.get("eventType") == "AwsCloudTrailInsight"
        and isinstance(record.get("insightDetails"), Mapping)
        and record.get("eventCategory") in (None, "Insight")
        and "userIdentity" not in record
    )


def _table_list(event: AccessEvent) -> str:
    if not event.tables:
        return "no table"
    shown = ", ".join(event.tables[:3])
    return shown + (f" and {len(event.tables) - 3} more" if len(event.tables) > 3 else "")


class Policy:
    """Watched tables plus allow-lists; decides records.

    Raises :class:`~access_alerts.allowlist.PatternError` naming a bad entry. ``monitor_all_tables``
    (replay without ``--table``) treats every table as watched.
    """

    def __init__(self, settings: PolicySettings, *, monitor_all_tables: bool = False) -> None:
        self.settings = settings
        self.monitor_all_tables = monitor_all_tables
        self._canary: CanaryWatch | None = None
        if settings.canary is not None:
            try:
                self._canary = CanaryWatch(settings.canary)
            except ValueError as exc:
                raise PatternError(str(exc)) from None
        watched = settings.tables + ((settings.canary.table_arn,) if settings.canary is not None else ())
        self._tables = WatchedTables(watched)
        self.allowed = AllowList(settings.allowed, label="allowed")
        self.allowed_management = AllowList(settings.allowed_management, label="allowed_management")
        self._pipeline = PipelineWatch(settings.pipeline)
        # The home account, and any other account the document names a pipeline resource in by ARN (an
        # existing log group's key may live elsewhere). None: the home is unknown, every account counts.
        self._pipeline_accounts: frozenset[str] | None = None
        if settings.home_account is not None:
            res = settings.pipeline
            arns = (res.trail_arn, res.queue_arn, *res.kms_key_arns)
            owners = {parts[3] for a in arns if a and (parts := split_arn(a))}
            self._pipeline_accounts = frozenset({settings.home_account, *owners})

    def _elsewhere(self, event: AccessEvent) -> bool:
        """True when a management event happened in an account that holds none of the pipeline's resources
        (an organization trail logs every member account): a name match there is another account's
        resource. Unknown accounts count as the pipeline's (fail closed)."""
        return (
            self._pipeline_accounts is not None
            and event.account_id is not None
            and event.account_id not in self._pipeline_accounts
        )

    # -- tables -------------------------------------------------------------------------------------
    def monitored_tables(self, event: AccessEvent) -> tuple[str, ...]:
        """The event's tables that are watched (names), exact or by family
        (:class:`~access_alerts.tables.WatchedTables`)."""
        if self.monitor_all_tables:
            return event.tables
        suffixes = {name: "/" + name for name in event.tables}
        return tuple(
            name
            for name in event.tables
            if self._tables.watches(name, [a for a in event.table_arns if a.endswith(suffixes[name])])
        )

    # -- deciding -----------------------------------------------------------------------------------
    def evaluate_payload(self, payload: SubscriptionPayload) -> list[Decision]:
        """One decision per log event. In a control message, the reachability check's own text is ignored;
        anything else it carries is decided like a record of a data message (never silently dropped)."""
        return [
            Decision(kind="ignored", reason="CloudWatch Logs control message", source_id=ev.id)
            if is_health_check(payload, ev)
            else self.evaluate(ev.message, ev.id)
            for ev in payload.log_events
        ]

    def evaluate(self, message: str | bytes | Mapping[str, object], source_id: str | None = None) -> Decision:
        """Parse, identify and decide one CloudTrail record. Never raises."""
        try:
            return self._evaluate(message, source_id)
        except Exception as exc:  # defensive: anything unexpected still ends as an alert
            return _alert(
                f"record could not be processed ({type(exc).__name__})", "unparseable", None, source_id, None
            )

    def _evaluate(self, message: object, source_id: str | None) -> Decision:
        record: object
        if isinstance(message, Mapping):
            record = message
        elif isinstance(message, str | bytes | bytearray):
            text = message if isinstance(message, str) else message.decode("utf-8", errors="replace")
            try:
                record = json.loads(text)
            except RecursionError:
                return _alert("record is not JSON (nested too deeply)", "unparseable", None, source_id, None)
            except (ValueError, TypeError) as exc:
                return _alert(f"record is not JSON ({first_line(exc)})", "unparseable", None, source_id, None)
        else:
            return _alert(
                f"record is a {type(message).__name__}, not JSON text", "unparseable", None, source_id, None
            )
        if not isinstance(record, Mapping):
            return _alert("record is not a JSON object", "unparseable", None, source_id, None)
        raw_id = record.get("eventID")
        event_id = raw_id if isinstance(raw_id, str) and raw_id else None
        if is_insights_event(record):
            return Decision(
                kind="ignored",
                reason="CloudTrail Insights event (an unusual rate of API calls, not a call itself)",
                source_id=source_id,
                event_id=event_id,
            )
        try:
            event = parse_record(record)
        except RecordError as exc:
            return _alert(
                f"record is not a CloudTrail event: {exc}", "unparseable", None, source_id, event_id
            )
        # Any other record is decided by what it says it did, whatever its eventCategory: a PutItem that
        # calls itself "Insight" (or any category this version does not know) is still a PutItem.
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
        if self._canary is not None and self._canary.is_heartbeat(event):
            return Decision(
                kind="allowed",
                reason=f"heartbeat of the canary ({event.principal.display} on {self._canary.table_name})",
                event=event,
                matched=CANARY_MATCH,
                source_id=source_id,
                event_id=event_id,
            )
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
            # Fail closed: every management write of DynamoDB alerts when it names a watched table, or when
            # its table cannot be determined, unless rules.json lists the call as harmless.
            if event.access == "read":
                return _ignored("DynamoDB management read", event, source_id, event_id)
            if name in rules.dynamodb().harmless_writes:
                return _ignored(
                    f"{name} is a harmless DynamoDB management call (rules.json)", event, source_id, event_id
                )
            monitored = self.monitored_tables(event)
            canary = self._canary.table_name if self._canary is not None else None
            own = self._pipeline.own_table(event.tables)
            if own is not None:
                # A table of the pipeline itself (the delivery ledger): deleting it or turning its TTL or
                # recovery off changes how alerts are delivered.
                if not self.settings.watch_pipeline:
                    return _ignored("pipeline watching is off", event, source_id, event_id)
                kind, what = "tamper", f"alerting pipeline resource {own}"
                if event.target != own:
                    event = replace(event, target=own)
            elif canary is not None and canary in monitored:
                # The canary's table is part of the pipeline: changing it can silence the heartbeat.
                if not self.settings.watch_pipeline:
                    return _ignored("pipeline watching is off", event, source_id, event_id)
                kind, what = "tamper", f"alerting pipeline resource {canary} (the canary's table)"
                if event.target != canary:
                    event = replace(event, target=canary)
            elif monitored or not event.tables:
                if not self.settings.watch_table_management:
                    return _ignored("table management watching is off", event, source_id, event_id)
                kind = "control_plane"
                what = (
                    f"monitored table {', '.join(monitored[:3])}"
                    if monitored
                    else "a table that could not be determined from the record"
                )
        elif self._elsewhere(event):
            return _ignored(
                f"management call in account {event.account_id}, where the pipeline has no resources",
                event,
                source_id,
                event_id,
            )
        else:
            touched = self._pipeline.touched(source, name, event.targets)
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


def __getattr__(name: str) -> object:
    """A name that moved to :mod:`access_alerts.rules`, kept (read lazily) for the Terraform-parity test
    written before rules.json existed. Remove when that test reads ``access_alerts.rules``."""
    if name == "PATTERN_SHAPE":
        return rules.allow_list_shape()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
