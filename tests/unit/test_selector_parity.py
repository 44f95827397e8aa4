"""Safety-critical parity: every session the trail leaves out at source is one the function would allow.

The trail drops sessions of allowed roles before anything is logged (modules/selectors: userIdentity.arn
``not_starts_with`` prefixes computed from ``allowed_role_arns``), so the function never sees them. If the
two ever disagreed, a session the function would alert on would be dropped silently. Nothing else ties them
together, so this test does, property-based:

* hypothesis generates allow-lists (every accepted pattern shape, with the characters role names may have,
  paths, wildcards, other accounts and partitions);
* the exclusion prefixes are computed by **the module's own Terraform code**: one ``terraform apply`` of a
  tiny root that calls ``modules/selectors`` per generated allow-list (no provider: a second or two);
* hypothesis then generates many role sessions whose ``userIdentity.arn`` starts with a prefix (what the
  trail drops), each with every kind of ``sessionIssuer`` (none, the role with a path, a role of another
  account, another role) and ``type``, and asserts the function's policy allows every one of them on a
  watched table. ``PARITY_EXAMPLES`` sets how many allow-lists (default 6).
"""

from __future__ import annotations

import json
import os
import string
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from access_alerts import rules
from access_alerts.model import PolicySettings
from access_alerts.policy import Policy
from tools.tf import find_terraform, terraform_env

REPO = Path(__file__).resolve().parents[2]
ACCOUNTS = ("111122223333", "444455556666")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
NAME_CHARS = string.ascii_letters + string.digits + "+=,.@_-"
TABLE = "arn:aws:dynamodb:us-east-1:111122223333:table/Orders"

ROOT = """\
variable "allowed_role_arns" {
  type = list(string)
}

module "selectors" {
  source            = "%(module)s"
  partition         = "aws"
  account_id        = "111122223333"
  region            = "us-east-1"
  table_names       = ["Orders"]
  allowed_role_arns = var.allowed_role_arns
  rules             = jsondecode(file("%(rules)s"))
}

output "exclusion_prefixes" {
  value = module.selectors.exclusion_prefixes
}
"""


