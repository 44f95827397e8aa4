"""Allow-list syntax has one home, lambda_src/access_alerts/rules.json, and both sides read it.

- Terraform: the module's .tf files (read with python-hcl2) load rules.json, and the checks that cover
  allowed_role_arns and allowed_management_role_arns use its ``allow_list_shapes``; no .tf file carries a
  copy of a shape. (tests/validation.tftest.hcl runs those checks on sample entries.)
- Python: the Lambda's allow-list accepts exactly the entries that one of the rules.json shapes matches as
  a whole, on samples and on random mutations of them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from access_alerts import allowlist
from tools import hcl

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "lambda_src" / "access_alerts" / "rules.json"
SHAPES: dict[str, str] = json.loads(RULES.read_text(encoding="utf-8"))["allow_list_shapes"]
RULES_LOAD = '${jsondecode(file("${path.module}/lambda_src/access_alerts/rules.json"))}'


def rules_local() -> str:
    """The name of the local value that holds rules.json."""
    names = [name for name, value in hcl.locals_of(REPO).items() if value == RULES_LOAD]
    assert len(names) == 1, f"expected one local = jsondecode(file(.../rules.json)), found {names}"
    return names[0]


@pytest.mark.parametrize("variable", ["allowed_role_arns", "allowed_management_role_arns"])
def test_terraform_checks_entries_against_the_rules_json_shapes(variable: str) -> None:
    local_values = hcl.locals_of(REPO)
    shapes = f"local.{rules_local()}.allow_list_shapes"
    conditions = [c for path in hcl.files(REPO) for c in hcl.attributes(hcl.parse(path), "condition")]
    checking = [c for c in conditions if f"var.{variable}" in hcl.closure(c, local_values)]
    assert checking, f"no validation or precondition looks at var.{variable}"
    assert [c for c in checking if shapes in hcl.closure(c, local_values)], (
        f"no check of var.{variable} uses {shapes}: {checking}"
    )


def test_no_tf_file_carries_its_own_copy_of_a_shape() -> None:
    for path in hcl.files(REPO):
        text = path.read_text(encoding="utf-8")
        for name, shape in SHAPES.items():
            # as written in rules.json, and with HCL's string escaping (a backslash doubled)
            for form in (shape, shape.replace("\\", "\\\\")):
                assert form not in text, f"{path.name} repeats the {name} shape of rules.json"


def rules_json_accepts(entry: str) -> bool:
    """What Terraform's check decides: one of the shapes matches the whole entry. (RE2's ``$`` matches
    only at the very end, as Python's ``fullmatch`` does.)"""
    return any(re.fullmatch(shape, entry) for shape in SHAPES.values())


def lambda_accepts(entry: str) -> bool:
    try:
        allowlist.check_pattern(entry, "allowed_role_arns")
    except allowlist.PatternError:
        return False
    return True


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
ACCEPTED = 10  # the first ten samples are valid entries, the rest are not


def test_samples_are_what_they_claim_to_be() -> None:
    assert [rules_json_accepts(s) for s in SAMPLES] == [True] * ACCEPTED + [False] * (len(SAMPLES) - ACCEPTED)


@pytest.mark.parametrize("entry", SAMPLES)
def test_lambda_decides_samples_as_rules_json_does(entry: str) -> None:
    assert lambda_accepts(entry) == rules_json_accepts(entry)


ALPHABET = "arn:aws-cngov:iamsts::0123456789*/rolesuerassumed-federatedroot.amazonaws.comAZ_+=,@ \n"


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(SAMPLES[:ACCEPTED]), st.text(alphabet=ALPHABET, max_size=6), st.integers(0, 80))
def test_lambda_decides_mutations_as_rules_json_does(base: str, insert: str, at: int) -> None:
    entry = base[:at] + insert + base[at:]
    assert lambda_accepts(entry) == rules_json_accepts(entry)
