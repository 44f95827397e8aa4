"""tools/plan_pack.py without terraform-compliance: what it reads from the pack, how it scopes and prepares
a plan, and which checks it defers (the compliance stage runs the pack itself on real plans)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tools import plan_pack
from tools.plan_pack import MARKER

CHECKS = plan_pack.read_checks(plan_pack.FEATURES)
SIGNATURE = {name: {} for name in plan_pack.SIGNATURE_VARIABLES}


def _rc(
    address: str, after: dict[str, Any], unknown: dict[str, Any], *, mode: str = "managed"
) -> dict[str, Any]:
    module, _, local = address.rpartition(".data." if mode == "data" else ".aws_")
    local = local if mode == "data" else "aws_" + local
    rtype, _, name = local.partition(".")
    return {
        "address": address,
        "module_address": module or None,
        "mode": mode,
        "type": rtype,
        "name": name.split("[")[0],
        "change": {
            "actions": ["read" if mode == "data" else "create"],
            "after": after,
            "after_unknown": unknown,
        },
    }


def _plan(changes: list[dict[str, Any]], resources: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "resource_changes": changes,
        "configuration": {
            "root_module": {
                "resources": [
                    {"address": "aws_cloudwatch_log_group.app", "type": "aws_cloudwatch_log_group"}
                ],
                "module_calls": {
                    "alerts": {
                        "source": "../..",
                        "module": {"variables": SIGNATURE, "resources": resources or []},
                    }
                },
            }
        },
    }


def _check(scenario: str) -> list[plan_pack.Check]:
    return [c for c in CHECKS if c.scenario == scenario]


def test_the_pack_is_read_from_its_feature_files() -> None:
    (kms,) = _check("Log groups are encrypted with a KMS key")
    assert (kms.types, kms.path, kms.reads_value) == (("aws_cloudwatch_log_group",), ("kms_key_id",), True)
    (actions,) = _check("No wildcard actions in inline role policies")
    assert actions.types == ("aws_iam_role_policy", "aws_iam_policy")
    assert actions.path == ("policy", "Statement", "Action")
    widening = _check("No selector widens by suffix")
    assert {c.path[-1] for c in widening if c.absent} == {"ends_with", "not_ends_with"}
    (family,) = [
        c
        for c in _check("A family selects tables by a non-empty table-name prefix, nothing wider")
        if c.reads_value
    ]
    assert family.path == ("advanced_event_selector", "field_selector", "starts_with")


def test_module_calls_are_found_by_the_module_variables_nested_or_not() -> None:
    plan = _plan([])
    inner = plan["configuration"]["root_module"]["module_calls"].pop("alerts")
    plan["configuration"]["root_module"]["module_calls"]["platform"] = {
        "module": {"module_calls": {"a": inner}}
    }
    assert plan_pack.find_module_calls(plan) == ["module.platform.module.a"]
    assert plan_pack.in_scope('module.platform["x"].module.a', ["module.platform.module.a"])
    assert plan_pack.in_scope("module.platform.module.a.module.selectors", ["module.platform.module.a"])
    assert not plan_pack.in_scope("module.platform", ["module.platform.module.a"])
    assert not plan_pack.in_scope(None, ["module.platform.module.a"])
    with pytest.raises(LookupError, match="--module"):
        plan_pack.prepare({"configuration": {"root_module": {}}}, CHECKS)


def test_unknown_values_are_deferred_with_their_source_and_known_ones_decided() -> None:
    changes = [
        _rc("module.alerts.aws_cloudwatch_log_group.trail", {"retention_in_days": 90}, {"kms_key_id": True}),
        _rc(
            "module.alerts.aws_cloudwatch_log_group.lambda", {"retention_in_days": 0, "kms_key_id": None}, {}
        ),
        _rc("aws_cloudwatch_log_group.app", {"retention_in_days": 0}, {"kms_key_id": True}),
    ]
    resources = [
        {
            "address": "aws_cloudwatch_log_group.trail",
            "type": "aws_cloudwatch_log_group",
            "name": "trail",
            "expressions": {"kms_key_id": {"references": ["local.kms_key_arn"]}},
        }
    ]
    prepared = plan_pack.prepare(_plan(changes, resources), CHECKS)
    kept = {rc["address"]: rc["change"]["after"] for rc in prepared.plan["resource_changes"]}
    assert set(kept) == {
        "module.alerts.aws_cloudwatch_log_group.trail",
        "module.alerts.aws_cloudwatch_log_group.lambda",
    }
    assert kept["module.alerts.aws_cloudwatch_log_group.trail"]["kms_key_id"] == MARKER
    assert kept["module.alerts.aws_cloudwatch_log_group.lambda"]["kms_key_id"] is None  # known: no key
    deferred = plan_pack.deferred_checks(prepared, CHECKS)
    assert [str(d) for d in deferred] == [
        "Log groups are encrypted with a KMS key: module.alerts.aws_cloudwatch_log_group.trail kms_key_id "
        "is known after apply (from local.kms_key_arn)"
    ]


def test_a_role_policy_read_at_apply_is_rebuilt_from_its_planned_document() -> None:
    statement = {
        "sid": "SendToQueue",
        "effect": "Allow",
        "actions": ["sqs:SendMessage"],
        "resources": [None],
        "not_actions": None,
        "not_resources": None,
        "principals": [],
        "not_principals": [],
        "condition": [],
    }
    changes = [
        _rc("module.alerts.aws_iam_role_policy.lambda", {"name": "x"}, {"policy": True}),
        _rc(
            "module.alerts.data.aws_iam_policy_document.lambda",
            {"statement": [statement]},
            {"statement": [{"resources": [True]}], "json": True},
            mode="data",
        ),
    ]
    resources = [
        {
            "address": "aws_iam_role_policy.lambda",
            "type": "aws_iam_role_policy",
            "name": "lambda",
            "expressions": {"policy": {"references": ["data.aws_iam_policy_document.lambda.json"]}},
        },
        {
            "address": "data.aws_iam_policy_document.lambda",
            "mode": "data",
            "type": "aws_iam_policy_document",
            "name": "lambda",
            "expressions": {
                "statement": [
                    {
                        "sid": {"constant_value": "SendToQueue"},
                        "resources": {"references": ["aws_sqs_queue.this.arn"]},
                    }
                ]
            },
        },
    ]
    prepared = plan_pack.prepare(_plan(changes, resources), CHECKS)
    (policy,) = [rc for rc in prepared.plan["resource_changes"] if rc["type"] == "aws_iam_role_policy"]
    document = json.loads(policy["change"]["after"]["policy"])
    assert document["Statement"] == [
        {"Sid": "SendToQueue", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [MARKER]}
    ]
    assert prepared.rebuilt_policies == ["module.alerts.aws_iam_role_policy.lambda"]
    deferred = plan_pack.deferred_checks(prepared, CHECKS)
    # The actions are known: the wildcard check is decided; only the resource waits for the queue's ARN.
    assert [(d.scenario, d.attribute, d.source) for d in deferred] == [
        (
            "Role policies name their resources",
            "policy.Statement[SendToQueue].Resource",
            "aws_sqs_queue.this.arn",
        )
    ]


def test_an_unknown_block_a_check_reads_through_is_opened_and_deferred() -> None:
    changes = [
        _rc(
            "module.alerts.aws_cloudtrail.this",
            {
                "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/k",
                "advanced_event_selector": [{"name": "n"}],
            },
            {"advanced_event_selector": [{"field_selector": True}]},
        )
    ]
    prepared = plan_pack.prepare(_plan(changes), CHECKS)
    (trail,) = prepared.plan["resource_changes"]
    field_selector = trail["change"]["after"]["advanced_event_selector"][0]["field_selector"]
    assert (
        field_selector[MARKER] == MARKER
        and field_selector["field"] == MARKER
        and field_selector["equals"] == MARKER
    )
    scenarios = {d.scenario for d in plan_pack.deferred_checks(prepared, CHECKS)}
    assert scenarios == {
        "Selectors use only the fields this product needs",
        "Selected values are DynamoDB tables, given by exact ARN, and writes",
        "A family selects tables by a non-empty table-name prefix, nothing wider",
        "No selector widens by suffix",
    }


def test_empty_lists_are_dropped_so_a_scenario_for_a_property_nobody_sets_is_skipped() -> None:
    selector = {"field": "eventCategory", "equals": ["Data"], "starts_with": [], "ends_with": []}
    after = {"advanced_event_selector": [{"field_selector": [selector]}]}
    (trail,) = plan_pack.prepare(_plan([_rc("module.alerts.aws_cloudtrail.this", after, {})]), CHECKS).plan[
        "resource_changes"
    ]
    assert trail["change"]["after"]["advanced_event_selector"] == [
        {"field_selector": [{"field": "eventCategory", "equals": ["Data"]}]}
    ]


def test_a_steady_plan_defers_nothing() -> None:
    changes = [
        _rc(
            "module.alerts.aws_cloudwatch_log_group.trail",
            {"retention_in_days": 90, "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/k"},
            {},
        )
    ]
    prepared = plan_pack.prepare(_plan(changes), CHECKS)
    assert plan_pack.deferred_checks(prepared, CHECKS) == []
