"""The delivery stage: route each alert group to its destinations, render it in each destination's format,
send it, and count what happened per destination.

Used by the Lambda handler, ``replay --webhook`` / ``replay --destinations`` and ``redrive``, so all of them
route, format and send the same way.

* Routing (routing.py) gives each group its destination names; each destination gets its groups in the
  grouping's order (tamper first).
* Each destination is worked by its own thread with its own sender (senders.py: its own HTTP client, retries,
  pacing), so a destination that is slow or rate-limited does not eat the others' time; all share the
  invocation's deadline.
* Every message is attempted: a failure does not stop the others. :class:`DeliveryReport` says per destination
  what was sent and what failed; the handler then fails the invocation (:class:`DeliveryError`) so the payload
  is retried and finally kept on the on-failure queue, and the summary line still shows what each destination
  received.

With a delivery ledger (digest.py, ledger.py) a retried invocation posts to each destination only what it has
not received yet, and digest windows hold back repeated data alerts; without one (local runs), a retry can
repeat a message at a destination. Every format carries the records' eventIDs, so a repeat is recognisable.

The seam for the ledger is :class:`DeliveryHooks`: ``before_post(destination, group)`` is asked before each
post and answers with a :class:`Plan`: post (in ``plan.thread`` when given; ``plan.group`` instead of the
group when given: the records this destination has not received), skip, or count the group as not delivered
without posting it (``plan.failure``: another invocation is posting the same records, so this payload is
retried later). ``after_post(destination, group, result)`` is told after each successful post and
``after_failure(destination, group, result)`` after each failed one, with the group that was posted
(``result.ref``: the message's reference, Slack's ``ts``). Hooks are called from the destinations' worker
threads (one thread per destination, groups in order), so an implementation must be thread-safe. The default,
:class:`ThreadMemory`, remembers in memory, for the life of the execution environment, the first message of
each storm per destination, so later messages of the same storm become thread replies where the destination
has threads (slack_app).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol

from .canary import heartbeat_delay_seconds, heartbeats
from .grouping import AlertGroup, count_decisions
from .model import Decision

if TYPE_CHECKING:
    from .config import DeliverySettings
    from .senders import Sender, SenderPool, Style
    from .webhook import PostResult

# webhook (urllib.request alone is ~17 ms), the formats and keys are imported only when there is an alert to
# send: most invocations have none, and a cold start should not pay for them (make bench).

log = logging.getLogger("access_alerts.delivery")

MAX_FAILURE_DETAILS: Final = 10
THREAD_TTL_SECONDS: Final = (
    3600.0  # a storm's later messages reply in its thread for an hour after the last post
)
THREAD_MEMORY_SIZE: Final = 1000
THREADED_KINDS: Final = frozenset({"data", "unparseable"})  # tamper and control-plane messages stand alone


# -- the ledger seam ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do with one group at one destination: post it (``group`` instead when given, in ``thread``
    when given), skip it, or count it as not delivered without posting it (``failure``)."""

    post: bool = True
    thread: str | None = None
    reason: str = ""  # why it was skipped, for the log
    group: AlertGroup | None = None  # post this instead: the records this destination has not received
    failure: str | None = None  # not posted and counted as failed, so the invocation fails and is retried


class DeliveryHooks(Protocol):
    def before_post(self, destination: str, group: AlertGroup) -> Plan: ...

    def after_post(self, destination: str, group: AlertGroup, result: PostResult) -> None: ...

    def after_failure(self, destination: str, group: AlertGroup, result: PostResult) -> None: ...


