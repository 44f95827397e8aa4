"""The delivery stage: format each alert group as a message and send it; count what happened.

Used by the Lambda handler, ``replay --webhook`` and ``redrive``, so all three format and send the same
way. Every message is attempted (a failure does not stop the others); :class:`DeliveryReport` says what
failed, and the handler then fails the invocation (:class:`DeliveryError`, carrying the
:class:`RunSummary`) so the payload is retried and finally kept on the on-failure queue.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .grouping import AlertGroup, count_decisions
from .model import Decision

if TYPE_CHECKING:
    from .config import DeliverySettings
    from .webhook import PostFn

# webhook (urllib.request alone is ~17 ms), slack and keys are imported only when there is an alert to
# send: most invocations have none, and a cold start should not pay for them (make bench).

log = logging.getLogger("access_alerts.delivery")

MAX_FAILURE_DETAILS = 10


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What happened to the messages of one batch."""

    sent: int = 0
    failed: int = 0
    records_in_failed: int = 0  # alert records in the messages that failed
    failures: tuple[str, ...] = ()  # short descriptions of failed messages (no URL, no record bodies)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """Counts for one batch. ``alert + allowed + ignored == records`` always holds."""

    records: int = 0
    alert: int = 0
    allowed: int = 0
    ignored: int = 0
    groups: int = 0
    messages_sent: int = 0
    messages_failed: int = 0
    records_in_failed_deliveries: int = 0
    failures: tuple[str, ...] = ()  # short descriptions of failed messages (no URL, no record bodies)

    @classmethod
    def count(
        cls, decisions: Sequence[Decision], groups: Sequence[AlertGroup], report: DeliveryReport
    ) -> RunSummary:
        counts = count_decisions(decisions)
        return cls(
            records=counts["records"],
            alert=counts["alert"],
            allowed=counts["allowed"],
            ignored=counts["ignored"],
            groups=len(groups),
            messages_sent=report.sent,
            messages_failed=report.failed,
            records_in_failed_deliveries=report.records_in_failed,
            failures=report.failures,
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["failures"] = list(self.failures)
        return data


class DeliveryError(RuntimeError):
    """At least one message could not be delivered (all others were attempted)."""

    def __init__(self, summary: RunSummary) -> None:
        super().__init__(
            f"{summary.messages_failed} of {summary.messages_sent + summary.messages_failed} alert messages "
            f"could not be delivered ({summary.records_in_failed_deliveries} alert records); "
            "failing so the payload is retried and then kept on the on-failure queue"
        )
        self.summary = summary


def _fallback_payload(group: AlertGroup, name: str) -> dict[str, Any]:
    from .slack import esc

    ids = ", ".join(group.event_ids[:10])
    text = (
        f"[{name}] {group.alert_kind} alert: {group.count} record(s); the full message could not be "
        f"formatted. eventIDs: {ids}"
    )
    return {"text": esc(text)[:3000]}


def deliver_groups(
    groups: Sequence[AlertGroup],
    settings: DeliverySettings,
    *,
    deadline: float | None = None,
    post: PostFn | None = None,
) -> DeliveryReport:
    """Format and send one message per group; never raises for a message that failed.

    ``deadline`` is a ``time.monotonic()`` value (or the clock of ``post``); ``post`` sends one
    payload and returns a PostResult (default: a WebhookClient for ``settings.webhook_url()``).
    """
    if not groups:
        return DeliveryReport()
    from .keys import KeyFormatter
    from .slack import format_group
    from .webhook import PostResult, WebhookClient

    if post is None:
        post = WebhookClient(settings.webhook_url())
    keys = KeyFormatter(settings.key_values, settings.key_hash_secret())
    sent = failed = failed_records = 0
    failures: list[str] = []
    for group in groups:
        try:
            payload: Mapping[str, Any] = format_group(group, settings.name, keys)
        except Exception:  # formatting is meant never to fail; never lose the alert if it does
            log.exception("could not format an alert message; sending a minimal one")
            payload = _fallback_payload(group, settings.name)
        try:
            result = post(payload, deadline)
        except Exception as exc:  # a custom post function misbehaved: count it as a failure
            result = PostResult(False, 0, 1, f"post raised {type(exc).__name__}")
        if result.ok:
            sent += 1
            continue
        failed += 1
        failed_records += group.count
        if len(failures) < MAX_FAILURE_DETAILS:
            failures.append(
                f"{group.alert_kind} message for {group.count} record(s) "
                f"(first eventID {group.event_ids[0] if group.event_ids else 'none'}): {result.detail}"
            )
        log.error(
            "alert message not delivered",
            extra={
                "alert_kind": group.alert_kind,
                "records": group.count,
                "status": result.status,
                "attempts": result.attempts,
                "detail": result.detail,
                "event_ids": list(group.event_ids[:20]),
            },
        )
    return DeliveryReport(
        sent=sent, failed=failed, records_in_failed=failed_records, failures=tuple(failures)
    )
