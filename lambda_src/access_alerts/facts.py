"""The facts of an alert group as plain, bounded text, for the formats that are not Slack mrkdwn (Teams cards,
SNS text). Each format escapes them its own way; nothing here is escaped, but every value goes through
:func:`plain`, which is :func:`access_alerts.text.neutral`: flattened to one line, invisible and
direction-changing characters made visible, no live link scheme (``https://x`` becomes ``https[:]//x``, so an
email client or Teams finds no link in a session name or user agent), and bounded. A bare domain
(``evil.example``) may still be linked by some clients: nothing in a record can be told apart from a table
name with dots, so it is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from . import text as _text
from .accounts import NAME_LIMIT, NO_ACCOUNTS, Accounts, elsewhere, group_accounts
from .grouping import AlertGroup
from .keys import KeyFormatter

ELLIPSIS: Final = _text.ELLIPSIS
MAX_VALUES: Final = 5
MAX_EVENT_IDS: Final = 10

TITLES: Final[dict[str, str]] = {
    "data": "DynamoDB data access",
    "tamper": "TAMPER: alerting pipeline changed",
    "control_plane": "Table control-plane change",
    "unparseable": "Unparseable record",
}
SEVERITIES: Final = ("critical", "high", "medium")


clip = _text.clip


def plain(value: object, limit: int = 300) -> str:
    """One line of untrusted text, safe to show as plain text: :func:`access_alerts.text.neutral`."""
    return _text.neutral(value, limit)


# Statements are shown as CloudTrail redacted them, with the key values' literals hashed or hidden too.
STATEMENT_LABELS: Final[dict[str, str]] = {
    "show": "Statement (as redacted by CloudTrail)",
    "hash": "Statement (literals as keyed hashes)",
    "hide": "Statement (literals hidden)",
}


def error_message(group: AlertGroup, keys: KeyFormatter, index: int = 0) -> str:
    """The group's ``index``-th error message, with its record's key values hashed or hidden per ``keys``."""
    values = group.error_values[index] if index < len(group.error_values) else ()
    return keys.error_message(group.error_messages[index], values)


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


def merged_note(group: AlertGroup) -> str | None:
    """For a group that merges a caller's groups (grouping.py's cap): how many, and what they spanned."""
    if group.merged_groups <= 1:
        return None
    spans = [plural(group.distinct_sessions, "session")] if group.distinct_sessions > 1 else []
    spans.append(plural(group.distinct_tables, "table"))
    return (
        f"{group.merged_groups:,} groups of this caller in one invocation were merged into this message "
        f"({', '.join(spans)})."
    )


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
    note = merged_note(group)
    return f"{text} (deployment {plain(name, 64)})" + (f" {note}" if note else "")


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


def account(account_id: str, accounts: Accounts, limit: int = 120) -> str:
    """``111122223333 (payments-prod)``: the ID, and its friendly name when ``account_names`` has one."""
    name = accounts.name(account_id)
    shown = plain(account_id, limit)
    return f"{shown} ({plain(name, NAME_LIMIT)})" if name else shown


def console_note(group: AlertGroup, accounts: Accounts) -> str | None:
    """What to say instead of a console link when the group's events are in another account (or None)."""
    away = elsewhere(group, accounts)
    if not away or not group.event_ids:
        return None
    where = ", ".join(account(a, accounts) for a in away[:MAX_VALUES])
    return (
        f"CloudTrail console: these events are in account {where}, not this deployment's "
        f"{plain(accounts.home, 20)}; sign in to that account to open them."
    )


def facts(
    group: AlertGroup, keys: KeyFormatter, scale: float = 1.0, accounts: Accounts = NO_ACCOUNTS
) -> list[Fact]:
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
        elif group.distinct_sessions > 1:
            shown = _values(group.sessions, medium)
            more = group.distinct_sessions - len(shown)
            first = (f"{group.distinct_sessions:,}: {shown[0]}", *shown[1:])
            out.append(Fact("Sessions", first + ((f"and {more:,} more",) if more > 0 else ()), code=True))
        elif p.service:
            out.append(Fact("Service", (plain(p.service, short),), code=True))
    ids = group_accounts(group)
    if ids:
        out.append(Fact("Account", tuple(account(a, accounts, short) for a in ids[:MAX_VALUES]), code=True))
    if group.tables:
        tables = _values(group.tables, medium)
        more = max(group.distinct_tables, len(group.tables)) - len(tables)
        out.append(Fact("Table", tables + ((f"and {more:,} more",) if more > 0 else ()), code=True))
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
        out.append(Fact(STATEMENT_LABELS[keys.mode], (plain(keys.statement(statement), long),), code=True))
    if group.error_codes:
        error = _values(group.error_codes, short)
        if group.error_messages:
            error += (plain(error_message(group, keys), medium),)
        out.append(Fact("Error", error))
    if group.reasons:
        out.append(Fact("Why", _values(group.reasons, medium)))
    return out


def event_ids(group: AlertGroup, shown: int = MAX_EVENT_IDS) -> tuple[tuple[str, ...], int]:
    """(the first ``shown`` eventIDs made plain, how many more there are)."""
    ids = tuple(plain(i, 120) for i in group.event_ids[:shown])
    return ids, len(group.event_ids) - len(ids)
