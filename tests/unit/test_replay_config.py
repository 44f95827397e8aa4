"""replay --config FILE and --function NAME: the deployed configuration document decides, tamper rules
included; flags add to it; a wrong document is refused."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from access_alerts import cli, handler
from access_alerts.webhook import PostResult
from tests.fakes import pool
from tests.generators import config_document
from tests.unit.test_records_fixtures import FIXTURES, SETTINGS, load_fixture
from tools.payloads import encode_subscription

PIPELINE = SETTINGS.pipeline


def fixture_document(**fields: Any) -> dict[str, Any]:
    """The settings the record fixtures' expectations are written for, as the module writes them."""
    pipeline = {
        "trail_arn": PIPELINE.trail_arn,
        "trail_bucket": PIPELINE.trail_bucket,
        "log_group_names": list(PIPELINE.log_group_names),
        "function_name": PIPELINE.function_name,
        "queue_arn": PIPELINE.queue_arn,
        "kms_key_arns": list(PIPELINE.kms_key_arns),
        "ssm_parameter_names": list(PIPELINE.ssm_parameter_names),
        "alarm_names": list(PIPELINE.alarm_names),
        "schedule_names": list(PIPELINE.schedule_names),
        "role_names": list(PIPELINE.role_names),
        "table_names": list(PIPELINE.table_names),
        "rule_names": list(PIPELINE.rule_names),
    }
    values: dict[str, Any] = {
        "tables": list(SETTINGS.tables),
        "allowed": list(SETTINGS.allowed),
        "allowed_management": list(SETTINGS.allowed_management),
        "pipeline": pipeline,
        "destinations": {"default": {"type": "slack_webhook", "url_parameter": "/ddb-alerts/webhook-url"}},
        "canary": (
            {"table_arn": SETTINGS.canary.table_arn, "role_arn": SETTINGS.canary.role_arn}
            if SETTINGS.canary is not None
            else None
        ),
    }
    return config_document("https://hooks.example.com/services/T/B/x", **{**values, **fields})


@pytest.fixture
def fixtures() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [load_fixture(p) for p in sorted(FIXTURES.glob("*.json"))]


@pytest.fixture
def trail_file(tmp_path: Path, fixtures: list[tuple[dict[str, Any], dict[str, Any]]]) -> Path:
    p = tmp_path / "111122223333_CloudTrail_us-east-1_20261118T0915Z_0123456789ABCDEF.json.gz"
    p.write_bytes(gzip.compress(json.dumps({"Records": [rec for rec, _ in fixtures]}).encode()))
    return p


