"""What the delivery ledger means for delivery: post, hold in a digest window, or skip as a repeat
(docs/delivery.md, "The delivery ledger"). The item calls are in :mod:`access_alerts.ledger`.

Before a group is posted to a destination, :class:`Gate` drops the eventIDs that destination has a receipt
for (a retried invocation, a redelivered payload, a redrive). Of a data group whose records all have an
eventID, what is left is either counted into the destination's open digest window for the group's
(principal, tables, access) and not posted, or, when no window is open, posted at once, opening one. Every
other group (tamper, control plane, unparseable, or with records lacking an eventID) is posted at once.
A post is claimed first (one invocation wins), and after it succeeded the message is marked sent and the
receipts are written; after it failed the claim is released, so that the retry of the payload posts it.

:func:`flush` closes the windows whose time is up. Each window with held records becomes one follow-up group
(:class:`~access_alerts.grouping.Digest`), delivered to that destination only (a thread reply where the
destination has threads); the next window opens at once, so a session that goes on gives about one
message per window.

State may only ever suppress repeats, never alerts: whenever the ledger cannot answer, the group is posted as
if there were no ledger, and the error is counted (``ledger_errors``).

:class:`LedgerHooks` and :class:`FlushHooks` plug the gate and the flush into the delivery loop
(:class:`~access_alerts.delivery.DeliveryHooks`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from .delivery import Plan
from .grouping import AlertGroup, Digest, group_alerts
from .ledger import (
    LATE_HOLD_MS,
    BatchSummary,
    ClosedWindow,
    Ledger,
    LedgerUnavailable,
    MessageClaim,
)
from .model import Decision, Principal
from .routing import group_key

if TYPE_CHECKING:
    from .delivery import ThreadMemory
    from .webhook import PostResult

log = logging.getLogger("access_alerts.digest")

WINDOW_ROUNDS: Final = 3  # pointer reads and hold/open attempts before posting without a window
SAMPLE_KEYS: Final = 3  # keys a held batch keeps (a follow-up shows up to 5 of all its batches')
SAMPLE_EVENT_IDS: Final = 3
SAMPLE_SMALL: Final = 2  # source IPs, user agents
FOLLOW_UP_KEYS: Final = 5
FOLLOW_UP_EVENT_IDS: Final = 10


@dataclass
class Counters:
    """What the ledger did in one invocation (summary line and metrics). Thread-safe increments."""

    repeats: int = 0  # records not posted again: the destination already has them
    held: int = 0  # records counted into a digest window instead of posted
    errors: int = 0  # ledger calls that failed (what they concerned was posted anyway)
    busy: int = 0  # records another invocation was posting: this one fails, its retry looks again
    windows_closed: int = 0  # flush: windows closed
    follow_ups: int = 0  # flush: follow-ups delivered
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int]:
        return {
            "ledger_repeats": self.repeats,
            "ledger_held": self.held,
            "ledger_errors": self.errors,
            "ledger_busy": self.busy,
            "windows_closed": self.windows_closed,
            "follow_ups": self.follow_ups,
        }


@dataclass(frozen=True, slots=True)
class Admission:
    """The gate's answer for one (group, destination)."""

    group: AlertGroup | None  # what to post now; None: nothing (held, or a repeat)
    event_ids: tuple[str, ...] = ()  # the eventIDs that post covers: its receipts once delivered
    batch: str | None = None
    claim: MessageClaim | None = None
    window: tuple[str, str] | None = None  # (key, gen) of the window this post opened
    busy: bool = False  # another invocation is posting these records: count them as not delivered
    reason: str = ""


