"""The facts of an alert group as plain, bounded text, for the formats that are not Slack mrkdwn (Teams cards,
SNS text). Each format escapes them its own way; nothing here is escaped, but every value is flattened to one
line, stripped of invisible and direction-changing characters, and bounded.

:func:`plain` is the neutraliser for formats whose clients may turn text into links (an email client, Teams):
``https://x`` becomes ``https[:]//x`` and ``www.`` becomes ``www[.]``, so a session name or user agent cannot
become a clickable link. A bare domain (``evil.example``) may still be linked by some clients: nothing in a
record can be told apart from a table name with dots, so it is left as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from .grouping import AlertGroup
from .keys import KeyFormatter

ELLIPSIS: Final = "\u2026"
MAX_VALUES: Final = 5
MAX_EVENT_IDS: Final = 10
# Zero-width and bidirectional-control characters: shown as U+FFFD so a hidden change is visible.
_INVISIBLE_RE: Final = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u061c\u180e]")
_CONTROL_RE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SCHEME_RE: Final = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(//|\\\\)")
_WWW_RE: Final = re.compile(r"(?i)\bwww\.")

TITLES: Final[dict[str, str]] = {
    "data": "DynamoDB data access",
    "tamper": "TAMPER: alerting pipeline changed",
    "control_plane": "Table control-plane change",
    "unparseable": "Unparseable record",
}
SEVERITIES: Final = ("critical", "high", "medium")


def clip(text: str, limit: int) -> str:
    if limit <= 0:
        return ""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


def plain(value: object, limit: int = 300) -> str:
    """One line of untrusted text, safe to show as plain text: no control or invisible characters, no live
    link scheme, at most ``limit`` characters."""
    text = value if isinstance(value, str) else str(value)
    text = _CONTROL_RE.sub(" ", _INVISIBLE_RE.sub("\ufffd", text))
    text = _WWW_RE.sub("www[.]", _SCHEME_RE.sub(r"\1[:]\2", text))
    return clip(text, limit)


def severity(group: AlertGroup) -> str:
    """critical: the pipeline itself; high: changes (writes, control plane) and what could not be read;
    medium: reads."""
    if group.alert_kind == "tamper":
        return "critical"
    if group.alert_kind == "data" and group.access == "read":
        return "medium"
    return "high"


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def title(group: AlertGroup) -> str:
    """The headline, e.g. ``DynamoDB data access (write) on Orders``; untrusted parts made plain."""
    base = TITLES.get(group.alert_kind, TITLES["data"])
    api = plain(group.event_names[0], 60) if len(group.event_names) == 1 else None
    table = plain(group.tables[0], 100) if len(group.tables) == 1 else None
    if group.alert_kind == "data":
        text = base + (f" ({group.access})" if group.access else "") + (f" on {table}" if table else "")
    elif group.alert_kind == "tamper":
        text = base + (f": {api}" if api else "")
    elif group.alert_kind == "control_plane":
        text = base + (f": {api}" if api else "") + (f" on {table}" if table else "")
    else:
        text = base
    if group.digest is not None:
        text = "Digest: " + text
    return text + (f" ({group.count:,} records)" if group.count > 1 else "")


def who(group: AlertGroup) -> str:
    p = group.principal
    if p is None:
        return "an unknown caller"
    return plain(p.display or p.arn or "unknown", 200)


def summary(group: AlertGroup, name: str) -> str:
    """One or two sentences: who did what, and where the alert comes from."""
    if group.alert_kind == "unparseable" and group.principal is None:
        text = f"{plural(group.count, 'record')} could not be read as a CloudTrail record."
    elif group.alert_kind == "tamper":
        text = f"{who(group)} changed the alerting pipeline itself. Check that alerting still works."
    elif group.alert_kind == "control_plane":
        text = f"{who(group)} changed a monitored table."
    elif group.digest is not None:
        calls = plural(group.count, f"more {group.access} call" if group.access else "more call")
        d = group.digest
        text = (
            f"{calls} by {who(group)}, not on the allow-list, held back in a {d.window_minutes}-minute "
            f"digest window ({plain(d.opened, 40)} to {plain(d.closed, 40)}) after the first alert about "
            "them."
        )
    else:
        calls = plural(group.count, f"{group.access} call" if group.access else "call")
        text = f"{calls} by {who(group)}, not on the allow-list."
    return f"{text} (deployment {plain(name, 64)})"


@dataclass(frozen=True, slots=True)
class Fact:
    label: str
    values: tuple[str, ...]  # plain text, each bounded
    code: bool = False  # identifiers, best shown in a monospace font

    @property
    def text(self) -> str:
        return ", ".join(self.values)


def _values(items: tuple[str, ...] | list[str], limit: int) -> tuple[str, ...]:
    return tuple(plain(v, limit) for v in items[:MAX_VALUES])


def facts(group: AlertGroup, keys: KeyFormatter, scale: float = 1.0) -> list[Fact]:
    """Every fact of the group worth showing, in reading order; each value at most ``300 * scale`` chars."""
    short, medium, long = max(int(120 * scale), 16), max(int(300 * scale), 24), max(int(600 * scale), 40)
    out: list[Fact] = []
    p = group.principal
    if p is None:
        out.append(Fact("Principal", ("unknown (record could not be parsed)",)))
    else:
        principal = [plain(p.display, medium)] if p.display else []
        if p.arn and p.arn != p.display:
            principal.append(plain(p.arn, medium))
        if not p.identified:
            principal.append("(could not be identified)")
        out.append(Fact("Principal", tuple(principal) or ("unknown",)))
        if p.session_name:
            out.append(Fact("Session", (plain(p.session_name, medium),), code=True))
        elif p.service:
            out.append(Fact("Service", (plain(p.service, short),), code=True))
    accounts = group.account_ids or ((p.account_id,) if p and p.account_id else ())
    if accounts:
        out.append(Fact("Account", _values(accounts, short), code=True))
    if group.tables:
        out.append(Fact("Table", _values(group.tables, medium), code=True))
    if group.targets:
        out.append(Fact("Resource", _values(group.targets, medium), code=True))
    if group.event_names:
        out.append(Fact("API", _values(group.event_names, short), code=True))
    if group.access:
        out.append(Fact("Access", (group.access,)))
    if group.first_time:
        when = plain(group.first_time, short)
        if group.last_time and group.last_time != group.first_time:
            when += " to " + plain(group.last_time, short)
        out.append(Fact("Time", (when,)))
    if group.regions:
        out.append(Fact("Region", _values(group.regions, short), code=True))
    if group.source_ips:
        out.append(Fact("Source IP", _values(group.source_ips, short), code=True))
    if group.user_agents:
        out.append(Fact("User agent", _values(group.user_agents, medium)))
    if p is not None:
        out.append(Fact("Console", ("yes" if group.console else "no",)))
    label = {"show": "Keys", "hash": "Keys (keyed hash)", "hide": "Key attributes"}[keys.mode]
    if group.keys:
        shown = tuple(plain(keys.format(k), medium) for k in group.keys[:MAX_VALUES])
        more = group.distinct_keys - len(shown)
        out.append(Fact(label, shown + ((f"and {more:,} more",) if more > 0 else ()), code=True))
    if group.digest is not None and group.digest.key_texts:  # already shown as the deployment shows keys
        out.append(Fact(label + " (sample)", _values(group.digest.key_texts, medium), code=True))
    if group.attribute_names:
        out.append(Fact("Attribute names", _values(group.attribute_names, short), code=True))
    for statement in group.statements[:MAX_VALUES]:
        out.append(Fact("Statement (as redacted by CloudTrail)", (plain(statement, long),), code=True))
    if group.error_codes:
        error = _values(group.error_codes, short)
        if group.error_messages:
            error += (plain(group.error_messages[0], medium),)
        out.append(Fact("Error", error))
    if group.reasons:
        out.append(Fact("Why", _values(group.reasons, medium)))
    return out


def event_ids(group: AlertGroup, shown: int = MAX_EVENT_IDS) -> tuple[tuple[str, ...], int]:
    """(the first ``shown`` eventIDs made plain, how many more there are)."""
    ids = tuple(plain(i, 120) for i in group.event_ids[:shown])
    return ids, len(group.event_ids) - len(ids)
