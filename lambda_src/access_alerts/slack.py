"""Slack Block Kit messages for alert groups.

Every value that comes from a CloudTrail record (or any other untrusted place) goes through
:func:`access_alerts.text.neutral` (one line, invisible and direction-changing characters made visible, no
live link scheme) and then :func:`esc` before it is put into mrkdwn: ``&``, ``<`` and ``>`` become entities,
so a session name like ``<!channel>`` or a key like ``<https://evil|click>`` is shown, never acted on.
Backticks are replaced so a value cannot end a code span.

Bare URLs: escaping does not stop Slack from turning ``https://evil.example`` into a link; what stops it is
``verbatim: true`` on every mrkdwn text object (Slack then does no automatic parsing: no URL, channel or
mention is linked unless written in ``<...>`` syntax, which escaping rules out for record text), together
with the defanging of :func:`~access_alerts.text.defang` (``https[:]//``), which also covers the top-level
``text`` (notifications) that has no ``verbatim`` switch. The only links are our own CloudTrail console links.

Slack limits are respected by construction: each value is cut to a bound with an ellipsis, each
text block to 3000 characters, each field to 2000, the header to 150, at most 10 fields and far
fewer than 50 blocks; if the whole payload is still larger than :data:`MAX_PAYLOAD_CHARS`, the
message is rebuilt with smaller bounds. Formatting never raises for any input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import quote

from . import text as _text
from .accounts import NAME_LIMIT, NO_ACCOUNTS, Accounts, elsewhere, group_accounts
from .facts import STATEMENT_LABELS, error_message, merged_note
from .grouping import AlertGroup
from .keys import KeyFormatter

HEADER_LIMIT: Final = 150
SECTION_LIMIT: Final = 3000
FIELD_LIMIT: Final = 2000
MAX_FIELDS: Final = 10
MAX_BLOCKS: Final = 50
TEXT_LIMIT: Final = 1000
MAX_PAYLOAD_CHARS: Final = 16_000
MAX_EVENT_IDS_SHOWN: Final = 10
MAX_LINKS: Final = 3
ELLIPSIS: Final = _text.ELLIPSIS
BACKTICK_STANDIN: Final = "\u02cb"  # MODIFIER LETTER GRAVE ACCENT, looks like ` but ends no code span

TITLES: Final[dict[str, tuple[str, str]]] = {
    "data": (":rotating_light:", "DynamoDB data access"),
    "tamper": (":warning:", "TAMPER: alerting pipeline changed"),
    "control_plane": (":construction:", "Table control-plane change"),
    "unparseable": (":question:", "Unparseable record"),
}
DIGEST_TITLE: Final = (":bar_chart:", "Digest")  # a digest window's follow-up (grouping.Digest)


# -- text helpers --------------------------------------------------------------------------------


def esc(value: object) -> str:
    """Escape untrusted text for Slack mrkdwn (and plain text fallbacks)."""
    text = value if isinstance(value, str) else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


clip = _text.clip


def clip_mrkdwn(text: str, limit: int) -> str:
    """Cut already-escaped mrkdwn without splitting an entity or leaving a link open."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    lt = cut.rfind("<")
    if lt != -1 and ">" not in cut[lt:]:
        cut = cut[:lt]
    if cut.count("`") % 2:
        cut = cut[: cut.rfind("`")]
    return cut + ELLIPSIS


one_line = _text.clean


def val(value: object, limit: int) -> str:
    """An untrusted single-line value: neutralised, cut, escaped; backticks cannot start code spans."""
    return esc(_text.neutral(value, limit).replace("`", BACKTICK_STANDIN))


def code(value: object, limit: int) -> str:
    """An untrusted value in a code span."""
    text = _text.neutral(value, limit).replace("`", BACKTICK_STANDIN)
    if not text.strip():
        return "(empty)"
    return "`" + esc(text) + "`"


def mrkdwn(text: str, limit: int) -> dict[str, Any]:
    """A mrkdwn text object that Slack shows as written (``verbatim``: no automatic links or mentions)."""
    return {"type": "mrkdwn", "text": clip_mrkdwn(text, limit), "verbatim": True}


