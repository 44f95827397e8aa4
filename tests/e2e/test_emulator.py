"""The sandbox's patches of moto (tools/sandbox.py) answer as AWS does where the module and a second
deployment depend on it. Each test removes what it creates: the emulator is shared with the deployment."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator

import pytest

from tools.sandbox import ACCOUNT, REGION, Emulator

pytestmark = pytest.mark.e2e


@pytest.fixture
def role_arn(emulator: Emulator) -> Iterator[str]:
    iam = emulator.client("iam")
    name = f"emulator-test-{uuid.uuid4().hex[:8]}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    yield str(arn)
    iam.delete_role(RoleName=name)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def test_lambda_keeps_logging_config_as_lambda_reports_it(emulator: Emulator, role_arn: str) -> None:
    lam = emulator.client("lambda")
    name = f"emulator-test-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": _zip()},
        LoggingConfig={"LogFormat": "JSON", "LogGroup": "/custom/group"},
    )
    try:
        created = lam.get_function_configuration(FunctionName=name)["LoggingConfig"]
        assert created == {
            "LogFormat": "JSON",
            "LogGroup": "/custom/group",
            "ApplicationLogLevel": "INFO",
            "SystemLogLevel": "INFO",
        }
        lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "Text"})
        updated = lam.get_function(FunctionName=name)["Configuration"]["LoggingConfig"]
        assert updated == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}
    finally:
        lam.delete_function(FunctionName=name)


def test_several_trails_are_told_apart_and_deleted_by_arn(emulator: Emulator) -> None:
    s3 = emulator.client("s3")
    cloudtrail = emulator.client("cloudtrail")
    bucket = f"emulator-test-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    names = [f"{bucket}-a", f"{bucket}-b"]
    arns = [cloudtrail.create_trail(Name=n, S3BucketName=bucket)["TrailARN"] for n in names]
    try:
        assert [t["Name"] for t in cloudtrail.describe_trails(trailNameList=[names[0]])["trailList"]] == [
            names[0]
        ]
        assert [t["Name"] for t in cloudtrail.describe_trails(trailNameList=[arns[1]])["trailList"]] == [
            names[1]
        ]
        assert arns[0] == f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{names[0]}"
        cloudtrail.delete_trail(Name=arns[0])
        left = {t["Name"] for t in cloudtrail.describe_trails()["trailList"]}
        assert names[0] not in left and names[1] in left
    finally:
        for name in names:
            cloudtrail.delete_trail(Name=name)
        s3.delete_bucket(Bucket=bucket)
