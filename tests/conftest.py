"""Shared pytest fixtures. ``pyproject.toml`` puts ``lambda_src`` and the repository root on sys.path,
so tests import ``access_alerts`` and ``tools.*`` directly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.webhook_receiver import WebhookReceiver

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A Slack webhook stand-in on 127.0.0.1 that records requests; ``respond_with(429|500, ...)``."""
    with WebhookReceiver() as receiver:
        yield receiver
