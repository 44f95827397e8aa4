"""The per-invocation summary line, which is also a CloudWatch embedded-metric-format document.

One JSON line per invocation (and one more per destination that had messages, with the dimensions
FunctionName and Destination), written straight to stdout (Lambda forwards stdout to CloudWatch
Logs, which extracts EMF metrics from it; a line wrapped by a log formatter would not be
extracted). The same line is the human-readable summary: every count is a top-level field.

The namespace, the function dimension and the canary's metric names come from ``rules.json``, which the
module's alarms read too. The canary's heartbeats (docs/canary.md) are a count in every summary, so an
invocation without one reports 0; the delay of the slowest heartbeat is published only when one arrived.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, TextIO

from . import rules

# metric name -> summary field (the canary's are added from rules.json, see _summary_metrics)
METRICS: Final = (
    ("Records", "records"),
    ("Alerts", "alert"),
    ("Allowed", "allowed"),
    ("Ignored", "ignored"),
    ("MessagesSent", "messages_sent"),
    ("MessagesFailed", "messages_failed"),
    ("RecordsInFailedDeliveries", "records_in_failed_deliveries"),
    ("LedgerErrors", "ledger_errors"),  # the delivery ledger could not answer; alerts were posted anyway
)
DESTINATION_DIMENSION: Final = "Destination"
# metric name -> field of a destination's counts
DESTINATION_METRICS: Final = (
    ("MessagesSent", "sent"),
    ("MessagesFailed", "failed"),
    ("MessagesSkipped", "skipped"),
    ("RecordsInFailedDeliveries", "records_in_failed"),
)


def emf_document(
    counts: Mapping[str, Any],
    function_name: str,
    *,
    timestamp_ms: int,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    names = rules.metric_names()
    values: dict[str, int | float] = {name: int(counts.get(key, 0)) for name, key in METRICS}
    units = dict.fromkeys(values, "Count")
    values[names.canary_seen] = int(counts.get("canary_seen", 0))
    units[names.canary_seen] = "Count"
    delay = counts.get("canary_delay_seconds")
    if isinstance(delay, int | float) and not isinstance(delay, bool):
        values[names.canary_delay] = float(delay)
        units[names.canary_delay] = "Seconds"
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": names.namespace,
                    "Dimensions": [[names.function_dimension]],
                    "Metrics": [{"Name": name, "Unit": unit} for name, unit in units.items()],
                }
            ],
        },
        "message": "invocation summary",
        names.function_dimension: function_name,
    }
    if extra:
        document.update(extra)
    document.update(values)
    document["summary"] = dict(counts)
    return document


def emit_summary(
    counts: Mapping[str, Any],
    function_name: str,
    *,
    extra: Mapping[str, Any] | None = None,
    stream: TextIO | None = None,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    document = emf_document(counts, function_name, timestamp_ms=int(clock() * 1000), extra=extra)
    out = stream or sys.stdout
    out.write(json.dumps(document, default=str, separators=(",", ":")) + "\n")
    out.flush()
    return document


def emit_destination_metrics(
    destinations: Mapping[str, Mapping[str, Any]],
    function_name: str,
    *,
    stream: TextIO | None = None,
    clock: Callable[[], float] = time.time,
) -> list[dict[str, Any]]:
    """One EMF line per destination: its messages sent, failed, skipped and the records in failed ones."""
    out = stream or sys.stdout
    documents = []
    timestamp_ms = int(clock() * 1000)
    names = rules.metric_names()
    for name, counts in destinations.items():
        document: dict[str, Any] = {
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [
                    {
                        "Namespace": names.namespace,
                        "Dimensions": [[names.function_dimension, DESTINATION_DIMENSION]],
                        "Metrics": [{"Name": metric, "Unit": "Count"} for metric, _ in DESTINATION_METRICS],
                    }
                ],
            },
            "message": "destination summary",
            names.function_dimension: function_name,
            DESTINATION_DIMENSION: name,
            "destination_type": counts.get("type"),
        }
        for metric, key in DESTINATION_METRICS:
            document[metric] = int(counts.get(key, 0))
        out.write(json.dumps(document, default=str, separators=(",", ":")) + "\n")
        documents.append(document)
    out.flush()
    return documents