def console_link(region: str | None, event_id: str) -> str | None:
    """CloudTrail console URL for one event, or None when the region is not a Region name (in full)."""
    if region is None or not _text.is_region(region):
        return None
    return (
        f"https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}"
        f"#/events/{quote(event_id, safe='')}"
    )


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


# -- message -------------------------------------------------------------------------------------


class _Limits:
    def __init__(self, scale: float) -> None:
        self.short = max(int(120 * scale), 16)  # ids, IPs, accounts
        self.medium = max(int(300 * scale), 24)  # principals, user agents, keys, reasons
        self.long = max(int(600 * scale), 40)  # statements
        self.items = max(int(MAX_EVENT_IDS_SHOWN * scale), 2)
        self.keys = max(int(5 * scale), 1)


def _account(account_id: str, accounts: Accounts, lim: _Limits) -> str:
    """An account ID in a code span, with its friendly name (``account_names``) after it when it has one."""
    shown = code(account_id, lim.short)
    name = accounts.name(account_id)
    return shown + f" ({val(name, NAME_LIMIT)})" if name else shown


def _accounts(ids: Sequence[str], accounts: Accounts, lim: _Limits) -> str:
    return ", ".join(_account(a, accounts, lim) for a in ids)


def _who(group: AlertGroup, lim: _Limits, accounts: Accounts) -> list[tuple[str, str]]:
    p = group.principal
    fields: list[tuple[str, str]] = []
    if p is None:
        fields.append(("Principal", "unknown (record could not be parsed)"))
        return fields
    who = code(p.arn, lim.medium) if p.arn else val(p.display or "unknown", lim.medium)
    if not p.identified:
        who += " (could not be identified)"
    fields.append(("Principal", who))
    if p.display and p.arn and p.display != p.arn:
        fields[-1] = ("Principal", f"{val(p.display, lim.medium)}\n{who}")
    if p.session_name:
        fields.append(("Session", code(p.session_name, lim.medium)))
    elif group.distinct_sessions > 1:  # a merged group of several sessions of one caller
        shown = group.sessions[: lim.items]
        more = group.distinct_sessions - len(shown)
        sessions = f"{group.distinct_sessions:,}: " + _codes(shown, lim, lim.medium)
        fields.append(("Sessions", sessions + (f" and {more:,} more" if more > 0 else "")))
    elif p.service:
        fields.append(("Service", code(p.service, lim.short)))
    ids = group_accounts(group)
    if p.account_id and group.account_ids and p.account_id not in group.account_ids:
        caller = _account(p.account_id, accounts, lim)
        fields.append(("Account", f"{caller} in {_accounts(group.account_ids, accounts, lim)}"))
    elif ids:
        fields.append(("Account", _accounts(ids, accounts, lim)))
    return fields


def _codes(values: Sequence[str], lim: _Limits, limit: int | None = None) -> str:
    return ", ".join(code(v, limit or lim.short) for v in values)


def _when(group: AlertGroup, lim: _Limits) -> str | None:
    if group.first_time and group.last_time and group.first_time != group.last_time:
        return f"{val(group.first_time, lim.short)} to {val(group.last_time, lim.short)}"
    if group.first_time:
        return val(group.first_time, lim.short)
    return None


def _fields(group: AlertGroup, lim: _Limits, accounts: Accounts) -> list[tuple[str, str]]:
    fields = _who(group, lim, accounts)
    if group.source_ips:
        fields.append(("Source IP", _codes(group.source_ips, lim)))
    if group.user_agents:
        fields.append(("User agent", "\n".join(val(u, lim.medium) for u in group.user_agents)))
    if group.principal is not None:
        fields.append(("Console", "yes" if group.console else "no"))
    if group.event_names:
        fields.append(("API", _codes(group.event_names, lim)))
    if group.access:
        fields.append(("Access", group.access))
    when = _when(group, lim)
    if when:
        fields.append(("Time", when))
    if group.regions:
        fields.append(("Region", _codes(group.regions, lim)))
    return fields[:MAX_FIELDS]


