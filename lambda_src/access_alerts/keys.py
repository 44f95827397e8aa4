"""How primary keys appear in alerts: shown, replaced by a keyed hash, or reduced to attribute names.

``hash`` uses HMAC-SHA256 with a per-deployment secret over a canonical JSON form of the key
(sorted attribute names, no whitespace, UTF-8), shown as ``hmac:`` and the first 12 hex digits.
The same item gives the same digest in every alert of one deployment, so a person can see that
two alerts touched the same item, while the key value itself is not revealed (and cannot be
confirmed by guessing without the secret).

The same modes cover the other places a key value can appear: the literals of a PartiQL statement
(CloudTrail redacts non-key values as ``***(Redacted)`` but keeps the key's, ``WHERE OrderId='cust-4711'``)
and error messages (``key cust-4711 invalid``). In ``hash`` mode each literal becomes ``hmac:`` and 12 hex
digits of the HMAC of its text, in ``hide`` mode ``?``; in error messages the record's own key values and
statement literals, and any single-quoted text, are replaced the same way (:meth:`KeyFormatter.statement`,
:meth:`KeyFormatter.error_message`; every format calls them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from .model import KeyValues

DIGEST_HEX_CHARS: Final = 12
HIDDEN: Final = "?"
CLOUDTRAIL_REDACTED: Final = "***(Redacted)"  # CloudTrail's own placeholder: kept as it is
MAX_VALUES: Final = 50  # key values and literals of one record looked for in its error message

# PartiQL literals: 'text' ('' inside is a quote; a statement cut short may end inside one), `ion`, numbers.
_LITERAL: Final = re.compile(
    r"'(?:[^']|'')*(?:'|$)"
    r"|`[^`]*(?:`|$)"
    r"|(?<![\w.\"])-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![\w\"])"
)


def canonical_key(key: Mapping[str, Any]) -> str:
    """A stable text form of a key: equal keys give equal text whatever the attribute order."""
    return json.dumps(key, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def key_digest(key: Mapping[str, Any], secret: bytes) -> str:
    import hashlib  # imported on first use: only the "hash" mode needs it (keeps cold starts short)
    import hmac

    # surrogatepass: a lone surrogate in a key (legal in JSON) hashes to its own digest instead of raising.
    mac = hmac.new(secret, canonical_key(key).encode("utf-8", "surrogatepass"), hashlib.sha256)
    return "hmac:" + mac.hexdigest()[:DIGEST_HEX_CHARS]


def _digest(text: str, secret: bytes) -> str:
    import hashlib
    import hmac

    mac = hmac.new(secret, text.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return "hmac:" + mac.hexdigest()[:DIGEST_HEX_CHARS]


def _literal_text(literal: str) -> str:
    """The value a literal stands for: ``'it''s'`` -> ``it's``."""
    if literal[:1] == "'":
        inner = literal[1:-1] if len(literal) > 1 and literal.endswith("'") else literal[1:]
        return inner.replace("''", "'")
    if literal[:1] == "`":
        return literal[1:-1] if len(literal) > 1 and literal.endswith("`") else literal[1:]
    return literal


def _is_attribute_name(m: re.Match[str]) -> bool:
    """A quoted string followed by ``:`` names an attribute of a tuple (``{'OrderId': 'o-1'}``)."""
    return m.group(0)[:1] == "'" and m.string[m.end() :].lstrip().startswith(":")


def statement_literals(statement: str) -> Iterator[str]:
    """The values of a statement's literals (not attribute names, not CloudTrail's ``***(Redacted)``)."""
    for m in _LITERAL.finditer(statement):
        value = _literal_text(m.group(0))
        if value and value != CLOUDTRAIL_REDACTED and not _is_attribute_name(m):
            yield value


def key_scalars(key: object, depth: int = 0) -> Iterator[str]:
    """Every scalar value in a logged key (``{"OrderId": {"S": "o-1"}}`` -> ``o-1``), as text."""
    if depth > 4:
        return
    if isinstance(key, Mapping):
        for value in key.values():
            yield from key_scalars(value, depth + 1)
    elif isinstance(key, list):
        for value in key[:MAX_VALUES]:
            yield from key_scalars(value, depth + 1)
    elif isinstance(key, str | int | float) and not isinstance(key, bool):
        text = str(key)
        if text:
            yield text


class KeyFormatter:
    """Turns one logged key into display text (not yet escaped for any chat format)."""

    def __init__(self, mode: KeyValues, secret: bytes | None = None) -> None:
        if mode == "hash" and not secret:
            raise ValueError("key_values 'hash' needs a secret")
        self.mode: KeyValues = mode
        self._secret = secret

    def __repr__(self) -> str:  # never show the secret
        return f"KeyFormatter(mode={self.mode!r})"

    def format(self, key: Mapping[str, Any]) -> str:
        if self.mode == "hide":
            return ", ".join(sorted(str(name) for name in key)) or "(empty key)"
        if self.mode == "hash":
            assert self._secret is not None  # noqa: S101  (checked in __init__)
            names = ", ".join(sorted(str(name) for name in key))
            return f"{key_digest(key, self._secret)} ({names})" if names else key_digest(key, self._secret)
        return canonical_key(key)

    def _replacement(self, value: str) -> str:
        if self.mode == "hash":
            assert self._secret is not None  # noqa: S101  (checked in __init__)
            return _digest(value, self._secret)
        return HIDDEN

    def statement(self, statement: str) -> str:
        """A PartiQL statement as shown: as logged in ``show`` mode; otherwise every literal hashed or
        hidden (``WHERE OrderId='cust-4711'`` -> ``WHERE OrderId='hmac:1a2b3c4d5e6f'`` or
        ``WHERE OrderId=?``); CloudTrail's own ``***(Redacted)`` stays as it is."""
        if self.mode == "show":
            return statement

        def one(m: re.Match[str]) -> str:
            literal = m.group(0)
            value = _literal_text(literal)
            if value == CLOUDTRAIL_REDACTED or _is_attribute_name(m):
                return literal
            shown = self._replacement(value)
            return f"'{shown}'" if literal[:1] == "'" and self.mode == "hash" else shown

        return _LITERAL.sub(one, statement)

    def error_message(self, message: str, values: Iterable[str] = ()) -> str:
        """An error message as shown: as logged in ``show`` mode; otherwise the record's own key values and
        statement literals (``values``), where they stand as words, and any single-quoted text are hashed or
        hidden (``key cust-4711 invalid`` -> ``key hmac:1a2b3c4d5e6f invalid``)."""
        if self.mode == "show":
            return message
        known = sorted({v for v in values if v.strip()}, key=len, reverse=True)[:MAX_VALUES]
        if known:
            words = "|".join(re.escape(v) for v in known)
            message = re.sub(
                rf"(?<![A-Za-z0-9_])(?:{words})(?![A-Za-z0-9_])",
                lambda m: self._replacement(m.group(0)),
                message,
            )
        return re.sub(r"'[^']+'", self._quoted, message)

    def _quoted(self, m: re.Match[str]) -> str:
        inner = m.group(0)[1:-1]
        if inner.startswith("hmac:") or inner == HIDDEN:  # already replaced above
            return m.group(0)
        return f"'{self._replacement(inner)}'"
