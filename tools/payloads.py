"""CloudWatch Logs subscription events, built from CloudTrail records the way CloudWatch Logs builds them.

Tooling for the tests, the benchmark and the demo; the Lambda package only decodes such events
(``access_alerts.decode``), so this encoder is not shipped in its zip.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

from access_alerts.model import DATA_MESSAGE, LogEvent


def encode_subscription(
    messages: Iterable[str | Mapping[str, Any] | LogEvent],
    *,
    message_type: str = DATA_MESSAGE,
    owner: str = "123456789012",
    log_group: str = "aws-cloudtrail-logs",
    log_stream: str = "123456789012_CloudTrail_us-east-1",
    subscription_filters: Iterable[str] = ("access-alerts",),
    first_id: int = 1,
    timestamp: int | None = None,
) -> dict[str, dict[str, str]]:
    """The Lambda event ``{"awslogs": {"data": base64(gzip(JSON))}}`` carrying ``messages``.

    Each message is a CloudTrail record as JSON text, a record mapping (serialised here) or a
    :class:`~access_alerts.model.LogEvent` (kept as is). Log event ids count up from ``first_id``.
    """
    now = int(time.time() * 1000) if timestamp is None else timestamp
    events: list[dict[str, object]] = []
    for i, msg in enumerate(messages):
        if isinstance(msg, LogEvent):
            events.append({"id": msg.id, "timestamp": msg.timestamp, "message": msg.message})
            continue
        text = msg if isinstance(msg, str) else json.dumps(msg, separators=(",", ":"))
        # CloudWatch Logs event ids are 56-digit strings; a counter keeps them unique and readable.
        events.append({"id": f"{first_id + i:056d}", "timestamp": now, "message": text})
    doc = {
        "messageType": message_type,
        "owner": owner,
        "logGroup": log_group,
        "logStream": log_stream,
        "subscriptionFilters": list(subscription_filters),
        "logEvents": events,
    }
    blob = gzip.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8"), mtime=0)
    return {"awslogs": {"data": base64.b64encode(blob).decode("ascii")}}
