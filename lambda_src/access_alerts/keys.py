"""How primary keys appear in alerts: shown, replaced by a keyed hash, or reduced to attribute names.

``hash`` uses HMAC-SHA256 with a per-deployment secret over a canonical JSON form of the key
(sorted attribute names, no whitespace, UTF-8), shown as ``hmac:`` and the first 12 hex digits.
The same item gives the same digest in every alert of one deployment, so a person can see that
two alerts touched the same item, while the key value itself is not revealed (and cannot be
confirmed by guessing without the secret).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from .model import KeyValues

DIGEST_HEX_CHARS: Final = 12


def canonical_key(key: Mapping[str, Any]) -> str:
    """A stable text form of a key: equal keys give equal text whatever the attribute order."""
    return json.dumps(key, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def key_digest(key: Mapping[str, Any], secret: bytes) -> str:
    import hashlib  # imported on first use: only the "hash" mode needs it (keeps cold starts short)
    import hmac

    # surrogatepass: a lone surrogate in a key (legal in JSON) hashes to its own digest instead of raising.
    mac = hmac.new(secret, canonical_key(key).encode("utf-8", "surrogatepass"), hashlib.sha256)
    return "hmac:" + mac.hexdigest()[:DIGEST_HEX_CHARS]


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
