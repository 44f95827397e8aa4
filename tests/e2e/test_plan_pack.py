"""The plans the policy pack is proven on (tools/compliance.py, the compliance stage): the first plan of
the shared deployment (examples/complete, prod variables, saved before its apply) and the first plan of a
root holding resources of its own next to the module (tests/fixtures/roots/own_resources, planned here and
never applied). The steady plan after apply is saved by test_lifecycle.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.deployment import PLAN_JSON, Deployment
from tools.sandbox import REPO, Emulator, Workspace

pytestmark = pytest.mark.e2e

OWN_ROOT = REPO / "tests" / "fixtures" / "roots" / "own_resources"
FIRST_PLAN_JSON = PLAN_JSON.with_name("plan-first.json")
OWN_FIRST_PLAN_JSON = PLAN_JSON.with_name("plan-own-first.json")


def _unknown(plan: dict[str, Any], resource_type: str, attribute: str) -> bool:
    return any(
        rc["change"]["after_unknown"].get(attribute) is True
        for rc in plan["resource_changes"]
        if rc["type"] == resource_type and rc.get("mode") == "managed"
    )


def _save(path: Path, plan: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plan))


def test_first_plan_of_the_shared_deployment_is_saved(deployment: Deployment) -> None:
    plan = deployment.first_plan
    actions = {
        tuple(rc["change"]["actions"]) for rc in plan["resource_changes"] if rc.get("mode") == "managed"
    }
    assert actions == {("create",)}, f"the first plan should only create: {actions}"
    # What makes a first plan hard for the pack: the key's ARN and the role policies are not known yet.
    assert _unknown(plan, "aws_cloudwatch_log_group", "kms_key_id")
    assert _unknown(plan, "aws_iam_role_policy", "policy")
    assert deployment.receiver.url not in json.dumps(plan)
    _save(FIRST_PLAN_JSON, plan)


def test_first_plan_of_a_root_with_resources_of_its_own_is_saved(
    emulator: Emulator, e2e_workdir: Path
) -> None:
    workspace = Workspace(OWN_ROOT, e2e_workdir, emulator, name="own-resources")
    workspace.init()
    workspace.plan(out="first.tfplan")
    plan = workspace.show("first.tfplan")
    own = {rc["type"] for rc in plan["resource_changes"] if not rc.get("module_address")}
    assert {"aws_iam_role_policy", "aws_cloudwatch_log_group", "aws_cloudtrail", "aws_sqs_queue"} <= own
    assert any(rc.get("module_address") == "module.alerts" for rc in plan["resource_changes"])
    assert _unknown(plan, "aws_cloudtrail", "kms_key_id")
    _save(OWN_FIRST_PLAN_JSON, plan)