def replay(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, Any]], str]:
    code = cli.main(["replay", "--format", "jsonl", "--jobs", "1", *argv])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_config_decides_every_fixture_as_expected_tamper_included(
    tmp_path: Path,
    trail_file: Path,
    fixtures: list[tuple[dict[str, Any], dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(fixture_document()))
    code, rows, err = replay(["--config", str(cfg), str(trail_file)], capsys)
    assert code == 0, err
    got = [(r["decision"], r["alert_kind"]) for r in rows]
    want = [(expect["decision"], expect.get("alert_kind")) for _, expect in fixtures]
    assert got == want
    assert ("alert", "tamper") in got  # only a document knows the pipeline's resources


def test_config_counts_like_the_handler_with_the_same_document(
    tmp_path: Path,
    trail_file: Path,
    fixtures: list[tuple[dict[str, Any], dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    local = {"default": {"type": "slack_webhook", "url": "http://127.0.0.1:9/x"}}
    document = fixture_document(destinations=local)
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(document))
    code, rows, _ = replay(["--config", str(cfg), str(trail_file)], capsys)
    assert code == 0
    state = handler.build_state({"ACCESS_ALERTS_CONFIG": json.dumps(document)})
    state.senders = pool(
        state.senders.routing,
        {"default": lambda payload, deadline: PostResult(ok=True, status=200, attempts=1)},
    )
    summary, _ = handler.process_event(encode_subscription([rec for rec, _ in fixtures]), state)
    kinds = [r["decision"] for r in rows]
    assert (summary.alert, summary.allowed, summary.ignored) == (
        kinds.count("alert"),
        kinds.count("allowed"),
        kinds.count("ignored"),
    )


def test_base64_gzip_form_and_flags_add_to_the_document(
    tmp_path: Path, trail_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "cfg.b64"
    raw = json.dumps(fixture_document()).encode()
    cfg.write_text(base64.b64encode(gzip.compress(raw)).decode())  # as the SSM parameter holds it
    code, rows, _ = replay(["--config", str(cfg), str(trail_file)], capsys)
    assert code == 0
    alerting = sorted(
        {r["principal"] for r in rows if r["decision"] == "alert" and r["alert_kind"] == "data"}
    )
    extra = next(p for p in alerting if p and p.startswith("arn:aws:iam::111122223333:role/"))
    code, again, _ = replay(["--config", str(cfg), "--allow", extra, str(trail_file)], capsys)
    assert code == 0
    assert {r["matched"] for r in again if r["principal"] == extra and r["decision"] == "allowed"} == {extra}
    assert sum(r["decision"] == "alert" for r in again) < sum(r["decision"] == "alert" for r in rows)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("", "the file is empty"),
        ("{", "is not JSON"),
        (json.dumps({"version": 1}), "--config"),
        (json.dumps(fixture_document(surprise=True)), "surprise"),
    ],
)
def test_bad_documents_are_usage_errors(
    tmp_path: Path, trail_file: Path, content: str, fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "cfg.json"
    cfg.write_text(content)
    code, rows, err = replay(["--config", str(cfg), str(trail_file)], capsys)
    assert code == 2 and rows == []
    assert err.startswith(f"replay: --config {cfg}") and fragment in err


def test_config_and_function_exclude_each_other(trail_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = replay(["--config", "a.json", "--function", "f", str(trail_file)], capsys)
    assert code == 2 and "not allowed with argument" in err


# -- --function, on the emulator -----------------------------------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    from access_alerts import config

    config.clear_secret_cache()
    with mock_aws():
        yield boto3.session.Session(region_name="us-east-1")
    config.clear_secret_cache()


def deploy_function(
    session: Any, document: dict[str, Any], *, sha256: str | None = None, name: str = "prod-access-alerts"
) -> str:
    """A function as the module configures it: the document in an SSM SecureString (base64 gzip of the
    JSON), its name and hash in the environment."""
    text = json.dumps(document)
    session.client("ssm").put_parameter(
        Name="/dynamodb-access-alerts/prod/configuration",
        Value=base64.b64encode(gzip.compress(text.encode())).decode(),
        Type="SecureString",
        Overwrite=True,
    )
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    role = session.client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=trust)
    role_arn = role["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as zf:
        zf.writestr("access_alerts/__init__.py", "")
    session.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="access_alerts.handler.lambda_handler",
        Code={"ZipFile": code.getvalue()},
        Environment={
            "Variables": {
                "ACCESS_ALERTS_CONFIG_PARAMETER": "/dynamodb-access-alerts/prod/configuration",
                "ACCESS_ALERTS_CONFIG_SHA256": sha256 or hashlib.sha256(text.encode()).hexdigest(),
            }
        },
    )
    return name


def test_function_reads_the_deployed_document(
    aws: Any,
    tmp_path: Path,
    trail_file: Path,
    fixtures: list[tuple[dict[str, Any], dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    name = deploy_function(aws, fixture_document())
    code, rows, err = replay(["--function", name, str(trail_file)], capsys)
    assert code == 0, err
    assert [(r["decision"], r["alert_kind"]) for r in rows] == [
        (expect["decision"], expect.get("alert_kind")) for _, expect in fixtures
    ]


def test_function_refuses_a_document_that_does_not_match_its_hash(
    aws: Any, trail_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = deploy_function(aws, fixture_document(), sha256="0" * 64)
    code, rows, err = replay(["--function", name, str(trail_file)], capsys)
    assert code == 2 and rows == []
    assert "does not match ACCESS_ALERTS_CONFIG_SHA256" in err


def test_function_that_is_not_there_or_not_ours(
    aws: Any, trail_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = replay(["--function", "nope", str(trail_file)], capsys)
    assert code == 2 and "--function nope: cannot read the function's configuration" in err
    other = deploy_function(aws, fixture_document(), name="someone-elses")
    aws.client("lambda").update_function_configuration(FunctionName=other, Environment={"Variables": {}})
    code, _, err = replay(["--function", other, str(trail_file)], capsys)
    assert code == 2 and "names no configuration document" in err
