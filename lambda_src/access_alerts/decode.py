"""Decode a CloudWatch Logs subscription event into its log events (one CloudTrail record each).

CloudWatch Logs invokes the function with ``{"awslogs": {"data": base64(gzip(JSON))}}``. Every way that
can be malformed ends in :class:`PayloadError` with a one-line reason; nothing else escapes
:func:`decode_subscription`. Bytes that are not UTF-8 are replaced (U+FFFD) rather than refused, so the
records around them are still read and decided.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Mapping

from access_alerts.model import CONTROL_MESSAGE, DATA_MESSAGE, LogEvent, SubscriptionPayload
from access_alerts.text import first_line, json_type

# Decompressed payloads larger than this are refused (a Lambda event is at most a few MB compressed).
MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024


# The text of the one log event a CONTROL_MESSAGE carries when CloudWatch Logs checks that it can reach the
# destination ("CWL CONTROL MESSAGE: Checking health of destination ..."). Unverified beyond the prefix.
CONTROL_TEXT_PREFIX = "CWL CONTROL MESSAGE"


def is_health_check(payload: SubscriptionPayload, event: LogEvent) -> bool:
    """True for the reachability check of a control message: the only log event that may be ignored
    without being decided. Any other log event, in a control message too, is a record to decide."""
    return payload.message_type == CONTROL_MESSAGE and event.message.startswith(CONTROL_TEXT_PREFIX)


class PayloadError(ValueError):
    """The subscription event could not be decoded; ``str(err)`` is a one-line reason."""


def gunzip(blob: bytes, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Decompress one or more gzip members, refusing more than ``limit`` bytes of output."""
    if blob[:2] != b"\x1f\x8b":
        raise PayloadError("data is not gzip (no gzip header)")
    out: list[bytes] = []
    total = 0
    rest = blob
    while rest:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            chunk = inflater.decompress(rest, limit - total + 1)
        except zlib.error as exc:
            raise PayloadError(f"data is not valid gzip ({exc})") from None
        total += len(chunk)
        if total > limit or inflater.unconsumed_tail:
            raise PayloadError(f"decompressed data is larger than {limit} bytes")
        out.append(chunk)
        if not inflater.eof:
            raise PayloadError("gzip data is truncated")
        rest = inflater.unused_data
        # Trailing zero padding after the last member is tolerated, like gzip(1) does.
        if rest and not rest.strip(b"\x00"):
            break
        if rest and rest[:2] != b"\x1f\x8b":
            raise PayloadError("unexpected bytes after the gzip data")
    return b"".join(out)


def _as_text(blob: bytes) -> str:
    return blob.decode("utf-8", errors="replace")


def _event_id(raw: object, index: int) -> str:
    if isinstance(raw, str) and raw:
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)  # moto writes ids as numbers
    return f"#{index}"


def _timestamp(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw == raw and abs(raw) < 1e18:
        return int(raw)
    if isinstance(raw, str) and raw.isdigit() and len(raw) < 19:
        return int(raw)
    return None


def _log_event(entry: object, index: int) -> LogEvent:
    """One ``logEvents`` entry. Odd entries are kept (as JSON text) so that deciding them alerts."""
    if not isinstance(entry, dict):
        return LogEvent(id=f"#{index}", timestamp=None, message=_dump(entry))
    message = entry.get("message")
    if not isinstance(message, str):
        # A message that is already an object is a record written by a tool, not by CloudWatch Logs;
        # re-serialising it lets it be decided like any other record. Anything else alerts as unparseable.
        message = _dump(message if message is not None else entry)
    return LogEvent(
        id=_event_id(entry.get("id"), index), timestamp=_timestamp(entry.get("timestamp")), message=message
    )


def _dump(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=repr)
    except (ValueError, TypeError, RecursionError):
        return repr(value)


def payload_from_document(doc: object) -> SubscriptionPayload:
    """Build a payload from the already decompressed and parsed subscription JSON."""
    if not isinstance(doc, Mapping):
        raise PayloadError(f"subscription data is a JSON {json_type(doc)}, not an object")
    message_type = doc.get("messageType")
    events_raw = doc.get("logEvents")
    if message_type is None:
        if events_raw is None:
            raise PayloadError("subscription data has neither messageType nor logEvents")
        message_type = DATA_MESSAGE
    if not isinstance(message_type, str):
        raise PayloadError("subscription data has a messageType that is not a string")
    if message_type not in (DATA_MESSAGE, CONTROL_MESSAGE):
        raise PayloadError(f"subscription data has an unknown messageType {message_type[:60]!r}")
    if events_raw is None:
        if message_type == CONTROL_MESSAGE:
            events_raw = []
        else:
            raise PayloadError("subscription data has no logEvents")
    if not isinstance(events_raw, list):
        raise PayloadError(f"logEvents is a JSON {json_type(events_raw)}, not a list")
    events = tuple(_log_event(entry, i) for i, entry in enumerate(events_raw))
    return SubscriptionPayload(
        message_type=message_type,
        owner=_opt_str(doc.get("owner")),
        log_group=_opt_str(doc.get("logGroup")),
        log_stream=_opt_str(doc.get("logStream")),
        log_events=events,
    )


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def decode_data(data: object) -> SubscriptionPayload:
    """Decode the ``awslogs.data`` string (base64 of gzip of JSON)."""
    if isinstance(data, str):
        try:
            raw = data.encode("ascii")
        except UnicodeEncodeError:
            raise PayloadError("awslogs.data is not base64 (non-ASCII characters)") from None
    elif isinstance(data, bytes | bytearray):
        raw = bytes(data)
    else:
        raise PayloadError(f"awslogs.data is a {json_type(data)}, not a string")
    if not raw.strip():
        raise PayloadError("awslogs.data is empty")
    try:
        blob = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        try:  # tolerate line breaks (base64(1) wraps lines); anything else is refused
            blob = base64.b64decode(b"".join(raw.split()), validate=True)
        except (binascii.Error, ValueError):
            raise PayloadError("awslogs.data is not base64") from None
    text = _as_text(gunzip(blob))
    try:
        doc = json.loads(text)
    except RecursionError:
        raise PayloadError("subscription data is not JSON (nested too deeply)") from None
    except ValueError as exc:
        raise PayloadError(f"subscription data is not JSON ({first_line(exc, 200)})") from None
    return payload_from_document(doc)


def decode_subscription(event: object) -> SubscriptionPayload:
    """Decode a Lambda event from a CloudWatch Logs subscription. Raises only :class:`PayloadError`."""
    try:
        if not isinstance(event, Mapping):
            raise PayloadError(f"event is a {json_type(event)}, not an object")
        awslogs = event.get("awslogs")
        if awslogs is None:
            raise PayloadError("event has no 'awslogs' field (not a CloudWatch Logs subscription event)")
        if not isinstance(awslogs, Mapping):
            raise PayloadError(f"event field 'awslogs' is a {json_type(awslogs)}, not an object")
        if "data" not in awslogs:
            raise PayloadError("event has no 'awslogs.data' field")
        return decode_data(awslogs.get("data"))
    except PayloadError:
        raise
    except MemoryError:
        raise PayloadError("payload too large to decode") from None
    except Exception as exc:  # defensive: the contract is that nothing else escapes
        raise PayloadError(f"payload could not be decoded ({type(exc).__name__})") from None