def batch_id(dest: str, event_ids: Iterable[str]) -> str:
    """The same records for the same destination give the same batch, whichever invocation has them."""
    text = dest + "\n" + "\n".join(sorted(set(event_ids)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def windowed(group: AlertGroup) -> bool:
    """Only data alerts wait in digest windows, and only when every record can be remembered (has an
    eventID). Tamper, control-plane and unparseable alerts are never held back."""
    return group.alert_kind == "data" and group.missing_event_ids == 0 and bool(group.event_ids)


def label(group: AlertGroup) -> dict[str, Any]:
    """What a follow-up shows about its key, taken from the group that opened the window."""
    p = group.principal
    principal = None
    if p is not None:
        principal = {
            "type": p.type,
            "arn": p.arn,
            "display": p.display,
            "account_id": p.account_id,
            "session_name": p.session_name,
            "session_arn": p.session_arn,
            "service": p.service,
            "identified": p.identified,
        }
    return {
        "principal": principal,
        "tables": list(group.tables),
        "table_arns": list(group.table_arns),
        "access": group.access,
        "regions": list(group.regions),
        "account_ids": list(group.account_ids),
        "console": group.console,
    }


def summarise(group: AlertGroup, format_key: Callable[[Mapping[str, Any]], str]) -> BatchSummary:
    """What a window keeps of a held group: counts, span, APIs and small samples."""
    return BatchSummary(
        count=group.count,
        first_time=group.first_time,
        last_time=group.last_time,
        apis=group.event_names,
        key_texts=tuple(format_key(k) for k in group.keys[:SAMPLE_KEYS]),
        event_ids=group.event_ids[:SAMPLE_EVENT_IDS],
        source_ips=group.source_ips[:SAMPLE_SMALL],
        user_agents=group.user_agents[:SAMPLE_SMALL],
    )


def _event_id(decision: Decision) -> str | None:
    return decision.event_id or (decision.event.event_id if decision.event else None)


@dataclass
class Gate:
    """The ledger's part in one invocation's delivery. Called from the destinations' worker threads."""

    ledger: Ledger
    window_minutes: int
    decisions: Sequence[Decision]
    format_key: Callable[[Mapping[str, Any]], str]
    counters: Counters = field(default_factory=Counters)
    _by_id: dict[str, list[Decision]] = field(default_factory=dict, repr=False)
    _index_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _narrow(self, group: AlertGroup, keep: Sequence[str]) -> AlertGroup | None:
        """The group made of its records whose eventIDs are in ``keep`` (all of them: the group itself)."""
        if len(keep) == len(group.event_ids):
            return group
        with self._index_lock:
            if not self._by_id:
                for d in self.decisions:
                    event_id = _event_id(d)
                    if d.kind == "alert" and event_id:
                        self._by_id.setdefault(event_id, []).append(d)
        members = [d for i in keep for d in self._by_id.get(i, [])]
        groups = group_alerts(members)
        return groups[0] if len(groups) == 1 else None

    def _unavailable(self, what: str, exc: LedgerUnavailable) -> None:
        self.counters.add(errors=1)
        log.warning("delivery ledger unavailable: posting anyway", extra={"during": what, "error": str(exc)})

    def admit(self, dest: str, group: AlertGroup) -> Admission:
        """Decide what of ``group`` to post to ``dest`` now."""
        ids = group.event_ids
        if not ids or group.missing_event_ids:
            # Records without an eventID cannot be remembered: such a group is posted whole, every time.
            return Admission(group)
        try:
            received = self.ledger.receipts(dest, ids)
        except LedgerUnavailable as exc:
            self._unavailable("reading receipts", exc)
            return Admission(group)
        fresh = tuple(i for i in ids if i not in received)
        if received:
            self.counters.add(repeats=len(received))
            log.info(
                "records this destination already has are not posted again",
                extra={"destination": dest, "records": len(received), "event_ids": sorted(received)[:10]},
            )
        if not fresh:
            return Admission(None, reason="every record was delivered before")
        narrowed = self._narrow(group, fresh)
        if narrowed is None:  # cannot happen with the decisions the group was made of; never lose it
            log.error("could not narrow a group to its new records; posting it whole")
            return Admission(group)
        batch = batch_id(dest, fresh)
        window: tuple[str, str] | None = None
        if self.window_minutes > 0 and windowed(narrowed):
            try:
                held, window = self._hold_or_open(dest, narrowed, batch, fresh)
            except LedgerUnavailable as exc:
                self._unavailable("digest window", exc)
                return Admission(narrowed)
            if held:
                return Admission(None, reason="counted in the open digest window")
        try:
            claimed = self.ledger.claim_message(dest, batch)
        except LedgerUnavailable as exc:
            self._unavailable("claiming the message", exc)
            return Admission(narrowed, window=window)
        if claimed.state == "sent":  # posted before, but its receipts were not written: write them now
            self.counters.add(repeats=len(fresh))
            self._receipts(dest, fresh, "sent", batch)
            return Admission(None, reason="posted before by another invocation")
        if claimed.state == "busy":
            self.counters.add(busy=len(fresh))
            return Admission(None, fresh, batch, busy=True, reason="another invocation is posting it")
        return Admission(narrowed, fresh, batch, claimed.claim, window)

    def _hold_or_open(
        self, dest: str, group: AlertGroup, batch: str, fresh: Sequence[str]
    ) -> tuple[bool, tuple[str, str] | None]:
        """(True, None): counted into the key's open window. (False, window): opened a window; post the
        group as its first message. (False, None): neither worked out in a few rounds; post anyway."""
        key = group_key(group)
        for _ in range(WINDOW_ROUNDS):
            pointer = self.ledger.pointer(dest, key)
            if pointer is not None and pointer.closes > self.ledger.now() - LATE_HOLD_MS:
                result = self.ledger.hold(dest, key, pointer.gen, batch, summarise(group, self.format_key))
                if result == "held":
                    self.counters.add(held=len(fresh))
                elif result == "already":  # an earlier attempt counted it; only its receipts were missing
                    self.counters.add(repeats=len(fresh))
                if result in ("held", "already"):
                    self._receipts(dest, fresh, "held", batch)
                    return True, None
                # "closed": a flush claimed it (and may roll it over), or it is stale: replace it
            opened = self.ledger.open_window(
                dest,
                key,
                self.window_minutes * 60_000,
                label(group),
                replaces=pointer.gen if pointer is not None else None,
            )
            if opened is not None:
                return False, (key, opened.gen)
            # someone else moved the pointer first: look again
        log.warning("no digest window could be used; posting", extra={"destination": dest})
        return False, None

    def _receipts(self, dest: str, ids: Sequence[str], how: str, batch: str) -> None:
        try:
            self.ledger.record_receipts(dest, ids, "held" if how == "held" else "sent", batch)
        except LedgerUnavailable as exc:
            # Costs at most a repeat: a redelivery of these records would find no receipts.
            self.counters.add(errors=1)
            log.warning("could not write receipts", extra={"destination": dest, "error": str(exc)})

    def delivered(self, dest: str, admission: Admission, thread: str | None) -> None:
        """The admitted group was posted: mark its message sent and write its receipts. ``thread``: the
        thread it started or replied in (slack_app), for the window's follow-up."""
        if admission.claim is None or admission.batch is None:
            return
        try:
            if not self.ledger.message_sent(admission.claim, thread):
                log.warning(
                    "a delivered message's claim was taken over meanwhile; it may be posted again",
                    extra={"destination": dest},
                )
            if admission.window is not None and thread:
                self.ledger.set_thread(dest, admission.window[0], admission.window[1], thread)
        except LedgerUnavailable as exc:
            self.counters.add(errors=1)
            log.warning("could not record a delivered message", extra={"error": str(exc)})
        self._receipts(dest, admission.event_ids, "sent", admission.batch)

    def failed(self, dest: str, admission: Admission) -> None:
        """The admitted group could not be posted: release its claim, and the window it opened, so that the
        retry of the payload posts it at once."""
        if admission.claim is None:
            return
        try:
            self.ledger.release_message(admission.claim)
            if admission.window is not None:
                self.ledger.retire_window(dest, admission.window[0], admission.window[1])
        except LedgerUnavailable as exc:
            # The claim's lease ends at this invocation's deadline; a retry after that posts it.
            self.counters.add(errors=1)
            log.warning("could not release a message claim", extra={"error": str(exc)})


class LedgerHooks:
    """The delivery loop's hooks with a ledger: the gate decides, the thread memory threads what is posted."""

    def __init__(self, gate: Gate, memory: ThreadMemory) -> None:
        self.gate = gate
        self.memory = memory
        self._admitted: dict[tuple[str, int], tuple[Admission, str | None, AlertGroup]] = {}
        self._lock = threading.Lock()

    def before_post(self, destination: str, group: AlertGroup) -> Plan:
        admission = self.gate.admit(destination, group)
        if admission.busy:
            return Plan(
                post=False,
                failure=f"{len(admission.event_ids)} record(s) are being posted by another invocation; "
                "failing so that the retry checks again",
            )
        posted = admission.group
        if posted is None:
            return Plan(post=False, reason=admission.reason)
        thread = self.memory.before_post(destination, posted).thread
        with self._lock:  # the posted group is kept referenced, so its id stays unique meanwhile
            self._admitted[(destination, id(posted))] = (admission, thread, posted)
        return Plan(thread=thread, group=None if posted is group else posted)

    def _take(self, destination: str, group: AlertGroup) -> tuple[Admission, str | None] | None:
        with self._lock:
            entry = self._admitted.pop((destination, id(group)), None)
        return (entry[0], entry[1]) if entry is not None else None

    def after_post(self, destination: str, group: AlertGroup, result: PostResult) -> None:
        self.memory.after_post(destination, group, result)
        taken = self._take(destination, group)
        if taken is not None:
            admission, thread = taken
            self.gate.delivered(destination, admission, thread or result.ref)

    def after_failure(self, destination: str, group: AlertGroup, result: PostResult) -> None:
        taken = self._take(destination, group)
        if taken is not None:
            self.gate.failed(destination, taken[0])


# ---------------------------------------------------------------------------------------------- flush
def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _union(values: Iterable[str], bound: int) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))[:bound]


