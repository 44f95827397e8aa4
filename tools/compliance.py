"""Run the policy pack (tests/compliance, through tools/plan_pack.py) on the plans the e2e suite saves, and
prove that it can fail.

    python tools/compliance.py --terraform-compliance PATH [--plans DIR]

The e2e suite saves three plans of real roots on the emulator (``make e2e``):

- ``plan-first.json``: the first plan of examples/complete with envs/prod.tfvars (nothing applied yet);
- ``plan-own-first.json``: the first plan of a root that holds resources of its own next to the module
  (tests/fixtures/roots/own_resources), each of them one the pack would reject;
- ``plan.json``: the steady plan of examples/complete after apply (every value known).

1. The pack passes on each. The first plans name their deferred checks; the steady plan has none.
2. The root's own resources alone make the pack fail (so passing on that root means the scoping works).
3. Deliberately broken copies of the first and of the steady plan (a non-DynamoDB selector, a wildcard
   IAM action or resource, an unencrypted log group, a log group without retention, a webhook URL in the
   Lambda environment) must each make the pack fail.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tools import plan_pack  # noqa: E402

Plan = dict[str, Any]
FIRST, OWN, STEADY = "plan-first.json", "plan-own-first.json", "plan.json"
WEBHOOK = "https://hooks.slack.com/services/T0/B0/x"


def _changes(plan: Plan, resource_type: str) -> list[dict[str, Any]]:
    return [
        rc["change"]
        for rc in plan.get("resource_changes", [])
        if rc["type"] == resource_type and rc["change"].get("after") and rc.get("mode") != "data"
    ]


def _known(change: dict[str, Any], attribute: str, value: Any) -> None:
    """Set ``attribute`` to a known ``value`` in a planned change (no longer known only after apply)."""
    change["after"][attribute] = value
    change.setdefault("after_unknown", {})[attribute] = False


def _lambda_policy(plan: Plan) -> tuple[list[dict[str, Any]], dict[str, Any], bool]:
    """The statements that decide the module's ``aws_iam_role_policy.lambda``, the planned change holding
    them, and whether they are IAM JSON (the policy is known: steady plan) or the planned statement blocks
    of the policy document it is built from (first plan: the policy is known after apply)."""
    for rc in plan["resource_changes"]:
        if rc.get("mode") != "data" and rc["type"] == "aws_iam_role_policy" and rc["name"] == "lambda":
            policy = rc["change"]["after"].get("policy")
            if isinstance(policy, str):
                document = json.loads(policy)
                rc["change"]["after"]["policy"] = document  # written back as JSON by _commit
                return document["Statement"], rc["change"], True
    for rc in plan["resource_changes"]:
        if rc.get("mode") == "data" and rc["type"] == "aws_iam_policy_document" and rc["name"] == "lambda":
            return rc["change"]["after"]["statement"], rc["change"], False
    raise LookupError("no aws_iam_role_policy.lambda in the plan")


def _commit(change: dict[str, Any], is_json: bool) -> None:
    if is_json:
        change["after"]["policy"] = json.dumps(change["after"]["policy"])


def _selector_on_s3(plan: Plan) -> None:
    for selector in _changes(plan, "aws_cloudtrail")[0]["after"]["advanced_event_selector"]:
        for fs in selector["field_selector"]:
            if fs["field"] == "resources.type":
                fs["equals"] = ["AWS::S3::Object"]


def _wildcard_action(plan: Plan) -> None:
    statements, change, is_json = _lambda_policy(plan)
    if is_json:
        action = statements[0]["Action"]
        statements[0]["Action"] = [*(action if isinstance(action, list) else [action]), "dynamodb:*"]
    else:
        statements[0]["actions"] = [*statements[0]["actions"], "dynamodb:*"]
    _commit(change, is_json)


def _any_resource(plan: Plan) -> None:
    statements, change, is_json = _lambda_policy(plan)
    if is_json:
        statements[-1]["Resource"] = "*"
    else:
        statements[-1]["resources"] = ["*"]
        unknown = change.get("after_unknown", {}).get("statement")
        if isinstance(unknown, list) and len(unknown) == len(statements):
            unknown[-1]["resources"] = [False]
    _commit(change, is_json)


def _unencrypted_log_group(plan: Plan) -> None:
    _known(_changes(plan, "aws_cloudwatch_log_group")[0], "kms_key_id", None)


def _no_retention(plan: Plan) -> None:
    _known(_changes(plan, "aws_cloudwatch_log_group")[-1], "retention_in_days", 0)


def _webhook_in_environment(plan: Plan) -> None:
    change = _changes(plan, "aws_lambda_function")[0]
    environment = change["after"].get("environment") or [{}]
    variables = environment[0].get("variables") or {}
    _known(change, "environment", [{"variables": {**variables, "NOTIFY": WEBHOOK}}])


# Each breakage and the scenario of the pack that must fail on it.
BREAKAGES: dict[str, tuple[Callable[[Plan], None], str]] = {
    "trail selects S3 objects": (
        _selector_on_s3,
        "Selected values are DynamoDB tables, given by exact ARN, and writes",
    ),
    "IAM statement with a wildcard action": (_wildcard_action, "No wildcard actions in inline role policies"),
    "IAM statement on Resource *": (_any_resource, "Role policies name their resources"),
    "log group without KMS key": (_unencrypted_log_group, "Log groups are encrypted with a KMS key"),
    "log group without retention": (_no_retention, "Every log group has a retention period"),
    "webhook URL in the Lambda environment": (
        _webhook_in_environment,
        "No environment value looks like a webhook URL",
    ),
}
# The scenarios the own resources of tests/fixtures/roots/own_resources fail, checked as the module's.
OWN_RESOURCES_FAIL = (
    "Log groups are encrypted with a KMS key",
    "Every log group has a retention period",
    "The on-failure queue is encrypted with a KMS key",
    "SSM parameters are SecureStrings",
    "Keys the module creates rotate",
    "No wildcard actions in inline role policies",
    "Role policies name their resources",
    "No AWS managed policies attached (they grant more than the pipeline needs)",
    "Trails have no basic event selectors",
)


def failed_scenarios(output: str) -> set[str]:
    """The scenarios terraform-compliance reports a failure under (its text output, --no-ansi)."""
    failed: set[str] = set()
    scenario = ""
    for line in output.splitlines():
        stripped = line.strip()
        if stripped.startswith(("Scenario:", "Scenario Outline:")):
            scenario = stripped.split(":", 1)[1].strip()
        elif stripped.startswith("Failure:") and scenario:
            failed.add(scenario)
    return failed


def own_resources_only(plan: Plan) -> Plan:
    """The root's own resources (outside every module) as if they were the module's: the pack must reject
    them, which is what scoping protects the root from."""
    own = [rc for rc in plan["resource_changes"] if not rc.get("module_address")]
    root = plan["configuration"]["root_module"]
    return {
        "format_version": plan["format_version"],
        "terraform_version": plan["terraform_version"],
        "variables": plan.get("variables", {}),
        "configuration": {"root_module": {"resources": root.get("resources", [])}},
        "resource_changes": [
            {
                **rc,
                "change": {
                    **rc["change"],
                    "after": plan_pack.known_or_marked(rc["change"]),
                    "after_unknown": {},
                },
            }
            for rc in own
        ],
        "planned_values": {"root_module": {}},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--terraform-compliance", required=True, help="path of the terraform-compliance program"
    )
    parser.add_argument("--plans", type=Path, default=REPO / ".build", help="where the e2e saved the plans")
    parser.add_argument("--features", type=Path, default=plan_pack.FEATURES)
    args = parser.parse_args(argv)
    tool, features = args.terraform_compliance, args.features
    plans: dict[str, Plan] = {}
    for name in (FIRST, OWN, STEADY):
        path = args.plans / name
        if not path.is_file():
            print(f"compliance: {path} is missing: the e2e stage saves it (make e2e)", file=sys.stderr)
            return 1
        plans[name] = json.loads(path.read_text())
    problems: list[str] = []

    # 1. The pack on each real plan.
    for name, plan in plans.items():
        print(f"== {name}")
        result = plan_pack.check_plan(plan, tool=tool, features=features, quiet=True)
        print(plan_pack.report(result))
        if result.returncode != 0:
            print(result.output)
            problems.append(f"the pack failed on {name}")
        if name == STEADY and result.deferred:
            problems.append(
                f"{len(result.deferred)} check(s) deferred on the steady plan (every value is known)"
            )
        if name != STEADY and not result.deferred:
            problems.append(f"no check deferred on {name}: a first plan cannot know the KMS key's ARN")

    # 2 and 3: plans the pack must reject, two at a time (terraform-compliance takes a few seconds each).
    own = "root's own resources, checked as the module's"
    broken: dict[str, tuple[Plan, tuple[str, ...]]] = {
        own: (own_resources_only(plans[OWN]), OWN_RESOURCES_FAIL)
    }
    for name in (FIRST, STEADY):
        for what, (breakage, scenario) in BREAKAGES.items():
            copied = copy.deepcopy(plans[name])
            breakage(copied)
            broken[f"{name}: {what}"] = (copied, (scenario,))

    def rejected(item: tuple[str, tuple[Plan, tuple[str, ...]]]) -> tuple[str, bool, float]:
        label, (plan, expected) = item
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="compliance-selftest-") as tmp:
            if label == own:
                path = Path(tmp) / "own.json"
                path.write_text(json.dumps(plan))
                proc = plan_pack.run_pack(tool, path, features, quiet=True)
                returncode, output = proc.returncode, proc.stdout + proc.stderr
            else:
                result = plan_pack.check_plan(plan, tool=tool, features=features, quiet=True)
                returncode, output = result.returncode, result.output
        # Failed for the right reason: the expected scenarios failed (not an unreadable plan or a crash).
        caught = returncode != 0 and set(expected) <= failed_scenarios(output)
        return label, caught, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=2) as pool:
        for label, caught, seconds in pool.map(rejected, broken.items()):
            print(f"  self-test: {label:62s} {'caught' if caught else 'NOT CAUGHT'} ({seconds:.1f}s)")
            if not caught:
                problems.append(f"not caught: {label}")
    if problems:
        print("compliance: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(
        f"compliance: the pack passed on {len(plans)} plans (first, own resources, steady) and rejected all "
        f"{len(broken)} broken ones"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
