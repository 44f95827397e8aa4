"""A local AWS sandbox for the end-to-end tests and the demo.

- :class:`Emulator`: moto as an HTTP server on 127.0.0.1 (in this process, so the payloads moto builds
  for a Lambda subscription on ``PutLogEvents`` can be captured, since moto cannot run Lambda code without
  Docker, and so moto can be patched where it differs from AWS in ways the module meets: see
  :func:`_lambda_model_patches` and :func:`_cloudtrail_patches`).
- :class:`Workspace`: a temporary copy of an example root module, pointed at the emulator by a Terraform
  override file it writes into the copy (the example itself stays what a user would write), driven with
  terraform through the CLI configuration of ``tools/tf.py`` (provider mirror from ``TF_PROVIDER_MIRROR``).
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # so `python tools/demo.py` can import its siblings as `tools.*`
    sys.path.insert(0, str(REPO))

from tools import webhook_receiver  # noqa: E402
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
    _patches: list[Any] = field(default_factory=list)
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

    def start(self) -> Emulator:
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # attaching AWS managed policies needs them
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
        from moto.server import ThreadedMotoServer

        self._patches = [*_lambda_model_patches(self._capture), *_cloudtrail_patches()]
        for patch in self._patches:
            patch.start()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self._wait_ready()
        return self

    def _capture(self, function_arn: str, event: dict[str, Any]) -> None:
        with self._lock:
            self.invocations.append(Invocation(function_arn, event))

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
        while self._patches:
            self._patches.pop().stop()

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


def _lambda_model_patches(capture: Callable[[str, dict[str, Any]], None]) -> list[Any]:
    """Patches of moto's Lambda model (moto 5.2.5), started and stopped by :class:`Emulator`:

    - ``_invoke_lambda``: moto cannot run code without Docker; hand the event it built to ``capture``.
    - ``LoggingConfig``: moto drops it from CreateFunction/UpdateFunctionConfiguration and never returns
      it, so every plan after an apply would show the module's ``logging_config`` block as a change.
      Keep it and return it as Lambda does: the documented defaults are the Text format and the log group
      ``/aws/lambda/<function name>``; with the JSON format the application and system log levels
      default to INFO (Lambda developer guide, "Log-level filtering"; that GetFunction returns the
      defaulted levels was not checked against AWS).
    """
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    def invoke(fn: Any, event: Any = None) -> tuple[str, bool, str]:
        body = event if isinstance(event, dict) else json.loads(event or "{}")
        capture(str(fn.function_arn), body)
        return "", False, ""

    def init(fn: Any, account_id: str, spec: dict[str, Any], region: str, version: Any = 1) -> None:
        original_init(fn, account_id, spec, region, version)
        fn.logging_config = lambda_logging_config(fn.function_name, spec.get("LoggingConfig"))

    def get_configuration(fn: Any, on_create: bool = False) -> dict[str, Any]:
        config: dict[str, Any] = original_get(fn, on_create)
        kept = getattr(fn, "logging_config", None)  # set by init() above for every function moto creates
        config["LoggingConfig"] = dict(kept or lambda_logging_config(fn.function_name, None))
        return config

    def update_configuration(fn: Any, updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in updates:
            fn.logging_config = lambda_logging_config(fn.function_name, updates["LoggingConfig"])
        result: dict[str, Any] = original_update(fn, updates)
        return result

    return [
        mock.patch.object(LambdaFunction, "_invoke_lambda", invoke),
        mock.patch.object(LambdaFunction, "__init__", init),
        mock.patch.object(LambdaFunction, "get_configuration", get_configuration),
        mock.patch.object(LambdaFunction, "update_configuration", update_configuration),
    ]


def _cloudtrail_patches() -> list[Any]:
    """Patches of moto's CloudTrail (moto 5.2.5) so that several trails can live in one emulator, as
    several deployments need: ``DescribeTrails`` answers every trail whatever ``trailNameList`` asks
    for (the provider then finds "too many results"), and ``DeleteTrail`` by ARN, which is what the
    provider sends, deletes nothing. Both answer as CloudTrail does here: by name or ARN."""
    from moto.cloudtrail.models import CloudTrailBackend
    from moto.cloudtrail.responses import CloudTrailResponse

    original_describe = CloudTrailResponse.describe_trails
    original_delete = CloudTrailBackend.delete_trail

    def describe_trails(response: Any) -> str:
        answer = json.loads(original_describe(response))
        wanted = response._get_param("trailNameList")
        if wanted:
            answer["trailList"] = [
                t for t in answer["trailList"] if t.get("Name") in wanted or t.get("TrailARN") in wanted
            ]
        return json.dumps(answer)

    def delete_trail(backend: Any, name: str) -> None:
        named = [key for key, trail in backend.trails.items() if name in (key, trail.arn)]
        for key in named:
            original_delete(backend, key)

    return [
        mock.patch.object(CloudTrailResponse, "describe_trails", describe_trails),
        mock.patch.object(CloudTrailBackend, "delete_trail", delete_trail),
    ]


def lambda_logging_config(function_name: str, given: Mapping[str, str] | None) -> dict[str, str]:
    """The ``LoggingConfig`` Lambda reports for a function created or updated with ``given``."""
    config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function_name}", **(given or {})}
    if config["LogFormat"] == "JSON":
        config.setdefault("ApplicationLogLevel", "INFO")
        config.setdefault("SystemLogLevel", "INFO")
    else:  # log levels apply to the JSON format only
        config.pop("ApplicationLogLevel", None)
        config.pop("SystemLogLevel", None)
    return config


# ---------------------------------------------------------------------------------------- terraform
# The services the module and its examples call. Each gets the emulator's endpoint in the override file.
EMULATED_SERVICES = (
    "cloudtrail",
    "cloudwatch",
    "cloudwatchlogs",
    "dynamodb",
    "iam",
    "kms",
    "lambda",
    "s3",
    "scheduler",
    "sns",
    "sqs",
    "ssm",
    "sts",
)
OVERRIDE_FILE = "sandbox_override.tf"
GENERATED_VARS_FILE = "sandbox.tfvars.json"
_SOURCE_RE = re.compile(r'(source\s*=\s*)"((?:\.\./)*\.\./?)"')


def provider_override(endpoint: str) -> str:
    """A Terraform override file that sends every AWS call of the root module's ``aws`` provider to
    ``endpoint``. Terraform merges it into the example's own ``provider "aws"`` block (arguments set here
    win; the example's ``region`` and ``default_tags`` stay), so nothing in the example mentions the
    emulator. Credentials come from the environment (:meth:`Emulator.aws_env`)."""
    url = json.dumps(endpoint)
    width = max(len(s) for s in EMULATED_SERVICES)
    endpoints = "\n".join(f"    {s:<{width}} = {url}" for s in EMULATED_SERVICES)
    return (
        "# Written by tools/sandbox.py into a temporary copy of the example: the local AWS emulator.\n"
        'provider "aws" {\n'
        "  skip_credentials_validation = true\n"
        "  skip_metadata_api_check     = true\n"
        "  skip_region_validation      = true\n"
        "  s3_use_path_style           = true\n"
        "\n"
        "  endpoints {\n"
        f"{endpoints}\n"
        "  }\n"
        "}\n"
    )


class Workspace:
    """A copy of ``examples/<example>`` (or of any root directory given as a path) in ``workdir/<name>``,
    wired to ``emulator``, with its variables.

    - A relative module ``source`` naming the repository (``"../../"`` in an example) is rewritten to point
      at the repository from the copy.
    - ``sandbox_override.tf`` points the provider at the emulator (see :func:`provider_override`); the
      credentials and Region come from :meth:`Emulator.aws_env`.
    - ``var_files`` (paths inside the example, e.g. ``envs/prod.tfvars``) and then ``variables`` (written
      to ``sandbox.tfvars.json``, so they win) are passed to every plan, apply and destroy.

    Several workspaces of one or more examples can share an emulator when their ``name`` differs and the
    deployments' resource names do not collide (set ``environment`` or ``name`` through ``variables``).
    """

    def __init__(
        self,
        example: str | Path,
        workdir: Path,
        emulator: Emulator,
        *,
        var_files: Sequence[str] = (),
        variables: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> None:
        self.example_dir = example if isinstance(example, Path) else REPO / "examples" / example
        self.dir = workdir / (name or self.example_dir.name)
        self.env = terraform_env({**os.environ, **emulator.aws_env()})
        self.env["TF_DATA_DIR"] = str(self.dir / ".terraform")
        self.terraform = find_terraform(self.env)
        shutil.copytree(
            self.example_dir, self.dir, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*")
        )
        relative = os.path.relpath(REPO, self.dir)

        def to_repo(m: re.Match[str]) -> str:  # a relative source naming the repository (the module)
            points_at_repo = (self.example_dir / m.group(2)).resolve() == REPO
            return f'{m.group(1)}"{relative}"' if points_at_repo else m.group(0)

        for tf in self.dir.glob("*.tf"):
            text = tf.read_text()
            if _SOURCE_RE.search(text):
                tf.write_text(_SOURCE_RE.sub(to_repo, text))
        (self.dir / OVERRIDE_FILE).write_text(provider_override(emulator.endpoint))
        self.var_files = list(var_files)
        if variables:
            (self.dir / GENERATED_VARS_FILE).write_text(json.dumps(dict(variables), indent=2) + "\n")
            self.var_files.append(GENERATED_VARS_FILE)

    @property
    def var_args(self) -> list[str]:
        return [f"-var-file={f}" for f in self.var_files]

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

    def plan(
        self, *, out: str | None = None, detailed_exitcode: bool = False, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """``terraform plan`` with the workspace's variables; ``out`` saves the plan for apply/show.
        With ``detailed_exitcode`` the exit code is 0 (no changes), 2 (changes) or 1 (error)."""
        args = ["plan", "-input=false", "-no-color", *self.var_args]
        args += [f"-out={out}"] if out else []
        args += ["-detailed-exitcode"] if detailed_exitcode else []
        return self.run(*args, check=check)

    def apply(
        self, plan_file: str | None = None, *, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """Apply a saved plan (its variables are in it), or plan and apply in one go."""
        source = [plan_file] if plan_file else self.var_args
        return self.run("apply", "-input=false", "-no-color", "-auto-approve", *source, timeout=timeout)

    def destroy(self, *, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return self.run(
            "destroy",
            "-input=false",
            "-no-color",
            "-auto-approve",
            *self.var_args,
            check=check,
            timeout=timeout,
        )

    def show(self, plan_file: str) -> dict[str, Any]:
        """A saved plan as JSON (``terraform show -json``)."""
        shown: dict[str, Any] = json.loads(self.run("show", "-json", plan_file).stdout)
        return shown

    def output(self) -> dict[str, Any]:
        raw = json.loads(self.run("output", "-json").stdout)
        return {k: v.get("value") for k, v in raw.items()}


# ------------------------------------------------------------------------------------------ handler
_RUNNER = r"""
import json, os, sys, time, traceback, uuid
code_dir, handler_name, timeout_s, mode = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
sys.path.insert(0, code_dir)

