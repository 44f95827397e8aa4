"""Fixtures of the end-to-end suite: moto and the webhook receiver on 127.0.0.1, and one apply of
examples/complete (prod variables) shared by every test; see tests/e2e/deployment.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import estate
from tests.e2e.deployment import Deployment, deployed, require_or_skip
from tools.sandbox import EXAMPLE, VAR_FILE, WEBHOOK_PARAMETER, Emulator
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
def deployment(emulator: Emulator, receiver: WebhookReceiver, e2e_workdir: Path) -> Iterator[Deployment]:
    """examples/complete with envs/prod.tfvars, then tests/e2e/estate.py's variables (300 tables by name
    besides prod's family and replica: issue 10's estate, shared by every e2e test). prod.tfvars names an
    SSM parameter that the platform team manages: it is created first, holding the receiver's URL."""
    emulator.client("ssm").put_parameter(
        Name=WEBHOOK_PARAMETER, Type="SecureString", Value=receiver.url, Overwrite=True
    )
    try:
        with deployed(
            emulator, receiver, e2e_workdir, EXAMPLE, var_files=[VAR_FILE], variables=estate.VARIABLES
        ) as applied:
            yield applied
    except TerraformSetupError as exc:
        require_or_skip(str(exc))
