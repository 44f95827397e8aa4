"""Builders of the model's objects (Principal, AccessEvent, Decision) for the grouping, delivery and
Slack tests: one realistic default for every field, overridable by keyword."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from access_alerts.model import Access, AccessEvent, AlertKind, Decision, Principal

ACCOUNT = "111122223333"
REGION = "eu-west-1"


def role_principal(
    session: str = "alice@example.com",
    role: str = "AWSReservedSSO_DataScientist_0123456789abcdef",
    path: str = "/aws-reserved/sso.amazonaws.com/",
    account: str = ACCOUNT,
) -> Principal:
    return Principal(
        type="AssumedRole",
        arn=f"arn:aws:iam::{account}:role{path}{role}",
        display=f"role/{role} ({session})",
        account_id=account,
        session_name=session,
        session_arn=f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
    )


def user_principal(name: str = "bob", account: str = ACCOUNT) -> Principal:
    return Principal(
        type="IAMUser", arn=f"arn:aws:iam::{account}:user/{name}", display=f"user/{name}", account_id=account
    )


def access_event(
    *,
    principal: Principal | None = None,
    api: str = "GetItem",
    access: Access = "read",
    table: str = "Orders",
    event_id: str | None = "11111111-2222-3333-4444-555555555555",
    time: str = "2026-11-25T09:00:00Z",
    keys: tuple[Mapping[str, Any], ...] = ({"pk": {"S": "customer#42"}},),
    source_ip: str = "203.0.113.7",
    user_agent: str = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1",
    category: str = "data",
    region: str = REGION,
    **extra: Any,
) -> AccessEvent:
    return AccessEvent(
        event_id=event_id,
        event_name=api,
        event_source="dynamodb.amazonaws.com",
        category=category,  # type: ignore[arg-type]
        access=access,
        principal=principal or role_principal(),
        tables=(table,) if table else (),
        table_arns=(f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}",) if table else (),
        event_time=time,
        region=region,
        account_id=ACCOUNT,
        source_ip=source_ip,
        user_agent=user_agent,
        keys=keys,
        **extra,
    )


def alert(
    event: AccessEvent | None = None,
    kind: AlertKind = "data",
    reason: str = "principal is not on the allow-list",
    source_id: str | None = None,
    event_id: str | None = None,
) -> Decision:
    return Decision(
        kind="alert",
        reason=reason,
        event=event,
        alert_kind=kind,
        source_id=source_id,
        event_id=event_id if event_id is not None else (event.event_id if event else None),
    )


def allowed(event: AccessEvent, entry: str = "arn:aws:iam::111122223333:role/app") -> Decision:
    return Decision(
        kind="allowed", reason=f"matched {entry}", event=event, matched=entry, event_id=event.event_id
    )


def ignored(event: AccessEvent | None = None) -> Decision:
    return Decision(kind="ignored", reason="not a monitored table", event=event)


def storm(
    count: int,
    *,
    principal: Principal | None = None,
    table: str = "Orders",
    api: str = "Scan",
    access: Access = "read",
    id_prefix: str = "e",
) -> list[Decision]:
    p = principal or role_principal()
    return [
        alert(
            access_event(
                principal=p,
                api=api,
                access=access,
                table=table,
                event_id=f"{id_prefix}-{i:06d}",
                time=f"2026-11-25T09:{(i // 60) % 60:02d}:{i % 60:02d}Z",
                keys=({"pk": {"S": f"item#{i}"}},),
            )
        )
        for i in range(count)
    ]