class ThreadMemory:
    """In-memory thread references per (destination, storm), bounded and expiring. Thread-safe."""

    def __init__(
        self,
        ttl: float = THREAD_TTL_SECONDS,
        size: int = THREAD_MEMORY_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._size = size
        self._clock = clock
        self._threads: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def before_post(self, destination: str, group: AlertGroup) -> Plan:
        if group.alert_kind not in THREADED_KINDS:
            return Plan()
        from .routing import group_key

        key = (destination, group_key(group))
        with self._lock:
            entry = self._threads.get(key)
            if entry is None or self._clock() - entry[1] > self._ttl:
                return Plan()
            return Plan(thread=entry[0])

    def after_post(self, destination: str, group: AlertGroup, result: PostResult) -> None:
        if group.alert_kind not in THREADED_KINDS or not result.ref:
            return
        from .routing import group_key

        key = (destination, group_key(group))
        with self._lock:
            entry = self._threads.get(key)
            # The first message of a storm is the thread; replies only refresh its time.
            thread = entry[0] if entry is not None and self._clock() - entry[1] <= self._ttl else result.ref
            self._threads[key] = (thread, self._clock())
            self._threads.move_to_end(key)
            while len(self._threads) > self._size:
                self._threads.popitem(last=False)

    def after_failure(self, destination: str, group: AlertGroup, result: PostResult) -> None:
        """Nothing to remember about a message that did not arrive."""


# -- reports -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DestinationReport:
    """What one destination received of one batch."""

    destination: str
    type: str
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # not posted because a hook said so (a ledger: already delivered)
    records_in_failed: int = 0
    failures: tuple[str, ...] = ()  # short descriptions (no URL, no secret, no record bodies)

    def counts(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "sent": self.sent,
            "failed": self.failed,
            "skipped": self.skipped,
            "records_in_failed": self.records_in_failed,
        }


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What happened to the messages of one batch, per destination."""

    destinations: tuple[DestinationReport, ...] = ()
    records_in_failed: int = 0  # alert records in groups that failed at one destination or more

    @property
    def sent(self) -> int:
        return sum(d.sent for d in self.destinations)

    @property
    def failed(self) -> int:
        return sum(d.failed for d in self.destinations)

    @property
    def skipped(self) -> int:
        return sum(d.skipped for d in self.destinations)

    @property
    def failures(self) -> tuple[str, ...]:
        return tuple(f"{d.destination}: {f}" for d in self.destinations for f in d.failures)[
            :MAX_FAILURE_DETAILS
        ]

    def describe(self) -> str:
        """Per destination, e.g. ``oncall 2 sent; siem 1 sent, 2 failed``."""
        parts = []
        for d in self.destinations:
            counts = [f"{d.sent} sent"] + [
                f"{n} {label}" for n, label in ((d.failed, "failed"), (d.skipped, "skipped")) if n
            ]
            parts.append(f"{d.destination} {', '.join(counts)}")
        return "; ".join(parts) or "no destination"


@dataclass(frozen=True, slots=True)
class RunSummary:
    """Counts for one batch. ``alert + allowed + ignored == records`` always holds. The ``ledger_*``,
    ``windows_closed`` and ``follow_ups`` counts are the delivery ledger's (digest.Counters)."""

    records: int = 0
    alert: int = 0
    allowed: int = 0
    ignored: int = 0
    groups: int = 0
    messages_sent: int = 0
    messages_failed: int = 0
    messages_skipped: int = 0
    records_in_failed_deliveries: int = 0
    ledger_repeats: int = 0  # records not posted again: their destination already had them
    ledger_held: int = 0  # records counted into a digest window instead of posted
    ledger_errors: int = 0  # ledger calls that failed; what they concerned was posted anyway
    ledger_busy: int = 0  # records another invocation was posting (this one failed so it is retried)
    windows_closed: int = 0  # flush: digest windows closed
    follow_ups: int = 0  # flush: follow-ups delivered
    failures: tuple[str, ...] = ()  # short descriptions of failed messages (no URL, no record bodies)
    destinations: tuple[DestinationReport, ...] = field(default=())
    canary_seen: int = 0  # heartbeats of the canary among the allowed records (docs/canary.md)
    canary_delay_seconds: float | None = None  # from the canary's call to ``now``, the slowest heartbeat

    @classmethod
    def count(
        cls,
        decisions: Sequence[Decision],
        groups: Sequence[AlertGroup],
        report: DeliveryReport,
        ledger: Mapping[str, int] | None = None,
        *,
        now: float | None = None,
    ) -> RunSummary:
        """The batch's counts; ``now`` (POSIX seconds) is when the records arrived, for the canary's delay."""
        counts = count_decisions(decisions)
        return cls(
            records=counts["records"],
            alert=counts["alert"],
            allowed=counts["allowed"],
            ignored=counts["ignored"],
            groups=len(groups),
            messages_sent=report.sent,
            messages_failed=report.failed,
            messages_skipped=report.skipped,
            records_in_failed_deliveries=report.records_in_failed,
            failures=report.failures,
            destinations=report.destinations,
            canary_seen=heartbeats(decisions),
            canary_delay_seconds=None if now is None else heartbeat_delay_seconds(decisions, now),
            **dict(ledger or {}),
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["failures"] = list(self.failures)
        data["destinations"] = {d.destination: d.counts() for d in self.destinations}
        return data

    def describe_destinations(self) -> str:
        return DeliveryReport(self.destinations).describe()


class DeliveryError(RuntimeError):
    """At least one message could not be delivered (all others were attempted)."""

    def __init__(self, summary: RunSummary) -> None:
        super().__init__(
            f"{summary.messages_failed} of {summary.messages_sent + summary.messages_failed} alert messages "
            f"could not be delivered ({summary.records_in_failed_deliveries} alert records; "
            f"{summary.describe_destinations()}); failing so the payload is retried and then kept on the "
            "on-failure queue (a retry can repeat a message at a destination that already got it: the "
            "eventIDs in it tell)"
        )
        self.summary = summary


# -- the loop ------------------------------------------------------------------------------------------


def _describe_failure(group: AlertGroup, detail: str) -> str:
    first = group.event_ids[0] if group.event_ids else "none"
    return f"{group.alert_kind} message for {group.count} record(s) (first eventID {first}): {detail}"


@dataclass
class _Tally:
    destination: str
    type: str
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    records_in_failed: int = 0
    failures: list[str] = field(default_factory=list)
    failed_groups: list[int] = field(default_factory=list)  # positions in the batch

    def fail(self, position: int, group: AlertGroup, detail: str, **log_extra: Any) -> None:
        self.failed += 1
        self.records_in_failed += group.count
        self.failed_groups.append(position)
        if len(self.failures) < MAX_FAILURE_DETAILS:
            self.failures.append(_describe_failure(group, detail))
        log.error(
            "alert message not delivered",
            extra={
                "destination": self.destination,
                "destination_type": self.type,
                "alert_kind": group.alert_kind,
                "records": group.count,
                "detail": detail,
                "event_ids": list(group.event_ids[:20]),
                **log_extra,
            },
        )

    def report(self) -> DestinationReport:
        return DestinationReport(
            self.destination,
            self.type,
            self.sent,
            self.failed,
            self.skipped,
            self.records_in_failed,
            tuple(self.failures),
        )


def _send_one(
    sender: Sender, group: AlertGroup, style: Style, thread: str | None, deadline: float | None
) -> PostResult:
    from .webhook import PostResult

    try:
        payload = sender.render(group, style)
    except Exception:  # formatting is meant never to fail; never lose the alert if it does
        log.exception(
            "could not format an alert message; sending a minimal one",
            extra={"destination": sender.destination.name},
        )
        payload = sender.fallback(group, style)
    try:
        return sender.post(payload, thread, deadline)
    except Exception as exc:  # a sender misbehaved: count it as a failure, never lose the others
        log.exception("sender raised", extra={"destination": sender.destination.name})
        return PostResult(False, 0, 1, f"sender raised {type(exc).__name__}")


def _work(
    name: str,
    jobs: Sequence[tuple[int, AlertGroup]],
    pool: SenderPool,
    style: Style,
    hooks: DeliveryHooks,
    deadline: float | None,
) -> _Tally:
    from .config import ConfigError

    tally = _Tally(name, pool.routing.destinations[name].type)
    try:
        sender = pool.get(name)
    except ConfigError as exc:  # its secrets cannot be read: every message to it fails, the others go on
        for position, group in jobs:
            tally.fail(position, group, str(exc))
        return tally
    for position, group in jobs:
        try:
            plan = hooks.before_post(name, group)
        except Exception:  # a hook may only ever suppress repeats; when it fails, post
            log.exception("delivery hook failed before a post; posting", extra={"destination": name})
            plan = Plan()
        if plan.failure is not None:
            tally.fail(position, group, plan.failure)
            continue
        if not plan.post:
            tally.skipped += 1
            log.info(
                "alert message skipped",
                extra={"destination": name, "reason": plan.reason, "event_ids": list(group.event_ids[:20])},
            )
            continue
        posted = plan.group if plan.group is not None else group
        result = _send_one(sender, posted, style, plan.thread if sender.threads else None, deadline)
        if not result.ok:
            tally.fail(position, posted, result.detail, status=result.status, attempts=result.attempts)
            try:
                hooks.after_failure(name, posted, result)
            except Exception:
                log.exception("delivery hook failed after a failed post", extra={"destination": name})
            continue
        tally.sent += 1
        try:
            hooks.after_post(name, posted, result)
        except Exception:
            log.exception("delivery hook failed after a post", extra={"destination": name})
    return tally


def plan_routes(
    groups: Sequence[AlertGroup], settings: DeliverySettings
) -> dict[str, list[tuple[int, AlertGroup]]]:
    """Destination name -> (position, group) in batch order, destinations in the order they are declared."""
    from .routing import destinations_for

    jobs: dict[str, list[tuple[int, AlertGroup]]] = {name: [] for name in settings.routing.destinations}
    for position, group in enumerate(groups):
        for name in destinations_for(group, settings.routing):
            jobs[name].append((position, group))
    return {name: items for name, items in jobs.items() if items}


def deliver_groups(
    groups: Sequence[AlertGroup],
    settings: DeliverySettings,
    *,
    senders: SenderPool | None = None,
    deadline: float | None = None,
    hooks: DeliveryHooks | None = None,
) -> DeliveryReport:
    """Route, format and send every group to each of its destinations; never raises for a message that failed.

    ``deadline`` is a ``time.monotonic()`` value (or the clock of the senders' clients); ``senders`` builds
    and keeps each destination's sender (default: a new pool reading secrets from SSM); ``hooks`` is the
    ledger seam (default: a :class:`ThreadMemory` for this call only).
    """
    if not groups:
        return DeliveryReport()
    from .keys import KeyFormatter
    from .senders import SenderPool, Style

    pool = senders if senders is not None else SenderPool(settings.routing)
    style = Style(
        settings.name, KeyFormatter(settings.key_values, settings.key_hash_secret()), settings.accounts
    )
    hooks = hooks if hooks is not None else ThreadMemory()
    jobs = plan_routes(groups, settings)
    tallies: dict[str, _Tally] = {}
    if len(jobs) == 1:
        ((name, items),) = jobs.items()
        tallies[name] = _work(name, items, pool, style, hooks, deadline)
    else:

        def run(name: str, items: list[tuple[int, AlertGroup]]) -> None:
            try:
                tallies[name] = _work(name, items, pool, style, hooks, deadline)
            except Exception as exc:  # never lose a destination's failures to a crash of its thread
                log.exception("delivery worker crashed", extra={"destination": name})
                tally = _Tally(name, pool.routing.destinations[name].type)
                for position, group in items:
                    tally.fail(position, group, f"delivery worker crashed ({type(exc).__name__})")
                tallies[name] = tally

        threads = [
            threading.Thread(target=run, args=(name, items), name=f"deliver-{name}", daemon=True)
            for name, items in jobs.items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()  # each worker honours the deadline itself
    reports = tuple(tallies[name].report() for name in jobs)
    failed_positions = {p for name in jobs for p in tallies[name].failed_groups}
    return DeliveryReport(
        destinations=reports, records_in_failed=sum(groups[p].count for p in failed_positions)
    )
