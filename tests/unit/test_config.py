"""config: the configuration document (every field, both encodings, the hash), where it comes from, every
error path, and secrets that never leak."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import subprocess
import sys
from typing import Any

import pytest

from access_alerts import config as config_mod
from access_alerts.accounts import Accounts
from access_alerts.config import (
    ConfigError,
    DeliverySettings,
    Home,
    LedgerSettings,
    check_webhook_url,
    delivery_settings_for_cli,
    load_config,
    parse_document,
    read_secret,
)
from access_alerts.destinations import Destination, Routing, Secret
from access_alerts.model import CanarySettings, PipelineResources
from access_alerts.senders import build_sender
from tests.generators import config_document

SECRET_URL = "https://hooks.slack.com/services/T000/B000/sEcReTtOkEn"
HASH_SECRET = "k3y-" + "0123456789abcdef" * 2  # at least rules.json key_hash_secret_min_length
A = "111122223333"
ORDERS = f"arn:aws:dynamodb:eu-west-1:{A}:table/Orders"
PARAMETER = "/dynamodb-access-alerts/prod/configuration"
CANARY_TABLE = f"arn:aws:dynamodb:eu-west-1:{A}:table/prod-alerts-access-alerts-canary"
CANARY_ROLE = f"arn:aws:iam::{A}:role/security/prod-alerts-canary"


def full_document() -> dict[str, Any]:
    """What the module writes (configuration.tf), with every field set."""
    return {
        "version": 1,
        "name": "prod-alerts",
        "tables": [ORDERS, f"arn:aws:dynamodb:eu-west-1:{A}:table/Customers"],
        "allowed": [f"arn:aws:iam::{A}:role/app"],
        "allowed_management": [f"arn:aws:iam::{A}:role/deploy"],
        "watch_pipeline": False,
        "watch_table_management": True,
        "pipeline": {
            "trail_arn": f"arn:aws:cloudtrail:eu-west-1:{A}:trail/t",
            "trail_bucket": "b",
            "log_group_names": ["/aws/cloudtrail/x", "/aws/lambda/y"],
            "function_name": "f",
            "queue_arn": None,
            "kms_key_arns": [f"arn:aws:kms:eu-west-1:{A}:key/k-1", f"arn:aws:kms:eu-west-1:{A}:key/k-logs"],
            "ssm_parameter_names": ["/p/webhook"],
            "alarm_names": ["prod-alerts-function-errors", "prod-alerts-canary-silent"],
            "schedule_names": ["prod-alerts-access-alerts-canary"],
            "role_names": ["prod-alerts-lambda", "prod-alerts-canary"],
            "table_names": ["prod-alerts-delivery-ledger"],
            "rule_names": ["prod-alerts-flush-digests"],
        },
        "key_values": "hash",
        "key_hash_parameter": "/p/hash",
        "destinations": {"default": {"type": "slack_webhook", "url_parameter": "/p/webhook"}},
        "default_destinations": ["default"],
        "routes": [],
        "ledger": {"table_name": "prod-alerts-ledger", "digest_window_minutes": 10, "ttl_days": 7},
        "account_names": {A: "payments-prod", "210987654321": "<!here> shared"},
        "home": {"partition": "aws", "account": A, "region": "eu-west-1"},
        "canary": {"table_arn": CANARY_TABLE, "role_arn": CANARY_ROLE},
    }


def url_of(settings: DeliverySettings, name: str = "default") -> str:
    secret = settings.routing.destinations[name].url
    assert secret is not None
    return read_secret(secret)


def hook_routing(parameter: str) -> Routing:
    where = "destinations.default.url_parameter"
    return Routing({"default": Destination("default", "slack_webhook", url=Secret(parameter, where=where))})


def as_terraform_writes_it(document: dict[str, Any]) -> tuple[str, str]:
    """(base64gzip(jsonencode(document)), sha256(jsonencode(document))), as configuration.tf computes them."""
    text = json.dumps(document, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(text)).decode("ascii"), hashlib.sha256(text).hexdigest()


def inline(document: object) -> dict[str, str]:
    return {"ACCESS_ALERTS_CONFIG": json.dumps(document)}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    config_mod.clear_secret_cache()
    yield
    config_mod.clear_secret_cache()


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
        FakeSSM({"/p/webhook": SECRET_URL, "/p/hash": HASH_SECRET, "/alerts/bad": "http://evil/x"})
    )
    monkeypatch.setitem(sys.modules, "boto3", fake)  # type: ignore[arg-type]
    return fake


# -- the document --------------------------------------------------------------------------------------


def test_every_field_is_read() -> None:
    cfg = parse_document(full_document())
    assert cfg.policy.tables == (ORDERS, f"arn:aws:dynamodb:eu-west-1:{A}:table/Customers")
    assert cfg.policy.allowed == (f"arn:aws:iam::{A}:role/app",)
    assert cfg.policy.allowed_management == (f"arn:aws:iam::{A}:role/deploy",)
    assert cfg.policy.watch_pipeline is False
    assert cfg.policy.watch_table_management is True
    assert cfg.policy.pipeline == PipelineResources(
        trail_arn=f"arn:aws:cloudtrail:eu-west-1:{A}:trail/t",
        trail_bucket="b",
        log_group_names=("/aws/cloudtrail/x", "/aws/lambda/y"),
        function_name="f",
        kms_key_arns=(f"arn:aws:kms:eu-west-1:{A}:key/k-1", f"arn:aws:kms:eu-west-1:{A}:key/k-logs"),
        ssm_parameter_names=("/p/webhook",),
        alarm_names=("prod-alerts-function-errors", "prod-alerts-canary-silent"),
        schedule_names=("prod-alerts-access-alerts-canary",),
        role_names=("prod-alerts-lambda", "prod-alerts-canary"),
        table_names=("prod-alerts-delivery-ledger",),
        rule_names=("prod-alerts-flush-digests",),
    )
    assert cfg.policy.canary == CanarySettings(table_arn=CANARY_TABLE, role_arn=CANARY_ROLE)
    assert cfg.home == Home(partition="aws", account=A, region="eu-west-1")
    assert cfg.delivery == DeliverySettings(
        routing=hook_routing("/p/webhook"),
        name="prod-alerts",
        key_values="hash",
        key_hash_ssm_parameter="/p/hash",
        accounts=Accounts(names={A: "payments-prod", "210987654321": "<!here> shared"}, home=A),
    )
    assert cfg.ledger == LedgerSettings("prod-alerts-ledger", digest_window_minutes=10, ttl_days=7)


def test_no_ledger_in_a_local_document() -> None:
    assert parse_document({**full_document(), "ledger": None}).ledger is None
    digests_off = {"table_name": "t-ledger", "digest_window_minutes": 0, "ttl_days": 1}
    assert parse_document({**full_document(), "ledger": digests_off}).ledger == LedgerSettings(
        "t-ledger", 0, 1
    )


def test_a_local_document_may_carry_the_url() -> None:
    cfg = load_config(inline(config_document("http://127.0.0.1:9/hook")))
    assert url_of(cfg.delivery) == "http://127.0.0.1:9/hook"
    assert cfg.delivery.key_hash_secret() is None


@pytest.mark.parametrize("encoded", [True, False], ids=["base64gzip", "plain"])
def test_inline_document_in_either_form(encoded: bool) -> None:
    document = config_document(SECRET_URL)
    value, sha = as_terraform_writes_it(document)
    env = {"ACCESS_ALERTS_CONFIG": value if encoded else json.dumps(document, separators=(",", ":"))}
    assert url_of(load_config(env).delivery) == SECRET_URL
    assert load_config({**env, "ACCESS_ALERTS_CONFIG_SHA256": sha.upper()}).delivery.name == "prod-alerts"
    with pytest.raises(ConfigError, match="does not match ACCESS_ALERTS_CONFIG_SHA256"):
        load_config({**env, "ACCESS_ALERTS_CONFIG_SHA256": "0" * 64})


def test_only_the_three_variables_are_read() -> None:
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

    spy = Spy({**inline(config_document(SECRET_URL)), "HOME": "/root", "ACCESS_ALERTS_TABLES": '["x"]'})
    load_config(spy)
    assert spy.asked and set(spy.asked) <= set(config_mod.KNOWN_VARIABLES)


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        ({}, "no configuration: set ACCESS_ALERTS_CONFIG_PARAMETER"),
        ({"ACCESS_ALERTS_TABLES": '["Orders"]'}, "no longer read"),
        (
            {"ACCESS_ALERTS_CONFIG_PARAMETER": PARAMETER, "ACCESS_ALERTS_CONFIG": "{}"},
            "not both",
        ),
        ({"ACCESS_ALERTS_CONFIG_PARAMETER": PARAMETER}, "ACCESS_ALERTS_CONFIG_SHA256 is required"),
        ({"ACCESS_ALERTS_CONFIG": "{", "ACCESS_ALERTS_CONFIG_SHA256": "x"}, "must be 64 hexadecimal"),
        ({"ACCESS_ALERTS_CONFIG": "{"}, "ACCESS_ALERTS_CONFIG is not JSON"),
        ({"ACCESS_ALERTS_CONFIG": "not base64 at all %%%"}, "neither JSON nor base64(gzip(JSON))"),
        ({"ACCESS_ALERTS_CONFIG": base64.b64encode(b"plain").decode()}, "not gzip-compressed JSON"),
        (
            {"ACCESS_ALERTS_CONFIG": base64.b64encode(gzip.compress(b"\xff{")).decode()},
            "is not UTF-8",
        ),
    ],
)
def test_where_the_document_comes_from(environ: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(environ)
    assert fragment in str(info.value)


def broken(path: str, value: Any) -> dict[str, Any]:
    """The full document with one field (``a.b`` for nested) set to ``value``, or removed for ``...``."""
    document = full_document()
    *parents, last = path.split(".")
    target = document
    for name in parents:
        target = target[name]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return document


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("extra", 1, "the document has unknown field(s) extra"),
        ("routes", ..., "the document lacks the field(s) routes"),
        ("version", 2, "version must be 1, got 2"),
        ("version", True, "version must be 1"),
        ("version", "1", "version must be 1"),
        ("name", "", "name must be a non-empty string, got a string"),
        ("name", "x" * 65, "name must be at most 64 printable characters"),
        ("name", "a\nb", "name must be at most 64 printable characters"),
        ("tables", [], "tables must list at least one table ARN"),
        ("tables", {"a": 1}, "tables must be a list of strings, got an object"),
        ("tables", [ORDERS, 3], "tables[1] must be a non-empty string, got a number"),
        ("tables", [ORDERS, ""], "tables[1] must be a non-empty string"),
        ("allowed", "arn:aws:iam::1:role/x", "allowed must be a list of strings, got a string"),
        ("allowed", [None], "allowed[0] must be a non-empty string, got null"),
        ("allowed_management", [[]], "allowed_management[0] must be a non-empty string, got an array"),
        ("watch_pipeline", "true", "watch_pipeline must be true or false, got a string"),
        ("watch_table_management", 1, "watch_table_management must be true or false, got a number"),
        ("pipeline", [], "pipeline must be an object, got an array"),
        ("pipeline.trail", "x", "pipeline has unknown field(s) trail"),
        ("pipeline.queue_arn", ..., "pipeline lacks the field(s) queue_arn"),
        ("pipeline.trail_arn", 5, "pipeline.trail_arn must be a string or null, got a number"),
        ("pipeline.log_group_names", "x", "pipeline.log_group_names must be a list of strings"),
        ("pipeline.ssm_parameter_names", [1], "pipeline.ssm_parameter_names[0] must be"),
        ("pipeline.kms_key_arn", "k", "pipeline has unknown field(s) kms_key_arn"),
        ("pipeline.kms_key_arns", "arn:aws:kms:x", "pipeline.kms_key_arns must be a list of strings"),
        ("key_values", "mask", "key_values must be one of show, hash, hide"),
        ("key_hash_parameter", None, "key_hash_parameter is required when key_values is 'hash'"),
        ("key_hash_parameter", 3, "key_hash_parameter must be a string or null"),
        ("destinations", {}, "destinations must name at least one destination"),
        ("destinations", [], "destinations must be an object"),
        ("destinations.default.type", "email", "destinations.default.type must be one of slack_webhook, "),
        ("destinations.default.channel", "#x", "destinations.default (slack_webhook) has field(s) channel"),
        ("destinations.default.url_parameter", ..., "destinations.default needs url_parameter"),
        ("destinations.default.url", SECRET_URL, "not both url_parameter and url"),
        ("destinations.default.url_parameter", "", "destinations.default.url_parameter must be a non-empty"),
        ("destinations.default.url_parameter", "arn:aws:ssm:x", "must be an SSM parameter name"),
        (
            "default_destinations",
            ["nope"],
            "default_destinations[0] names 'nope', which is not a destination",
        ),
        ("default_destinations", [], "default_destinations must name at least one destination"),
        ("routes", [{"match": {}}], "routes[0] has unknown field(s) match"),
        ("routes", {}, "routes must be a list, got an object"),
        ("ledger", ..., "the document lacks the field(s) ledger"),
        ("ledger", "t", "ledger must be an object, got a string"),
        ("ledger.extra", 1, "ledger has unknown field(s) extra"),
        ("ledger.ttl_days", ..., "ledger lacks the field(s) ttl_days"),
        ("ledger.table_name", "", "ledger.table_name must be a non-empty string"),
        ("ledger.table_name", "a/b", "ledger.table_name must be a DynamoDB table name"),
        (
            "ledger.digest_window_minutes",
            -1,
            "ledger.digest_window_minutes must be between 0 and 1440, got -1",
        ),
        ("ledger.digest_window_minutes", 2.5, "ledger.digest_window_minutes must be a whole number"),
        ("ledger.digest_window_minutes", True, "ledger.digest_window_minutes must be a whole number"),
        ("ledger.digest_window_minutes", 1441, "must be between 0 and 1440"),
        ("ledger.ttl_days", 0, "ledger.ttl_days must be between 1 and 365, got 0"),
        ("ledger.ttl_days", "7", "ledger.ttl_days must be a whole number, got a string"),
        ("home", ..., "the document lacks the field(s) home"),
        ("home", "us-east-1", "home must be an object, got a string"),
        ("home.zone", "a", "home has unknown field(s) zone"),
        ("home.region", ..., "home lacks the field(s) region"),
        ("home.partition", "aws-eu", "home.partition must be one of aws, aws-cn, aws-us-gov"),
        ("home.account", "12345", "home.account must be a 12-digit account id"),
        ("home.region", "Europe", "home.region must be a Region name such as us-east-1"),
        ("home.region", None, "home.region must be a non-empty string, got null"),
        ("canary", ..., "the document lacks the field(s) canary"),
        ("account_names", ..., "the document lacks the field(s) account_names"),
        ("account_names", [], "account_names must be an object, got an array"),
        ("account_names.payments", "p", "account_names keys must be 12-digit account IDs, got 'payments'"),
        (f"account_names.{A}", "", f"account_names[{A}] must be a non-empty string"),
        (f"account_names.{A}", 7, f"account_names[{A}] must be a non-empty string, got a number"),
        ("canary", [], "canary must be an object, got an array"),
        ("canary.schedule", "s", "canary has unknown field(s) schedule"),
        ("canary.role_arn", ..., "canary lacks the field(s) role_arn"),
        ("canary.table_arn", "", "canary.table_arn must be a non-empty string"),
        ("canary.table_arn", "heartbeats", "canary.table_arn must be a DynamoDB table ARN"),
        ("canary.table_arn", ORDERS + "/stream/2026", "canary.table_arn must be a DynamoDB table ARN"),
        ("canary.role_arn", f"arn:aws:iam::{A}:user/canary", "canary.role_arn must be an IAM role ARN"),
        ("canary.role_arn", f"arn:aws:sts::{A}:assumed-role/c/s", "canary.role_arn must be an IAM role ARN"),
        ("pipeline.alarm_names", ..., "pipeline lacks the field(s) alarm_names"),
        ("pipeline.schedule_names", "s", "pipeline.schedule_names must be a list of strings"),
        ("pipeline.role_names", [""], "pipeline.role_names[0] must be a non-empty string"),
        ("pipeline.table_names", ..., "pipeline lacks the field(s) table_names"),
        ("pipeline.rule_names", "r", "pipeline.rule_names must be a list of strings"),
    ],
)
def test_errors_name_the_field(path: str, value: Any, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_document(broken(path, value))
    assert fragment in str(info.value)


def test_canary_may_be_null() -> None:
    """canary_interval_minutes = 0: the module writes no canary and the function expects no heartbeat."""
    document = full_document()
    document["canary"] = None
    assert parse_document(document).policy.canary is None


def test_errors_from_load_config_say_where_the_document_came_from() -> None:
    with pytest.raises(ConfigError, match=r"^the configuration document in ACCESS_ALERTS_CONFIG: version"):
        load_config(inline(broken("version", 3)))
    with pytest.raises(ConfigError, match="the document must be an object, got an array"):
        load_config(inline([]))


def test_a_url_in_a_deployed_document_is_refused(fake_boto3: FakeBoto3) -> None:
    document = config_document(SECRET_URL)
    value, sha = as_terraform_writes_it(document)
    fake_boto3.ssm.values[PARAMETER] = value
    env = {"ACCESS_ALERTS_CONFIG_PARAMETER": PARAMETER, "ACCESS_ALERTS_CONFIG_SHA256": sha}
    with pytest.raises(ConfigError) as info:
        load_config(env)
    assert "destinations.default.url: a secret value is accepted only in a local document" in str(info.value)
    assert "sEcReT" not in str(info.value)


# -- the document in SSM ---------------------------------------------------------------------------------


def test_document_from_the_parameter_is_checked_against_its_hash(fake_boto3: FakeBoto3) -> None:
    value, sha = as_terraform_writes_it(full_document())
    fake_boto3.ssm.values[PARAMETER] = value
    env = {"ACCESS_ALERTS_CONFIG_PARAMETER": PARAMETER, "ACCESS_ALERTS_CONFIG_SHA256": sha}
    cfg = load_config(env)
    assert cfg.delivery.routing == hook_routing("/p/webhook")
    assert fake_boto3.ssm.calls == [(PARAMETER, True)]  # the document only: secrets are fetched later
    changed, _ = as_terraform_writes_it(broken("allowed", ["arn:aws:iam::*:role/*"]))
    fake_boto3.ssm.values[PARAMETER] = changed
    with pytest.raises(ConfigError) as info:
        load_config(env)
    assert f"the configuration document in SSM parameter {PARAMETER!r} does not match" in str(info.value)
    fake_boto3.ssm.values[PARAMETER] = json.dumps(full_document())  # plain JSON is accepted as well
    text = fake_boto3.ssm.values[PARAMETER].encode()
    assert load_config({**env, "ACCESS_ALERTS_CONFIG_SHA256": hashlib.sha256(text).hexdigest()})


def test_missing_document_parameter_is_named(fake_boto3: FakeBoto3) -> None:
    env = {"ACCESS_ALERTS_CONFIG_PARAMETER": "/nope", "ACCESS_ALERTS_CONFIG_SHA256": "a" * 64}
    with pytest.raises(ConfigError) as info:
        load_config(env)
    assert "ACCESS_ALERTS_CONFIG_PARAMETER: cannot read SSM parameter '/nope' (LookupError)" in str(
        info.value
    )


# -- webhook URLs (the rule in rules.json) -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/T/B/x",
        "https://example.com",
        "https://h:8443/x?y=1",
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]:9/x",
    ],
)
def test_webhook_url_accepted(url: str) -> None:
    assert check_webhook_url(url, "--webhook") == url


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://hooks.example.com/x", "is not https (plain http is accepted only on 127.0.0.1"),
        ("http://10.0.0.1/x", "is not https (plain http"),
        ("http://127.9.9.9/x", "is not https (plain http"),
        ("http://127.0.0.1.evil.example/x", "is not https (plain http"),
        ("ftp://example.com/x", "is not https; expected https://HOST/..."),
        ("not a url", "is not https"),
        ("https:///nohost", "has no host"),
        ("https://h:99999999/x", "is not a valid webhook URL"),
        ("https://user@host/x", "is not a valid webhook URL"),
        ("https://host/a b", "is not a valid webhook URL"),
    ],
)
def test_webhook_url_rejected_without_showing_it(url: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_webhook_url(url, "destinations.default.url")
    assert str(info.value).startswith("destinations.default.url ") and fragment in str(info.value)
    assert url not in str(info.value)


def test_bad_url_in_a_local_document_is_named() -> None:
    with pytest.raises(ConfigError, match=r"destinations\.default\.url is not https"):
        load_config(inline(config_document("http://hooks.example.com/services/T1/B1/sEcReT")))


# -- secrets -------------------------------------------------------------------------------------------


def test_ssm_secrets_fetched_lazily_with_decryption_and_once(fake_boto3: FakeBoto3) -> None:
    cfg = load_config(inline(full_document()))
    assert fake_boto3.ssm.calls == []  # nothing fetched by load_config
    assert url_of(cfg.delivery) == SECRET_URL
    assert cfg.delivery.key_hash_secret() == HASH_SECRET.encode()
    url_of(cfg.delivery)
    cfg.delivery.key_hash_secret()
    assert fake_boto3.ssm.calls == [("/p/webhook", True), ("/p/hash", True)]
    assert fake_boto3.clients == ["ssm"]  # one client per cold start
    assert SECRET_URL not in repr(cfg) and HASH_SECRET not in repr(cfg)


def test_missing_parameter_names_it_and_the_field_without_values(fake_boto3: FakeBoto3) -> None:
    with pytest.raises(ConfigError) as info:
        url_of(DeliverySettings(hook_routing("/alerts/missing")))
    message = str(info.value)
    assert "/alerts/missing" in message and "LookupError" in message
    assert message.startswith("destinations.default.url_parameter: cannot read SSM parameter")


def test_non_https_url_from_ssm_is_rejected_without_showing_it(fake_boto3: FakeBoto3) -> None:
    with pytest.raises(ConfigError) as info:
        build_sender(hook_routing("/alerts/bad").destinations["default"], read_secret)
    assert "the URL in destinations.default.url_parameter is not https" in str(info.value)
    assert "evil" not in str(info.value)


def test_empty_parameter(fake_boto3: FakeBoto3) -> None:
    fake_boto3.ssm.values["/alerts/empty"] = "  "
    with pytest.raises(ConfigError, match="is empty"):
        url_of(DeliverySettings(hook_routing("/alerts/empty")))


def test_hash_mode_without_secret_source_fails_on_resolve() -> None:
    with pytest.raises(ConfigError, match="no secret is configured"):
        DeliverySettings(hook_routing("/p/webhook"), key_values="hash").key_hash_secret()


def test_secrets_never_in_repr() -> None:
    settings = delivery_settings_for_cli(SECRET_URL, key_values="hash", key_hash_secret=HASH_SECRET)
    assert "sEcReTtOkEn" not in repr(settings) and "hashSeCrEt" not in repr(settings)
    assert settings.key_hash_secret() == HASH_SECRET.encode()


def test_boto3_not_imported_by_loading_a_local_config(repo_root: Any) -> None:
    code = (
        "import os, sys; from access_alerts.config import load_config; "
        "import access_alerts.handler as h; h.build_state(os.environ); "
        "print('boto3' in sys.modules)"
    )
    child_env = {"PYTHONPATH": str(repo_root / "lambda_src"), **inline(config_document(SECRET_URL))}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=child_env
    )
    assert out.stdout.strip() == "False"


def test_cli_settings() -> None:
    s = delivery_settings_for_cli("http://127.0.0.1:9/x")
    assert url_of(s) == "http://127.0.0.1:9/x" and s.key_values == "show"
    h = delivery_settings_for_cli("https://example.com/x", key_values="HASH", key_hash_secret=HASH_SECRET)
    assert h.key_values == "hash" and h.key_hash_secret() == HASH_SECRET.encode()
    with pytest.raises(ConfigError, match="--webhook is not https"):
        delivery_settings_for_cli("http://example.com/x")
    with pytest.raises(ConfigError, match="must be one of"):
        delivery_settings_for_cli("https://example.com/x", key_values="nope")
    with pytest.raises(ConfigError, match="needs a key hash secret"):
        delivery_settings_for_cli("https://example.com/x", key_values="hash")


def test_document_and_secrets_from_real_ssm_api_with_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    value, sha = as_terraform_writes_it(full_document())
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        ssm.put_parameter(Name=PARAMETER, Value=value, Type="SecureString")
        ssm.put_parameter(Name="/p/webhook", Value=SECRET_URL, Type="SecureString")
        ssm.put_parameter(Name="/p/hash", Value=HASH_SECRET, Type="SecureString")
        cfg = load_config({"ACCESS_ALERTS_CONFIG_PARAMETER": PARAMETER, "ACCESS_ALERTS_CONFIG_SHA256": sha})
        assert url_of(cfg.delivery) == SECRET_URL
        assert cfg.delivery.key_hash_secret() == HASH_SECRET.encode()
        ssm.delete_parameter(Name="/p/webhook")
        assert url_of(cfg.delivery) == SECRET_URL  # cached for the life of the environment
        config_mod.clear_secret_cache()
        with pytest.raises(ConfigError, match="cannot read SSM parameter '/p/webhook'"):
            url_of(cfg.delivery)
