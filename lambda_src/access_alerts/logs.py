"""Structured JSON logging.

On Lambda with the JSON log format (``AWS_LAMBDA_LOG_FORMAT=JSON``, which the module sets) the
runtime's own handler turns ``logging`` records, including ``extra`` fields, into JSON: we only
set levels. Elsewhere (Lambda text format, the CLI, tests) our logger writes one JSON object per
line itself. Nothing here logs secrets or record bodies: callers pass counts, ids and reasons.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any, Final, TextIO

from .text import encodable

LOGGER_NAME: Final = "access_alerts"

# Attributes every LogRecord has; anything else came in through ``extra=``.
_STANDARD: Final = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime", "taskName"}
)


def _iso(created: float) -> str:
    """UTC timestamp with milliseconds, e.g. 2026-11-25T09:00:00.123Z (no datetime import)."""
    whole = int(created)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((created - whole) * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "timestamp": _iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            data["exception"] = record.exc_info[0].__name__
            data["stack"] = self.formatException(record.exc_info)
        return encodable(json.dumps(data, default=str, ensure_ascii=False))


class _LineHandler(logging.Handler):
    """Writes one formatted line per record to ``stream``, or to the *current* sys.stdout."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            out = self._stream or sys.stdout
            out.write(self.format(record) + "\n")
            out.flush()
        except Exception:
            self.handleError(record)


_configured = False


def configure_logging(level: int = logging.INFO, stream: TextIO | None = None) -> logging.Logger:
    """Idempotent. Returns the package logger."""
    global _configured
    logger = logging.getLogger(LOGGER_NAME)
    if _configured:
        return logger
    _configured = True
    logger.setLevel(level)
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON":
        return logger  # the Lambda runtime formats records (and their extra fields) as JSON
    handler = _LineHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        logger.propagate = False  # Lambda text format: the root handler would log each line again
    return logger