class Selectors:
    """A tiny Terraform root calling modules/selectors: ``exclusions(patterns)`` applies it once."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.terraform = find_terraform()
        self.env = {**terraform_env(), "TF_DATA_DIR": str(workdir / ".terraform"), "TF_IN_AUTOMATION": "1"}
        (workdir / "main.tf").write_text(
            ROOT
            % {
                "module": REPO / "modules" / "selectors",
                "rules": REPO / "lambda_src/access_alerts/rules.json",
            }
        )
        self._run("init", "-backend=false", "-input=false", "-no-color")

    def _run(self, *args: str) -> str:
        done = subprocess.run(
            [self.terraform, *args], cwd=self.dir, env=self.env, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise AssertionError(f"terraform {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def exclusions(self, patterns: list[str]) -> list[str]:
        (self.dir / "batch.tfvars.json").write_text(json.dumps({"allowed_role_arns": patterns}))
        self._run("apply", "-auto-approve", "-input=false", "-no-color", "-var-file=batch.tfvars.json")
        return list(json.loads(self._run("output", "-json", "exclusion_prefixes")))


@pytest.fixture(scope="module")
def selectors(tmp_path_factory: pytest.TempPathFactory) -> Selectors:
    try:
        find_terraform()
    except Exception as exc:  # no terraform on this machine: nothing to compare with
        pytest.skip(f"terraform is not available ({exc})")
    return Selectors(tmp_path_factory.mktemp("selectors"))


# -- allow-lists ----------------------------------------------------------------------------------------

names = st.text(alphabet=NAME_CHARS, min_size=1, max_size=8)
wild_names = st.builds(
    lambda a, b, where: {"end": a + "*", "start": "*" + a, "middle": a + "*" + b, "only": "*"}[where],
    names,
    names,
    st.sampled_from(["end", "start", "middle", "only"]),
)
paths = st.lists(names, min_size=1, max_size=2).map(lambda parts: "/".join(parts) + "/")


@st.composite
def patterns(draw: st.DrawFn) -> str:
    partition = draw(st.sampled_from(PARTITIONS))
    account = draw(st.sampled_from((*ACCOUNTS, "*")))
    name = draw(st.one_of(names, wild_names))
    shape = draw(st.sampled_from(["role", "role", "role", "role_path", "user", "root", "session", "service"]))
    if shape == "role":
        return f"arn:{partition}:iam::{account}:role/{name}"
    if shape == "role_path":
        return f"arn:{partition}:iam::{account}:role/{draw(paths)}{name}"
    if shape == "user":
        return f"arn:{partition}:iam::{account}:user/{name}"
    if shape == "root":
        return f"arn:{partition}:iam::{account}:root"
    if shape == "session":
        return f"arn:{partition}:sts::{account}:assumed-role/{draw(names)}/{name}"
    return "dynamodb.amazonaws.com"


def valid(pattern: str) -> bool:
    return rules.allow_list_shape().fullmatch(pattern) is not None


# -- sessions the trail drops ----------------------------------------------------------------------------


def record(user_identity: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "userIdentity": user_identity,
        "eventTime": "2026-11-28T10:00:00Z",
        "eventSource": "dynamodb.amazonaws.com",
        "eventName": "PutItem",
        "awsRegion": "us-east-1",
        "requestParameters": {"tableName": "Orders", "key": {"OrderId": "o-1"}},
        "resources": [{"type": "AWS::DynamoDB::Table", "ARN": TABLE}],
        "eventID": "parity",
        "eventCategory": "Data",
        "recipientAccountId": "111122223333",
    }


@st.composite
def dropped_sessions(draw: st.DrawFn, prefixes: list[str]) -> dict[str, Any]:
    """A record whose userIdentity.arn starts with one of ``prefixes`` (the trail drops it), with any issuer
    and type CloudTrail could write beside it."""
    prefix = draw(st.sampled_from(prefixes))
    # As CloudTrail writes it: arn:P:sts::ACCOUNT:assumed-role/ROLE/SESSION, ROLE and SESSION not empty
    # (a role name cannot hold "/"; a session name is [\w+=,.@-], like an SSO user's name). After the prefix
    # comes the rest of the role name (when the prefix ends inside it: role/PREFIX*), "/" and the session.
    if prefix.endswith("/"):
        rest = ""
    else:
        at_least = 1 if prefix.endswith("assumed-role/") else 0
        rest = draw(st.text(alphabet=NAME_CHARS, min_size=at_least, max_size=6)) + "/"
    session = draw(st.text(alphabet=NAME_CHARS, min_size=1, max_size=12))
    arn = prefix + rest + session
    partition = arn.split(":")[1]
    account = arn.split(":")[4]
    role = arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
    ui: dict[str, Any] = {"arn": arn, "accountId": draw(st.sampled_from((account, *ACCOUNTS)))}
    kind = draw(st.sampled_from(["AssumedRole", "AssumedRole", "IAMUser", "AWSService", "Unknown", None]))
    if kind is not None:
        ui["type"] = kind
    if draw(st.booleans()):
        ui["invokedBy"] = draw(st.sampled_from(["dynamodb.amazonaws.com", "AWS Internal"]))
    issuer = draw(st.sampled_from(["none", "same", "same_path", "other_account", "other_role", "not_a_role"]))
    other_account = next(a for a in ACCOUNTS if a != account)
    issuer_arn = {
        "none": None,
        "same": f"arn:{partition}:iam::{account}:role/{role}",
        "same_path": f"arn:{partition}:iam::{account}:role/{draw(paths)}{role}",
        "other_account": f"arn:{partition}:iam::{other_account}:role/{draw(paths)}{role}",
        "other_role": f"arn:{partition}:iam::{account}:role/{draw(paths)}{role}x",
        "not_a_role": f"arn:{partition}:iam::{account}:user/{role}",
    }[issuer]
    if issuer_arn is not None:
        ui["sessionContext"] = {"sessionIssuer": {"type": "Role", "arn": issuer_arn, "accountId": account}}
    return record(ui)


@settings(
    max_examples=int(os.environ.get("PARITY_EXAMPLES", "6")),
    deadline=None,
    # No shrinking: every step would apply Terraform again; the failure message shows the whole example.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(allow_list=st.lists(patterns(), min_size=1, max_size=40, unique=True), data=st.data())
def test_every_session_the_trail_drops_is_allowed_by_the_function(
    selectors: Selectors, allow_list: list[str], data: st.DataObject
) -> None:
    allow_list = [p for p in allow_list if valid(p)]
    if not allow_list:
        return
    prefixes = selectors.exclusions(allow_list)
    if not prefixes:
        return
    policy = Policy(PolicySettings(tables=(TABLE,), allowed=tuple(allow_list)))
    for rec in data.draw(st.lists(dropped_sessions(prefixes), min_size=50, max_size=200)):
        assert any(rec["userIdentity"]["arn"].startswith(p) for p in prefixes)
        decision = policy.evaluate(rec)
        assert decision.kind == "allowed", (
            f"the trail drops {rec['userIdentity']} (prefixes {prefixes}); the function: {decision.reason}"
        )


def test_the_module_excludes_what_the_docs_say(selectors: Selectors) -> None:
    """Known answers, so the property above cannot pass by the module excluding nothing."""
    prefixes = selectors.exclusions(
        [
            "arn:aws:iam::111122223333:role/orders-api",
            "arn:aws:iam::111122223333:role/etl-*",
            "arn:aws:iam::111122223333:role/service/billing-*",
            "arn:aws:iam::*:role/any-account",
            "arn:aws:iam::111122223333:user/ci",
            "dynamodb.amazonaws.com",
        ]
    )
    assert prefixes == [
        "arn:aws:sts::111122223333:assumed-role/etl-",
        "arn:aws:sts::111122223333:assumed-role/orders-api/",
    ]
