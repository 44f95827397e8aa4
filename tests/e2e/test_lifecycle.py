"""The shared deployment's lifecycle, after every other e2e test (marker ``lifecycle``, ordered by the
hook in conftest.py): a second plan shows no changes (and is saved for terraform-compliance), then destroy
leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable

import botocore.exceptions
import pytest

from tests.e2e.deployment import PLAN_JSON, Deployment

pytestmark = [pytest.mark.e2e, pytest.mark.lifecycle]


def test_second_plan_has_no_changes_and_is_saved_for_compliance(deployment: Deployment) -> None:
    ws = deployment.workspace
    plan = ws.plan(out="steady.tfplan", detailed_exitcode=True, check=False)
    detail = plan.stdout[-4000:] + plan.stderr[-2000:]
    assert plan.returncode == 0, f"expected no changes after apply (exit 0), got {plan.returncode}:\n{detail}"
    assert "Warning:" not in plan.stdout + plan.stderr, f"the plan warns:\n{detail}"
    # Every value is known after apply, so the policy pack can check IAM documents, ARNs and keys.
    PLAN_JSON.parent.mkdir(parents=True, exist_ok=True)
    PLAN_JSON.write_text(ws.run("show", "-json", "steady.tfplan").stdout)
    assert deployment.receiver.url not in plan.stdout + PLAN_JSON.read_text()


def _gone(call: Callable[..., object], *args: object, **kwargs: object) -> bool:
    try:
        call(*args, **kwargs)
    except botocore.exceptions.ClientError:
        return True
    return False


def test_destroy_leaves_nothing(deployment: Deployment) -> None:
    deployment.destroy()
    ws = deployment.workspace
    assert ws.run("state", "list", check=False).stdout.strip() == ""
    c = deployment.client
    out = deployment.outputs
    fn = deployment.function["FunctionName"]
    assert _gone(c("lambda").get_function, FunctionName=fn)
    groups = c("logs").describe_log_groups(logGroupNamePrefix=deployment.log_group)["logGroups"]
    assert [g for g in groups if g["logGroupName"] == deployment.log_group] == []
    assert _gone(c("sqs").get_queue_attributes, QueueUrl=out["on_failure_queue_url"])
    assert _gone(c("s3").head_bucket, Bucket=out["trail_bucket_name"])
    assert _gone(c("iam").get_role, RoleName=deployment.function["Role"].rsplit("/", 1)[-1])
    assert c("cloudwatch").describe_alarms()["MetricAlarms"] == []
    # The provider deletes the trail by ARN, which moto honours only through tools/sandbox.py's patch.
    assert _gone(c("cloudtrail").get_trail, Name=out["trail_arn"])
