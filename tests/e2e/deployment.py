"""End to end, shared pieces: Terraform + the real hashicorp/aws provider apply examples/complete to moto.

One apply per session, shared by every test here (apply/plan/destroy take about 60/15/20 s). Tests run in
file order: read-back checks and alert scenarios first, then test_zz_lifecycle (no-change plan, destroy).
Everything started here (moto, the webhook receiver) is stopped in finalizers, also when a test fails.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tools.sandbox import (
    Emulator,
    HandlerRun,
    Workspace,
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
    variables: dict[str, Any]
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
