"""replay decides like the deployed function: the same records go through the deployed pipeline (the
handler from the committed zip, with the function's own environment) and through
``replay --config <terraform output lambda_configuration>`` and ``replay --function NAME``, and the
decisions agree, tamper and control-plane rules included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.deployment import Deployment
from tests.e2e.test_alerts import (
    OUTSIDER_ROLE,
    SSO_PATH,
    SSO_ROLE,
    allowed_data_role,
    allowed_management_role,
    data_event,
    delete_table,
    result_of,
    stop_logging,
)
from tools.sandbox import cloudtrail_record, role_session

pytestmark = pytest.mark.e2e


def records_of_every_kind(d: Deployment) -> list[dict[str, Any]]:
    data_role, data_path = allowed_data_role(d)
    mgmt_role, mgmt_path = allowed_management_role(d)
    service = role_session(data_role, "i-0abc123", path=data_path)
    person = role_session(SSO_ROLE, "carol@example.com", path=SSO_PATH)
    outsider = role_session(OUTSIDER_ROLE, "mallory")
    deployer = role_session(mgmt_role, "terraform-apply", path=mgmt_path)
    return [
        data_event(d, "PutItem", service, read_only=False),  # allowed
        data_event(d, "UpdateItem", person, read_only=False),  # alert: data
        stop_logging(d, outsider),  # alert: tamper (only the document knows the trail)
        delete_table(d, outsider),  # alert: control plane
        delete_table(d, deployer),  # allowed by the management allow-list
        cloudtrail_record(  # ignored: not DynamoDB
            "GetObject", service, event_source="s3.amazonaws.com", request_parameters={"bucketName": "x"}
        ),
    ]


def replay(code_dir: Path, argv: list[str], env: dict[str, str]) -> list[dict[str, Any]]:
    """The replay command from the deployed zip's code, as a user runs it."""
    proc = subprocess.run(
        [sys.executable, "-m", "access_alerts", "replay", "--format", "jsonl", "--jobs", "1", *argv],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(code_dir), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_replay_with_the_deployed_configuration_decides_like_the_function(
    deployment: Deployment, tmp_path: Path
) -> None:
    records = records_of_every_kind(deployment)
    run, _ = deployment.deliver(records)
    handler = result_of(run)
    logs = tmp_path / "records.json"
    logs.write_text(json.dumps({"Records": records}))
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(deployment.outputs["lambda_configuration"]))

    # --config needs no AWS access at all: no credentials, no endpoint in its environment.
    local = replay(deployment.code_dir, ["--config", str(cfg), str(logs)], {})
    kinds = Counter(r["decision"] for r in local)
    assert (kinds["alert"], kinds["allowed"], kinds["ignored"]) == (
        handler["alert"],
        handler["allowed"],
        handler["ignored"],
    ), (local, handler)
    assert [(r["decision"], r["alert_kind"]) for r in local] == [
        ("allowed", None),
        ("alert", "data"),
        ("alert", "tamper"),
        ("alert", "control_plane"),
        ("allowed", None),
        ("ignored", None),
    ]

    # --function finds the same document through the function's environment and its SSM parameter.
    name = deployment.outputs["lambda_function_name"]
    deployed = replay(deployment.code_dir, ["--function", name, str(logs)], deployment.emulator.aws_env())
    assert deployed == local
