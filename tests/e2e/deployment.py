"""End to end, shared pieces: Terraform + the real hashicorp/aws provider apply an example to moto.

- :func:`deployed` applies one example (a :class:`tools.sandbox.Workspace`) and destroys it on exit unless
  a test already did. The session fixture ``deployment`` (conftest.py) is examples/complete with
  envs/prod.tfvars, applied once and shared by every test (apply/plan/destroy take about 60/15/20 s).
  A second layout (say ``create_trail = false``) is one more session fixture calling :func:`deployed`
  with its own ``name`` and ``variables`` on the same emulator and receiver.
- Tests marked ``lifecycle`` change the deployment they use (a second plan, destroy): the collection hook
  in conftest.py runs them after every other e2e test, in file order. Everything else only reads.

Everything started here (moto, the webhook receiver) is stopped in finalizers, also when a test fails.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tools.sandbox import (
    ZIP_PATH,
    Emulator,
    HandlerRun,
    Workspace,
    extract_zip,
    put_records,
    run_deployed_handler,
)
from tools.webhook_receiver import ReceivedRequest, WebhookReceiver

REPO = Path(__file__).resolve().parents[2]
PLAN_JSON = Path(os.environ.get("PLAN_JSON", REPO / ".build" / "plan.json"))


def require_or_skip(message: str) -> None:
    """Skip with a clear reason; under `make e2e` / `make test` (E2E_REQUIRED=1) fail instead."""
    if os.environ.get("E2E_REQUIRED") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@dataclass
class Deployment:
    emulator: Emulator
    receiver: WebhookReceiver
    workspace: Workspace
    outputs: dict[str, Any]
    variables: dict[str, Any]  # the root module's variables as planned (tfvars applied, defaults filled)
    first_plan: dict[str, Any]  # `terraform show -json` of the plan that created the deployment
    function: dict[str, Any]  # GetFunctionConfiguration of the deployed function
    code_dir: Path  # the committed zip, extracted
    destroyed: bool = False
    handler_runs: list[HandlerRun] = field(default_factory=list)

    def client(self, service: str) -> Any:
        return self.emulator.client(service)

    @property
    def log_group(self) -> str:
        return str(self.outputs["log_group_name"])

    def deliver(
        self, records: Sequence[dict[str, Any]], *, budget: float | None = None
    ) -> tuple[HandlerRun, list[ReceivedRequest]]:
        """Write records into the trail's log group; run the deployed handler on the payload moto built
        for the subscription filter (``budget``: the remaining time the handler is given, default the
        function's timeout); return the run and what the webhook received meanwhile."""
        invocations = put_records(self.emulator, self.log_group, records)
        assert [i.function_arn for i in invocations] == [self.function["FunctionArn"]], (
            "PutLogEvents on the trail's log group should invoke the module's function exactly once "
            f"through the subscription filter; got {invocations!r}"
        )
        before = len(self.receiver.received())
        run = run_deployed_handler(
            self.code_dir, self.function, invocations[0].event, self.emulator.aws_env(), timeout=budget
        )
        self.handler_runs.append(run)
        return run, self.receiver.received()[before:]

    def configuration_parameters(self) -> list[dict[str, Any]]:
        """The SSM parameters (GetParameter, decrypted) holding the configuration document, in the order
        the function joins them: ACCESS_ALERTS_CONFIG_PARAMETER-1 ... -N, N = ACCESS_ALERTS_CONFIG_PARTS."""
        env = self.function["Environment"]["Variables"]
        ssm = self.client("ssm")
        names = [
            f"{env['ACCESS_ALERTS_CONFIG_PARAMETER']}-{i}"
            for i in range(1, int(env["ACCESS_ALERTS_CONFIG_PARTS"]) + 1)
        ]
        return [ssm.get_parameter(Name=n, WithDecryption=True)["Parameter"] for n in names]

    def configuration_document(self) -> tuple[bytes, dict[str, Any]]:
        """The document the function reads: its parts joined, decoded (base64, gzip); its JSON bytes and
        the parsed object."""
        value = "".join(p["Value"] for p in self.configuration_parameters())
        raw = gzip.decompress(base64.b64decode(value))
        return raw, json.loads(raw)

    def destroy(self) -> None:
        self.workspace.destroy()
        self.destroyed = True


@contextmanager
def deployed(
    emulator: Emulator,
    receiver: WebhookReceiver,
    workdir: Path,
    example: str,
    *,
    var_files: Sequence[str] = (),
    variables: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> Iterator[Deployment]:
    """Apply ``examples/<example>`` to ``emulator`` in ``workdir/<name>``; destroy it on exit (also after
    a failed apply) unless a test destroyed it already."""
    workspace = Workspace(example, workdir, emulator, var_files=var_files, variables=variables, name=name)
    workspace.init()
    deployment: Deployment | None = None
    try:
        workspace.plan(out="create.tfplan")
        plan = workspace.show("create.tfplan")
        planned = {k: v.get("value") for k, v in plan.get("variables", {}).items()}
        workspace.apply("create.tfplan")
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
            variables=planned,
            first_plan=plan,
            function=function,
            code_dir=extract_zip(ZIP_PATH, workspace.dir / "code"),
        )
        yield deployment
    finally:
        if deployment is None or not deployment.destroyed:
            workspace.destroy(check=False)