class Context:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
    function_version = "$LATEST"
    invoked_function_arn = os.environ.get("LOCAL_FUNCTION_ARN", "")
    memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
    log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
    log_stream_name = "local"

    def __init__(self):
        self.aws_request_id = str(uuid.uuid4())
        self.deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self):
        return max(0, int((self.deadline - time.monotonic()) * 1000))

module_name, _, func_name = handler_name.rpartition(".")
module = None

def invoke(event, clock):
    global module
    if module is None:
        module = __import__(module_name, fromlist=[func_name])
    if clock is not None:
        # The harness's simulated time for the delivery ledger (State.clock), advancing from ``clock``
        # in real time. Only this process can set it: nothing in an event or the environment does.
        started = time.time()
        module.get_state().clock = lambda: clock + (time.time() - started)
    return getattr(module, func_name)(event, Context())

if mode == "one":
    event = json.load(sys.stdin)
    try:
        result = invoke(event, None)
    except Exception:
        traceback.print_exc()
        sys.exit(1)
    print("HANDLER_RESULT " + json.dumps(result, default=str))
else:  # "many": one warm process, invocations one after the other, each with its own simulated time
    for item in json.load(sys.stdin):
        try:
            result = invoke(item["event"], item.get("clock"))
        except Exception as exc:
            traceback.print_exc()
            print("HANDLER_ERROR " + json.dumps(type(exc).__name__ + ": " + str(exc)[:500]), flush=True)
            continue
        print("HANDLER_RESULT " + json.dumps(result, default=str), flush=True)
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


