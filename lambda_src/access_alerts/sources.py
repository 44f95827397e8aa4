"""Read CloudTrail records from files for ``replay``, whatever their shape (detected by content).

Accepted: CloudTrail log files (``{"Records": [...]}``), JSON Lines of single records, CloudWatch Logs
subscription events (``{"awslogs": {"data": ...}}``) and decoded subscription documents (with
``logEvents``); each plain or gzip-compressed. A file that cannot be read at all raises
:class:`SourceError` with a one-line reason; a single bad line inside a readable JSON Lines file is passed
on as text, so deciding it alerts as unparseable instead of losing it.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

from access_alerts.decode import PayloadError, decode_subscription, is_health_check, payload_from_document
from access_alerts.text import first_line

MAX_FILE_BYTES = 4 * 1024 * 1024 * 1024  # decompressed size of one JSON document (JSON Lines: no limit)


class SourceError(ValueError):
    """A file could not be read as records; ``str(err)`` is a one-line reason."""


def _open(path: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise SourceError("no such file") from None
    except IsADirectoryError:
        raise SourceError("is a directory") from None
    except PermissionError:
        raise SourceError("permission denied") from None
    except OSError as exc:
        raise SourceError(exc.strerror or type(exc).__name__) from None


def _text_stream(raw: BinaryIO) -> TextIO:
    """The content as text, gunzipped (streaming) when it starts with the gzip magic bytes.

    A UTF-8 byte order mark is dropped; bytes that are not UTF-8 are replaced (U+FFFD).
    """
    head = raw.read(2)
    raw.seek(0)
    stream: BinaryIO = raw
    if head == b"\x1f\x8b":
        stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace")


@contextmanager
def _reading() -> Iterator[None]:
    """Turn the errors of reading (and gunzipping) a stream into SourceError."""
    try:
        yield
    except EOFError:
        raise SourceError("gzip data is truncated") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise SourceError(f"data is not valid gzip ({first_line(exc)})") from None
    except OSError as exc:
        raise SourceError(exc.strerror or type(exc).__name__) from None


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
    """Yield ``(source_id, record)`` for every record in a file (record: parsed mapping or JSON text).

    JSON Lines are read a line at a time, so a file of any length is read in flat memory; a single JSON
    document (a CloudTrail log file) is read whole, up to ``MAX_FILE_BYTES`` of text.
    """
    name = str(path)
    with _open(name) as raw:
        yield from iter_stream_records(raw, name)


def iter_blob_records(blob: bytes, name: str) -> Iterator[tuple[str, str | Mapping[str, object]]]:
    """Like :func:`iter_file_records`, for content already in memory (an S3 object)."""
    yield from iter_stream_records(io.BytesIO(blob), name)


def iter_stream_records(raw: BinaryIO, name: str) -> Iterator[tuple[str, str | Mapping[str, object]]]:
    """Records of a seekable binary stream, named ``name`` in the source ids."""
    with _reading():
        text = _text_stream(raw)
        lines = _numbered_lines(text)
        first = next(lines, None)
        if first is None:
            raise SourceError("file is empty")
        first_no, first_line = first
        try:
            value = json.loads(first_line)
        except RecursionError:
            raise SourceError("not JSON (nested too deeply)") from None
        except ValueError as exc:
            # Not one value per line: the whole file is one (multi-line) JSON document, or not JSON at all.
            rest = text.read(MAX_FILE_BYTES - len(first_line) + 1)
            if len(first_line) + len(rest) > MAX_FILE_BYTES:
                raise SourceError(f"a single JSON document larger than {MAX_FILE_BYTES} characters") from None
            yield from _whole_document(first_line + "\n" + rest, name, first_no, exc)
            return
        second = next(lines, None)
        if second is None:  # one JSON value: a CloudTrail log file, a subscription event, a record, ...
            yield from _from_document(value, name, "")
            return
        yield from _json_line(value, first_line, first_no, name)
        for lineno, line in itertools.chain((second,), lines):
            try:
                value = json.loads(line)
            except (ValueError, RecursionError):
                yield f"{name}:{lineno}", line  # decided as unparseable: alerts, never dropped
                continue
            yield from _json_line(value, line, lineno, name)


def _numbered_lines(text: TextIO) -> Iterator[tuple[int, str]]:
    """Non-empty lines, stripped, with their line numbers (from 1)."""
    for lineno, line in enumerate(text, start=1):
        line = line.strip()
        if line:
            yield lineno, line


def _whole_document(
    content: str, name: str, first_no: int, first_error: ValueError
) -> Iterator[tuple[str, str | Mapping[str, object]]]:
    try:
        doc = json.loads(content)
    except RecursionError:
        raise SourceError("not JSON (nested too deeply)") from None
    except ValueError:
        reason = first_line(first_error)
        raise SourceError(f"not JSON or JSON Lines (line {first_no}: {reason})") from None
    yield from _from_document(doc, name, "")


def _json_line(
    value: object, line: str, lineno: int, name: str
) -> Iterator[tuple[str, str | Mapping[str, object]]]:
    """The records of one parsed line of a JSON Lines file."""
    if isinstance(value, Mapping) and ("Records" in value or "awslogs" in value or "logEvents" in value):
        try:
            yield from _from_document(value, f"{name}:{lineno}", f"line {lineno}: ")
        except SourceError:
            yield f"{name}:{lineno}", line
        return
    yield f"{name}:{lineno}", value if isinstance(value, Mapping) else line
