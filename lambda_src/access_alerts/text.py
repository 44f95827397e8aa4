"""Small helpers for untrusted values: read a string, name a JSON type, cut an error to one line."""

from __future__ import annotations

from collections.abc import Mapping


def text_or_none(value: object) -> str | None:
    """``value`` when it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for messages (``null``, ``number``, ``object``, ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def first_line(exc: BaseException, limit: int = 120) -> str:
    """A short reason for an error: the first line of its message (at most ``limit`` characters), or its
    type when the message is empty."""
    message = str(exc)
    return message.splitlines()[0][:limit] if message.strip() else type(exc).__name__
