"""CloudTrail records go through the deployed pipeline: PutLogEvents into the trail's log group, the
payload moto builds for the subscription filter, the handler from the committed zip with the function's
own environment (SSM read from the emulator), and the local webhook receiver."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.e2e.deployment import Deployment
from tools.sandbox import ACCOUNT, HandlerRun, cloudtrail_record, role_session, table_arn
from tools.webhook_receiver import ReceivedRequest

pytestmark = pytest.mark.e2e

SSO_ROLE = "AWSReservedSSO_AdministratorAccess_5f1a2b3c4d5e6f70"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"
OUTSIDER_ROLE = "ops-engineer"


def role_from_pattern(pattern: str) -> tuple[str, str]:
    """A concrete (role name, path) that an allow-list role pattern matches."""
    m = re.fullmatch(r"arn:aws:iam::(?:\d{12}|\*):role(/.*/|/)([^/]+)", pattern)
    assert m, f"expected a role ARN pattern, got {pattern!r}"
    path, name = m.group(1).replace("*", "x"), m.group(2).replace("*", "x")
    return name, path


def allowed_data_role(d: Deployment) -> tuple[str, str]:
    exact = [p for p in d.variables["allowed_role_arns"] if ":role/" in p and "*" not in p]
    assert exact, "prod.tfvars should allow at least one service role by exact ARN"
    return role_from_pattern(exact[0])


def allowed_management_role(d: Deployment) -> tuple[str, str]:
    roles = [p for p in d.variables["allowed_management_role_arns"] if ":role/" in p]
    assert roles, "prod.tfvars should allow a deployment role for management events"
    return role_from_pattern(roles[0])


def first_table(d: Deployment) -> str:
    return str(d.variables["table_names"][0])


def result_of(run: HandlerRun) -> dict[str, Any]:
    assert run.ok, f"handler failed (exit {run.returncode}):\n{run.stderr[-3000:]}"
    line = next(x for x in run.stdout.splitlines() if x.startswith("HANDLER_RESULT "))
    parsed: dict[str, Any] = json.loads(line.removeprefix("HANDLER_RESULT "))
    return parsed


def texts(messages: list[ReceivedRequest]) -> str:
    return "\n\n".join(m.text for m in messages)


def data_event(d: Deployment, name: str, identity: dict[str, Any], *, read_only: bool) -> dict[str, Any]:
    table = first_table(d)
    params: dict[str, Any] = {"tableName": table}
    if name in ("PutItem", "UpdateItem", "DeleteItem", "GetItem"):
        params["key"] = {"orderId": {"S": "ord-1001"}}
    return cloudtrail_record(
        name, identity, table_arn=table_arn(table), request_parameters=params, read_only=read_only
    )


def stop_logging(d: Deployment, identity: dict[str, Any]) -> dict[str, Any]:
    return cloudtrail_record(
        "StopLogging",
        identity,
        event_source="cloudtrail.amazonaws.com",
        request_parameters={"name": d.outputs["trail_arn"]},
        data_event=False,
    )


def delete_table(d: Deployment, identity: dict[str, Any]) -> dict[str, Any]:
    table = first_table(d)
    return cloudtrail_record(
        "DeleteTable",
        identity,
        request_parameters={"tableName": table},
        resources=[{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table", "ARN": table_arn(table)}],
        data_event=False,
    )


def test_allowed_service_role_write_sends_nothing(deployment: Deployment) -> None:
    name, path = allowed_data_role(deployment)
    record = data_event(deployment, "PutItem", role_session(name, "i-0abc123", path=path), read_only=False)
    run, messages = deployment.deliver([record])
    result = result_of(run)
    assert (result["alert"], result["allowed"]) == (0, 1), result
    assert messages == []


def test_sso_admin_update_and_scan_raise_alerts_naming_who_and_which_table(deployment: Deployment) -> None:
    person = role_session(SSO_ROLE, "alice@example.com", path=SSO_PATH)
    records = [
        data_event(deployment, "UpdateItem", person, read_only=False),
        data_event(deployment, "Scan", person, read_only=True),
    ]
    run, messages = deployment.deliver(records)
    result = result_of(run)
    assert result["alert"] == 2 and result["allowed"] == 0, result
    assert messages, "alerts should reach the webhook"
    assert all(m.status == 200 for m in messages)
    text = texts(messages)
    assert SSO_ROLE in text and "alice@example.com" in text
    assert first_table(deployment) in text
    assert "UpdateItem" in text and "Scan" in text


def test_tamper_and_control_plane_by_outsider_arrive_marked(deployment: Deployment) -> None:
    outsider = role_session(OUTSIDER_ROLE, "bob")
    run, messages = deployment.deliver(
        [stop_logging(deployment, outsider), delete_table(deployment, outsider)]
    )
    result = result_of(run)
    assert result["alert"] == 2, result
    assert len(messages) >= 2, "tamper and control-plane alerts are never grouped together"
    text = texts(messages)
    assert "TAMPER" in text and "StopLogging" in text
    assert re.search(r"control[- ]plane", text, re.IGNORECASE) and "DeleteTable" in text
    assert OUTSIDER_ROLE in text


def test_same_management_events_by_allowed_management_role_are_quiet(deployment: Deployment) -> None:
    name, path = allowed_management_role(deployment)
    deployer = role_session(name, "terraform-apply", path=path)
    run, messages = deployment.deliver(
        [stop_logging(deployment, deployer), delete_table(deployment, deployer)]
    )
    result = result_of(run)
    assert (result["alert"], result["allowed"]) == (0, 2), result
    assert messages == []


def test_data_allow_list_does_not_allow_management_calls(deployment: Deployment) -> None:
    name, path = allowed_data_role(deployment)
    service = role_session(name, "i-0abc123", path=path)
    run, messages = deployment.deliver([delete_table(deployment, service)])
    assert result_of(run)["alert"] == 1
    assert "DeleteTable" in texts(messages)


def test_webhook_failure_fails_the_invocation(deployment: Deployment) -> None:
    # A person of their own: alice's writes above opened a digest window, which would hold this alert back
    # (counted in the ledger, nothing posted) instead of posting it (docs/delivery.md, "Digest windows").
    person = role_session(SSO_ROLE, "erin@example.com", path=SSO_PATH)
    deployment.receiver.respond_with(500)
    try:
        # A short budget: the handler retries 5xx until its deadline, then must fail, not drop. (15 s: the
        # cold start reads every destination's parameters first, and a busy machine makes that slow.)
        run, messages = deployment.deliver(
            [data_event(deployment, "DeleteItem", person, read_only=False)], budget=15
        )
    finally:
        deployment.receiver.respond_with(200)
    assert run.returncode != 0, "an undeliverable alert must fail the invocation"
    assert messages and all(m.status == 500 for m in messages)
    assert deployment.receiver.url not in run.stderr + run.stdout


def test_webhook_url_never_appears_in_function_output(deployment: Deployment) -> None:
    assert deployment.handler_runs, "runs above should have been recorded"
    for run in deployment.handler_runs:
        assert deployment.receiver.url not in run.stdout + run.stderr
        assert "local-test-hook" not in run.stdout + run.stderr
