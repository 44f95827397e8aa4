"""Group the alerts of one invocation so a storm becomes a handful of messages, and order them fairly.

Data (and unparseable) alerts with the same principal (identity + session), the same tables, the same
access kind and the same Region become one :class:`AlertGroup` (a table and its replica in another Region
share a name, but each message links to the console of one Region). Tamper and control-plane alerts start as
one group per record. Groups keep every eventID (duplicates are recognised by them) but only a bounded sample
of everything else, so memory stays flat however big the storm.

Fairness (docs/delivery.md): a caller cannot crowd out another one.

* **Cap**: when one caller (the role, not the session; see :func:`caller_of`) has more than
  :data:`MAX_GROUPS_PER_CALLER` groups of one kind and access in an invocation (many sessions, many sets of
  tables, many tamper records), they are merged into one group that counts its sessions, tables and merged
  groups and keeps a bounded sample of them.
* **Order**: every caller's first message goes before any caller's second, and so on (round robin); within
  a round, tamper, then control-plane, then unparseable, then data, each in order of first appearance.

So a payload of 40 sessions of one role and one Scan by someone else gives two messages, the other person's
second, whatever the time left; the delivery loop (delivery.py) simply sends groups in this order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from .keys import canonical_key, key_scalars, statement_literals
from .model import Access, AccessEvent, AlertKind, Decision, Principal

MAX_KEYS: Final = 5
MAX_SMALL: Final = 5  # source IPs, user agents, statements, reasons, regions, ...
MAX_ATTRIBUTE_NAMES: Final = 20
MAX_GROUPS_PER_CALLER: Final = 4  # of one kind and access per invocation; more are merged into one
MAX_SAMPLE: Final = 10  # sessions shown by a merged group
MAX_MERGED_TABLES: Final = 1000  # table names a merged group keeps (routes match on them); more are counted
_DISTINCT_BOUND: Final = 10_000  # sessions/tables counted exactly up to this many
MAX_ERROR_VALUES: Final = 50  # values of one record hidden in its error message

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
    # For each of error_messages: the key values and statement literals of its record, so a format can hash or
    # hide them inside the message (KeyFormatter.error_message).
    error_values: tuple[tuple[str, ...], ...] = ()
    # A merged group (see the module docstring): how many groups it replaces, and its sessions and tables.
    merged_groups: int = 1
    sessions: tuple[str, ...] = ()  # distinct session names, at most MAX_SAMPLE
    distinct_sessions: int = 0  # counted up to _DISTINCT_BOUND
    distinct_tables: int = 0  # counted up to _DISTINCT_BOUND; len(tables) unless merged
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
    error_values: list[tuple[str, ...]] = field(default_factory=list)
    missing_event_ids: int = 0
    merged: bool = False
    fine_keys: set[tuple[object, ...]] = field(default_factory=set)  # merged: the groups it replaces
    displays: set[str] = field(default_factory=set)  # merged: the callers' displays (bounded)
    session_names: dict[str, None] = field(default_factory=dict)  # bounded, in order of appearance
    table_names: dict[str, None] = field(default_factory=dict)  # merged: bounded, in order of appearance

    def add(self, decision: Decision, fine_key: tuple[object, ...] = ()) -> None:
        self.count += 1
        event = decision.event
        if self.merged and len(self.fine_keys) < _DISTINCT_BOUND:
            self.fine_keys.add(fine_key)
        if event is not None:
            p = event.principal
            if p.session_name and len(self.session_names) < _DISTINCT_BOUND:
                self.session_names[p.session_name] = None
            if self.merged:
                if len(self.displays) < 2:
                    self.displays.add(p.display)
                for table in event.tables:
                    if len(self.table_names) >= _DISTINCT_BOUND:
                        break
                    self.table_names[table] = None
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
        if (
            event.error_message
            and len(self.error_messages) < 2
            and event.error_message not in self.error_messages
        ):
            self.error_messages.append(event.error_message)
            self.error_values.append(_values_of(event))
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
        tables = self.tables
        principal = self.principal
        if self.merged:
            tables = tuple(sorted(list(self.table_names)[:MAX_MERGED_TABLES]))
            if principal is not None and len(self.displays) > 1:
                principal = _callers(principal)
        return AlertGroup(
            alert_kind=self.alert_kind,
            principal=principal,
            tables=tables,
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
            error_values=tuple(self.error_values),
            missing_event_ids=self.missing_event_ids,
            merged_groups=len(self.fine_keys) if self.merged else 1,
            sessions=tuple(list(self.session_names)[:MAX_SAMPLE]),
            distinct_sessions=len(self.session_names),
            distinct_tables=len(self.table_names) if self.merged else len(tables),
        )


def _callers(first: Principal) -> Principal:
    """The principal a merged group shows when its records came from several sessions (or callers) of one
    caller: the caller without a session, e.g. ``role/app-worker (several sessions)``."""
    base = first.display
    if first.session_name and base.endswith(f" ({first.session_name})"):
        base = base[: -len(f" ({first.session_name})")]
    return replace(first, display=f"{base} (several sessions)", session_name=None, session_arn=None)


def _values_of(event: AccessEvent) -> tuple[str, ...]:
    """The key values and statement literals of one record (bounded), to hide inside its error message."""
    values: dict[str, None] = {}
    for key in event.keys:
        values.update(dict.fromkeys(key_scalars(key)))
    for statement in event.statements:
        values.update(dict.fromkeys(statement_literals(statement)))
    return tuple(values)[:MAX_ERROR_VALUES]


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


def caller_of(principal: Principal | None) -> tuple[object, ...]:
    """Who counts as one caller for fairness: a role (all its sessions), a user, a service; a caller
    without an ARN by its type, account and Identity Center user. Records that could not be parsed are one
    caller together."""
    if principal is None:
        return ("unparseable",)
    if principal.arn:
        return ("arn", principal.arn)
    if principal.service:
        return ("service", principal.service, principal.type)
    return ("other", principal.type, principal.account_id, principal.session_name, principal.identified)


def _fine_key(decision: Decision, position: int) -> tuple[object, ...]:
    """The group a record belongs to before any merging: one per record for tamper and control-plane."""
    kind = decision.alert_kind or "data"
    if kind in ("tamper", "control_plane"):
        return (kind, position)
    event = decision.event
    principal = event.principal if event else None
    tables = tuple(sorted(set(event.tables))) if event else ()
    region = event.region if event else None
    return (kind, _principal_key(principal), tables, event.access if event else None, region)


def _bucket(decision: Decision) -> tuple[object, ...]:
    """What the cap counts groups in: one caller's alerts of one kind and access."""
    event = decision.event
    return (
        decision.alert_kind or "data",
        caller_of(event.principal if event else None),
        event.access if event else None,
    )