def follow_up_group(window: ClosedWindow, window_minutes: int) -> AlertGroup:
    """The follow-up of a closed window, as a group every format shows (its ``digest`` says what it is)."""
    lab = window.label
    p = lab.get("principal")
    principal = None
    if isinstance(p, dict):
        principal = Principal(
            type=str(p.get("type") or "Unknown"),
            arn=p.get("arn"),
            display=str(p.get("display") or p.get("arn") or "unknown"),
            account_id=p.get("account_id"),
            session_name=p.get("session_name"),
            session_arn=p.get("session_arn"),
            service=p.get("service"),
            identified=bool(p.get("identified", True)),
        )
    batches = window.batches
    firsts = [b.first_time for b in batches if b.first_time]
    lasts = [b.last_time for b in batches if b.last_time]
    access = lab.get("access")

    def texts(name: str) -> tuple[str, ...]:
        value = lab.get(name)
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    return AlertGroup(
        alert_kind="data",
        principal=principal,
        tables=texts("tables"),
        table_arns=texts("table_arns"),
        access=access if access in ("read", "write") else None,
        count=window.held,
        event_ids=_union((i for b in batches for i in b.event_ids), FOLLOW_UP_EVENT_IDS),
        source_ids=(),
        event_names=tuple(sorted({a for b in batches for a in b.apis})),
        error_codes=(),
        first_time=min(firsts) if firsts else None,
        last_time=max(lasts) if lasts else None,
        regions=texts("regions"),
        account_ids=texts("account_ids"),
        source_ips=_union((s for b in batches for s in b.source_ips), 5),
        user_agents=_union((u for b in batches for u in b.user_agents), 5),
        console=bool(lab.get("console")),
        keys=(),
        distinct_keys=0,
        attribute_names=(),
        statements=(),
        reasons=(),
        targets=(),
        error_messages=(),
        missing_event_ids=0,
        digest=Digest(
            destination=window.dest,
            window_minutes=window_minutes,
            opened=_iso(window.opened),
            closed=_iso(window.closes),
            key_texts=_union((k for b in batches for k in b.key_texts), FOLLOW_UP_KEYS),
            thread=window.thread,
        ),
    )


