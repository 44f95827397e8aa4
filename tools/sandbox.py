"""A local AWS sandbox for the end-to-end tests and the demo.

- :class:`Emulator`: moto as an HTTP server on 127.0.0.1 (in this process, so the payloads moto builds
  for a Lambda subscription on ``PutLogEvents`` can be captured: moto cannot run Lambda code without Docker).
- :class:`Workspace`: a temporary copy of an example root module, driven with terraform through the CLI
  configuration of ``tools/tf.py`` (provider mirror from ``TF_PROVIDER_MIRROR``).
- :func:`run_deployed_handler`: runs the handler from the committed zip in a fresh interpreter, with the
  environment Terraform gave the function, the way the Lambda runtime would.
- :func:`cloudtrail_record`: a real-shaped CloudTrail record for a DynamoDB data or management call.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # so `python tools/demo.py` can import its siblings as `tools.*`
    sys.path.insert(0, str(REPO))

from tools.tf import TerraformSetupError, find_terraform, init_failure_help, terraform_env  # noqa: E402

ZIP_PATH = REPO / "lambda_src" / "access_alerts.zip"
ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
# What the e2e suite and the demo deploy: examples/complete with its prod variables. prod.tfvars names an
# SSM parameter the platform team manages; both create it in the emulator (pointing at the receiver) first.
EXAMPLE = "complete"
VAR_FILE = "envs/prod.tfvars"
WEBHOOK_PARAMETER = "/platform/prod/dynamodb-access-alerts/slack-webhook"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ----------------------------------------------------------------------------------------- emulator
@dataclass(frozen=True)
class Invocation:
    """One asynchronous invocation moto would have made: the function and the event it built."""

    function_arn: str
    event: dict[str, Any]


@dataclass
class Emulator:
    """moto on 127.0.0.1:<free port>, in this process, capturing Lambda invocations."""

    port: int = field(default_factory=free_port)
    invocations: list[Invocation] = field(default_factory=list)
    _server: Any = None
    _patch: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def aws_env(self) -> dict[str, str]:
        """Credentials, Region and endpoint for terraform, boto3 and the handler (all fake, loopback)."""
        return {
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_SESSION_TOKEN": "test",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def terraform_env(self) -> dict[str, str]:
        """``aws_env`` plus the examples' ``aws_endpoint_url`` variable, which points the provider here."""
        return {**self.aws_env(), "TF_VAR_aws_endpoint_url": self.endpoint}

    def start(self) -> Emulator:
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # attaching AWS managed policies needs them
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
        from moto.awslambda.models import LambdaFunction
        from moto.server import ThreadedMotoServer

        emulator = self

        def capture(fn: Any, event: Any = None) -> tuple[str, bool, str]:
            body = event if isinstance(event, dict) else json.loads(event or "{}")
            with emulator._lock:
                emulator.invocations.append(Invocation(str(fn.function_arn), body))
            return "", False, ""

        self._patch = mock.patch.object(LambdaFunction, "_invoke_lambda", capture)
        self._patch.start()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"moto did not start listening on {self.endpoint} within {timeout:.0f}s")

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._patch is not None:
            self._patch.stop()
            self._patch = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def take_invocations(self) -> list[Invocation]:
        with self._lock:
            taken, self.invocations = self.invocations, []
        return taken

    def client(self, service: str) -> Any:
        import boto3

        make_client: Any = boto3.client  # the service name is dynamic: skip boto3-stubs' overloads
        return make_client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",  # noqa: S106 - fake credentials of the emulator
        )


# ---------------------------------------------------------------------------------------- terraform
_SOURCE_RE = re.compile(r'(source\s*=\s*)"(\.\./\.\./?)"')


