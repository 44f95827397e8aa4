"""The examples are exactly what a user would write: the emulator wiring lives only in the override file
that tools/sandbox.py writes into its temporary copy, and the examples ask for the provider versions the
module itself supports. (No terraform run: the files are read with python-hcl2.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tools import hcl
from tools.sandbox import EMULATED_SERVICES, provider_override

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (REPO / "examples").iterdir() if any(p.glob("*.tf")))


def requirements(directory: Path) -> dict[str, Any]:
    (terraform,) = hcl.blocks(directory, "terraform")
    (providers,) = terraform["required_providers"]
    return {"terraform": terraform["required_version"], "aws": providers["aws"]}


def test_examples_are_found() -> None:
    assert {p.name for p in EXAMPLES} >= {"complete", "minimal"}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_has_no_emulator_wiring(example: Path) -> None:
    for name, body in hcl.labelled(example, "provider"):
        assert "endpoints" not in body, f"{example.name}: provider {name} sets endpoints"
        assert not [k for k in body if k.startswith("skip_") or k == "s3_use_path_style"], body
    variables = [name for name, _ in hcl.labelled(example, "variable")]
    assert not [v for v in variables if "endpoint" in v], f"{example.name}: emulator variable in {variables}"
    text = "".join(p.read_text(encoding="utf-8") for p in example.glob("**/*.tf*"))
    assert "127.0.0.1" not in text and "localhost" not in text


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_requires_what_the_module_supports(example: Path) -> None:
    assert requirements(example) == requirements(REPO)


def test_override_file_points_every_emulated_service_at_the_emulator() -> None:
    parsed = hcl2.loads(provider_override("http://127.0.0.1:4566"), serialization_options=hcl.OPTIONS)
    ((name, body),) = parsed["provider"][0].items()
    assert name == "aws"
    (endpoints,) = body["endpoints"]
    assert endpoints == dict.fromkeys(EMULATED_SERVICES, "http://127.0.0.1:4566")
    assert body["s3_use_path_style"] is True and body["skip_credentials_validation"] is True
    assert "region" not in body, "the example's own region stays"


# -- examples/multi-account: one module block per account, the same Slack channel -------------------------

MULTI = REPO / "examples" / "multi-account"


def test_multi_account_deploys_once_per_account_through_its_own_provider() -> None:
    modules = dict(hcl.labelled(MULTI, "module"))
    assert set(modules) == {"payments", "orders"}
    aliases = {name: body["providers"] for name, body in modules.items()}
    assert aliases == {"payments": "${{aws = aws.payments}}", "orders": "${{aws = aws.orders}}"}
    for body in modules.values():
        assert body["source"] == "../../"
        assert body["slack_webhook_url"] == "${var.slack_webhook_url}"  # the same destination for both
        assert body["account_names"] == "${local.account_names}"
    providers = dict(hcl.labelled(MULTI, "provider"))
    assert set(providers) == {"aws"}


@pytest.mark.parametrize("env", sorted((MULTI / "envs").glob("*.tfvars")), ids=lambda p: p.stem)
def test_multi_account_envs_give_each_account_its_own_tables_and_allow_lists(env: Path) -> None:
    values = hcl2.loads(env.read_text(encoding="utf-8"), serialization_options=hcl.OPTIONS)
    accounts = {}
    for name in ("payments", "orders"):
        text = values[name]
        account = re.search(r'account_id\s*=\s*"([0-9]{12})"', text)
        assert account, f"{env.name}: {name} has no account_id"
        tables = re.search(r"table_names\s*=\s*\[([^\]]*)\]", text)
        assert tables and tables.group(1).strip(), f"{env.name}: {name} watches no table"
        allowed = re.findall(r'"(arn:aws:iam::[0-9]{12}:role/[^"]*)"', text)
        assert allowed and all(f"::{account.group(1)}:" in a for a in allowed), (env.name, name, allowed)
        accounts[name] = (account.group(1), tables.group(1))
    assert accounts["payments"][0] != accounts["orders"][0]
    assert accounts["payments"][1] != accounts["orders"][1]
