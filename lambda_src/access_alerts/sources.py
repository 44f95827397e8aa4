"""Read CloudTrail records from files for ``replay``, whatever their shape (detected by content).

Accepted: CloudTrail log files (``{"Records": [...]}``), JSON Lines of single records, CloudWatch Logs
subscription events (``{"awslogs": {"data": ...}}``) and decoded subscription documents (with
``logEvents``); each plain or gzip-compressed. A file that cannot be read at all raises
:class:`SourceError` with a one-line reason; a single bad line inside a readable JSON Lines file is passed
on as text, so deciding it alerts as unparseable instead of losing it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from access_alerts.decode import (
    PayloadError,
    decode_subscription,
    gunzip,
    is_health_check,
    payload_from_document,
)
from access_alerts.text import first_line

MAX_FILE_BYTES = 4 * 1024 * 1024 * 1024  # decompressed size of one input file


class SourceError(ValueError):
    """A file could not be read as records; ``str(err)`` is a one-line reason."""


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise SourceError("no such file") from None
    except IsADirectoryError:
        raise SourceError("is a directory") from None
    except PermissionError:
        raise SourceError("permission denied") from None
    except OSError as exc:
        raise SourceError(exc.strerror or type(exc).__name__) from None


def read_text(path: str) -> str:
    """File content as text, gunzipped when it starts with the gzip magic bytes."""
    blob = _read(path)
    if blob[:2] == b"\x1f\x8b":
        try:
            blob = gunzip(blob, MAX_FILE_BYTES)
        except PayloadError as exc:
            raise SourceError(str(exc)) from None
    if blob[:3] == b"\xef\xbb\xbf":
        blob = blob[3:]
    return blob.decode("utf-8", errors="replace")


def _from_document(doc: object, name: str, where: str) -> Iterator[tuple[str, str | Mapping[str, object]]]:
    """Records inside one parsed JSON value. Raises SourceError for shapes that hold no records."""
    if isinstance(doc, Mapping):
        records = doc.get("Records")
        if records is not None:
            if not isinstance(records, list):
                raise SourceError(f"{where}'Records' is not a list")
            for i, rec in enumerate(records):
                yield f"{name}:Records[{i}]", rec if isinstance(rec, Mapping | str) else json.dumps(rec)
            return
        if "awslogs" in doc or "logEvents" in doc or "messageType" in doc:
            # The subscription event as delivered, or its already decoded JSON document.
            try:
                payload = decode_subscription(doc) if "awslogs" in doc else payload_from_document(doc)
            except PayloadError as exc:
                raise SourceError(f"{where}{exc}") from None
            for ev in payload.log_events:
                if not is_health_check(payload, ev):  # a control message's other events are records too
                    yield f"{name}:{ev.id}", ev.message
            return
        if "eventName" in doc or "eventVersion" in doc or "eventSource" in doc:
            yield name, doc
            return
        raise SourceError(
            f"{where}JSON object is neither a CloudTrail record, a CloudTrail log file "
            "nor a CloudWatch Logs subscription event"
        )
    if isinstance(doc, list):
        for i, rec in enumerate(doc):
            yield f"{name}[{i}]", rec if isinstance(rec, Mapping | str) else json.dumps(rec)
        return
    raise SourceError(f"{where}JSON value is not an object")


def iter_file_records(path: str | Path) -> Iterator[tuple[str, str | Mapping[str, object]]]:
    """Yield ``(source_id, record)`` for every record in a file (record: parsed mapping or JSON text)."""
    name = str(path)
    text = read_text(name)
    stripped = text.strip()
    if not stripped:
        raise SourceError("file is empty")
    try:
        doc = json.loads(stripped)
    except RecursionError:
        raise SourceError("not JSON (nested too deeply)") from None
    except ValueError:
        doc = _NOT_ONE_DOCUMENT
    if doc is not _NOT_ONE_DOCUMENT:
        yield from _from_document(doc, name, "")
        return
    # JSON Lines: the first non-empty line must be JSON, or the file is not records at all.
    first = True
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError) as exc:
            if first:
                raise SourceError(f"not JSON or JSON Lines (line {lineno}: {first_line(exc)})") from None
            yield f"{name}:{lineno}", line  # decided as unparseable: alerts, never dropped
            continue
        first = False
        if isinstance(value, Mapping) and ("Records" in value or "awslogs" in value or "logEvents" in value):
            try:
                yield from _from_document(value, f"{name}:{lineno}", f"line {lineno}: ")
            except SourceError:
                yield f"{name}:{lineno}", line
            continue
        yield f"{name}:{lineno}", value if isinstance(value, Mapping) else line


_NOT_ONE_DOCUMENT = object()
