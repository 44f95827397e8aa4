"""Routing: which destinations an alert group reaches. Pure functions of the group and the routing.

A route matches a group when every dimension it restricts matches (an empty list restricts nothing):

* ``tables``: any of the group's tables. An entry is a table name, or an ARN (``arn:...``) compared with the
  tables' ARNs; ``*`` matches any run of characters (``tenant-*`` is a family).
* ``kinds``: the group's kind (``data``, ``control_plane``, ``tamper``, ``unparseable``).
* ``access``: the group's access (``read``, ``write``); a group without one (an unparseable record) does
  not match.
* ``accounts``: any account the group's records were logged in (recipientAccountId), or the account of one of
  its tables' ARNs.

A group goes to the destinations of every matching route, in route order, or to the default destinations when
no route matches. Tamper and unparseable groups always reach the default destinations too: they are the alerts
that say the alerting itself may be blind, so the default destinations (the people who own the pipeline) see
every one of them whatever the routes say. A digest window's follow-up (digest.py) goes to the one destination
whose window it was.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

from .destinations import Route, Routing
from .grouping import AlertGroup

ALWAYS_DEFAULT: Final = frozenset({"tamper", "unparseable"})


@lru_cache(maxsize=512)
def _pattern(entry: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in entry.split("*")))


def _any_match(entries: Iterable[str], values: Iterable[str]) -> bool:
    candidates = tuple(values)
    return any(_pattern(entry).fullmatch(value) for entry in entries for value in candidates)


def _accounts(group: AlertGroup) -> set[str]:
    accounts = set(group.account_ids)
    for arn in group.table_arns:
        parts = arn.split(":")
        if len(parts) > 4 and parts[4]:
            accounts.add(parts[4])
    return accounts


def route_matches(route: Route, group: AlertGroup) -> bool:
    if route.kinds and group.alert_kind not in route.kinds:
        return False
    if route.access and (group.access is None or group.access not in route.access):
        return False
    if route.accounts and not _accounts(group) & set(route.accounts):
        return False
    if route.tables:
        names = [t for t in route.tables if not t.startswith("arn:")]
        arns = [t for t in route.tables if t.startswith("arn:")]
        if not (_any_match(names, group.tables) or _any_match(arns, group.table_arns)):
            return False
    return True


def destinations_for(group: AlertGroup, routing: Routing) -> tuple[str, ...]:
    """The destination names a group goes to, each once, in route order then the defaults. A digest
    window's follow-up goes to the destination whose window it was (or to the defaults, should that
    destination have been removed from the configuration since)."""
    if group.digest is not None:
        if group.digest.destination in routing.destinations:
            return (group.digest.destination,)
        return tuple(routing.defaults)
    chosen: dict[str, None] = {}
    matched = False
    for route in routing.routes:
        if route_matches(route, group):
            matched = True
            chosen.update(dict.fromkeys(route.destinations))
    if not matched or group.alert_kind in ALWAYS_DEFAULT:
        chosen.update(dict.fromkeys(routing.defaults))
    return tuple(chosen)


def group_key(group: AlertGroup) -> str:
    """A stable identity of a group across invocations (kind, principal, tables with their Regions and
    accounts, access): the same storm seen by several invocations has the same key, so its later messages
    can go into the first one's thread (and the ledger counts it in one digest window). A table's replica in
    another Region, or a same-named table in another account, is a group and a key of its own."""
    p = group.principal
    parts = (
        group.alert_kind,
        p.arn or p.service or p.display if p else "",
        p.session_name or "" if p else "",
        ",".join(group.tables),
        group.access or "",
        ",".join(sorted(group.regions)),
        ",".join(sorted(group.account_ids)),
    )
    # surrogatepass: a lone surrogate in a session name or table is legal in JSON and must not raise here.
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def describe_route(route: Route) -> str:
    """One line for logs and the replay summary: what a route matches."""
    parts = [
        f"{label} {', '.join(values)}"
        for label, values in (
            ("tables", route.tables),
            ("kinds", route.kinds),
            ("access", route.access),
            ("accounts", route.accounts),
        )
        if values
    ]
    return f"route {route.name!r}: " + ("; ".join(parts) if parts else "every alert")
