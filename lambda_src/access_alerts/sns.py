"""Amazon SNS messages: a subject, a body per protocol, and attributes subscribers can filter on.

* ``Subject``: ASCII only, one line, under 100 characters (SNS rejects a longer one, and one with line
  breaks or control characters); shown by email subscribers.
* ``Message`` with ``MessageStructure = "json"``: plain text (:func:`text`) for email, SMS and anything else
  (``default``), and the generic webhook's JSON (alert_json.py, schema version 1) for the machine protocols
  ``sqs``, ``lambda``, ``http``, ``https`` and ``firehose``, so a queue or a function gets the same fields a
  SIEM webhook does.
* ``MessageAttributes`` (at most 10; these four): ``kind`` and ``severity`` (String), ``table`` and
  ``account`` (String.Array of the group's tables and accounts, left out when there are none). A
  subscription filter policy such as ``{"severity": ["critical"]}`` or ``{"table": [{"prefix": "orders"}]}``
  picks what a subscriber gets.

The text is plain and made safe by :func:`facts.plain` (an email client must not find a live link in it).
The whole message stays far under the 256 KB SNS allows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from . import alert_json, facts
from .accounts import NO_ACCOUNTS, Accounts
from .grouping import AlertGroup
from .keys import KeyFormatter
from .text import to_json

SUBJECT_LIMIT: Final = 99  # "less than 100 characters"
MACHINE_PROTOCOLS: Final = ("sqs", "lambda", "http", "https", "firehose")
MAX_MESSAGE_BYTES: Final = 200_000  # SNS allows 262,144 bytes for the message and its attributes together


@dataclass(frozen=True, slots=True)
class SnsMessage:
    subject: str
    message: str  # the JSON structure (MessageStructure = "json")
    attributes: dict[str, dict[str, str]]  # boto3's MessageAttributes

    def publish_arguments(self, topic_arn: str) -> dict[str, Any]:
        return {
            "TopicArn": topic_arn,
            "Subject": self.subject,
            "Message": self.message,
            "MessageStructure": "json",
            "MessageAttributes": self.attributes,
        }


def subject(group: AlertGroup, name: str) -> str:
    """``[name] title``: printable ASCII (anything else becomes ``?``), one line, at most 99 characters."""
    raw = f"[{name}] {facts.title(group)}"
    ascii_only = "".join(ch if " " <= ch <= "~" else "?" for ch in raw)
    return facts.clip(" ".join(ascii_only.split()), SUBJECT_LIMIT).replace(facts.ELLIPSIS, "...")[
        :SUBJECT_LIMIT
    ]


def text(
    group: AlertGroup, name: str, keys: KeyFormatter, scale: float = 1.0, accounts: Accounts = NO_ACCOUNTS
) -> str:
    """The plain-text message: headline, summary, one fact per line, eventIDs."""
    lines = [facts.title(group), "", facts.summary(group, name), ""]
    lines += [f"{fact.label}: {fact.text}" for fact in facts.facts(group, keys, scale, accounts)]
    ids, more = facts.event_ids(group, max(int(50 * scale), 5))
    if ids:
        lines += ["", ("eventID: " if len(group.event_ids) == 1 else "eventIDs: ") + ", ".join(ids)]
        if more:
            lines.append(f"... and {more:,} more eventIDs")
    if group.missing_event_ids:
        lines.append(f"Records without eventID: {group.missing_event_ids:,}")
    return "\n".join(lines)


def attributes(group: AlertGroup) -> dict[str, dict[str, str]]:
    attrs = {
        "kind": {"DataType": "String", "StringValue": group.alert_kind},
        "severity": {"DataType": "String", "StringValue": facts.severity(group)},
    }
    accounts = sorted(
        set(group.account_ids) | {a.split(":")[4] for a in group.table_arns if a.count(":") > 4}
    )
    for key, values in (("table", list(group.tables)), ("account", [a for a in accounts if a])):
        if values:
            attrs[key] = {"DataType": "String.Array", "StringValue": json.dumps(values[:20])}
    return attrs


def _structure(default: str, machine: str) -> str:
    return to_json({"default": default, **dict.fromkeys(MACHINE_PROTOCOLS, machine)}, compact=False)


def format_group(
    group: AlertGroup, name: str, keys: KeyFormatter, accounts: Accounts = NO_ACCOUNTS
) -> SnsMessage:
    machine = to_json(alert_json.format_group(group, name, keys, accounts), compact=False)
    scale = 1.0
    while True:
        message = _structure(text(group, name, keys, scale, accounts), machine)
        if len(message.encode("utf-8")) <= MAX_MESSAGE_BYTES or scale < 0.05:
            break
        scale /= 2
    if len(message.encode("utf-8")) > MAX_MESSAGE_BYTES:  # pathological: the JSON alone is too big
        machine = json.dumps(alert_json.fallback_payload(group, name))
        message = _structure(text(group, name, keys, scale, accounts), machine)
    return SnsMessage(subject(group, name), message, attributes(group))


def fallback_payload(group: AlertGroup, name: str) -> SnsMessage:
    ids = ", ".join(facts.plain(i, 80) for i in group.event_ids[:10])
    body = (
        f"[{facts.plain(name, 64)}] {group.alert_kind} alert: {group.count} record(s); the full message "
        f"could not be formatted. eventIDs: {ids}"
    )
    machine = json.dumps(alert_json.fallback_payload(group, name))
    return SnsMessage(
        f"[{name}] {group.alert_kind} alert"[:SUBJECT_LIMIT].encode("ascii", "replace").decode(),
        _structure(body, machine),
        attributes(group),
    )
