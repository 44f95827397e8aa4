"""Microsoft Teams messages: an Adaptive Card for a Teams Workflows webhook.

A Workflows webhook ("Post to a channel when a webhook request is received") takes ``{"type": "message",
"attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": CARD}]}``. Every piece
of text is a ``TextRun`` inside a ``RichTextBlock``: unlike ``TextBlock`` and ``FactSet`` values, a TextRun is
never read as Markdown (Adaptive Cards schema, version 1.2+), so a session name like ``[click](https://evil)``
or ``**urgent**`` is shown as typed. Mentions in a card need an ``<at>`` tag *and* a ``msteams.entities``
entry, which this card never has, so ``<at>bob</at>`` is plain text too. Untrusted text also goes through
:func:`facts.plain` (no control or invisible characters, no live link scheme), and ``{{`` is broken so the
card's DATE()/TIME() functions cannot be invoked from a record. The only link is the CloudTrail console
button, built from a checked Region and a URL-quoted eventID.

The card stays under :data:`MAX_PAYLOAD_CHARS` (Teams rejects messages of about 28 KB and more): values are
bounded and, when needed, the card is rebuilt with smaller bounds.
"""

from __future__ import annotations

import json
from typing import Any, Final

from . import facts
from .accounts import NO_ACCOUNTS, Accounts
from .grouping import AlertGroup
from .keys import KeyFormatter
from .slack import console_link

CARD_VERSION: Final = "1.4"
MAX_PAYLOAD_CHARS: Final = 24_000
COLORS: Final = {"critical": "attention", "high": "warning", "medium": "accent"}


def _safe(text: str) -> str:
    return text.replace("{{", "{\u2009{")  # a thin space: DATE()/TIME() templates need "{{" exactly


def _run(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextRun", "text": _safe(text), **style}


def _rich(*inlines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "RichTextBlock", "inlines": list(inlines), **extra}


def _card(
    group: AlertGroup, name: str, keys: KeyFormatter, scale: float, accounts: Accounts
) -> dict[str, Any]:
    severity = facts.severity(group)
    body: list[dict[str, Any]] = [
        _rich(
            _run(facts.title(group), size="Large", weight="Bolder", color=COLORS[severity]),
        ),
        _rich(_run(facts.summary(group, name)), spacing="Small"),
    ]
    for fact in facts.facts(group, keys, scale, accounts):
        style = {"fontType": "Monospace"} if fact.code else {}
        body.append(
            _rich(_run(f"{fact.label}: ", weight="Bolder"), _run(fact.text, **style), spacing="Small")
        )
    ids, more = facts.event_ids(group, max(int(facts.MAX_EVENT_IDS * scale), 2))
    if ids:
        label = "eventID: " if len(group.event_ids) == 1 else "eventIDs: "
        tail = f" and {more:,} more" if more else ""
        body.append(
            _rich(
                _run(label, weight="Bolder"),
                _run(", ".join(ids), fontType="Monospace"),
                _run(tail),
                separator=True,
            )
        )
    if group.missing_event_ids:
        body.append(_rich(_run(f"Records without eventID: {group.missing_event_ids:,}", isSubtle=True)))
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "msteams": {"width": "Full"},
        "body": body,
    }
    note = facts.console_note(group, accounts)
    if note:  # the events are in another account: a console link could not show them
        body.append(_rich(_run(note, isSubtle=True)))
    region = group.regions[0] if group.regions else None
    url = console_link(region, group.event_ids[0]) if group.event_ids and not note else None
    if url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in CloudTrail", "url": url}]
    return card


def envelope(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def format_group(
    group: AlertGroup, name: str, keys: KeyFormatter, accounts: Accounts = NO_ACCOUNTS
) -> dict[str, Any]:
    """The Workflows webhook payload for one group, always within :data:`MAX_PAYLOAD_CHARS`."""
    scale = 1.0
    while True:
        payload = envelope(_card(group, name, keys, scale, accounts))
        if len(json.dumps(payload, ensure_ascii=False)) <= MAX_PAYLOAD_CHARS or scale < 0.05:
            return payload
        scale /= 2


def fallback_payload(group: AlertGroup, name: str) -> dict[str, Any]:
    """A minimal card for when :func:`format_group` failed (it never should): kind, count, eventIDs."""
    ids = ", ".join(facts.plain(i, 80) for i in group.event_ids[:10])
    text = (
        f"[{facts.plain(name, 64)}] {group.alert_kind} alert: {group.count} record(s); the full message "
        f"could not be formatted. eventIDs: {ids}"
    )
    card = {"type": "AdaptiveCard", "version": CARD_VERSION, "body": [_rich(_run(text))]}
    return envelope(card)
