"""Which tables are watched: exact tables and families, by name or by ARN.

The configuration document lists watched tables as ARNs (the module builds them); the replay command also
takes plain names. An entry ending in ``*`` is a *family*: every table whose name starts with what precedes
the ``*`` (``tenant-*``, ``arn:aws:dynamodb:eu-west-1:111122223333:table/tenant-*``), now and in the future,
exactly as the trail's ``resources.ARN`` ``starts_with`` selects it. A family is treated like a listed table
everywhere: data events, stream reads (their ARNs are resolved to the table's), control-plane calls.

Matching one table of a record (its name, and its ARN when the record tells or implies where it lives):

* a name entry (exact or family) matches the name in any account and Region;
* an ARN entry matches the record's table ARN exactly, or by prefix for a family;
* a table without any ARN (an old record without account or Region) matches an ARN entry of the same name
  or family prefix: the location is unknown, so it fails closed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from access_alerts.allowlist import PatternError
from access_alerts.identity import split_arn

_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,255}")
_FAMILY = re.compile(r"[A-Za-z0-9_.\-]{1,254}\*")
_HINT = (
    "a table name, a family NAMEPREFIX*, or a DynamoDB table ARN "
    "(arn:aws:dynamodb:REGION:ACCOUNT:table/NAME, or .../table/NAMEPREFIX* for a family)"
)


def _table_part(entry: str) -> str | None:
    """``NAME`` or ``NAMEPREFIX*`` from a table ARN entry; None if it is not one (index, stream, ...)."""
    parts = split_arn(entry)
    if parts is None or parts[1] != "dynamodb" or not parts[2] or not parts[3]:
        return None
    if not parts[4].startswith("table/"):
        return None
    return parts[4][len("table/") :]


class WatchedTables:
    """The ``tables`` of the configuration, compiled for matching. Raises :class:`PatternError`."""

    __slots__ = ("_arn_name_prefixes", "_arn_names", "_arn_prefixes", "_arns", "_name_prefixes", "_names")

    def __init__(self, entries: Iterable[str]) -> None:
        names: set[str] = set()
        name_prefixes: set[str] = set()
        arns: set[str] = set()
        arn_names: set[str] = set()
        arn_prefixes: set[str] = set()
        arn_name_prefixes: set[str] = set()
        for entry in entries:
            if not isinstance(entry, str) or not entry:
                raise PatternError(f"tables entry {entry!r} is not {_HINT}")
            table = _table_part(entry) if entry.startswith("arn:") else entry
            if table is None:
                raise PatternError(f"tables entry {entry!r} is not {_HINT}")
            family = _FAMILY.fullmatch(table) is not None
            if not family and _NAME.fullmatch(table) is None:
                raise PatternError(f"tables entry {entry!r} is not {_HINT}")
            if entry.startswith("arn:"):
                if family:
                    arn_prefixes.add(entry[:-1])
                    arn_name_prefixes.add(table[:-1])
                else:
                    arns.add(entry)
                    arn_names.add(table)
            elif family:
                name_prefixes.add(table[:-1])
            else:
                names.add(table)
        self._names = frozenset(names)
        self._name_prefixes = tuple(sorted(name_prefixes))
        self._arns = frozenset(arns)
        self._arn_names = frozenset(arn_names)
        self._arn_prefixes = tuple(sorted(arn_prefixes))
        self._arn_name_prefixes = tuple(sorted(arn_name_prefixes))

    def watches(self, name: str, arns: Sequence[str]) -> bool:
        """Whether table ``name`` is watched; ``arns`` are the ARNs the record gives or implies for it.
        (``str.startswith`` with an empty tuple is False: a kind of entry that is not used costs nothing.)"""
        if name in self._names or name.startswith(self._name_prefixes):
            return True
        if arns:
            return any(a in self._arns or a.startswith(self._arn_prefixes) for a in arns)
        return name in self._arn_names or name.startswith(self._arn_name_prefixes)
