"""The Lambda (policy.PATTERN_SHAPE) and Terraform (variables.tf validation) accept the same patterns."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from access_alerts.policy import PATTERN_SHAPE

VARIABLES = Path(__file__).resolve().parent.parent.parent / "variables.tf"


def terraform_regexes(variable: str) -> list[re.Pattern[str]]:
    text = VARIABLES.read_text(encoding="utf-8")
    start = text.index(f'variable "{variable}"')
    end = text.index("\nvariable ", start + 1)
    block = text[start:end]
    # can(regex("...", p)): HCL string escapes \\ -> \ ; these patterns use no RE2-only syntax.
    found = re.findall(r'can\(regex\("((?:[^"\\]|\\.)*)", p\)\)', block)
    out = []
    for f in found:
        rx = f.replace("\\\\", "\\")
        # RE2's $ (as Terraform uses it) matches only at the very end; Python's also before a final newline.
        out.append(re.compile(rx[:-1] + r"\Z" if rx.endswith("$") else rx))
    return out


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


@pytest.mark.skipif(not VARIABLES.exists(), reason="variables.tf not present")
@pytest.mark.parametrize("variable", ["allowed_role_arns", "allowed_management_role_arns"])
@pytest.mark.parametrize("pattern", SAMPLES)
def test_same_verdict_on_samples(variable: str, pattern: str) -> None:
    regexes = terraform_regexes(variable)
    assert len(regexes) == 5
    assert terraform_accepts(regexes, pattern) == bool(PATTERN_SHAPE.fullmatch(pattern))


ALPHABET = "arn:aws-cngov:iamsts::0123456789*/rolesuerassumed-federatedroot.amazonaws.comAZ_+=,@ "


@pytest.mark.skipif(not VARIABLES.exists(), reason="variables.tf not present")
@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(SAMPLES[:9]),
    st.text(alphabet=ALPHABET, max_size=6),
    st.integers(0, 80),
)
def test_same_verdict_on_mutations(base: str, insert: str, at: int) -> None:
    pattern = base[:at] + insert + base[at:]
    regexes = terraform_regexes("allowed_role_arns")
    assert terraform_accepts(regexes, pattern) == bool(PATTERN_SHAPE.fullmatch(pattern))
