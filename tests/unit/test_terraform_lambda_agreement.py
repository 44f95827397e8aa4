"""The subscription filter (Terraform, layer 2) may drop only events the Lambda (layer 3) ignores.

These tests read locals.tf (no terraform run) and compare it with the Lambda's own event tables, so a change
on one side that the other does not follow fails here. (Allow-list syntax parity: test_policy_tf_parity.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

from access_alerts import policy

REPO = Path(__file__).resolve().parents[2]


def _filter_sources() -> set[str]:
    text = (REPO / "locals.tf").read_text(encoding="utf-8")
    match = re.search(r"pipeline_event_sources\s*=\s*\[([^\]]*)\]", text)
    assert match, "locals.tf must define pipeline_event_sources"
    return {f"{name}.amazonaws.com" for name in re.findall(r'"([a-z0-9-]+)"', match.group(1))}


def test_subscription_filter_passes_every_service_the_lambda_alerts_on() -> None:
    sources = _filter_sources()
    wanted = set(policy.TAMPER_EVENTS) | {"lambda.amazonaws.com"}
    assert wanted <= sources, f"the filter pattern would drop tamper events of {sorted(wanted - sources)}"


def test_filter_drops_only_event_names_the_lambda_ignores() -> None:
    text = (REPO / "locals.tf").read_text(encoding="utf-8")
    dropped = set(re.findall(r'\$\.eventName != \\"([A-Za-z]+)\\"', text))
    assert dropped == {"CreateLogStream"}
    for names in policy.TAMPER_EVENTS.values():
        assert not dropped & names
    assert not dropped & policy.CONTROL_PLANE_EVENTS
    assert not any(name.startswith(policy.LAMBDA_TAMPER_PREFIXES) for name in dropped)