def function_environment(function_config: Mapping[str, Any], aws_env: Mapping[str, str]) -> dict[str, str]:
    """The environment the deployed function sees: its own variables plus what the Lambda runtime adds."""
    variables = dict((function_config.get("Environment") or {}).get("Variables") or {})
    name = str(function_config.get("FunctionName", "local"))
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        **variables,
        **aws_env,
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function_config.get("MemorySize", 128)),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "LOCAL_FUNCTION_ARN": str(function_config.get("FunctionArn", "")),
    }


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
    budget = float(timeout if timeout is not None else function_config.get("Timeout", 30))
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            _RUNNER,
            str(code_dir),
            str(function_config["Handler"]),
            str(budget),
            "one",
        ],
        input=json.dumps(event),
        env=function_environment(function_config, aws_env),
        text=True,
        capture_output=True,
        timeout=budget + 30,
        check=False,
    )
    return HandlerRun(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


def run_deployed_invocations(
    code_dir: Path,
    function_config: Mapping[str, Any],
    invocations: Sequence[tuple[Mapping[str, Any], float | None]],
    aws_env: Mapping[str, str],
) -> tuple[HandlerRun, list[dict[str, Any] | str]]:
    """Invoke the deployed handler on each (event, simulated epoch seconds or None) in turn, in one warm
    ``python -I`` like a reused Lambda execution environment. Returns the run and, per invocation, its
    result or the error it raised (a string). The simulated time is the delivery ledger's clock
    (``State.clock``): this harness sets it in its own process, which no event or environment can."""
    budget = float(function_config.get("Timeout", 30))
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            _RUNNER,
            str(code_dir),
            str(function_config["Handler"]),
            str(budget),
            "many",
        ],
        input=json.dumps([{"event": event, "clock": clock} for event, clock in invocations]),
        env=function_environment(function_config, aws_env),
        text=True,
        capture_output=True,
        timeout=(budget + 30) * max(1, len(invocations)),
        check=False,
    )
    results: list[dict[str, Any] | str] = []
    for line in proc.stdout.splitlines():
        if line.startswith("HANDLER_RESULT "):
            results.append(json.loads(line.removeprefix("HANDLER_RESULT ")))
        elif line.startswith("HANDLER_ERROR "):
            results.append(str(json.loads(line.removeprefix("HANDLER_ERROR "))))
    run = HandlerRun(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
    return run, results


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


# ------------------------------------------------------------------------------------ destinations
# What envs/prod.tfvars' destinations name and the platform team would have created beforehand.
DESTINATION_PARAMETERS: dict[str, Callable[[webhook_receiver.WebhookReceiver], str]] = {
    "/platform/prod/dynamodb-access-alerts/slack-bot-token": lambda hook: webhook_receiver.SLACK_TOKEN,
    "/orders/prod/teams-workflow-url": lambda hook: hook.teams_url,
    "/security/prod/siem-url": lambda hook: hook.signed_url,
    "/security/prod/siem-signing-secret": lambda hook: webhook_receiver.SIGNING_SECRET,
}
PAGER_TOPIC = "platform-oncall"
PAGER_QUEUE = "platform-oncall-inbox"


def provide_destinations(emulator: Emulator, hook: webhook_receiver.WebhookReceiver) -> None:
    """The destinations' parameters (pointing at the stand-in), and the on-call SNS topic with an SQS queue
    subscribed to it (raw delivery: the queue receives the message JSON and its attributes)."""
    ssm = emulator.client("ssm")
    for name, value in DESTINATION_PARAMETERS.items():
        ssm.put_parameter(Name=name, Type="SecureString", Value=value(hook), Overwrite=True)
    sns, sqs = emulator.client("sns"), emulator.client("sqs")
    topic = sns.create_topic(Name=PAGER_TOPIC)["TopicArn"]
    queue = sqs.create_queue(QueueName=PAGER_QUEUE)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=attributes["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )
