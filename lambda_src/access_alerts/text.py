"""Helpers for untrusted values: read a string, name a JSON type, cut an error to one line, and the one
place where text from a record is made safe to show and to send.

Every value that comes from a CloudTrail record (or any other untrusted place) reaches a person only through
:func:`clean` (and, where a client could turn it into a link, :func:`defang`); every outgoing body is
serialised by :func:`to_json` / :func:`json_bytes`, which are always encodable. The formats (slack.py, and
facts.py for Teams and SNS) add only their own escaping on top:

* :func:`clean` - one line with nothing hidden: line breaks, tabs and other control characters (C0, C1
  including NEL U+0085, U+2028, U+2029) become spaces; zero-width, direction-changing and other invisible
  format characters (U+200B, U+202E, U+2066, U+FEFF, U+00AD, tag characters, ...), unassigned code points
  and lone surrogates become U+FFFD, so a hidden change is visible as a replacement character.
* :func:`defang` - ``scheme://`` becomes ``scheme[:]//`` and ``www.`` becomes ``www[.]``, so a client that
  turns URLs into links (an email client, Teams, Slack without ``verbatim``) finds none in record text.
* :func:`encodable` - lone surrogates (legal in JSON text, ``"\\ud800"``, but not encodable as UTF-8)
  become U+FFFD; :func:`to_json`, :func:`json_bytes` and :func:`json_line` serialise with it, so no message
  or output line can fail to encode (and a JSON Line never contains a character that splits lines).
* :func:`is_region` - an AWS Region name, matched in full (no trailing newline slips through).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

REPLACEMENT: Final = "\ufffd"
ELLIPSIS: Final = "\u2026"

_ASCII_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
# Letters that render as nothing but are not format characters (Hangul and halfwidth Hangul fillers).
_INVISIBLE_LETTERS: Final = frozenset("\u115f\u1160\u3164\uffa0")
_SCHEME: Final = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(//|\\\\)")
_WWW: Final = re.compile(r"(?i)\bwww\.")
# [0-9], not \d: \d also matches other scripts' digits.
_REGION: Final = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")


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


# -- showing untrusted text ------------------------------------------------------------------------------


def _shown(ch: str) -> str:
    """One non-ASCII character as it may be shown (``ch.isprintable()`` was False or it is a filler)."""
    import unicodedata  # only for text that is not plain ASCII

    category = unicodedata.category(ch)
    if category in ("Cc", "Zl", "Zp"):
        return " "
    if category == "Zs":
        return ch  # a visible space of another width
    if category == "Co":
        return ch  # private use: drawn as a box or an icon, never invisible
    return REPLACEMENT  # Cf (format, bidi, zero-width, tags), Cs (lone surrogate), Cn (unassigned), fillers


def clean(value: object) -> str:
    """One line of untrusted text with nothing hidden (see the module docstring). Never raises."""
    text = value if isinstance(value, str) else str(value)
    if text.isascii():
        return text if text.isprintable() else _ASCII_CONTROL.sub(" ", text)
    return "".join(ch if ch.isprintable() and ch not in _INVISIBLE_LETTERS else _shown(ch) for ch in text)


def defang(text: str) -> str:
    """No live link scheme in ``text``: ``https://x`` -> ``https[:]//x``, ``www.x`` -> ``www[.]x``. A bare
    domain (``evil.example``) is left as it is: nothing tells it apart from a table name with dots."""
    if ":" in text:
        text = _SCHEME.sub(r"\1[:]\2", text)
    return _WWW.sub("www[.]", text)


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, ending with an ellipsis when cut."""
    if limit <= 0:
        return ""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


def neutral(value: object, limit: int = 300) -> str:
    """Untrusted text safe to show as plain text: :func:`clean`, :func:`defang`, at most ``limit``
    characters. Very long values are cut before they are cleaned, so the work stays bounded."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > 4 * limit + 16:
        text = text[: 4 * limit + 16]
    return clip(defang(clean(text)), limit)


# -- sending -----------------------------------------------------------------------------------------------


def encodable(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (a surrogate pair written as two escapes becomes
    the character it stands for), so it always encodes as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def to_json(value: Any, *, compact: bool = True) -> str:
    """JSON text of ``value`` (non-ASCII kept as is), always encodable as UTF-8."""
    separators = (",", ":") if compact else None
    return encodable(json.dumps(value, ensure_ascii=False, separators=separators, default=str))


_LINE_BREAKS: Final = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def json_line(value: Any) -> str:
    """One line of JSON Lines: :func:`to_json` with NEL, U+2028 and U+2029 escaped too (``json`` escapes only
    C0 controls), so no line splitter (``str.splitlines``, JavaScript) breaks a record in two."""
    return to_json(value, compact=False).translate(_LINE_BREAKS)


def json_bytes(value: Any) -> bytes:
    """The UTF-8 body of a message: the one place outgoing payloads are serialised."""
    return to_json(value).encode("utf-8")


def is_region(value: object) -> bool:
    """True for a string shaped like an AWS Region name (``eu-west-1``), matched in full."""
    return isinstance(value, str) and _REGION.fullmatch(value) is not None
