"""The end-to-end canary's heartbeat (docs/canary.md).

On a schedule, EventBridge Scheduler writes one item into the module's canary table with the canary role.
That write takes the whole delivery path (trail selectors, log group, subscription filter, this function),
so its arrival proves the path alive. :class:`CanaryWatch` recognises it (a successful ``PutItem`` on the
canary table by the canary role); the policy then counts it as allowed instead of alerting, and the
invocation summary publishes it as a metric that the module's canary alarm watches.

Anything else on the canary table is decided like a write on any watched table: another principal's write
alerts, and so does the canary role doing anything but a successful ``PutItem`` there (a failed canary
write means someone changed its role, key or table: it alerts, and the heartbeat is missed).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final

from access_alerts.identity import pathless_role_arn, split_arn
from access_alerts.model import AccessEvent, CanarySettings, Decision

# Decision.matched of a heartbeat: the configuration document's ``canary`` field allowed it.
CANARY_MATCH: Final = "canary"
HEARTBEAT_CALL: Final = "PutItem"


class CanaryWatch:
    """The canary's table and role, normalised for comparison with what a record names."""

    __slots__ = ("role", "table_arn", "table_name")

    def __init__(self, settings: CanarySettings) -> None:
        parts = split_arn(settings.table_arn)
        if parts is None or parts[1] != "dynamodb" or not parts[4].startswith("table/"):
            raise ValueError(f"canary.table_arn is not a DynamoDB table ARN: {settings.table_arn!r:.120}")
        role = pathless_role_arn(settings.role_arn)
        if role is None:
            raise ValueError(f"canary.role_arn is not an IAM role ARN: {settings.role_arn!r:.120}")
        self.table_arn = settings.table_arn
        self.table_name = parts[4][len("table/") :]
        # Role names are unique in an account, so the ARN without its path identifies the role whether or
        # not the record shows the path (sessionIssuer.arn has it; an STS session ARN does not).
        self.role = role

    def is_heartbeat(self, event: AccessEvent) -> bool:
        """A successful PutItem of exactly the canary table by a session of the canary role."""
        if event.category != "data" or event.event_name != HEARTBEAT_CALL or event.error_code is not None:
            return False
        if event.tables != (self.table_name,) or any(arn != self.table_arn for arn in event.table_arns):
            return False
        caller = event.principal.arn
        return caller is not None and pathless_role_arn(caller) == self.role


def event_time_seconds(event_time: str | None) -> float | None:
    """CloudTrail's ``eventTime`` (``2026-11-18T10:01:54Z``) as a POSIX timestamp, or None."""
    if not event_time:
        return None
    try:
        moment = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()


def heartbeat_delay_seconds(decisions: Iterable[Decision], now: float) -> float | None:
    """Seconds from the canary's call to ``now`` (its arrival here) for the latest-arriving heartbeat of
    a batch: the largest delay, so a backlog shows. None when the batch holds no heartbeat with a time."""
    delays = [
        max(0.0, now - called)
        for d in decisions
        if d.matched == CANARY_MATCH and d.event is not None
        if (called := event_time_seconds(d.event.event_time)) is not None
    ]
    return round(max(delays), 1) if delays else None


def heartbeats(decisions: Iterable[Decision]) -> int:
    """How many heartbeats of the canary a batch holds."""
    return sum(1 for d in decisions if d.matched == CANARY_MATCH)