def _what(group: AlertGroup, keys: KeyFormatter, lim: _Limits) -> list[str]:
    lines: list[str] = []
    if group.tables:
        tables = group.tables[: lim.items]
        more = max(group.distinct_tables, len(group.tables)) - len(tables)
        lines.append(
            "*Table:* " + _codes(tables, lim, lim.medium) + (f" and {more:,} more" if more > 0 else "")
        )
    if group.targets:
        lines.append("*Resource:* " + _codes(group.targets, lim, lim.medium))
    label = {"show": "Keys", "hash": "Keys (keyed hash)", "hide": "Key attributes"}[keys.mode]
    if group.keys:
        shown = [code(keys.format(k), lim.medium) for k in group.keys[: lim.keys]]
        more = group.distinct_keys - len(shown)
        suffix = f" and {more} more" if more > 0 else ""
        lines.append(f"*{label}:* " + ", ".join(shown) + suffix)
    if group.digest is not None and group.digest.key_texts:  # shown as the deployment shows keys already
        shown = [code(k, lim.medium) for k in group.digest.key_texts[: lim.keys]]
        lines.append(f"*{label} (sample):* " + ", ".join(shown))
    if group.attribute_names:
        lines.append("*Attribute names:* " + _codes(group.attribute_names, lim))
    for statement in group.statements:
        label = STATEMENT_LABELS[keys.mode]
        lines.append(f"*{label}:* " + code(keys.statement(statement), lim.long))
    if group.error_codes:
        error = "*Error:* " + _codes(group.error_codes, lim)
        if group.error_messages:
            error += " " + val(error_message(group, keys), lim.medium)
        lines.append(error)
    return lines


def _ids(group: AlertGroup, lim: _Limits, accounts: Accounts) -> list[str]:
    lines: list[str] = []
    ids = group.event_ids
    if ids and group.digest is not None:  # a follow-up keeps only a sample of its records' eventIDs
        shown = ", ".join(code(i, lim.short) for i in ids[: lim.items])
        lines.append(f"*Sample eventIDs:* {shown} (of {_plural(group.count, 'record')})")
    elif ids:
        shown = ", ".join(code(i, lim.short) for i in ids[: lim.items])
        more = len(ids) - min(len(ids), lim.items)
        label = "eventID" if len(ids) == 1 else "eventIDs"
        lines.append(f"*{label}:* {shown}" + (f" and {more} more" if more else ""))
    if group.missing_event_ids:
        text = f"*Records without eventID:* {group.missing_event_ids}"
        if group.source_ids:
            text += " (log event ids " + _codes(group.source_ids, lim) + ")"
        lines.append(text)
    away = elsewhere(group, accounts)
    if ids and away:  # a console link opens the reader's account, where these events are not
        where = _accounts(away, accounts, lim)
        lines.append(
            f"_CloudTrail console: these events are in account {where}, not this deployment's "
            f"{code(accounts.home, lim.short)}; sign in to that account to open them._"
        )
        return lines
    region = group.regions[0] if group.regions else None
    links: list[str] = []
    for event_id in ids[:MAX_LINKS]:
        url = console_link(region, event_id)
        if url:
            label = "Open in CloudTrail" if len(links) == 0 else f"event {len(links) + 1}"
            links.append(f"<{url}|{label}>")
    if links:
        lines.append(" · ".join(links))
    return lines


def _title(group: AlertGroup, lim: _Limits) -> tuple[str, str]:
    emoji, title = TITLES.get(group.alert_kind, TITLES["data"])
    api = group.event_names[0] if len(group.event_names) == 1 else None
    table = group.tables[0] if len(group.tables) == 1 else None
    if group.alert_kind == "data":
        access = f" ({group.access})" if group.access else ""
        detail = f"{title}{access}" + (f" on {table}" if table else "")
    elif group.alert_kind == "tamper":
        detail = title + (f": {api}" if api else "")
    elif group.alert_kind == "control_plane":
        detail = title + (f": {api}" if api else "") + (f" on {table}" if table else "")
    else:
        detail = title
    if group.digest is not None:
        return DIGEST_TITLE[0], _text.defang(_text.clean(f"{DIGEST_TITLE[1]}: {detail}"))
    return emoji, _text.defang(_text.clean(detail))


