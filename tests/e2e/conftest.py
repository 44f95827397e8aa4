"""Fixtures of the end-to-end suite: moto and the webhook receiver on 127.0.0.1, and one apply of
examples/complete (prod variables) shared by every test; see tests/e2e/deployment.py."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest

from tests.e2e.deployment import REPO, Deployment, require_or_skip
from tools.sandbox import EXAMPLE, VAR_FILE, WEBHOOK_PARAMETER, Emulator, Workspace, extract_zip
from tools.tf import TerraformSetupError, find_terraform
from tools.webhook_receiver import WebhookReceiver


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


@pytest.fixture(scope="session")
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as hook:
        yield hook


@pytest.fixture(scope="session")
def deployment(
    emulator: Emulator, receiver: WebhookReceiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    try:
        find_terraform()
    except TerraformSetupError as exc:
        require_or_skip(f"e2e needs terraform: {exc}")
    workdir = tmp_path_factory.mktemp("e2e")
    emulator.client("ssm").put_parameter(
        Name=WEBHOOK_PARAMETER, Type="SecureString", Value=receiver.url, Overwrite=True
    )
    try:
        workspace = Workspace(EXAMPLE, workdir, emulator.terraform_env())
        workspace.init()
    except TerraformSetupError as exc:
        require_or_skip(str(exc))
    deployment: Deployment | None = None
    try:
        workspace.run("plan", "-input=false", "-no-color", f"-var-file={VAR_FILE}", "-out=create.tfplan")
        plan = json.loads(workspace.run("show", "-json", "create.tfplan").stdout)
        variables = {k: v.get("value") for k, v in plan.get("variables", {}).items()}
        workspace.run("apply", "-input=false", "-no-color", "-auto-approve", "create.tfplan", timeout=600)
        outputs = workspace.output()
        function = emulator.client("lambda").get_function_configuration(
            FunctionName=outputs["lambda_function_name"]
        )
        function.pop("ResponseMetadata", None)
        deployment = Deployment(
            emulator=emulator,
            receiver=receiver,
            workspace=workspace,
            outputs=outputs,
            variables=variables,
            function=function,
            code_dir=extract_zip(REPO / "lambda_src" / "access_alerts.zip", workdir / "code"),
        )
        yield deployment
    finally:
        if deployment is None or not deployment.destroyed:
            workspace.run(
                "destroy", "-input=false", "-no-color", "-auto-approve", f"-var-file={VAR_FILE}", check=False
            )
        shutil.rmtree(workdir, ignore_errors=True)