class Workspace:
    """A copy of ``examples/<name>`` in a temporary directory, its module source pointing at the repo."""

    def __init__(self, example: str, workdir: Path, extra_env: Mapping[str, str]) -> None:
        self.example_dir = REPO / "examples" / example
        self.dir = workdir / example
        self.env = terraform_env({**os.environ, **extra_env})
        self.env["TF_DATA_DIR"] = str(self.dir / ".terraform")
        self.terraform = find_terraform(self.env)
        shutil.copytree(
            self.example_dir, self.dir, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*")
        )
        relative = os.path.relpath(REPO, self.dir)
        for tf in self.dir.glob("*.tf"):
            text = tf.read_text()
            if _SOURCE_RE.search(text):
                tf.write_text(_SOURCE_RE.sub(lambda m: f'{m.group(1)}"{relative}"', text))

    def run(
        self, *args: str, check: bool = True, capture: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        cmd = [self.terraform, *args]
        proc = subprocess.run(
            cmd,
            cwd=self.dir,
            env=self.env,
            text=True,
            capture_output=capture,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            detail = (proc.stdout or "")[-4000:] + (proc.stderr or "")[-4000:] if capture else ""
            raise RuntimeError(f"terraform {' '.join(args)} failed (exit {proc.returncode}):\n{detail}")
        return proc

    def init(self) -> None:
        proc = self.run("init", "-input=false", "-no-color", check=False)
        if proc.returncode != 0:
            raise TerraformSetupError(
                f"terraform init failed in {self.dir}:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}\n"
                + init_failure_help(self.env)
            )

    def output(self) -> dict[str, Any]:
        raw = json.loads(self.run("output", "-json").stdout)
        return {k: v.get("value") for k, v in raw.items()}


# ------------------------------------------------------------------------------------------ handler
_RUNNER = r"""
import json, os, sys, time, traceback, uuid
code_dir, handler_name, timeout_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
sys.path.insert(0, code_dir)
deadline = time.monotonic() + timeout_s

class Context:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
    function_version = "$LATEST"
    invoked_function_arn = os.environ.get("LOCAL_FUNCTION_ARN", "")
    memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
    aws_request_id = str(uuid.uuid4())
    log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
    log_stream_name = "local"

    def get_remaining_time_in_millis(self):
        return max(0, int((deadline - time.monotonic()) * 1000))

module_name, _, func_name = handler_name.rpartition(".")
event = json.load(sys.stdin)
try:
    module = __import__(module_name, fromlist=[func_name])
    result = getattr(module, func_name)(event, Context())
except Exception:
    traceback.print_exc()
    sys.exit(1)
print("HANDLER_RESULT " + json.dumps(result, default=str))
"""


@dataclass(frozen=True)
class HandlerRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def extract_zip(zip_path: Path = ZIP_PATH, into: Path | None = None) -> Path:
    target = Path(tempfile.mkdtemp(prefix="access-alerts-code-")) if into is None else into
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(target)
    return target


def run_deployed_handler(
    code_dir: Path,
    function_config: Mapping[str, Any],
    event: Mapping[str, Any],
    aws_env: Mapping[str, str],
    *,
    timeout: float | None = None,
) -> HandlerRun:
    """Invoke the handler named in ``function_config`` (from ``GetFunctionConfiguration``) from
    ``code_dir`` in a fresh ``python -I``: only the extracted zip and the interpreter's site-packages
    (boto3, as in the Lambda runtime) are importable, and the environment is the function's own plus
    what the Lambda runtime adds."""
    variables = dict((function_config.get("Environment") or {}).get("Variables") or {})
    name = str(function_config.get("FunctionName", "local"))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        **variables,
        **aws_env,
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function_config.get("MemorySize", 128)),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "LOCAL_FUNCTION_ARN": str(function_config.get("FunctionArn", "")),
    }
    budget = float(timeout if timeout is not None else function_config.get("Timeout", 30))
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-I", "-c", _RUNNER, str(code_dir), str(function_config["Handler"]), str(budget)],
        input=json.dumps(event),
        env=env,
        text=True,
        capture_output=True,
        timeout=budget + 30,
        check=False,
    )
    return HandlerRun(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


# ---------------------------------------------------------------------------------- CloudTrail data
def role_session(role_name: str, session: str, *, path: str = "/", account: str = ACCOUNT) -> dict[str, Any]:
    """``userIdentity`` of an assumed-role session, as CloudTrail logs it."""
    return {
        "type": "AssumedRole",
        "principalId": f"AROA{uuid.uuid5(uuid.NAMESPACE_DNS, role_name).hex[:17].upper()}:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}",
        "accountId": account,
        "accessKeyId": "ASIA" + uuid.uuid5(uuid.NAMESPACE_DNS, session).hex[:16].upper(),
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": f"AROA{uuid.uuid5(uuid.NAMESPACE_DNS, role_name).hex[:17].upper()}",
                "arn": f"arn:aws:iam::{account}:role{path}{role_name}",
                "accountId": account,
                "userName": role_name,
            },
            "attributes": {"creationDate": "2026-11-25T08:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def cloudtrail_record(
    event_name: str,
    identity: Mapping[str, Any],
    *,
    event_source: str = "dynamodb.amazonaws.com",
    table_arn: str | None = None,
    request_parameters: Mapping[str, Any] | None = None,
    resources: Sequence[Mapping[str, str]] | None = None,
    data_event: bool = True,
    read_only: bool = False,
    when: datetime | None = None,
) -> dict[str, Any]:
    """A CloudTrail record (eventVersion 1.09) for a DynamoDB data event or a management call."""
    moment = when or datetime.now(UTC)
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": dict(identity),
        "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "aws-cli/2.17.0 Python/3.11.9 Linux/6.1 botocore/2.4.5",
        "requestParameters": dict(request_parameters or {}),
        "responseElements": None,
        "requestID": uuid.uuid4().hex.upper(),
        "eventID": str(uuid.uuid4()),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": not data_event,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data" if data_event else "Management",
    }
    if resources is not None:
        record["resources"] = [dict(r) for r in resources]
    elif table_arn is not None and data_event:
        record["resources"] = [{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table", "ARN": table_arn}]
    return record


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def put_records(emulator: Emulator, log_group: str, records: Sequence[Mapping[str, Any]]) -> list[Invocation]:
    """Write CloudTrail records into ``log_group`` as CloudTrail would, and return the Lambda
    invocations moto built for the log group's subscription filter."""
    logs = emulator.client("logs")
    stream = f"{ACCOUNT}_CloudTrail_{REGION}_{uuid.uuid4().hex[:8]}"
    logs.create_log_stream(logGroupName=log_group, logStreamName=stream)
    now = int(time.time() * 1000)
    emulator.take_invocations()
    logs.put_log_events(
        logGroupName=log_group,
        logStreamName=stream,
        logEvents=[{"timestamp": now + i, "message": json.dumps(r)} for i, r in enumerate(records)],
    )
    return emulator.take_invocations()
