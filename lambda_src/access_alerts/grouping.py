"""Group the alerts of one invocation so a storm becomes a handful of messages.

Data (and unparseable) alerts with the same principal (identity + session), the same tables and
the same access kind become one :class:`AlertGroup`. Tamper and control-plane alerts are never
merged: each is its own group. Groups keep every eventID (duplicates are recognised by them) but
only a bounded sample of everything else, so memory stays flat however big the storm.

Order is deterministic: tamper, control-plane, unparseable, then data groups, each in order of
first appearance in the input. The most important messages go out first when time is short.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from .keys import canonical_key
from .model import Access, AlertKind, Decision, Principal

MAX_KEYS: Final = 5
MAX_SMALL: Final = 5  # source IPs, user agents, statements, reasons, regions, ...
MAX_ATTRIBUTE_NAMES: Final = 20

KIND_ORDER: Final[dict[str, int]] = {"tamper": 0, "control_plane": 1, "unparseable": 2, "data": 3}


@dataclass(frozen=True, slots=True)
class Digest:
    """Set on the follow-up of a digest window (digest.py): the group sums up the records of one
    (principal, tables, access) that the ledger held back during the window, instead of listing them."""

    destination: str  # the destination whose window it was: the follow-up goes there only
    window_minutes: int
    opened: str  # when the window opened (the first alert was posted), ISO 8601 UTC
    closed: str  # when it closed
    key_texts: tuple[str, ...] = ()  # a sample of keys, already shown as the deployment shows keys
    thread: str | None = None  # the first message's thread (slack_app): the follow-up replies in it


@dataclass(frozen=True, slots=True)
class AlertGroup:
    """One message worth of alerts."""

    alert_kind: AlertKind
    principal: Principal | None
    tables: tuple[str, ...]
    table_arns: tuple[str, ...]
    access: Access | None
    count: int
    event_ids: tuple[str, ...]  # every distinct eventID, in order of appearance
    source_ids: tuple[str, ...]  # log event ids of records without an eventID (bounded)
    event_names: tuple[str, ...]  # distinct, sorted
    error_codes: tuple[str, ...]  # distinct, sorted
    first_time: str | None
    last_time: str | None
    regions: tuple[str, ...]
    account_ids: tuple[str, ...]
    source_ips: tuple[str, ...]
    user_agents: tuple[str, ...]
    console: bool
    keys: tuple[Mapping[str, Any], ...]  # distinct keys, at most MAX_KEYS
    distinct_keys: int  # distinct keys seen (counted up to a bound, see keys_more)
    attribute_names: tuple[str, ...]
    statements: tuple[str, ...]
    reasons: tuple[str, ...]
    targets: tuple[str, ...]
    error_messages: tuple[str, ...]
    missing_event_ids: int  # records in the group without an eventID
    digest: Digest | None = None  # set on a digest window's follow-up: event_ids are then only a sample


_KEY_COUNT_BOUND: Final = 10_000


@dataclass(slots=True)
class _Builder:
    alert_kind: AlertKind
    principal: Principal | None
    tables: tuple[str, ...]
    access: Access | None
    count: int = 0
    table_arns: list[str] = field(default_factory=list)
    event_ids: dict[str, None] = field(default_factory=dict)
    source_ids: list[str] = field(default_factory=list)
    event_names: set[str] = field(default_factory=set)
    error_codes: set[str] = field(default_factory=set)
    first_time: str | None = None
    last_time: str | None = None
    regions: list[str] = field(default_factory=list)
    account_ids: list[str] = field(default_factory=list)
    source_ips: list[str] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)
    console: bool = False
    keys: list[Mapping[str, Any]] = field(default_factory=list)
    key_texts: set[str] = field(default_factory=set)
    attribute_names: list[str] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    error_messages: list[str] = field(default_factory=list)
    missing_event_ids: int = 0

    def add(self, decision: Decision) -> None:
        self.count += 1
        event = decision.event
        event_id = decision.event_id or (event.event_id if event else None)
        if event_id:
            self.event_ids[event_id] = None
        else:
            self.missing_event_ids += 1
            if decision.source_id:
                _add_bounded(self.source_ids, decision.source_id, MAX_SMALL)
        _add_bounded(self.reasons, decision.reason, MAX_SMALL)
        if event is None:
            return
        self.event_names.add(event.event_name)
        if event.error_code and len(self.error_codes) < MAX_SMALL * 4:
            self.error_codes.add(event.error_code)
        if event.error_message:
            _add_bounded(self.error_messages, event.error_message, 2)
        if event.event_time:
            if self.first_time is None or event.event_time < self.first_time:
                self.first_time = event.event_time
            if self.last_time is None or event.event_time > self.last_time:
                self.last_time = event.event_time
        for arn in event.table_arns:
            _add_bounded(self.table_arns, arn, MAX_SMALL)
        if event.region:
            _add_bounded(self.regions, event.region, MAX_SMALL)
        if event.account_id:
            _add_bounded(self.account_ids, event.account_id, MAX_SMALL)
        if event.source_ip:
            _add_bounded(self.source_ips, event.source_ip, MAX_SMALL)
        if event.user_agent:
            _add_bounded(self.user_agents, event.user_agent, MAX_SMALL)
        self.console = self.console or event.console
        for key in event.keys:
            if len(self.key_texts) >= _KEY_COUNT_BOUND:
                break
            text = canonical_key(key)
            if text not in self.key_texts:
                self.key_texts.add(text)
                if len(self.keys) < MAX_KEYS:
                    self.keys.append(key)
        for name in event.attribute_names:
            _add_bounded(self.attribute_names, name, MAX_ATTRIBUTE_NAMES)
        for statement in event.statements:
            _add_bounded(self.statements, statement, MAX_SMALL)
        if event.target:
            _add_bounded(self.targets, event.target, MAX_SMALL)

    def build(self) -> AlertGroup:
        return AlertGroup(
            alert_kind=self.alert_kind,
            principal=self.principal,
            tables=self.tables,
            table_arns=tuple(self.table_arns),
            access=self.access,
            count=self.count,
            event_ids=tuple(self.event_ids),
            source_ids=tuple(self.source_ids),
            event_names=tuple(sorted(self.event_names)),
            error_codes=tuple(sorted(self.error_codes)),
            first_time=self.first_time,
            last_time=self.last_time,
            regions=tuple(self.regions),
            account_ids=tuple(self.account_ids),
            source_ips=tuple(self.source_ips),
            user_agents=tuple(self.user_agents),
            console=self.console,
            keys=tuple(self.keys),
            distinct_keys=len(self.key_texts),
            attribute_names=tuple(self.attribute_names),
            statements=tuple(self.statements),
            reasons=tuple(self.reasons),
            targets=tuple(self.targets),
            error_messages=tuple(self.error_messages),
            missing_event_ids=self.missing_event_ids,
        )


def _add_bounded(items: list[str], value: str, bound: int) -> None:
    if len(items) < bound and value not in items:
        items.append(value)


def _principal_key(principal: Principal | None) -> tuple[object, ...]:
    if principal is None:
        return (None,)
    return (
        principal.arn,
        principal.type,
        principal.display,
        principal.account_id,
        principal.session_name,
        principal.service,
        principal.identified,
    )


def group_alerts(decisions: Iterable[Decision]) -> list[AlertGroup]:
    """Group the ``alert`` decisions; other decisions are skipped."""
    builders: dict[tuple[object, ...], _Builder] = {}
    singles: list[tuple[int, _Builder]] = []
    position = 0
    order: dict[tuple[object, ...], int] = {}
    for decision in decisions:
        if decision.kind != "alert":
            continue
        kind: AlertKind = decision.alert_kind or "data"
        event = decision.event
        principal = event.principal if event else None
        tables = tuple(sorted(set(event.tables))) if event else ()
        access = event.access if event else None
        if kind in ("tamper", "control_plane"):
            builder = _Builder(kind, principal, tables, access)
            builder.add(decision)
            singles.append((position, builder))
            position += 1
            continue
        key = (kind, _principal_key(principal), tables, access)
        builder_or_none = builders.get(key)
        if builder_or_none is None:
            builder_or_none = _Builder(kind, principal, tables, access)
            builders[key] = builder_or_none
            order[key] = position
            position += 1
        builder_or_none.add(decision)
    ranked: list[tuple[int, int, _Builder]] = [(KIND_ORDER[b.alert_kind], pos, b) for pos, b in singles]
    ranked.extend((KIND_ORDER[b.alert_kind], order[k], b) for k, b in builders.items())
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [b.build() for _, _, b in ranked]


def count_decisions(decisions: Sequence[Decision]) -> dict[str, int]:
    counts = {"records": len(decisions), "alert": 0, "allowed": 0, "ignored": 0}
    for decision in decisions:
        counts[decision.kind] += 1
    return counts
