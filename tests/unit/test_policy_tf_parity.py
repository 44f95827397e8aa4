"""The Lambda (policy.PATTERN_SHAPE) and Terraform (configuration.tf's precondition) accept the same patterns.

Terraform reads the shapes from lambda_src/access_alerts/rules.json and anchors each as ``^(?:SHAPE)$``
(configuration.tf, local.allow_list_shapes); this test applies them the same way.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from access_alerts.policy import PATTERN_SHAPE

RULES = Path(__file__).resolve().parent.parent.parent / "lambda_src" / "access_alerts" / "rules.json"


def terraform_regexes() -> list[re.Pattern[str]]:
    shapes = json.loads(RULES.read_text(encoding="utf-8"))["allow_list_shapes"]
    # RE2's $ (as Terraform uses it) matches only at the very end; Python's also before a final newline.
    return [re.compile(f"^(?:{shape})\\Z") for shape in shapes.values()]


def terraform_accepts(regexes: list[re.Pattern[str]], pattern: str) -> bool:
    return any(rx.search(pattern) for rx in regexes)


SAMPLES = [
    "arn:aws:iam::123456789012:role/app",
    "arn:aws:iam::123456789012:role/service/app",
    "arn:aws:iam::*:role/app-*",
    "arn:aws-cn:iam::123456789012:user/ops/alice",
    "arn:aws-us-gov:iam::123456789012:root",
    "arn:aws:sts::123456789012:assumed-role/app/session-*",
    "arn:aws:sts::123456789012:federated-user/dave",
    "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_ReadOnly_*",
    "dynamodb.amazonaws.com",
    "-odd-.amazonaws.com",
    "",
    "*",
    "arn:aws:iam::123:role/app",
    "arn:aws:iam::123456789012:role/",
    "arn:aws:iam::123456789012:role/a/",
    "arn:aws:iam::123456789012:group/x",
    "arn:aws:sts::123456789012:assumed-role/app",
    "arn:aws:iam::123456789012:root/x",
    "*.amazonaws.com",
    "dynamodb.amazonaws.com.cn",
    "DynamoDB.amazonaws.com",
    "arn:aws:iam::123456789012:role/x\n",
]


@pytest.mark.parametrize("pattern", SAMPLES)
def test_same_verdict_on_samples(pattern: str) -> None:
    regexes = terraform_regexes()
    assert len(regexes) == 5
    assert terraform_accepts(regexes, pattern) == bool(PATTERN_SHAPE.fullmatch(pattern))


ALPHABET = "arn:aws-cngov:iamsts::0123456789*/rolesuerassumed-federatedroot.amazonaws.comAZ_+=,@ "


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(SAMPLES[:9]),
    st.text(alphabet=ALPHABET, max_size=6),
    st.integers(0, 80),
)
def test_same_verdict_on_mutations(base: str, insert: str, at: int) -> None:
    pattern = base[:at] + insert + base[at:]
    assert terraform_accepts(terraform_regexes(), pattern) == bool(PATTERN_SHAPE.fullmatch(pattern))
