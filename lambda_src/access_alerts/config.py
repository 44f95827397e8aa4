"""Configuration: the one place that reads the ``ACCESS_ALERTS_*`` environment variables.

``load_config`` validates everything up front and raises :class:`ConfigError` with a message that
names the variable and says what was expected. Nothing here runs at import time.

Secrets (the webhook URL and the HMAC key for ``key_values = "hash"``) are not read by
``load_config`` when they live in SSM: :class:`DeliverySettings` records *where* they are, and
:meth:`DeliverySettings.webhook_url` / :meth:`DeliverySettings.key_hash_secret` fetch them on
first use and keep them in a module-level cache for the rest of the execution environment's
life (once per cold start). boto3 is imported only inside that fetch. Secret values never appear
in ``repr``, logs or exception messages.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from .model import KeyValues, PipelineResources, PolicySettings

PREFIX: Final = "ACCESS_ALERTS_"
KNOWN_VARIABLES: Final = (
    "ACCESS_ALERTS_NAME",
    "ACCESS_ALERTS_TABLES",
    "ACCESS_ALERTS_ALLOWED",
    "ACCESS_ALERTS_ALLOWED_MANAGEMENT",
    "ACCESS_ALERTS_WATCH_PIPELINE",
    "ACCESS_ALERTS_WATCH_TABLE_MANAGEMENT",
    "ACCESS_ALERTS_PIPELINE",
    "ACCESS_ALERTS_KEY_VALUES",
    "ACCESS_ALERTS_WEBHOOK_SSM_PARAMETER",
    "ACCESS_ALERTS_WEBHOOK_URL",
    "ACCESS_ALERTS_KEY_HASH_SSM_PARAMETER",
    "ACCESS_ALERTS_KEY_HASH_SECRET",
)
KEY_VALUE_MODES: Final[tuple[KeyValues, ...]] = ("show", "hash", "hide")
DEFAULT_NAME: Final = "dynamodb-access-alerts"
MAX_NAME_LENGTH: Final = 64

_PIPELINE_STR_FIELDS: Final = ("trail_arn", "trail_bucket", "function_name", "queue_arn", "kms_key_arn")
_PIPELINE_LIST_FIELDS: Final = ("log_group_names", "ssm_parameter_names")


class ConfigError(ValueError):
    """The configuration is unusable. The message names the variable; it never holds a secret."""


# name of SSM parameter -> decrypted value. Filled on first use, kept for the life of the process.
_SECRET_CACHE: dict[str, str] = {}
_SECRET_LOCK = threading.Lock()


def clear_secret_cache() -> None:
    """Forget fetched secrets (tests; a new cold start does the same)."""
    with _SECRET_LOCK:
        _SECRET_CACHE.clear()


def _fetch_ssm_parameter(name: str, variable: str) -> str:
    with _SECRET_LOCK:
        cached = _SECRET_CACHE.get(name)
        if cached is not None:
            return cached
        try:
            import boto3  # imported only when a parameter is really needed

            client = boto3.client("ssm")
            response = client.get_parameter(Name=name, WithDecryption=True)
            value = response["Parameter"]["Value"]
        except Exception as exc:  # any failure: name the parameter and the error type, never a value
            raise ConfigError(
                f"{variable}: cannot read SSM parameter {name!r} ({type(exc).__name__}); "
                "check that it exists and that the function may ssm:GetParameter and kms:Decrypt it"
            ) from None
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{variable}: SSM parameter {name!r} is empty")
        value = value.strip()
        _SECRET_CACHE[name] = value
        return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress  # only needed for http:// URLs (local runs)

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_url(url: str, where: str) -> str:
    """Accept https URLs, and http only to a loopback address (local receivers and tests).

    ``where`` describes the source for the message (e.g. "ACCESS_ALERTS_WEBHOOK_URL" or
    "the webhook URL from parameter /x"); the URL itself is never put in the message.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        raise ConfigError(f"{where} is not a valid URL; expected https://...") from None
    if not host:
        raise ConfigError(f"{where} has no host; expected https://HOST/...")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and _is_loopback(host):
        return url
    if parts.scheme == "http":
        raise ConfigError(f"{where} is not https (plain http is accepted only on a loopback address)")
    raise ConfigError(f"{where} is not https; expected https://...")


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How alerts are formatted and where they go. Secrets are resolved lazily and cached."""

    name: str = DEFAULT_NAME
    key_values: KeyValues = "show"
    webhook_ssm_parameter: str | None = None
    key_hash_ssm_parameter: str | None = None
    direct_webhook_url: str | None = field(default=None, repr=False)
    direct_key_hash_secret: str | None = field(default=None, repr=False)

    def webhook_url(self) -> str:
        """The webhook URL (fetched from SSM on first use). Raises ConfigError, never with the value."""
        if self.direct_webhook_url is not None:
            return self.direct_webhook_url
        if self.webhook_ssm_parameter is None:
            raise ConfigError(
                "no webhook configured: set ACCESS_ALERTS_WEBHOOK_SSM_PARAMETER or ACCESS_ALERTS_WEBHOOK_URL"
            )
        url = _fetch_ssm_parameter(self.webhook_ssm_parameter, "ACCESS_ALERTS_WEBHOOK_SSM_PARAMETER")
        return check_webhook_url(url, f"the webhook URL from parameter {self.webhook_ssm_parameter!r}")

    def key_hash_secret(self) -> bytes | None:
        """The HMAC key for ``key_values = "hash"`` (None in other modes)."""
        if self.key_values != "hash":
            return None
        if self.direct_key_hash_secret is not None:
            return self.direct_key_hash_secret.encode("utf-8")
        if self.key_hash_ssm_parameter is None:
            raise ConfigError(
                "ACCESS_ALERTS_KEY_VALUES is 'hash' but no secret is configured: set "
                "ACCESS_ALERTS_KEY_HASH_SSM_PARAMETER (or ACCESS_ALERTS_KEY_HASH_SECRET for local runs)"
            )
        value = _fetch_ssm_parameter(self.key_hash_ssm_parameter, "ACCESS_ALERTS_KEY_HASH_SSM_PARAMETER")
        return value.encode("utf-8")

    def resolve(self) -> None:
        """Fetch every secret now so a misconfiguration fails before any record is processed."""
        self.webhook_url()
        self.key_hash_secret()


@dataclass(frozen=True, slots=True)
class Config:
    policy: PolicySettings
    delivery: DeliverySettings


# -- parsing helpers -----------------------------------------------------------------------------


def _json(environ: Mapping[str, str], variable: str, default: str) -> Any:
    raw = environ.get(variable)
    if raw is None or not raw.strip():
        raw = default
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{variable} is not valid JSON ({exc.msg} at position {exc.pos})") from None


def _string_list(environ: Mapping[str, str], variable: str, *, required: bool = False) -> tuple[str, ...]:
    if required and not environ.get(variable, "").strip():
        raise ConfigError(f'{variable} is required: a JSON list of strings, e.g. ["orders"]')
    value = _json(environ, variable, "[]")
    return _as_string_list(value, variable)


def _as_string_list(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{what} must be a JSON list of strings, got {_json_type(value)}")
    out: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{what}[{index}] must be a non-empty string, got {_json_type(item)}")
        out.append(item.strip())
    return tuple(out)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _bool(environ: Mapping[str, str], variable: str, default: bool) -> bool:
    raw = environ.get(variable)
    if raw is None or not raw.strip():
        return default
    text = raw.strip().lower()
    if text == "true":
        return True
    if text == "false":
        return False
    raise ConfigError(f'{variable} must be "true" or "false", got {raw.strip()[:20]!r}')


def _pipeline(environ: Mapping[str, str]) -> PipelineResources:
    variable = "ACCESS_ALERTS_PIPELINE"
    value = _json(environ, variable, "{}")
    if not isinstance(value, dict):
        raise ConfigError(f"{variable} must be a JSON object, got {_json_type(value)}")
    known = set(_PIPELINE_STR_FIELDS) | set(_PIPELINE_LIST_FIELDS)
    unknown = sorted(str(k) for k in value if k not in known)
    if unknown:
        raise ConfigError(
            f"{variable} has unknown field(s) {', '.join(unknown)}; expected only {', '.join(sorted(known))}"
        )
    kwargs: dict[str, Any] = {}
    for name in _PIPELINE_STR_FIELDS:
        item = value.get(name)
        if item is None or item == "":
            continue
        if not isinstance(item, str):
            raise ConfigError(f"{variable}.{name} must be a string or null, got {_json_type(item)}")
        kwargs[name] = item
    for name in _PIPELINE_LIST_FIELDS:
        item = value.get(name)
        if item is None:
            continue
        kwargs[name] = _as_string_list(item, f"{variable}.{name}")
    return PipelineResources(**kwargs)


def _key_values(environ: Mapping[str, str]) -> KeyValues:
    raw = environ.get("ACCESS_ALERTS_KEY_VALUES")
    if raw is None or not raw.strip():
        return "show"
    text = raw.strip().lower()
    if text not in KEY_VALUE_MODES:
        raise ConfigError(
            f"ACCESS_ALERTS_KEY_VALUES must be one of show, hash, hide; got {raw.strip()[:20]!r}"
        )
    return text


def _optional(environ: Mapping[str, str], variable: str) -> str | None:
    raw = environ.get(variable)
    if raw is None or not raw.strip():
        return None
    return raw.strip()


def _delivery(environ: Mapping[str, str]) -> DeliverySettings:
    name = _optional(environ, "ACCESS_ALERTS_NAME") or DEFAULT_NAME
    if len(name) > MAX_NAME_LENGTH or any(ord(c) < 32 for c in name):
        raise ConfigError(f"ACCESS_ALERTS_NAME must be at most {MAX_NAME_LENGTH} printable characters")
    key_values = _key_values(environ)

    ssm = _optional(environ, "ACCESS_ALERTS_WEBHOOK_SSM_PARAMETER")
    url = _optional(environ, "ACCESS_ALERTS_WEBHOOK_URL")
    if ssm and url:
        raise ConfigError(
            "set exactly one of ACCESS_ALERTS_WEBHOOK_SSM_PARAMETER and ACCESS_ALERTS_WEBHOOK_URL, not both"
        )
    if not ssm and not url:
        raise ConfigError(
            "no webhook configured: set ACCESS_ALERTS_WEBHOOK_SSM_PARAMETER (the name of an SSM "
            "SecureString parameter) or, for local runs, ACCESS_ALERTS_WEBHOOK_URL"
        )
    if url is not None:
        check_webhook_url(url, "ACCESS_ALERTS_WEBHOOK_URL")

    hash_ssm = _optional(environ, "ACCESS_ALERTS_KEY_HASH_SSM_PARAMETER")
    hash_secret = _optional(environ, "ACCESS_ALERTS_KEY_HASH_SECRET")
    if hash_ssm and hash_secret:
        raise ConfigError(
            "set at most one of ACCESS_ALERTS_KEY_HASH_SSM_PARAMETER and ACCESS_ALERTS_KEY_HASH_SECRET"
        )
    if key_values == "hash" and not (hash_ssm or hash_secret):
        raise ConfigError(
            "ACCESS_ALERTS_KEY_VALUES is 'hash' but neither ACCESS_ALERTS_KEY_HASH_SSM_PARAMETER nor "
            "ACCESS_ALERTS_KEY_HASH_SECRET is set: the keyed hash needs a per-deployment secret"
        )
    return DeliverySettings(
        name=name,
        key_values=key_values,
        webhook_ssm_parameter=ssm,
        key_hash_ssm_parameter=hash_ssm,
        direct_webhook_url=url,
        direct_key_hash_secret=hash_secret,
    )


def load_config(environ: Mapping[str, str]) -> Config:
    """Read and validate every ``ACCESS_ALERTS_*`` variable. Raises ConfigError naming the variable."""
    tables = _string_list(environ, "ACCESS_ALERTS_TABLES", required=True)
    if not tables:
        raise ConfigError("ACCESS_ALERTS_TABLES must list at least one table name or ARN")
    policy = PolicySettings(
        tables=tables,
        allowed=_string_list(environ, "ACCESS_ALERTS_ALLOWED"),
        allowed_management=_string_list(environ, "ACCESS_ALERTS_ALLOWED_MANAGEMENT"),
        watch_pipeline=_bool(environ, "ACCESS_ALERTS_WATCH_PIPELINE", True),
        watch_table_management=_bool(environ, "ACCESS_ALERTS_WATCH_TABLE_MANAGEMENT", True),
        pipeline=_pipeline(environ),
    )
    return Config(policy=policy, delivery=_delivery(environ))


def delivery_settings_for_cli(
    webhook_url: str,
    key_values: str = "show",
    key_hash_secret: str | None = None,
    name: str = "replay",
) -> DeliverySettings:
    """Delivery settings for the replay command (``--webhook URL``)."""
    check_webhook_url(webhook_url, "--webhook")
    mode = key_values.strip().lower()
    if mode not in KEY_VALUE_MODES:
        raise ConfigError(f"key_values must be one of show, hash, hide; got {key_values[:20]!r}")
    if mode == "hash" and not key_hash_secret:
        raise ConfigError("key_values 'hash' needs a key hash secret")
    return DeliverySettings(
        name=name,
        key_values=mode,
        direct_webhook_url=webhook_url,
        direct_key_hash_secret=key_hash_secret,
    )
