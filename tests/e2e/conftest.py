"""Fixtures of the end-to-end suite: moto and the webhook receiver on 127.0.0.1, and one apply of
examples/complete (prod variables) shared by every test; see tests/e2e/deployment.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import estate
from tests.e2e.deployment import Deployment, deployed, require_or_skip
from tools.sandbox import EXAMPLE, VAR_FILE, WEBHOOK_PARAMETER, Emulator, provide_destinations
from tools.tf import TerraformSetupError, find_terraform
from tools.webhook_receiver import WebhookReceiver


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests marked ``lifecycle`` (they plan again and destroy) after every other test, keeping
    the order within each group (Python's sort is stable)."""
    items.sort(key=lambda item: item.get_closest_marker("lifecycle") is not None)


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


@pytest.fixture(scope="session")
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as hook:
        yield hook


@pytest.fixture(scope="session")
def e2e_workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One directory for every workspace of the session (each in its own subdirectory)."""
    try:
        find_terraform()
    except TerraformSetupError as exc:
        require_or_skip(f"e2e needs terraform: {exc}")
    workdir = tmp_path_factory.mktemp("e2e")
    yield workdir
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def destinations_receiver() -> Iterator[WebhookReceiver]:
    """The stand-in for prod.tfvars' other destinations (Slack app, Teams, SIEM), apart from the webhook
    named default, so the tests of the default webhook see only its messages."""
    with WebhookReceiver() as hook:
        yield hook


@pytest.fixture(scope="session")
def deployment(
    emulator: Emulator, receiver: WebhookReceiver, destinations_receiver: WebhookReceiver, e2e_workdir: Path
) -> Iterator[Deployment]:
    """examples/complete with envs/prod.tfvars, then tests/e2e/estate.py's variables (300 tables by name
    besides prod's family and replica: issue 10's estate, shared by every e2e test). prod.tfvars names SSM
    parameters that the platform team manages: they are created first, holding the receivers' URLs (and a bot
    token and signing secret), with the on-call SNS topic and a queue subscribed to it (tools/sandbox.py:
    provide_destinations). The Slack app destination posts to the stand-in's chat.postMessage (the example's
    slack_api_url)."""
    emulator.client("ssm").put_parameter(
        Name=WEBHOOK_PARAMETER, Type="SecureString", Value=receiver.url, Overwrite=True
    )
    provide_destinations(emulator, destinations_receiver)
    overrides = {**estate.VARIABLES, "slack_api_url": destinations_receiver.slack_api_url}
    try:
        with deployed(
            emulator, receiver, e2e_workdir, EXAMPLE, var_files=[VAR_FILE], variables=overrides
        ) as applied:
            yield applied
    except TerraformSetupError as exc:
        require_or_skip(str(exc))
