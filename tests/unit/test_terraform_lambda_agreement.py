"""The subscription filter (Terraform, layer 2) may drop only events the Lambda (layer 3) ignores.

locals.tf builds the filter pattern from lambda_src/access_alerts/rules.json (pipeline.event_sources,
pipeline.not_forwarded; tests/selectors.tftest.hcl checks the pattern it renders). These tests compare
rules.json with the Lambda's own event tables, so a change on one side that the other does not follow fails
here. (Allow-list syntax parity: test_policy_tf_parity.py.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from access_alerts import policy

REPO = Path(__file__).resolve().parents[2]


def _rules() -> Any:
    return json.loads((REPO / "lambda_src" / "access_alerts" / "rules.json").read_text(encoding="utf-8"))


def _filter_sources() -> set[str]:
    return set(_rules()["pipeline"]["event_sources"])


def test_subscription_filter_passes_every_service_the_lambda_alerts_on() -> None:
    sources = _filter_sources()
    wanted = set(policy.TAMPER_EVENTS) | {"lambda.amazonaws.com"}
    assert wanted <= sources, f"the filter pattern would drop tamper events of {sorted(wanted - sources)}"


def test_filter_drops_only_event_names_the_lambda_ignores() -> None:
    dropped = set(_rules()["pipeline"]["not_forwarded"])
    assert dropped == {"CreateLogStream"}
    for names in policy.TAMPER_EVENTS.values():
        assert not dropped & names
    assert not dropped & policy.CONTROL_PLANE_EVENTS
    assert not any(name.startswith(policy.LAMBDA_TAMPER_PREFIXES) for name in dropped)
