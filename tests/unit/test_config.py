"""config.load_config: every variable, every error path, and secrets that never leak."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from access_alerts import config as config_mod
from access_alerts.config import ConfigError, DeliverySettings, delivery_settings_for_cli, load_config
from access_alerts.model import PipelineResources

SECRET_URL = "https://hooks.slack.com/services/T000/B000/sEcReTtOkEn"


def env(**overrides: str | None) -> dict[str, str]:
    base: dict[str, str | None] = {
        "ACCESS_ALERTS_NAME": "prod-alerts",
        "ACCESS_ALERTS_TABLES": '["Orders", "arn:aws:dynamodb:eu-west-1:111122223333:table/Customers"]',
        "ACCESS_ALERTS_WEBHOOK_URL": SECRET_URL,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    config_mod.clear_secret_cache()
    yield
    config_mod.clear_secret_cache()


def test_full_configuration_is_read() -> None:
    cfg = load_config(
        env(
            ACCESS_ALERTS_ALLOWED='["arn:aws:iam::111122223333:role/app"]',
            ACCESS_ALERTS_ALLOWED_MANAGEMENT='["arn:aws:iam::111122223333:role/deploy"]',
            ACCESS_ALERTS_WATCH_PIPELINE="false",
            ACCESS_ALERTS_WATCH_TABLE_MANAGEMENT="TRUE",
            ACCESS_ALERTS_PIPELINE=json.dumps(
                {
                    "trail_arn": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/t",
                    "trail_bucket": "b",
                    "log_group_names": ["/aws/cloudtrail/x", "/aws/lambda/y"],
                    "function_name": "f",
                    "queue_arn": None,
                    "kms_key_arn": "",
                    "ssm_parameter_names": ["/p/webhook"],
                }
            ),
            ACCESS_ALERTS_KEY_VALUES="hide",
        )
    )
    assert cfg.policy.tables == ("Orders", "arn:aws:dynamodb:eu-west-1:111122223333:table/Customers")
    assert cfg.policy.allowed == ("arn:aws:iam::111122223333:role/app",)
    assert cfg.policy.allowed_management == ("arn:aws:iam::111122223333:role/deploy",)
    assert cfg.policy.watch_pipeline is False
    assert cfg.policy.watch_table_management is True
    assert cfg.policy.pipeline == PipelineResources(
        trail_arn="arn:aws:cloudtrail:eu-west-1:111122223333:trail/t",
        trail_bucket="b",
        log_group_names=("/aws/cloudtrail/x", "/aws/lambda/y"),
        function_name="f",
        ssm_parameter_names=("/p/webhook",),
    )
    assert cfg.delivery.name == "prod-alerts"
    assert cfg.delivery.key_values == "hide"
    assert cfg.delivery.webhook_url() == SECRET_URL


def test_defaults() -> None:
    cfg = load_config({"ACCESS_ALERTS_TABLES": '["Orders"]', "ACCESS_ALERTS_WEBHOOK_URL": SECRET_URL})
    assert cfg.policy.allowed == () and cfg.policy.allowed_management == ()
    assert cfg.policy.watch_pipeline and cfg.policy.watch_table_management
    assert cfg.policy.pipeline == PipelineResources()
    assert cfg.delivery.key_values == "show"
    assert cfg.delivery.name == "dynamodb-access-alerts"
    assert cfg.delivery.key_hash_secret() is None


def test_other_environment_variables_are_not_read() -> None:
    class Spy(dict[str, str]):
        def __init__(self, data: dict[str, str]) -> None:
            super().__init__(data)
            self.asked: list[str] = []

        def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
            self.asked.append(key)
            return super().get(key, default)

        def __getitem__(self, key: str) -> str:
            self.asked.append(key)
            return super().__getitem__(key)

    spy = Spy(env(HOME="/root", AWS_REGION="eu-west-1"))
    load_config(spy)
    assert spy.asked and all(name.startswith("ACCESS_ALERTS_") for name in spy.asked)
    assert set(spy.asked) <= set(config_mod.KNOWN_VARIABLES)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"ACCESS_ALERTS_TABLES": None}, "ACCESS_ALERTS_TABLES is required"),
        ({"ACCESS_ALERTS_TABLES": "  "}, "ACCESS_ALERTS_TABLES is required"),
        ({"ACCESS_ALERTS_TABLES": "[]"}, "ACCESS_ALERTS_TABLES must list at least one"),
        ({"ACCESS_ALERTS_TABLES": "Orders"}, "ACCESS_ALERTS_TABLES is not valid JSON"),
        (
            {"ACCESS_ALERTS_TABLES": '{"a": 1}'},
            "ACCESS_ALERTS_TABLES must be a JSON list of strings, got an object",
        ),
        (
            {"ACCESS_ALERTS_TABLES": '["Orders", 3]'},
            "ACCESS_ALERTS_TABLES[1] must be a non-empty string, got a number",
        ),
        ({"ACCESS_ALERTS_TABLES": '["Orders", ""]'}, "ACCESS_ALERTS_TABLES[1] must be a non-empty string"),
        ({"ACCESS_ALERTS_ALLOWED": '"arn:aws:iam::1:role/x"'}, "ACCESS_ALERTS_ALLOWED must be a JSON list"),
        (
            {"ACCESS_ALERTS_ALLOWED": "[null]"},
            "ACCESS_ALERTS_ALLOWED[0] must be a non-empty string, got null",
        ),
        ({"ACCESS_ALERTS_ALLOWED_MANAGEMENT": "[1,"}, "ACCESS_ALERTS_ALLOWED_MANAGEMENT is not valid JSON"),
        ({"ACCESS_ALERTS_WATCH_PIPELINE": "yes"}, 'ACCESS_ALERTS_WATCH_PIPELINE must be "true" or "false"'),
        ({"ACCESS_ALERTS_WATCH_TABLE_MANAGEMENT": "1"}, "ACCESS_ALERTS_WATCH_TABLE_MANAGEMENT must be"),
        ({"ACCESS_ALERTS_PIPELINE": "[]"}, "ACCESS_ALERTS_PIPELINE must be a JSON object, got a list"),
        ({"ACCESS_ALERTS_PIPELINE": "{"}, "ACCESS_ALERTS_PIPELINE is not valid JSON"),
        ({"ACCESS_ALERTS_PIPELINE": '{"trail": "x"}'}, "ACCESS_ALERTS_PIPELINE has unknown field(s) trail"),
        ({"ACCESS_ALERTS_PIPELINE": '{"trail_arn": 5}'}, "ACCESS_ALERTS_PIPELINE.trail_arn must be a string"),
        (
            {"ACCESS_ALERTS_PIPELINE": '{"log_group_names": "x"}'},
            "ACCESS_ALERTS_PIPELINE.log_group_names must be",
        ),
        ({"ACCESS_ALERTS_PIPELINE": '{"ssm_parameter_names": [1]}'}, "ssm_parameter_names[0] must be"),
        ({"ACCESS_ALERTS_KEY_VALUES": "mask"}, "ACCESS_ALERTS_KEY_VALUES must be one of show, hash, hide"),
        ({"ACCESS_ALERTS_KEY_VALUES": "hash"}, "neither ACCESS_ALERTS_KEY_HASH_SSM_PARAMETER nor"),
        (
            {"ACCESS_ALERTS_KEY_HASH_SSM_PARAMETER": "/p/h", "ACCESS_ALERTS_KEY_HASH_SECRET": "s"},
            "at most one of ACCESS_ALERTS_KEY_HASH_SSM_PARAMETER and ACCESS_ALERTS_KEY_HASH_SECRET",
        ),
        ({"ACCESS_ALERTS_WEBHOOK_URL": None}, "no webhook configured"),
        ({"ACCESS_ALERTS_WEBHOOK_SSM_PARAMETER": "/p/webhook"}, "exactly one of"),
        (
            {"ACCESS_ALERTS_WEBHOOK_URL": "http://hooks.example.com/x"},
            "ACCESS_ALERTS_WEBHOOK_URL is not https",
        ),
        ({"ACCESS_ALERTS_WEBHOOK_URL": "ftp://example.com/x"}, "ACCESS_ALERTS_WEBHOOK_URL is not https"),
        ({"ACCESS_ALERTS_WEBHOOK_URL": "https:///nohost"}, "ACCESS_ALERTS_WEBHOOK_URL has no host"),
        (
            {"ACCESS_ALERTS_WEBHOOK_URL": "https://h:99999999/x"},
            "ACCESS_ALERTS_WEBHOOK_URL is not a valid URL",
        ),
        ({"ACCESS_ALERTS_NAME": "x" * 65}, "ACCESS_ALERTS_NAME must be at most 64"),
        ({"ACCESS_ALERTS_NAME": "a\nb"}, "ACCESS_ALERTS_NAME must be at most 64 printable"),
    ],
)
def test_errors_name_the_variable(overrides: dict[str, str | None], fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(env(**overrides))
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]:9/x", "https://example.com/x"],
)
def test_https_or_loopback_http_accepted(url: str) -> None:
    assert load_config(env(ACCESS_ALERTS_WEBHOOK_URL=url)).delivery.webhook_url() == url


def test_webhook_url_never_in_errors_or_repr() -> None:
    secret = "http://hooks.example.com/services/T1/B1/sEcReT"
    with pytest.raises(ConfigError) as info:
        load_config(env(ACCESS_ALERTS_WEBHOOK_URL=secret))
    assert "sEcReT" not in str(info.value)
    cfg = load_config(env(ACCESS_ALERTS_KEY_VALUES="hash", ACCESS_ALERTS_KEY_HASH_SECRET="hashSeCrEt"))
    text = repr(cfg)
    assert "sEcReTtOkEn" not in text and "hashSeCrEt" not in text
    assert cfg.delivery.key_hash_secret() == b"hashSeCrEt"


class FakeSSM:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.calls: list[tuple[str, bool]] = []

    def get_parameter(self, Name: str, WithDecryption: bool) -> dict[str, Any]:
        self.calls.append((Name, WithDecryption))
        if Name not in self.values:
            raise LookupError("ParameterNotFound")
        return {"Parameter": {"Name": Name, "Value": self.values[Name]}}


class FakeBoto3:
    def __init__(self, ssm: FakeSSM) -> None:
        self.ssm = ssm
        self.clients: list[str] = []

    def client(self, name: str, **_: Any) -> FakeSSM:
        self.clients.append(name)
        return self.ssm


@pytest.fixture
def fake_boto3(monkeypatch: pytest.MonkeyPatch) -> FakeBoto3:
    fake = FakeBoto3(
        FakeSSM({"/alerts/webhook": SECRET_URL, "/alerts/hash": "k3y", "/alerts/bad": "http://evil/x"})
    )
    monkeypatch.setitem(sys.modules, "boto3", fake)  # type: ignore[arg-type]
    return fake


def test_ssm_secrets_fetched_lazily_with_decryption_and_once(fake_boto3: FakeBoto3) -> None:
    cfg = load_config(
        env(
            ACCESS_ALERTS_WEBHOOK_URL=None,
            ACCESS_ALERTS_WEBHOOK_SSM_PARAMETER="/alerts/webhook",
            ACCESS_ALERTS_KEY_VALUES="hash",
            ACCESS_ALERTS_KEY_HASH_SSM_PARAMETER="/alerts/hash",
        )
    )
    assert fake_boto3.ssm.calls == []  # nothing fetched by load_config
    assert cfg.delivery.webhook_url() == SECRET_URL
    assert cfg.delivery.key_hash_secret() == b"k3y"
    cfg.delivery.resolve()
    cfg.delivery.webhook_url()
    assert fake_boto3.ssm.calls == [("/alerts/webhook", True), ("/alerts/hash", True)]
    assert SECRET_URL not in repr(cfg)


def test_missing_parameter_names_it_without_values(fake_boto3: FakeBoto3) -> None:
    settings = DeliverySettings(webhook_ssm_parameter="/alerts/missing")
    with pytest.raises(ConfigError) as info:
        settings.webhook_url()
    assert "/alerts/missing" in str(info.value) and "LookupError" in str(info.value)
    assert "ACCESS_ALERTS_WEBHOOK_SSM_PARAMETER" in str(info.value)


def test_non_https_url_from_ssm_is_rejected_without_showing_it(fake_boto3: FakeBoto3) -> None:
    settings = DeliverySettings(webhook_ssm_parameter="/alerts/bad")
    with pytest.raises(ConfigError) as info:
        settings.webhook_url()
    assert "the webhook URL from parameter '/alerts/bad' is not https" in str(info.value)
    assert "evil" not in str(info.value)


def test_empty_parameter(fake_boto3: FakeBoto3) -> None:
    fake_boto3.ssm.values["/alerts/empty"] = "  "
    with pytest.raises(ConfigError, match="is empty"):
        DeliverySettings(webhook_ssm_parameter="/alerts/empty").webhook_url()


def test_hash_mode_without_secret_source_fails_on_resolve() -> None:
    with pytest.raises(ConfigError, match="no secret is configured"):
        DeliverySettings(key_values="hash", direct_webhook_url=SECRET_URL).resolve()
    with pytest.raises(ConfigError, match="no webhook configured"):
        DeliverySettings().webhook_url()


def test_boto3_not_imported_by_loading_config(repo_root: Any) -> None:
    code = (
        "import os, sys; from access_alerts.config import load_config; "
        "load_config(os.environ).delivery.resolve(); import access_alerts.handler; "
        "print('boto3' in sys.modules)"
    )
    child_env = {"PYTHONPATH": str(repo_root / "lambda_src"), **env()}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=child_env
    )
    assert out.stdout.strip() == "False"


def test_cli_settings() -> None:
    s = delivery_settings_for_cli("http://127.0.0.1:9/x")
    assert s.webhook_url() == "http://127.0.0.1:9/x" and s.key_values == "show"
    h = delivery_settings_for_cli("https://example.com/x", key_values="HASH", key_hash_secret="k")
    assert h.key_values == "hash" and h.key_hash_secret() == b"k"
    with pytest.raises(ConfigError, match="--webhook is not https"):
        delivery_settings_for_cli("http://example.com/x")
    with pytest.raises(ConfigError, match="must be one of"):
        delivery_settings_for_cli("https://example.com/x", key_values="nope")
    with pytest.raises(ConfigError, match="needs a key hash secret"):
        delivery_settings_for_cli("https://example.com/x", key_values="hash")


def test_secrets_from_real_ssm_api_with_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        ssm.put_parameter(Name="/alerts/webhook", Value=SECRET_URL, Type="SecureString")
        ssm.put_parameter(Name="/alerts/hash", Value="s3cr3t", Type="SecureString")
        cfg = load_config(
            env(
                ACCESS_ALERTS_WEBHOOK_URL=None,
                ACCESS_ALERTS_WEBHOOK_SSM_PARAMETER="/alerts/webhook",
                ACCESS_ALERTS_KEY_VALUES="hash",
                ACCESS_ALERTS_KEY_HASH_SSM_PARAMETER="/alerts/hash",
            )
        )
        cfg.delivery.resolve()
        assert cfg.delivery.webhook_url() == SECRET_URL
        assert cfg.delivery.key_hash_secret() == b"s3cr3t"
        ssm.delete_parameter(Name="/alerts/webhook")
        assert cfg.delivery.webhook_url() == SECRET_URL  # cached for the life of the environment
        config_mod.clear_secret_cache()
        with pytest.raises(ConfigError, match="cannot read SSM parameter '/alerts/webhook'"):
            cfg.delivery.webhook_url()
