"""Lambda entry point: ``access_alerts.handler.lambda_handler``.

Per cold start: the configuration document is read and validated, secrets are fetched from SSM, and
the allow-lists are compiled, once. A bad configuration fails every invocation loudly (the payload is
kept by the async retries and the on-failure queue) instead of silently dropping alerts.

Per invocation, :func:`process_event` runs the stages in the order data flows through them:
decode -> decide every record -> group -> deliver -> one summary line. If any message could not be
delivered the invocation raises after sending all it could, so Lambda retries the payload and finally
puts it on the on-failure queue (see ``redrive``).

With a delivery ledger (the configuration document's ``ledger``), delivery goes through it (digest.py): what a
destination already received is not posted again, and repeated data alerts wait in digest windows. The
schedule's flush event (rules.json ``ledger.flush_event``) makes an invocation close the windows whose time is
up instead (:func:`flush_windows`).

A payload that cannot be decoded at all still produces an "unparseable payload" alert (showing
only its size and the reason, never its content), and then the invocation fails: the payload may
be evidence of a fault or an attack, and failing is what keeps it (on the on-failure queue) for
someone to inspect. The retries re-send the same alert; that duplicate is the price of not
losing the payload.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol

from . import rules
from .allowlist import PatternError
from .config import Config, ConfigError, load_config
from .decode import PayloadError, decode_subscription, is_health_check
from .delivery import DeliveryError, DeliveryHooks, RunSummary, ThreadMemory, deliver_groups
from .grouping import group_alerts
from .ledger import LedgerUnavailable
from .logs import configure_logging
from .metrics import emit_destination_metrics, emit_summary
from .model import CONTROL_MESSAGE, DATA_MESSAGE, Decision
from .policy import Policy
from .text import first_line

if TYPE_CHECKING:
    from .digest import Counters
    from .ledger import Ledger
    from .senders import SenderPool

log = logging.getLogger("access_alerts.handler")

SAFETY_MARGIN_SECONDS: Final = 3.0
UNPARSEABLE: Final = "UNPARSEABLE"  # the message type reported for an event that could not be decoded
FLUSH: Final = "FLUSH"  # the message type reported for the schedule's flush of digest windows


class LambdaContext(Protocol):
    function_name: str
    aws_request_id: str

    def get_remaining_time_in_millis(self) -> int: ...


class PayloadRejected(RuntimeError):
    """The event could not be decoded; an alert about it was sent; fail so the payload is kept."""

    def __init__(self, reason: str, summary: RunSummary) -> None:
        super().__init__(
            f"unparseable subscription payload ({reason}); alert sent, failing to keep the payload"
        )
        self.reason = reason
        self.summary = summary


@dataclass
class State:
    """What is built once per cold start: the configuration, the compiled policy, and the destinations'
    senders (one HTTP client each, so pacing holds across warm invocations) with the storms' Slack threads.

    ``clock`` is the delivery ledger's clock (epoch seconds): digest windows open and close by it. It is
    ``time.time`` in the function; a test or a local run that simulates time sets another one on the state
    (never through the configuration or the environment, so no deployment can be given a different time).
    """

    config: Config
    policy: Policy
    senders: SenderPool
    hooks: ThreadMemory = field(default_factory=ThreadMemory)
    clock: Callable[[], float] = time.time


_STATE: State | None = None
_STATE_LOCK = threading.Lock()


def build_state(environ: Mapping[str, str]) -> State:
    """Load and check everything a cold start needs. Raises ConfigError with a clear message."""
    config = load_config(environ)
    try:
        policy = Policy(config.policy)
    except PatternError as exc:
        raise ConfigError(f"configuration document: {exc}") from None
    # Fetch secrets now: a missing parameter fails before any record is read.
    config.delivery.key_hash_secret()
    from .senders import SenderPool

    senders = SenderPool(config.delivery.routing)
    problems = senders.prepare()
    if problems and len(problems) == len(config.delivery.routing.destinations):
        raise ConfigError("no destination can be delivered to: " + "; ".join(problems.values()))
    for name, problem in problems.items():
        # The other destinations still get every alert; messages to this one fail (and so the invocation).
        log.error("destination cannot be delivered to", extra={"destination": name, "error": problem})
    return State(config=config, policy=policy, senders=senders)


def get_state() -> State:
    global _STATE
    with _STATE_LOCK:
        if _STATE is None:
            _STATE = build_state(os.environ)
        return _STATE


def reset_state() -> None:
    """Forget the cached configuration (tests; a cold start does the same)."""
    global _STATE
    with _STATE_LOCK:
        _STATE = None


def deadline_from(context: object, clock: Any = time.monotonic) -> float | None:
    """Remaining Lambda time as a ``clock()`` deadline, minus a safety margin."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    try:
        seconds = float(remaining()) / 1000.0
    except (TypeError, ValueError):
        return None
    margin = min(SAFETY_MARGIN_SECONDS, seconds / 2)
    return float(clock()) + seconds - margin