def _summary(group: AlertGroup, name: str, lim: _Limits) -> str:
    who = "an unknown caller"
    if group.principal is not None:
        who = "*" + val(group.principal.display or group.principal.arn or "unknown", lim.medium) + "*"
    count = _plural(group.count, "record")  # unparseable records
    if group.alert_kind == "unparseable" and group.principal is None:
        text = f"*{count}* could not be read as a CloudTrail record, so nothing about who or what is known."
    elif group.alert_kind == "tamper":
        text = f"{who} changed the alerting pipeline itself. Check that alerting still works."
    elif group.alert_kind == "control_plane":
        text = f"{who} changed a monitored table."
    elif group.digest is not None:
        calls = _plural(group.count, f"more {group.access} call" if group.access else "more call")
        d = group.digest
        text = (
            f"*{calls}* by {who}, not on the allow-list, held back in a {d.window_minutes}-minute digest "
            f"window ({val(d.opened, lim.short)} to {val(d.closed, lim.short)}) after the first alert about "
            "them, and summed up here."
        )
    else:
        calls = _plural(group.count, f"{group.access} call" if group.access else "call")
        text = f"*{calls}* by {who}, not on the allow-list."
    text += f" (deployment *{val(name, 64)}*)"
    note = merged_note(group)
    if note:
        text += f"\n_{esc(note)}_"
    if group.reasons:
        text += "\n*Why:* " + "; ".join(val(r, lim.medium) for r in group.reasons)
    return text


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text, SECTION_LIMIT)}


def _build(
    group: AlertGroup, name: str, keys: KeyFormatter, scale: float, accounts: Accounts
) -> dict[str, Any]:
    lim = _Limits(scale)
    emoji, title = _title(group, lim)
    header = clip(f"{emoji} {title}", HEADER_LIMIT)
    if group.count > 1:
        counted = f" ({group.count:,} records)"
        header = clip(f"{emoji} {title}", HEADER_LIMIT - len(counted)) + counted
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
        _section(_summary(group, name, lim)),
    ]
    fields = _fields(group, lim, accounts)
    if fields:
        blocks.append(
            {
                "type": "section",
                "fields": [mrkdwn(f"*{label}*\n{body}", FIELD_LIMIT) for label, body in fields],
            }
        )
    what = _what(group, keys, lim)
    if what:
        blocks.append(_section("\n".join(what)))
    ids = _ids(group, lim, accounts)
    if ids:
        blocks.append(_section("\n".join(ids)))
    blocks = blocks[:MAX_BLOCKS]
    principal = group.principal.display if group.principal else "unknown caller"
    text = f"[{name}] {title}: {_plural(group.count, 'record')} by {principal}"
    return {"text": clip_mrkdwn(esc(_text.neutral(text, TEXT_LIMIT)), TEXT_LIMIT), "blocks": blocks}


def payload_size(payload: dict[str, Any]) -> int:
    return len(_text.to_json(payload, compact=False))


def format_group(
    group: AlertGroup, name: str, keys: KeyFormatter, accounts: Accounts = NO_ACCOUNTS
) -> dict[str, Any]:
    """The Slack payload for one group, always within :data:`MAX_PAYLOAD_CHARS`."""
    scale = 1.0
    while True:
        payload = _build(group, name, keys, scale, accounts)
        if payload_size(payload) <= MAX_PAYLOAD_CHARS or scale < 0.05:
            break
        scale /= 2
    if payload_size(payload) > MAX_PAYLOAD_CHARS:  # pathological (thousands of short fields): minimal form
        payload = {"text": payload["text"], "blocks": payload["blocks"][:2]}
    return payload


def fallback_payload(group: AlertGroup, name: str) -> dict[str, Any]:
    """A minimal message for when :func:`format_group` failed (it never should): kind, count, eventIDs."""
    ids = ", ".join(group.event_ids[:10])
    text = (
        f"[{name}] {group.alert_kind} alert: {group.count} record(s); the full message could not be "
        f"formatted. eventIDs: {ids}"
    )
    return {"text": clip_mrkdwn(esc(_text.neutral(text, SECTION_LIMIT)), SECTION_LIMIT)}
