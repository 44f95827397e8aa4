"""logs.py: JSON lines with extra fields; Lambda JSON log format left to the runtime."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from access_alerts import logs


@pytest.fixture
def fresh_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger(logs.LOGGER_NAME)
    saved = (list(logger.handlers), logger.propagate, logger.level, logs._configured)
    logger.handlers.clear()
    logs._configured = False
    yield logger
    logger.handlers[:] = saved[0]
    logger.propagate, logger.level, logs._configured = saved[1], saved[2], saved[3]


def test_json_lines_with_extra_fields(fresh_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_LOG_FORMAT", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    out = io.StringIO()
    logs.configure_logging(stream=out)
    logs.configure_logging(stream=io.StringIO())  # idempotent: no second handler
    logging.getLogger("access_alerts.x").warning(
        "hello %s", "there", extra={"records": 3, "event_ids": ["a"]}
    )
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    doc = json.loads(lines[0])
    assert (
        doc["message"] == "hello there" and doc["level"] == "WARNING" and doc["logger"] == "access_alerts.x"
    )
    assert doc["records"] == 3 and doc["event_ids"] == ["a"]
    assert fresh_logger.propagate is True


def test_exceptions_are_named(fresh_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_LOG_FORMAT", raising=False)
    out = io.StringIO()
    logs.configure_logging(stream=out)
    try:
        raise KeyError("k")
    except KeyError:
        logging.getLogger("access_alerts").exception("failed")
    doc = json.loads(out.getvalue())
    assert doc["exception"] == "KeyError" and "Traceback" in doc["stack"]


def test_lambda_json_format_uses_the_runtime_handler(
    fresh_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "JSON")
    logs.configure_logging()
    assert fresh_logger.handlers == [] and fresh_logger.propagate is True


def test_lambda_text_format_does_not_log_twice(
    fresh_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "Text")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    logs.configure_logging(stream=io.StringIO())
    assert len(fresh_logger.handlers) == 1 and fresh_logger.propagate is False
