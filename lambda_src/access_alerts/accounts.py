"""Which AWS accounts an alert concerns, by ID and friendly name, and whether a console link can work.

With an organization trail (or tables in several accounts) one deployment alerts on many accounts. Every
format shows each account as its 12-digit ID, with the name the document's ``account_names`` gives it beside
the ID. Names come from the module's variables, not from records, but they are still shown through each
format's escaping like any other text (a name like ``<!here>`` must not ping a channel).

A CloudTrail console link opens the event in the account the reader is signed in to. An event of another
account than the deployment's own (``home``) is not there, so instead of a link that cannot work the alert
says which account to open it in (:func:`elsewhere`). Without a known home every link is kept, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .grouping import AlertGroup

NAME_LIMIT: Final = 64  # the module accepts names of at most 64 characters; longer ones are cut when shown


@dataclass(frozen=True, slots=True)
class Accounts:
    """Friendly names of accounts (ID -> name) and the account the deployment runs in, if known."""

    names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    home: str | None = None

    def name(self, account_id: str | None) -> str | None:
        return self.names.get(account_id) if account_id else None


NO_ACCOUNTS: Final = Accounts()


def group_accounts(group: AlertGroup) -> tuple[str, ...]:
    """The accounts of the group's events (``recipientAccountId``), else the caller's account."""
    if group.account_ids:
        return group.account_ids
    if group.principal is not None and group.principal.account_id:
        return (group.principal.account_id,)
    return ()


def event_accounts(group: AlertGroup) -> tuple[str, ...]:
    """The accounts the group's events happened in: their ``recipientAccountId`` and the accounts of the
    table ARNs, in order, without repeats."""
    seen: dict[str, None] = dict.fromkeys(group.account_ids)
    for arn in group.table_arns:
        parts = arn.split(":")
        if len(parts) > 4 and parts[4]:
            seen.setdefault(parts[4])
    return tuple(seen)


def elsewhere(group: AlertGroup, accounts: Accounts) -> tuple[str, ...]:
    """The accounts of the group's events that are not the deployment's own: a console link cannot show
    these events from here. Empty when the home account is unknown or every event is at home."""
    if accounts.home is None:
        return ()
    return tuple(a for a in event_accounts(group) if a != accounts.home)


def named_ids(ids: tuple[str, ...], accounts: Accounts) -> dict[str, str]:
    """ID -> name for the given IDs that have a name (for the JSON format)."""
    return {a: name for a in ids if (name := accounts.name(a)) is not None}
