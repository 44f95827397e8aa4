"""The allow-list language: IAM-style ARN patterns with ``*`` wildcards, and AWS service principal names.

The accepted shapes are the ones in ``rules.json`` (Terraform checks plans against the same expressions).
``*`` matches any run of characters, ``/`` included; the whole ARN must match, case-sensitively. A role
pattern matches a session of the role through the role ARN with its path, the role ARN without its path, or
the STS session ARN; when the record does not show the role's path, a pattern written with a path matches
only if it names the role exactly (docs/allow-list.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from access_alerts import rules
from access_alerts.identity import pathless_role_arn
from access_alerts.model import Principal


class PatternError(ValueError):
    """An allow-list pattern or watched table entry is not valid; the message names the entry."""


def check_pattern(entry: object, label: str) -> str:
    """``entry`` when it has one of the accepted shapes, else PatternError naming ``label`` and the entry."""
    if not isinstance(entry, str) or not rules.allow_list_shape().fullmatch(entry):
        raise PatternError(
            f"{label} entry {entry!r} is not an IAM role/user/root, STS assumed-role/federated-user "
            "ARN pattern or an AWS service principal name (e.g. arn:aws:iam::123456789012:role/NAME, "
            "dynamodb.amazonaws.com)"
        )
    return entry


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def _strip_role_path(pattern: str) -> str | None:
    """``arn:P:iam::A:role/a/b/NAME`` -> ``arn:P:iam::A:role/NAME``, for records that do not show the role's
    path. None when the pattern has no path, or when it does not pin the role's name exactly: with a
    wildcard in the name (``role/service/billing-*``, ``.../sso.amazonaws.com/*AWSReservedSSO_ReadOnly_*``)
    the path is what restricts the pattern, and without it ``billing-admin`` under any path (or a customer
    role named ``x-AWSReservedSSO_ReadOnly_1``) would be allowed. Role names are unique in an account, so an
    exact name without its path still names one role."""
    head, sep, rest = pattern.partition(":role/")
    if not sep or "/" not in rest:
        return None
    name = rest.rsplit("/", 1)[-1]
    if not name or "*" in name:
        return None
    return f"{head}:role/{name}"


class _ArnEntry:
    __slots__ = ("entry", "pathless", "rx")

    def __init__(self, entry: str) -> None:
        self.entry = entry
        self.rx = _glob(entry)
        stripped = _strip_role_path(entry)
        # Tried against the pathless role ARN when the record does not show the role's path.
        self.pathless = _glob(stripped) if stripped else None


class AllowList:
    """Compiled allow-list patterns. ``match`` returns the first entry that allows a principal."""

    __slots__ = ("_arn", "_service", "entries", "needs_path")

    def __init__(self, patterns: Sequence[str], *, label: str = "allow-list") -> None:
        self.entries: tuple[str, ...] = tuple(check_pattern(entry, label) for entry in patterns)
        self._arn = tuple(_ArnEntry(e) for e in self.entries if e.startswith("arn:"))
        self._service = tuple((e, _glob(e)) for e in self.entries if not e.startswith("arn:"))
        # Whether matching can depend on the record showing the role's path (see Policy._judge).
        self.needs_path = any(a.pathless is not None for a in self._arn)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def match(self, principal: Principal, *, path_known: bool = True) -> str | None:
        """The entry that allows ``principal``, or None.

        Not memoised: `make bench` measured 17 ms for 6,000 records without a memo and 2 ms with one,
        about 7% of deciding them (policy and bench allow-list of two entries); below the 10% that would
        pay for the cache.
        """
        if principal.arn is None:
            return self._match_service(principal)
        candidates = [principal.arn]
        pathless = pathless_role_arn(principal.arn)
        if pathless and pathless != principal.arn:
            candidates.append(pathless)
        if principal.session_arn and principal.session_arn != principal.arn:
            candidates.append(principal.session_arn)
        for arn_entry in self._arn:
            for candidate in candidates:
                if arn_entry.rx.fullmatch(candidate):
                    return arn_entry.entry
            if (
                arn_entry.pathless is not None
                and not path_known
                and pathless is not None
                and arn_entry.pathless.fullmatch(pathless)
            ):
                return arn_entry.entry
        return None

    def _match_service(self, principal: Principal) -> str | None:
        """Service patterns allow only AWS services acting on their own: ``userIdentity.type`` is
        ``AWSService`` and ``invokedBy`` names the service. ``invokedBy`` on a record of another type, or of
        no type, says only which service passed a call on, not who made it."""
        service = principal.service
        if not service or principal.type != "AWSService":
            return None
        for entry, rx in self._service:
            if rx.fullmatch(service):
                return entry
        return None