@dataclass(frozen=True, slots=True)
class FollowUp:
    window: ClosedWindow
    group: AlertGroup


def flush(ledger: Ledger, window_minutes: int, counters: Counters) -> list[FollowUp]:
    """Claim every window whose time is up and return the follow-ups to deliver. A window with nothing held
    is finished at once (no message). Raises LedgerUnavailable when the due windows cannot be read: the
    flush fails, and what is held stays in the ledger for the next one."""
    follow_ups: list[FollowUp] = []
    now = ledger.now()
    for due in ledger.due():
        if due.closes > now:
            continue
        claimed = ledger.claim_window(due)
        if claimed == "gone":
            ledger.drop_due(due.dest, due.key, due.gen)
            continue
        if claimed == "busy":  # another flush is at it
            continue
        counters.add(windows_closed=1)
        if claimed.held == 0:
            ledger.finish_window(claimed)
            continue
        if window_minutes > 0:  # 0: digests were turned off since this window opened; no next one
            # The session may go on: the next window opens now, so that what arrives while the follow-up is
            # being sent is held too (about one message per window, not one per payload).
            try:
                ledger.open_window(
                    claimed.dest,
                    claimed.key,
                    window_minutes * 60_000,
                    claimed.label,
                    replaces=claimed.gen,
                    thread=claimed.thread,
                )
            except LedgerUnavailable as exc:
                counters.add(errors=1)
                log.warning("could not open the next digest window", extra={"error": str(exc)})
        follow_ups.append(FollowUp(claimed, follow_up_group(claimed, window_minutes)))
    return follow_ups


class FlushHooks:
    """The delivery loop's hooks for follow-ups: reply in the window's thread; finish the window once its
    follow-up is delivered, release it for the next flush when not."""

    def __init__(self, ledger: Ledger, follow_ups: Sequence[FollowUp], counters: Counters) -> None:
        self.ledger = ledger
        self.counters = counters
        self._windows = {id(f.group): f.window for f in follow_ups}
        self._groups = [f.group for f in follow_ups]  # keeps the ids above unique

    def before_post(self, destination: str, group: AlertGroup) -> Plan:
        return Plan(thread=group.digest.thread if group.digest is not None else None)

    def after_post(self, destination: str, group: AlertGroup, result: PostResult) -> None:
        window = self._windows.get(id(group))
        if window is None:
            return
        self.counters.add(follow_ups=1)
        try:
            self.ledger.finish_window(window)
        except LedgerUnavailable as exc:
            # The window stays claimed until this flush's lease ends; the next flush then repeats it.
            self.counters.add(errors=1)
            log.warning("could not finish a digest window", extra={"error": str(exc)})

    def after_failure(self, destination: str, group: AlertGroup, result: PostResult) -> None:
        window = self._windows.get(id(group))
        if window is None:
            return
        try:
            self.ledger.release_window(window)
        except LedgerUnavailable as exc:
            self.counters.add(errors=1)
            log.warning("could not release a digest window", extra={"error": str(exc)})
