"""The generic webhook's JSON: one object per alert group, schema ``dynamodb-access-alerts/alert-group``
version 1 (docs/destinations.md documents every field; a change that removes or renames a field bumps the
version, new fields may be added within a version).

Values are the records' own strings, JSON-escaped by the encoder and nothing else: a SIEM wants the exact
values, and whoever displays them must treat them as untrusted. Every list is bounded (a storm of 10,000
records carries its first :data:`MAX_EVENT_IDS` eventIDs and says how many there were); key values follow the
deployment's ``key_values`` mode exactly as in chat messages.

``group_id`` is a digest of the group's eventIDs: a receiver can drop a repeated delivery of the same group
(a retried invocation posts again) by it, and tell repeats of single records by the eventIDs.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

from . import facts
from .accounts import NO_ACCOUNTS, Accounts, event_accounts, named_ids
from .grouping import AlertGroup
from .keys import KeyFormatter

SCHEMA: Final = "dynamodb-access-alerts/alert-group"
SCHEMA_VERSION: Final = 1
MAX_EVENT_IDS: Final = 1000
MAX_TEXT: Final = 2000


def group_id(group: AlertGroup) -> str:
    digest = hashlib.sha256()
    for event_id in group.event_ids:
        digest.update(event_id.encode("utf-8", "replace") + b"\n")
    for source_id in group.source_ids:
        digest.update(b"source:" + source_id.encode("utf-8", "replace") + b"\n")
    return digest.hexdigest()[:32]


def _text(value: str | None) -> str | None:
    return None if value is None else value[:MAX_TEXT]


def _texts(values: tuple[str, ...]) -> list[str]:
    return [v[:MAX_TEXT] for v in values]


def format_group(
    group: AlertGroup, name: str, keys: KeyFormatter, accounts: Accounts = NO_ACCOUNTS
) -> dict[str, Any]:
    p = group.principal
    principal = None
    if p is not None:
        principal = {
            "type": _text(p.type),
            "arn": _text(p.arn),
            "display": _text(p.display),
            "account_id": _text(p.account_id),
            "session_name": _text(p.session_name),
            "session_arn": _text(p.session_arn),
            "service": _text(p.service),
            "identified": p.identified,
        }
    event_ids = group.event_ids[:MAX_EVENT_IDS]
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "deployment": name,
        "group_id": group_id(group),
        "kind": group.alert_kind,
        "severity": facts.severity(group),
        "title": facts.title(group),
        "summary": facts.summary(group, name),
        "count": group.count,
        "principal": principal,
        "tables": _texts(group.tables),
        "distinct_tables": group.distinct_tables,
        "sessions": _texts(group.sessions),
        "distinct_sessions": group.distinct_sessions,
        "merged_groups": group.merged_groups,
        "table_arns": _texts(group.table_arns),
        "access": group.access,
        "event_names": _texts(group.event_names),
        "first_time": _text(group.first_time),
        "last_time": _text(group.last_time),
        "regions": _texts(group.regions),
        "accounts": _texts(group.account_ids),
        # Friendly names (account_names) of the accounts above, the caller's and the tables' (ID -> name).
        "account_names": named_ids(
            tuple(dict.fromkeys((*event_accounts(group), *((p.account_id,) if p and p.account_id else ())))),
            accounts,
        ),
        "source_ips": _texts(group.source_ips),
        "user_agents": _texts(group.user_agents),
        "console": group.console,
        "key_values": keys.mode,
        "keys": [keys.format(k)[:MAX_TEXT] for k in group.keys]
        + [k[:MAX_TEXT] for k in (group.digest.key_texts if group.digest is not None else ())],
        "distinct_keys": group.distinct_keys,
        "attribute_names": _texts(group.attribute_names),
        "statements": _texts(tuple(keys.statement(s) for s in group.statements)),
        "targets": _texts(group.targets),
        "error_codes": _texts(group.error_codes),
        "error_messages": _texts(
            tuple(facts.error_message(group, keys, i) for i in range(len(group.error_messages)))
        ),
        "reasons": _texts(group.reasons),
        "event_ids": list(event_ids),
        "event_id_count": len(group.event_ids),
        "event_ids_truncated": len(event_ids) < len(group.event_ids) or group.digest is not None,
        "records_without_event_id": group.missing_event_ids,
        "source_ids": _texts(group.source_ids),
        # A digest window's follow-up: `count` records held back after the first alert; `event_ids` and
        # `keys` are samples of them. null for every other message.
        "digest": None
        if group.digest is None
        else {
            "window_minutes": group.digest.window_minutes,
            "opened": group.digest.opened,
            "closed": group.digest.closed,
        },
    }


def fallback_payload(group: AlertGroup, name: str) -> dict[str, Any]:
    """The fields that cannot fail, for when :func:`format_group` failed (it never should)."""
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "deployment": name,
        "group_id": group_id(group),
        "kind": group.alert_kind,
        "severity": facts.severity(group),
        "count": group.count,
        "event_ids": list(group.event_ids[:MAX_EVENT_IDS]),
        "event_id_count": len(group.event_ids),
        "formatting_failed": True,
    }
