"""Issue 9, privacy modes: with ``key_values = "hash"`` or ``"hide"`` a key value appears nowhere in any
message, neither in a PartiQL statement's literals nor in an error message; and the HMAC secret has a
minimum length (rules.json ``key_hash_secret_min_length``; ssm.tf checks the parameter it reads back).

The records are fixture records (tests/fixtures/records).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from access_alerts import alert_json, rules, sns, teams
from access_alerts.config import ConfigError, DeliverySettings
from access_alerts.grouping import AlertGroup, group_alerts
from access_alerts.keys import KeyFormatter, key_scalars, statement_literals
from access_alerts.policy import Policy
from access_alerts.slack import format_group
from tests.fakes import routing
from tests.unit.test_records_fixtures import FIXTURES, SETTINGS, load_fixture

SECRET_VALUE = "cust-4711-secret"
CASES = ("executestatement_key_literal_in_statement", "putitem_key_value_in_error_message")
KEY = b"0123456789abcdef0123456789abcdef"


def group(case: str) -> AlertGroup:
    record, _ = load_fixture(FIXTURES / f"{case}.json")
    decision = Policy(SETTINGS).evaluate(record)
    assert decision.kind == "alert", decision.reason
    (g,) = group_alerts([decision])
    return g


def every_format(g: AlertGroup, keys: KeyFormatter) -> dict[str, Any]:
    message = sns.format_group(g, "prod", keys)
    return {
        "slack": format_group(g, "prod", keys),
        "teams": teams.format_group(g, "prod", keys),
        "webhook": alert_json.format_group(g, "prod", keys),
        "sns": [message.subject, message.message, message.attributes],
    }


@pytest.mark.parametrize("case", CASES)
def test_show_mode_shows_the_value(case: str) -> None:
    shown = json.dumps(every_format(group(case), KeyFormatter("show")), ensure_ascii=False)
    assert SECRET_VALUE in shown


@pytest.mark.parametrize("mode", ["hash", "hide"])
@pytest.mark.parametrize("case", CASES)
def test_hash_and_hide_modes_show_the_value_nowhere(case: str, mode: str) -> None:
    keys = KeyFormatter(mode, KEY if mode == "hash" else None)  # type: ignore[arg-type]
    for fmt, payload in every_format(group(case), keys).items():
        text = json.dumps(payload, ensure_ascii=False)
        assert SECRET_VALUE not in text, fmt
        assert "4711" not in text, fmt
    if mode == "hash":  # the same value gives the same digest wherever it appears
        digest = keys.statement(f"x='{SECRET_VALUE}'").split("'")[1]
        assert digest.startswith("hmac:")
        assert digest in json.dumps(every_format(group(case), keys)["slack"])


def test_statement_literals_hashed_or_hidden_but_not_names_or_cloudtrail_redactions() -> None:
    statement = (
        "INSERT INTO \"Orders\" VALUE {'OrderId': 'o-1', 'Total': '***(Redacted)', 'Qty': 3} "
        "-- and SELECT * FROM Orders2 WHERE n = -4.5e2 AND s = 'it''s' AND b = `ion`"
    )
    hidden = KeyFormatter("hide").statement(statement)
    assert hidden == (
        "INSERT INTO \"Orders\" VALUE {'OrderId': ?, 'Total': '***(Redacted)', 'Qty': ?} "
        "-- and SELECT * FROM Orders2 WHERE n = ? AND s = ? AND b = ?"
    )
    hashed = KeyFormatter("hash", KEY).statement(statement)
    assert "o-1" not in hashed and "it''s" not in hashed and "4.5e2" not in hashed and "ion`" not in hashed
    assert "'OrderId'" in hashed and "***(Redacted)" in hashed and "Orders2" in hashed
    assert KeyFormatter("show").statement(statement) == statement
    assert list(statement_literals("WHERE a = 'cut short")) == ["cut short"]


def test_error_message_values_replaced_as_words() -> None:
    keys = KeyFormatter("hide")
    message = "key cust-4711 invalid; item cust-4711x and 'quoted value' near 42"
    assert keys.error_message(message, ["cust-4711", "42"]) == "key ? invalid; item cust-4711x and '?' near ?"
    assert list(key_scalars({"pk": {"S": "a"}, "sk": {"N": "7"}, "l": [{"S": "b"}], "t": True})) == [
        "a",
        "7",
        "b",
    ]


# -- the secret's minimum length ------------------------------------------------------------------------


def test_a_short_secret_is_refused() -> None:
    minimum = rules.load().key_hash_secret_min_length
    assert minimum >= 32
    short = DeliverySettings(routing(), key_values="hash", direct_key_hash_secret="x")
    with pytest.raises(ConfigError, match=f"at least {minimum}"):
        short.key_hash_secret()
    almost = DeliverySettings(routing(), key_values="hash", direct_key_hash_secret="k" * (minimum - 1))
    with pytest.raises(ConfigError):
        almost.key_hash_secret()
    enough = DeliverySettings(routing(), key_values="hash", direct_key_hash_secret="k" * minimum)
    assert enough.key_hash_secret() == b"k" * minimum


def test_a_short_secret_in_ssm_fails_the_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from access_alerts import config

    monkeypatch.setattr(config, "_fetch_secret", lambda name, what: "tooshort")
    settings = DeliverySettings(routing(), key_values="hash", key_hash_ssm_parameter="/p/hash")
    with pytest.raises(ConfigError) as raised:
        settings.key_hash_secret()
    assert "'/p/hash'" in str(raised.value) and "8 characters" in str(raised.value)
    assert "tooshort" not in str(raised.value)  # the secret itself is never in a message
