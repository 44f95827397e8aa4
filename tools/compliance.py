"""Run the policy pack (tests/compliance) on a plan JSON, and prove that it can fail.

    python tools/compliance.py --terraform-compliance PATH --plan .build/plan.json [--features DIR]

1. The pack must pass on the real plan (saved by the e2e suite after apply, so every value is known).
2. Each of a few deliberately broken copies of that plan (a non-DynamoDB selector, a wildcard IAM action or
   resource,
   an unencrypted log group, a log group without retention, a webhook URL in the Lambda environment) must
   make the pack fail; otherwise the pack has stopped guarding what it claims to.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
Plan = dict[str, Any]


def _after(plan: Plan, resource_type: str) -> list[dict[str, Any]]:
    return [
        rc["change"]["after"]
        for rc in plan.get("resource_changes", [])
        if rc["type"] == resource_type and rc["change"].get("after")
    ]


def _selector_on_s3(plan: Plan) -> None:
    trail = _after(plan, "aws_cloudtrail")[0]
    for selector in trail["advanced_event_selector"]:
        for fs in selector["field_selector"]:
            if fs["field"] == "resources.type":
                fs["equals"] = ["AWS::S3::Object"]


def _wildcard_action(plan: Plan) -> None:
    policy = _after(plan, "aws_iam_role_policy")[-1]
    document = json.loads(policy["policy"])
    statement = document["Statement"][0]
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    statement["Action"] = [*actions, "dynamodb:*"]
    policy["policy"] = json.dumps(document)


def _any_resource(plan: Plan) -> None:
    policy = _after(plan, "aws_iam_role_policy")[0]
    document = json.loads(policy["policy"])
    document["Statement"][-1]["Resource"] = "*"
    policy["policy"] = json.dumps(document)


def _unencrypted_log_group(plan: Plan) -> None:
    _after(plan, "aws_cloudwatch_log_group")[0]["kms_key_id"] = None


def _no_retention(plan: Plan) -> None:
    _after(plan, "aws_cloudwatch_log_group")[-1]["retention_in_days"] = 0


def _webhook_in_environment(plan: Plan) -> None:
    function = _after(plan, "aws_lambda_function")[0]
    function["environment"][0]["variables"]["NOTIFY"] = "https://hooks.slack.com/services/T0/B0/x"


BREAKAGES: dict[str, Callable[[Plan], None]] = {
    "trail selects S3 objects": _selector_on_s3,
    "IAM statement with a wildcard action": _wildcard_action,
    "IAM statement on Resource *": _any_resource,
    "log group without KMS key": _unencrypted_log_group,
    "log group without retention": _no_retention,
    "webhook URL in the Lambda environment": _webhook_in_environment,
}


def run_pack(tool: str, plan_file: Path, features: Path, *, quiet: bool) -> int:
    # terraform-compliance leaves a cache directory in TMPDIR on every run: keep them under .build.
    scratch = REPO / ".build" / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [tool, "--no-ansi", "-p", str(plan_file), "-f", str(features)],
        env={**os.environ, "TMPDIR": str(scratch)},
        capture_output=quiet,
        text=True,
        check=False,
    )
    return proc.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--terraform-compliance", required=True, help="path of the terraform-compliance program"
    )
    parser.add_argument("--plan", type=Path, required=True, help="`terraform show -json` of a plan")
    parser.add_argument("--features", type=Path, default=REPO / "tests" / "compliance")
    args = parser.parse_args(argv)
    if not args.plan.is_file():
        print(f"compliance: {args.plan} is missing: the e2e stage saves it (make e2e)", file=sys.stderr)
        return 1
    if run_pack(args.terraform_compliance, args.plan, args.features, quiet=False) != 0:
        print("compliance: the policy pack FAILED on the real plan (see above)", file=sys.stderr)
        return 1
    plan: Plan = json.loads(args.plan.read_text())
    not_caught = []
    with tempfile.TemporaryDirectory(prefix="compliance-selftest-") as tmp:
        for name, breakage in BREAKAGES.items():
            broken = copy.deepcopy(plan)
            breakage(broken)
            path = Path(tmp) / "broken.json"
            path.write_text(json.dumps(broken))
            started = time.monotonic()
            caught = run_pack(args.terraform_compliance, path, args.features, quiet=True) != 0
            verdict = "caught" if caught else "NOT CAUGHT"
            print(f"  self-test: {name:40s} {verdict} ({time.monotonic() - started:.1f}s)")
            if not caught:
                not_caught.append(name)
    if not_caught:
        print(f"compliance: the policy pack missed: {', '.join(not_caught)}", file=sys.stderr)
        return 1
    print(f"compliance: pack passed on the plan and caught all {len(BREAKAGES)} deliberate breakages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
