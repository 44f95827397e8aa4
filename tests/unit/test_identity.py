"""resolve_principal for every userIdentity shape CloudTrail writes, and odd ones."""

from __future__ import annotations

from typing import Any

import pytest

from access_alerts.identity import pathless_role_arn, resolve_principal, role_path_known

A = "111122223333"


def session(
    role: str, sess: str, path: str = "", issuer: bool = True, typ: str = "AssumedRole"
) -> dict[str, Any]:
    ui: dict[str, Any] = {
        "type": typ,
        "principalId": f"AROAEXAMPLE:{sess}",
        "accountId": A,
        "arn": f"arn:aws:sts::{A}:assumed-role/{role}/{sess}",
    }
    if issuer:
        ui["sessionContext"] = {
            "sessionIssuer": {
                "type": "Role",
                "arn": f"arn:aws:iam::{A}:role/{path}{role}",
                "accountId": A,
                "userName": role,
            }
        }
    return ui


def test_assumed_role_with_issuer_keeps_path_and_session() -> None:
    p = resolve_principal(session("orders-writer", "api-1", path="service/"))
    assert p.arn == f"arn:aws:iam::{A}:role/service/orders-writer"
    assert p.session_arn == f"arn:aws:sts::{A}:assumed-role/orders-writer/api-1"
    assert p.session_name == "api-1"
    assert p.account_id == A
    assert p.display == "role/orders-writer (api-1)"
    assert p.identified


def test_assumed_role_without_issuer_derives_role_from_sts_arn() -> None:
    ui = session("orders-writer", "api-1", issuer=False)
    p = resolve_principal(ui)
    assert p.arn == f"arn:aws:iam::{A}:role/orders-writer"
    assert p.session_name == "api-1"
    assert not role_path_known(ui)
    assert role_path_known(session("r", "s", path="a/b/"))


def test_sso_permission_set_role_with_region_segment() -> None:
    path = "aws-reserved/sso.amazonaws.com/eu-west-1/"
    p = resolve_principal(session("AWSReservedSSO_ReadOnly_0123456789abcdef", "alice@example.com", path=path))
    assert p.arn == f"arn:aws:iam::{A}:role/{path}AWSReservedSSO_ReadOnly_0123456789abcdef"
    assert p.display == "role/AWSReservedSSO_ReadOnly_0123456789abcdef (alice@example.com)"
    assert pathless_role_arn(p.arn) == f"arn:aws:iam::{A}:role/AWSReservedSSO_ReadOnly_0123456789abcdef"


def test_type_field_is_not_trusted_over_arn() -> None:
    p = resolve_principal(session("r1", "s1", typ="IAMUser"))
    assert p.arn == f"arn:aws:iam::{A}:role/r1"
    assert p.session_name == "s1"


def test_iam_user_root_federated_user() -> None:
    u = resolve_principal(
        {"type": "IAMUser", "arn": f"arn:aws:iam::{A}:user/ops/alice", "accountId": A, "userName": "alice"}
    )
    assert (u.arn, u.display) == (f"arn:aws:iam::{A}:user/ops/alice", "user/ops/alice")
    r = resolve_principal({"type": "Root", "arn": f"arn:aws:iam::{A}:root", "accountId": A})
    assert r.arn == f"arn:aws:iam::{A}:root"
    assert r.display == f"root ({A})"
    f = resolve_principal(
        {"type": "FederatedUser", "arn": f"arn:aws:sts::{A}:federated-user/dave", "accountId": A}
    )
    assert (f.arn, f.session_name, f.display) == (
        f"arn:aws:sts::{A}:federated-user/dave",
        "dave",
        "federated-user/dave",
    )


def test_aws_service() -> None:
    p = resolve_principal({"type": "AWSService", "invokedBy": "dynamodb.amazonaws.com"})
    assert (p.arn, p.service, p.display, p.identified) == (
        None,
        "dynamodb.amazonaws.com",
        "dynamodb.amazonaws.com",
        True,
    )
    nameless = resolve_principal({"type": "AWSService"})
    assert not nameless.identified


def test_aws_account_without_arn() -> None:
    p = resolve_principal({"type": "AWSAccount", "principalId": "AIDAEXAMPLE", "accountId": "444455556666"})
    assert p.arn is None
    assert p.account_id == "444455556666"
    assert p.display == "account 444455556666 (AIDAEXAMPLE)"
    assert p.identified


def test_identity_center_user() -> None:
    p = resolve_principal(
        {
            "type": "IdentityCenterUser",
            "accountId": A,
            "onBehalfOf": {
                "userId": "u-1",
                "identityStoreArn": f"arn:aws:identitystore::{A}:identitystore/d-1234",
            },
        }
    )
    assert p.arn is None
    assert p.session_name == "u-1"
    assert p.display == "Identity Center user u-1 (d-1234)"
    assert p.identified


def test_session_with_issuer_but_no_sts_arn() -> None:
    p = resolve_principal(
        {
            "type": "AssumedRole",
            "principalId": "AROAX:sess-9",
            "sessionContext": {"sessionIssuer": {"arn": f"arn:aws:iam::{A}:role/p/r2", "type": "Role"}},
        }
    )
    assert p.arn == f"arn:aws:iam::{A}:role/p/r2"
    assert p.session_name == "sess-9"


@pytest.mark.parametrize(
    "ui",
    [
        None,
        "AssumedRole",
        5,
        [],
        {},
        {"type": 3},
        {"type": "AssumedRole"},
        {"arn": ""},
        {"sessionContext": "x"},
    ],
)
def test_missing_or_odd_user_identity_is_unidentified(ui: object) -> None:
    p = resolve_principal(ui)
    assert not p.identified
    assert p.arn is None
    assert p.display


def test_unhashable_values_do_not_break_resolution() -> None:
    p = resolve_principal({"type": ["x"], "arn": {"a": 1}, "accountId": A})
    assert p.type == "Unknown"
    assert p.display == f"account {A}"


def test_unknown_arn_shape_is_kept() -> None:
    p = resolve_principal({"type": "Unknown", "arn": "arn:aws:something::1:thing/x"})
    assert p.arn == "arn:aws:something::1:thing/x"


def test_resolution_is_cached_and_consistent() -> None:
    ui = session("cache-role", "s")
    assert resolve_principal(ui) is resolve_principal(dict(ui))
    other = session("cache-role", "s", path="p/")
    assert resolve_principal(other).arn == f"arn:aws:iam::{A}:role/p/cache-role"


def test_hostile_session_name_is_kept_verbatim() -> None:
    p = resolve_principal(session("r", "<!channel>&<https://x|y>"))
    assert p.session_name == "<!channel>&<https://x|y>"
    assert p.display == "role/r (<!channel>&<https://x|y>)"  # escaping is the formatter's job
