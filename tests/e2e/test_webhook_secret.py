"""The webhook URL given as a Terraform variable (staging's way) never shows in plan output."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.sandbox import EXAMPLE, Emulator, Workspace

pytestmark = pytest.mark.e2e

SECRET = "https://hooks.slack.com/services/T0E2E0000/B0E2E0000/e2eSecretTokenValue"


def test_webhook_variable_is_redacted_in_plan_output(
    emulator: Emulator, e2e_workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_VAR_slack_webhook_url", SECRET)
    workspace = Workspace(EXAMPLE, e2e_workdir, emulator, var_files=["envs/staging.tfvars"], name="staging")
    workspace.init()
    plan = workspace.plan()
    shown = plan.stdout + plan.stderr
    assert "e2eSecretTokenValue" not in shown
    assert "aws_ssm_parameter.webhook" in shown  # the module keeps the URL in its own SecureString
    assert "(sensitive value)" in shown