def describe_event(event: object) -> str:
    """Sizes and shape of an event, never its content."""
    if isinstance(event, Mapping):
        awslogs = event.get("awslogs")
        if isinstance(awslogs, Mapping) and isinstance(awslogs.get("data"), str):
            return f"awslogs.data of {len(awslogs['data'])} characters"
        return f"an object with {len(event)} top-level field(s)"
    if isinstance(event, str | bytes):
        return f"a {type(event).__name__} of {len(event)} characters"
    return f"a value of type {type(event).__name__}"


@dataclass(frozen=True, slots=True)
class Decided:
    """The decisions of one event, its message type, and why it was rejected when it could not be decoded."""

    decisions: list[Decision]
    message_type: str
    rejected: str | None = None


def decide_event(event: object, policy: Policy, request_id: str | None = None) -> Decided:
    """Decode the subscription event and decide every record in it.

    An event that cannot be decoded becomes one alert about it, which shows its size and the reason,
    never its content.
    """
    try:
        payload = decode_subscription(event)
    except PayloadError as exc:
        reason = first_line(exc, 300)
        log.error(
            "unparseable subscription payload", extra={"reason": reason, "shape": describe_event(event)}
        )
        alert = Decision(
            kind="alert",
            alert_kind="unparseable",
            reason=f"unparseable subscription payload: {reason} ({describe_event(event)})",
            source_id=f"request {request_id}" if request_id else None,
        )
        return Decided([alert], UNPARSEABLE, rejected=reason)
    decisions = policy.evaluate_payload(payload)
    if payload.message_type == CONTROL_MESSAGE:
        # CloudWatch Logs checking that it can reach the function: its own text is ignored (and counted).
        # Anything else in it is decided like any record, and said in the log: never silently zero.
        carried = sum(1 for ev in payload.log_events if not is_health_check(payload, ev))
        if carried:
            log.warning(
                "control message carried records; they were decided like any other",
                extra={"records": carried, "log_events": len(payload.log_events)},
            )
    return Decided(decisions, payload.message_type)


def is_flush_event(event: object) -> bool:
    """The event the flush schedule sends (rules.json ``ledger.flush_event``, written by ledger.tf)."""
    return isinstance(event, Mapping) and dict(event) == dict(rules.ledger().flush_event)


def make_ledger(state: State, deadline: float | None, request_id: str | None) -> Ledger | None:
    """This invocation's view of the delivery ledger, or None without one. Its claims' lease runs to the
    invocation's end (the deadline plus the safety margin); without a deadline (redrive) for 15 minutes."""
    settings = state.config.ledger
    if settings is None:
        return None
    from .ledger import Ledger, dynamodb_client

    lease_until = None
    if deadline is not None:
        remaining = deadline - time.monotonic() + SAFETY_MARGIN_SECONDS
        lease_until = int((state.clock() + max(remaining, 0.0)) * 1000)
    return Ledger(
        client=dynamodb_client(),
        table=settings.table_name,
        ttl_seconds=settings.ttl_days * 86400,
        owner=request_id or uuid.uuid4().hex,
        clock=state.clock,
        lease_until=lease_until,
    )