def group_alerts(decisions: Iterable[Decision]) -> list[AlertGroup]:
    """Group the ``alert`` decisions (other decisions are skipped), merge each caller's groups beyond the cap,
    and order the groups fairly (see the module docstring)."""
    alerts = [d for d in decisions if d.kind == "alert"]
    # Pass 1: how many groups each caller would have per kind and access (counted up to one past the cap).
    groups_per_bucket: dict[tuple[object, ...], set[tuple[object, ...]]] = {}
    keys: list[tuple[tuple[object, ...], tuple[object, ...]]] = []
    for position, decision in enumerate(alerts):
        fine, bucket = _fine_key(decision, position), _bucket(decision)
        keys.append((fine, bucket))
        seen = groups_per_bucket.setdefault(bucket, set())
        if len(seen) <= MAX_GROUPS_PER_CALLER:
            seen.add(fine)
    # Pass 2: build the groups; a caller over the cap gets one merged group per kind and access.
    builders: dict[tuple[object, ...], _Builder] = {}
    first_seen: dict[tuple[object, ...], int] = {}
    for position, (decision, (fine, bucket)) in enumerate(zip(alerts, keys, strict=True)):
        merged = len(groups_per_bucket[bucket]) > MAX_GROUPS_PER_CALLER
        key = ("merged", bucket) if merged else fine
        builder = builders.get(key)
        if builder is None:
            event = decision.event
            builder = _Builder(
                decision.alert_kind or "data",
                event.principal if event else None,
                tuple(sorted(set(event.tables))) if event else (),
                event.access if event else None,
                merged=merged,
            )
            builders[key] = builder
            first_seen[key] = position
        builder.add(decision, fine)
    # Order: each caller's groups by kind then first appearance; then round robin over the callers.
    per_caller: dict[tuple[object, ...], list[tuple[int, int, tuple[object, ...]]]] = {}
    for key, builder in builders.items():
        per_caller.setdefault(caller_of(builder.principal), []).append(
            (KIND_ORDER[builder.alert_kind], first_seen[key], key)
        )
    ranked: list[tuple[int, int, int, tuple[object, ...]]] = []
    for entries in per_caller.values():
        entries.sort()
        ranked.extend((turn, rank, seen, key) for turn, (rank, seen, key) in enumerate(entries))
    ranked.sort(key=lambda item: item[:3])
    return [builders[key].build() for _, _, _, key in ranked]


def count_decisions(decisions: Sequence[Decision]) -> dict[str, int]:
    counts = {"records": len(decisions), "alert": 0, "allowed": 0, "ignored": 0}
    for decision in decisions:
        counts[decision.kind] += 1
    return counts
