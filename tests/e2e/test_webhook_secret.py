"""The webhook URL given as a Terraform variable (staging's way) never shows in plan output."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.sandbox import Emulator, Workspace

pytestmark = pytest.mark.e2e

SECRET = "https://hooks.slack.com/services/T0E2E0000/B0E2E0000/e2eSecretTokenValue"


def test_webhook_variable_is_redacted_in_plan_output(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_VAR_slack_webhook_url", SECRET)
    workspace = Workspace("complete", tmp_path, emulator.terraform_env())
    workspace.init()
    plan = workspace.run("plan", "-input=false", "-no-color", "-var-file=envs/staging.tfvars")
    shown = plan.stdout + plan.stderr
    assert "e2eSecretTokenValue" not in shown
    assert "aws_ssm_parameter.webhook" in shown  # the module keeps the URL in its own SecureString
    assert "(sensitive value)" in shown
