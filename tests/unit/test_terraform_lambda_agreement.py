"""The subscription filter (Terraform, layer 2) may drop only events the Lambda (layer 3) ignores.

Both sides read lambda_src/access_alerts/rules.json: Terraform builds the filter pattern from its
``dynamodb.event_sources``, ``pipeline.event_sources`` and ``pipeline.not_forwarded`` (checked here on the
.tf files, read with python-hcl2; tests/selectors.tftest.hcl checks the pattern it renders), and the
Lambda's tamper catalogue is ``pipeline.event_sources``. What is left to agree on is checked against the
Lambda's own code: the calls the filter drops are calls the Lambda ignores.
The tamper catalogue fails closed (an unknown write call of a pipeline service is tampering), so the calls
the filter drops are excluded from that rule by name for every pipeline service (rules.py).
(Allow-list syntax: test_policy_tf_parity.py; trail exclusions: test_selector_parity.py.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from access_alerts import rules, tamper
from tools import hcl

REPO = Path(__file__).resolve().parents[2]
RULES: dict[str, Any] = json.loads(
    (REPO / "lambda_src" / "access_alerts" / "rules.json").read_text(encoding="utf-8")
)
RULES_LOAD = '${jsondecode(file("${path.module}/lambda_src/access_alerts/rules.json"))}'


def filter_pattern_source() -> str:
    """The filter pattern's expression with every local it is built from."""
    local_values = hcl.locals_of(REPO)
    (rules_local,) = [name for name, value in local_values.items() if value == RULES_LOAD]
    (subscription,) = [
        body
        for block in hcl.blocks(REPO, "resource")
        for name, body in block.get("aws_cloudwatch_log_subscription_filter", {}).items()
    ]
    source = hcl.closure(subscription["filter_pattern"], local_values)
    assert f"local.{rules_local}." in source, "the filter pattern is not built from rules.json"
    return source.replace(f"local.{rules_local}.", "rules.")


@pytest.mark.parametrize(
    "rule", ["rules.dynamodb.event_sources", "rules.pipeline.event_sources", "rules.pipeline.not_forwarded"]
)
def test_filter_pattern_is_built_from_rules_json(rule: str) -> None:
    assert rule in filter_pattern_source()


def test_filter_pattern_names_no_service_or_call_of_its_own() -> None:
    """A second list of sources or dropped calls in Terraform could drift from rules.json."""
    source = filter_pattern_source()
    assert "amazonaws.com" not in source
    for name in RULES["pipeline"]["not_forwarded"]:
        assert name not in source


def test_lambda_watches_exactly_the_services_the_filter_passes() -> None:
    passed = set(RULES["pipeline"]["event_sources"])
    assert set(rules.pipeline_calls()) == passed
    assert set(rules.dynamodb().event_sources) == set(RULES["dynamodb"]["event_sources"])
    for source, spec in RULES["pipeline"]["event_sources"].items():
        for call in spec["calls"]:
            assert tamper.is_tamper_call(source, call), (source, call)
        for prefix in spec["call_prefixes"]:
            assert tamper.is_tamper_call(source, prefix + "20150331v2"), (source, prefix)
    assert not tamper.is_tamper_call("ec2.amazonaws.com", "DeleteTrail"), "only the listed services"


def test_filter_drops_only_calls_the_lambda_ignores() -> None:
    dropped = set(RULES["pipeline"]["not_forwarded"])
    assert dropped, "rules.json lists the calls the filter drops"
    for name in dropped:
        for source in RULES["pipeline"]["event_sources"]:
            assert not tamper.is_tamper_call(source, name), f"the filter would drop the tamper call {name}"
    # DynamoDB events pass the filter whatever their name (its first alternative).
    assert not dropped & rules.dynamodb().data
    for spec in RULES["pipeline"]["event_sources"].values():
        assert not dropped & set(spec["calls"]), "a listed tamper call cannot be dropped by the filter"


@pytest.mark.parametrize("source", sorted(RULES["pipeline"]["event_sources"]))
def test_every_catalogue_entry_is_consistent(source: str) -> None:
    calls = rules.pipeline_calls()[source]
    assert not calls.calls & calls.not_tamper, "a call cannot be both a write that tampers and harmless"
    assert calls.account_calls <= calls.calls
    reads = {name for name in calls.calls if name.startswith(rules.pipeline_read_prefixes())}
    assert not reads, f"reads listed as writes: {sorted(reads)}"


def test_unknown_writes_of_a_pipeline_service_fail_closed() -> None:
    for source in RULES["pipeline"]["event_sources"]:
        assert tamper.is_tamper_call(source, "PutSomethingNew"), source
        assert not tamper.is_tamper_call(source, "DescribeSomethingNew"), source
    assert not tamper.is_tamper_call("logs.amazonaws.com", "CreateLogStream")


def test_lambda_version_suffixes_are_ignored() -> None:
    assert rules.base_event_name("UpdateFunctionCode20150331v2") == "UpdateFunctionCode"
    assert rules.base_event_name("PublishVersion20150331") == "PublishVersion"
    assert rules.base_event_name("PutItem") == "PutItem"
    assert rules.base_event_name("20150331") == "20150331"
