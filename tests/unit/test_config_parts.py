"""The configuration document split over several SSM parameters (configuration.tf: NAME-1 ... NAME-N with
ACCESS_ALERTS_CONFIG_PARTS = N), read back as the function reads it: the largest estate of issue 10
(470 tables whose names gzip cannot shrink, 20 allowed roles) decides as configured, and every way the
parts can be wrong (missing, stale, out of order, a bad count) fails closed with an error naming it."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
import sys
from typing import Any

import pytest

from access_alerts import config as config_mod
from access_alerts.config import ConfigError, load_config
from access_alerts.policy import Policy
from tests.generators import ACCOUNT, REGION, config_document, make_record

PREFIX = "/dynamodb-access-alerts/prod/configuration"
PART_CHARS = 4096  # configuration.tf: parts of 4096 characters while 8 of them suffice
# A deployed document names its secrets by parameter (never the URL itself).
DESTINATIONS = {"default": {"type": "slack_webhook", "url_parameter": "/p/webhook"}}


def _estate_document() -> dict[str, Any]:
    """470 tables named like largest_estate.tftest.hcl's (40 random hex characters each) and 20 roles."""
    rng = random.Random(10)  # noqa: S311  (test data, not crypto)
    names = [
        f"{('orders', 'payments', 'ledger', 'sessions', 'profiles')[i % 5]}-{rng.getrandbits(160):040x}"
        for i in range(470)
    ]
    roles = [f"arn:aws:iam::{ACCOUNT}:role/service-{rng.getrandbits(48):012x}" for _ in range(20)]
    tables = sorted(f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{n}" for n in names)
    return config_document("", tables=tables, allowed=roles, destinations=DESTINATIONS)


def _split_as_terraform_does(document: dict[str, Any]) -> tuple[list[str], str]:
    """(parts, sha256): base64gzip(jsonencode(document)) cut into 4096-character parts."""
    text = json.dumps(document, separators=(",", ":")).encode("utf-8")
    value = base64.b64encode(gzip.compress(text)).decode("ascii")
    parts = [value[i : i + PART_CHARS] for i in range(0, len(value), PART_CHARS)]
    return parts, hashlib.sha256(text).hexdigest()


class _FakeSSM:
    """get_parameter over a dict, recording the names asked for."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.asked: list[str] = []

    def get_parameter(self, Name: str, WithDecryption: bool) -> dict[str, Any]:
        assert WithDecryption
        self.asked.append(Name)
        if Name not in self.values:
            raise LookupError("ParameterNotFound")
        return {"Parameter": {"Name": Name, "Value": self.values[Name]}}


class _FakeBoto3:
    def __init__(self, ssm: _FakeSSM) -> None:
        self.ssm = ssm

    def client(self, name: str, **_: Any) -> _FakeSSM:
        assert name == "ssm"
        return self.ssm


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Any:
    fake = _FakeSSM({})
    monkeypatch.setitem(sys.modules, "boto3", _FakeBoto3(fake))  # type: ignore[arg-type]
    config_mod.clear_secret_cache()
    yield fake
    config_mod.clear_secret_cache()


def _store(ssm: _FakeSSM, parts: list[str], slots: int = 8) -> None:
    """The module's 8 parameters: the parts, then "unused"."""
    for i in range(slots):
        ssm.values[f"{PREFIX}-{i + 1}"] = parts[i] if i < len(parts) else "unused"


def _environ(count: int, sha: str) -> dict[str, str]:
    return {
        "ACCESS_ALERTS_CONFIG_PARAMETER": PREFIX,
        "ACCESS_ALERTS_CONFIG_PARTS": str(count),
        "ACCESS_ALERTS_CONFIG_SHA256": sha,
    }


def test_the_largest_estate_is_read_from_its_parts_and_decides(ssm: _FakeSSM) -> None:
    document = _estate_document()
    parts, sha = _split_as_terraform_does(document)
    assert 8192 < sum(map(len, parts)) <= 8 * PART_CHARS, "past one parameter's 8 KB, within 8 Standard parts"
    _store(ssm, parts)
    cfg = load_config(_environ(len(parts), sha))
    assert ssm.asked == [f"{PREFIX}-{i}" for i in range(1, len(parts) + 1)], "each part once, in order"
    assert cfg.policy.tables == tuple(document["tables"])
    assert cfg.policy.allowed == tuple(document["allowed"])
    policy = Policy(cfg.policy)
    rng = random.Random(1)  # noqa: S311  (test data, not crypto)
    last_table = document["tables"][-1].rsplit("/", 1)[-1]
    read = make_record(1, rng, who="bob", table=last_table, api=("GetItem", True))
    assert policy.evaluate(read).kind == "alert"
    unwatched = make_record(2, rng, who="bob", table="orders-not-in-the-list", api=("GetItem", True))
    assert policy.evaluate(unwatched).kind == "ignored"
    allowed_role = document["allowed"][-1].rsplit("/", 1)[-1]
    by_allowed = make_record(3, rng, who="bob", table=last_table, api=("PutItem", False))
    by_allowed["userIdentity"] = {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{allowed_role}/s1",
        "accountId": ACCOUNT,
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": document["allowed"][-1]}},
    }
    decision = policy.evaluate(by_allowed)
    assert decision.kind == "allowed" and decision.matched == document["allowed"][-1]


def test_a_missing_part_is_named(ssm: _FakeSSM) -> None:
    parts, sha = _split_as_terraform_does(_estate_document())
    _store(ssm, parts)
    del ssm.values[f"{PREFIX}-2"]
    with pytest.raises(ConfigError) as info:
        load_config(_environ(len(parts), sha))
    message = str(info.value)
    assert f"(part 2 of {len(parts)}): cannot read SSM parameter '{PREFIX}-2' (LookupError)" in message
    assert "ssm:GetParameter and kms:Decrypt" in message


@pytest.mark.parametrize(
    "damage",
    [
        "a part of an older document",
        "parts swapped",
        "fewer parts than written",
        "an unused slot read as a part",
    ],
)
def test_parts_that_do_not_make_the_document_fail_the_hash(ssm: _FakeSSM, damage: str) -> None:
    document = _estate_document()
    parts, sha = _split_as_terraform_does(document)
    count = len(parts)
    if damage == "a part of an older document":
        # An early change (the name) changes every compressed byte after it, so part 2 differs.
        older, _ = _split_as_terraform_does({**document, "name": "prod-alerts-before"})
        assert older[1] != parts[1]
        parts = [parts[0], older[1], *parts[2:]]
    elif damage == "parts swapped":
        parts = [parts[1], parts[0], *parts[2:]]
    elif damage == "fewer parts than written":
        count -= 1
    else:
        count += 1
    _store(ssm, parts)
    with pytest.raises(ConfigError) as info:
        load_config(_environ(count, sha))
    message = str(info.value)
    assert message.startswith(f"the configuration document in SSM parameters {PREFIX}-1 to {PREFIX}-{count} ")
    # A mixed or cut value may not even decode or decompress; either way nothing is decided with it.
    assert any(
        reason in message
        for reason in (
            "does not match ACCESS_ALERTS_CONFIG_SHA256",
            "is base64 but not gzip",
            "is neither JSON nor base64(gzip(JSON))",
        )
    ), message


@pytest.mark.parametrize("value", ["0", "65", "two", "-1", "1.5", "²"])
def test_a_bad_part_count_is_refused(ssm: _FakeSSM, value: str) -> None:
    with pytest.raises(ConfigError, match="ACCESS_ALERTS_CONFIG_PARTS must be a whole number from 1 to 64"):
        load_config(_environ(1, "a" * 64) | {"ACCESS_ALERTS_CONFIG_PARTS": value})
    assert ssm.asked == [], "nothing is read with a bad count"


def test_parts_without_the_parameter_prefix_are_refused(ssm: _FakeSSM) -> None:
    with pytest.raises(
        ConfigError, match="ACCESS_ALERTS_CONFIG_PARTS is set without ACCESS_ALERTS_CONFIG_PARAMETER"
    ):
        load_config({"ACCESS_ALERTS_CONFIG_PARTS": "2", "ACCESS_ALERTS_CONFIG": "{}"})


def test_one_part_reads_the_first_parameter_only(ssm: _FakeSSM) -> None:
    document = config_document("", destinations=DESTINATIONS)
    parts, sha = _split_as_terraform_does(document)
    assert len(parts) == 1
    _store(ssm, parts)
    assert load_config(_environ(1, sha)).policy.tables == tuple(document["tables"])
    assert ssm.asked == [f"{PREFIX}-1"]


def test_parts_from_the_real_ssm_api_with_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same through boto3 and moto: SecureStrings of at most 4096 characters (the Standard tier)."""
    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    config_mod.clear_secret_cache()
    parts, sha = _split_as_terraform_does(_estate_document())
    with mock_aws():
        client = boto3.client("ssm", region_name=REGION)
        for i, part in enumerate(parts, start=1):
            client.put_parameter(Name=f"{PREFIX}-{i}", Value=part, Type="SecureString", Tier="Standard")
        cfg = load_config(_environ(len(parts), sha))
        assert len(cfg.policy.tables) == 470
    config_mod.clear_secret_cache()