def process_event(
    event: object,
    state: State,
    *,
    deadline: float | None = None,
    request_id: str | None = None,
) -> tuple[RunSummary, str]:
    """Decode, decide, group and deliver one subscription event, or flush the digest windows when it is the
    schedule's flush event. Returns (summary, message type).

    Raises DeliveryError when a message could not be delivered, PayloadRejected when the event could not be
    decoded (after alerting about it) and LedgerUnavailable when a flush cannot read the ledger.
    """
    if is_flush_event(event):
        return flush_windows(state, deadline=deadline, request_id=request_id), FLUSH
    received = time.time()  # the records' arrival, for the canary's delay (before delivery's retries)
    decided = decide_event(event, state.policy, request_id)
    groups = group_alerts(decided.decisions)
    hooks: DeliveryHooks = state.hooks
    counters: Counters | None = None
    ledger = make_ledger(state, deadline, request_id) if groups else None
    if ledger is not None and state.config.ledger is not None:
        from .digest import Counters, Gate, LedgerHooks
        from .keys import KeyFormatter

        counters = Counters()
        delivery = state.config.delivery
        keys = KeyFormatter(delivery.key_values, delivery.key_hash_secret())
        gate = Gate(
            ledger, state.config.ledger.digest_window_minutes, decided.decisions, keys.format, counters
        )
        hooks = LedgerHooks(gate, state.hooks)
    report = deliver_groups(
        groups, state.config.delivery, senders=state.senders, deadline=deadline, hooks=hooks
    )
    summary = RunSummary.count(
        decided.decisions,
        groups,
        report,
        counters.as_dict() if counters is not None else None,
        now=received,
    )
    if report.failed:
        raise DeliveryError(summary)
    if decided.rejected is not None:
        raise PayloadRejected(decided.rejected, summary)
    return summary, decided.message_type


def flush_windows(
    state: State, *, deadline: float | None = None, request_id: str | None = None
) -> RunSummary:
    """Close the digest windows whose time is up and deliver their follow-ups (each to its destination).

    Raises LedgerUnavailable when the ledger cannot be read, and DeliveryError when a follow-up could not be
    delivered: either way the flush fails, and what it could not finish stays in the ledger for the next one.
    """
    ledger = make_ledger(state, deadline, request_id)
    if ledger is None or state.config.ledger is None:
        return RunSummary()  # no ledger, nothing held
    from .digest import Counters, FlushHooks, flush

    counters = Counters()
    follow_ups = flush(ledger, state.config.ledger.digest_window_minutes, counters)
    groups = [f.group for f in follow_ups]
    report = deliver_groups(
        groups,
        state.config.delivery,
        senders=state.senders,
        deadline=deadline,
        hooks=FlushHooks(ledger, follow_ups, counters),
    )
    summary = RunSummary.count([], groups, report, counters.as_dict())
    if report.failed:
        raise DeliveryError(summary)
    return summary


def lambda_handler(event: object, context: object) -> dict[str, Any]:
    configure_logging()
    started = time.monotonic()
    request_id = str(getattr(context, "aws_request_id", "") or "") or None
    function_name = str(getattr(context, "function_name", "") or "")
    try:
        state = get_state()
    except ConfigError as exc:
        log.error("configuration error: every invocation fails until it is fixed", extra={"error": str(exc)})
        raise
    name = function_name or state.config.delivery.name
    deadline = deadline_from(context)
    outcome = "ok"
    message_type = DATA_MESSAGE
    summary = RunSummary()
    error: BaseException | None = None
    try:
        summary, message_type = process_event(event, state, deadline=deadline, request_id=request_id)
    except DeliveryError as exc:
        summary, outcome, error = exc.summary, "delivery_failed", exc
    except PayloadRejected as exc:
        summary, outcome, error, message_type = exc.summary, "unparseable_payload", exc, UNPARSEABLE
    except ConfigError as exc:  # e.g. a secret that could not be fetched late
        log.error("configuration error", extra={"error": str(exc)})
        raise
    except LedgerUnavailable as exc:  # only a flush raises it: what is held stays for the next flush
        summary, outcome, error, message_type = RunSummary(ledger_errors=1), "ledger_unavailable", exc, FLUSH
        log.error("the flush cannot read the delivery ledger", extra={"error": str(exc)})
    counts = summary.as_dict()
    failures = counts.pop("failures")
    emit_summary(
        counts,
        name,
        extra={
            "outcome": outcome,
            "message_type": message_type,
            "request_id": request_id,
            "deployment": state.config.delivery.name,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "failures": failures,
        },
    )
    emit_destination_metrics(counts["destinations"], name)
    if error is not None:
        raise error
    return {"status": outcome, "message_type": message_type, **counts}
