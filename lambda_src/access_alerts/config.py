"""Configuration: the one place that reads the environment, and the reader of the configuration document.

Everything that grows with the estate travels as one versioned JSON document (docs/configuration-document.md).
:func:`load_config` finds it through the environment, once per cold start (never at import time):

* ``ACCESS_ALERTS_CONFIG_PARAMETER`` names an SSM SecureString holding the document, as Terraform's
  ``base64gzip(jsonencode(...))`` writes it (plain JSON text is accepted too); with
  ``ACCESS_ALERTS_CONFIG_PARTS`` = N (as the module sets it) that text is split over the parameters
  ``PARAMETER-1`` ... ``PARAMETER-N``, read in order and joined. ``ACCESS_ALERTS_CONFIG_SHA256`` is the hex
  SHA-256 of the whole document's JSON bytes: a document whose hash differs (changed out of band, a part
  missing or mixed from two versions, or read before Terraform updated the function) is refused;
* or, for local runs and tests, ``ACCESS_ALERTS_CONFIG`` holds the document itself (either form).

:func:`parse_document` validates every field and raises :class:`ConfigError` with a message that names the
field; unknown fields are an error (the module and the function ship together, so an unknown field means a
version mismatch). Allow-list patterns and table entries are checked where they are compiled
(:class:`~access_alerts.policy.Policy`), with messages that name the field as well.

Secrets (the destinations' URLs, tokens and signing secrets, and the HMAC key for ``key_values = "hash"``) are
not in the document: it names the SSM parameters that hold them, and :func:`read_secret` /
:meth:`DeliverySettings.key_hash_secret` fetch them on first use and keep them for the rest of the execution
environment's life (once per cold start). boto3 is imported only inside those fetches. Secret values never
appear in ``repr``, logs or exception messages. Destinations and routes are validated by destinations.py.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from . import rules
from .accounts import NO_ACCOUNTS, Accounts
from .destinations import DEFAULT_DESTINATION, Destination, DestinationError, Routing, Secret, parse_routing
from .model import CanarySettings, KeyValues, PipelineResources, PolicySettings
from .text import first_line, json_type

ENV_PARAMETER: Final = "ACCESS_ALERTS_CONFIG_PARAMETER"
ENV_SHA256: Final = "ACCESS_ALERTS_CONFIG_SHA256"
ENV_PARTS: Final = "ACCESS_ALERTS_CONFIG_PARTS"
ENV_DOCUMENT: Final = "ACCESS_ALERTS_CONFIG"
KNOWN_VARIABLES: Final = (ENV_PARAMETER, ENV_PARTS, ENV_SHA256, ENV_DOCUMENT)
# The module writes at most 8 parts (configuration.tf); more than this is not a value it writes.
MAX_PARTS: Final = 64

DOCUMENT_VERSION: Final = 1
MAX_DOCUMENT_BYTES: Final = 1024 * 1024  # decompressed JSON; configuration.tf refuses a larger document
KEY_VALUE_MODES: Final[tuple[KeyValues, ...]] = ("show", "hash", "hide")
DEFAULT_NAME: Final = "dynamodb-access-alerts"
MAX_NAME_LENGTH: Final = 64

_FIELDS: Final = (
    "version",
    "name",
    "tables",
    "allowed",
    "allowed_management",
    "watch_pipeline",
    "watch_table_management",
    "pipeline",
    "key_values",
    "key_hash_parameter",
    "destinations",
    "default_destinations",
    "routes",
    "account_names",
    "canary",
    "ledger",
    "home",
)
_LEDGER_FIELDS: Final = ("table_name", "digest_window_minutes", "ttl_days")
# The same bounds as the module's variables digest_window_minutes and ledger_ttl_days (variables.tf).
MAX_DIGEST_WINDOW_MINUTES: Final = 1440
MAX_LEDGER_TTL_DAYS: Final = 365
_TABLE_NAME: Final = re.compile(r"[A-Za-z0-9_.-]{3,255}")
_PIPELINE_STR_FIELDS: Final = ("trail_arn", "trail_bucket", "function_name", "queue_arn")
_PIPELINE_LIST_FIELDS: Final = (
    "log_group_names",
    "kms_key_arns",
    "ssm_parameter_names",
    "alarm_names",
    "schedule_names",
    "role_names",
    "table_names",
    "rule_names",
)
_CANARY_FIELDS: Final = ("table_arn", "role_arn")
_ACCOUNT_ID: Final = re.compile(r"[0-9]{12}")
_CANARY_TABLE_ARN: Final = re.compile(
    r"arn:(aws|aws-cn|aws-us-gov):dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255}"
)
_CANARY_ROLE_ARN: Final = re.compile(
    r"arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role/(?:[!-~]*/)?[A-Za-z0-9+=,.@_-]{1,64}"
)
_HOME_FIELDS: Final = ("partition", "account", "region")
PARTITIONS: Final = ("aws", "aws-cn", "aws-us-gov")
_ACCOUNT: Final = re.compile(r"[0-9]{12}")
_REGION: Final = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
_SHA256_HEX: Final = re.compile(r"[0-9a-fA-F]{64}")


class ConfigError(ValueError):
    """The configuration is unusable. The message names the field or variable; it never holds a secret."""


# -- SSM: one client per cold start, secrets cached for the life of the execution environment ----------

# name of SSM parameter -> decrypted value. Filled on first use, kept for the life of the process.
_SECRET_CACHE: dict[str, str] = {}
_SSM_CLIENT: list[Any] = []  # the client, once made
_SSM_LOCK = threading.RLock()


def clear_secret_cache() -> None:
    """Forget fetched secrets and the SSM client (tests; a new cold start does the same)."""
    with _SSM_LOCK:
        _SECRET_CACHE.clear()
        _SSM_CLIENT.clear()


def _get_parameter(name: str, what: str) -> str:
    """The decrypted value of an SSM parameter. Raises ConfigError naming ``what`` and the parameter."""
    with _SSM_LOCK:
        try:
            if not _SSM_CLIENT:
                import boto3  # imported only when a parameter is really needed

                _SSM_CLIENT.append(boto3.client("ssm"))
            response = _SSM_CLIENT[0].get_parameter(Name=name, WithDecryption=True)
            value = response["Parameter"]["Value"]
        except Exception as exc:  # any failure: name the parameter and the error type, never a value
            raise ConfigError(
                f"{what}: cannot read SSM parameter {name!r} ({type(exc).__name__}); "
                "check that it exists and that the function may ssm:GetParameter and kms:Decrypt it"
            ) from None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{what}: SSM parameter {name!r} is empty")
    return value


def _fetch_secret(name: str, what: str) -> str:
    with _SSM_LOCK:
        cached = _SECRET_CACHE.get(name)
        if cached is None:
            cached = _SECRET_CACHE[name] = _get_parameter(name, what).strip()
        return cached


# -- webhook URLs: the rule in rules.json, which Terraform applies too --------------------------------


def check_webhook_url(url: str, where: str) -> str:
    """``url`` when it has the shape in rules.json: https, or http only on 127.0.0.1/localhost/[::1].

    ``where`` names the source for the message (a field, a flag, a parameter); the URL itself is never put
    in the message.
    """
    if rules.webhook_url_shape().fullmatch(url):
        return url
    # Only the reason is worked out here; the rule itself is the expression above.
    scheme, sep, rest = url.partition("://")
    authority = rest.split("/", 1)[0]
    if authority.startswith("[") and "]" in authority:
        host = authority[: authority.index("]") + 1]  # [IPv6]
    else:
        host = authority.split(":", 1)[0]
    if not sep or scheme.lower() not in ("http", "https"):
        raise ConfigError(f"{where} is not https; expected https://HOST/...")
    if not host:
        raise ConfigError(f"{where} has no host; expected https://HOST/...")
    if scheme.lower() == "http" and host.lower() not in ("127.0.0.1", "localhost", "[::1]"):
        raise ConfigError(
            f"{where} is not https (plain http is accepted only on 127.0.0.1, localhost or [::1])"
        )
    raise ConfigError(f"{where} is not a valid webhook URL; expected https://HOST[:PORT]/PATH")


# -- settings ------------------------------------------------------------------------------------------


def read_secret(secret: Secret) -> str:
    """A destination's secret: the value given locally, or the SSM parameter's (fetched once, cached). Raises
    ConfigError naming the field and the parameter, never the value."""
    if secret.value is not None:
        return secret.value
    if secret.parameter is None:  # pragma: no cover - parse_destination guarantees one of the two
        raise ConfigError(f"{secret.where}: no value and no parameter")
    return _fetch_secret(secret.parameter, secret.where)


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How alerts are formatted and where they go. Secrets are resolved lazily and cached."""

    routing: Routing
    name: str = DEFAULT_NAME
    key_values: KeyValues = "show"
    key_hash_ssm_parameter: str | None = None
    direct_key_hash_secret: str | None = field(default=None, repr=False)
    accounts: Accounts = NO_ACCOUNTS  # account_names, and the deployment's own account when known

    def key_hash_secret(self) -> bytes | None:
        """The HMAC key for ``key_values = "hash"`` (None in other modes). Raises ConfigError when it is
        shorter than rules.json's ``key_hash_secret_min_length`` (a short one lets guesses be confirmed)."""
        if self.key_values != "hash":
            return None
        if self.direct_key_hash_secret is not None:
            secret, where = self.direct_key_hash_secret, "the key hash secret"
        elif self.key_hash_ssm_parameter is None:
            raise ConfigError("key_values is 'hash' but no secret is configured (key_hash_parameter)")
        else:
            secret = _fetch_secret(self.key_hash_ssm_parameter, "key_hash_parameter")
            where = f"the key hash secret in SSM parameter {self.key_hash_ssm_parameter!r}"
        minimum = rules.load().key_hash_secret_min_length
        if len(secret) < minimum:
            raise ConfigError(
                f"{where} is {len(secret)} characters; at least {minimum} are needed (the module writes 72 "
                "random ones): a short secret lets anyone who guesses a key confirm it"
            )
        return secret.encode("utf-8")


@dataclass(frozen=True, slots=True)
class LedgerSettings:
    """The delivery ledger (docs/delivery.md, "The ledger"): its table, the digest window (0: no windows,
    the ledger still keeps repeats out) and how long receipts are remembered."""

    table_name: str
    digest_window_minutes: int
    ttl_days: int


@dataclass(frozen=True, slots=True)
class Home:
    """Where the function (and the trail, its log group) lives. Watched tables may be in other Regions."""

    partition: str
    account: str
    region: str


@dataclass(frozen=True, slots=True)
class Config:
    policy: PolicySettings
    delivery: DeliverySettings
    ledger: LedgerSettings | None = None  # None: no ledger (local runs)
    home: Home | None = None  # None only for settings built without a document (replay flags)


# -- where the document comes from ------------------------------------------------------------------


def _variable(environ: Mapping[str, str], name: str) -> str | None:
    raw = environ.get(name)
    return raw.strip() if raw is not None and raw.strip() else None


def load_config(environ: Mapping[str, str]) -> Config:
    """Find, check and parse the configuration document. Raises ConfigError naming the problem."""
    parameter = _variable(environ, ENV_PARAMETER)
    parts = _variable(environ, ENV_PARTS)
    inline = _variable(environ, ENV_DOCUMENT)
    expected_sha = _variable(environ, ENV_SHA256)
    if parameter and inline:
        raise ConfigError(f"set {ENV_PARAMETER} or {ENV_DOCUMENT}, not both")
    if parts and not parameter:
        raise ConfigError(
            f"{ENV_PARTS} is set without {ENV_PARAMETER} (the parts are PARAMETER-1 ... PARAMETER-N)"
        )
    if parameter:
        if expected_sha is None:
            raise ConfigError(f"{ENV_SHA256} is required with {ENV_PARAMETER}")
        if parts is None:
            source = f"the configuration document in SSM parameter {parameter!r}"
            raw = _get_parameter(parameter, ENV_PARAMETER)
        else:
            count = _part_count(parts)
            source = f"the configuration document in SSM parameters {parameter}-1 to {parameter}-{count}"
            raw = _read_parts(parameter, count)
    elif inline:
        source = f"the configuration document in {ENV_DOCUMENT}"
        raw = inline
    else:
        raise ConfigError(
            f"no configuration: set {ENV_PARAMETER} (and {ENV_SHA256}) as the module does, or {ENV_DOCUMENT} "
            "for local runs. The ACCESS_ALERTS_TABLES-style variables of earlier versions are no longer "
            "read: deploy the module and its function together"
        )
    return read_document(raw, source, expected_sha256=expected_sha, local=not parameter)


def _part_count(value: str) -> int:
    if not re.fullmatch(r"[0-9]{1,3}", value) or not 1 <= int(value) <= MAX_PARTS:
        raise ConfigError(f"{ENV_PARTS} must be a whole number from 1 to {MAX_PARTS}, got {value!r:.20}")
    return int(value)


def _read_parts(prefix: str, count: int) -> str:
    """The stored text of a document split over ``prefix-1`` ... ``prefix-count``, joined in order. A missing
    or unreadable part raises ConfigError naming it; parts mixed from two versions of the document fail the
    SHA-256 check of the whole afterwards (both fail closed)."""
    return "".join(
        _get_parameter(f"{prefix}-{i}", f"{ENV_PARAMETER} (part {i} of {count})").strip()
        for i in range(1, count + 1)
    )


def read_document(
    raw: str, source: str, *, expected_sha256: str | None = None, local: bool = False
) -> Config:
    """Decode (plain JSON or base64(gzip(JSON))), check against ``expected_sha256`` when given, and parse
    one configuration document. ``source`` names it in errors; ``local`` as in :func:`parse_document`.
    Fetches nothing: secrets stay named by their parameters until first use."""
    data = decode_document(raw, source)
    if expected_sha256 is not None:
        _check_sha256(data, expected_sha256, source)
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{source} is not UTF-8 text") from None
    except RecursionError:
        raise ConfigError(f"{source} is not JSON (nested too deeply)") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{source} is not JSON ({exc.msg} at position {exc.pos})") from None
    try:
        return parse_document(document, local=local)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def decode_document(raw: str, source: str = "the configuration document") -> bytes:
    """The document's JSON bytes from plain JSON text or from base64(gzip(JSON))."""
    text = raw.strip()
    if text.startswith(("{", "[")):  # JSON; neither character is in the base64 alphabet
        return text.encode("utf-8")
    import base64
    import binascii

    from .decode import PayloadError, gunzip

    try:
        blob = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{source} is neither JSON nor base64(gzip(JSON))") from None
    try:
        return gunzip(blob, MAX_DOCUMENT_BYTES)
    except PayloadError as exc:
        raise ConfigError(f"{source} is base64 but not gzip-compressed JSON ({exc})") from None


def _check_sha256(data: bytes, expected: str, source: str) -> None:
    import hashlib  # only a deployed function (parameter + hash) needs it

    if not _SHA256_HEX.fullmatch(expected):
        raise ConfigError(f"{ENV_SHA256} must be 64 hexadecimal digits")
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected.lower():
        raise ConfigError(
            f"{source} does not match {ENV_SHA256} (its SHA-256 is {actual[:12]}..., expected "
            f"{expected.lower()[:12]}...): the parameter changed without the function, or was read before "
            "Terraform finished updating it. Apply the module again"
        )


# -- the document's fields -------------------------------------------------------------------------


def _got(value: object) -> str:
    kind = json_type(value)
    if value is None:
        return kind
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be an object, got {_got(value)}")
    return value


def _exact_fields(obj: Mapping[str, Any], where: str, fields: tuple[str, ...]) -> None:
    unknown = sorted(str(k) for k in obj if k not in fields)
    if unknown:
        raise ConfigError(
            f"{where} has unknown field(s) {', '.join(unknown)}; expected only {', '.join(fields)}"
        )
    missing = [f for f in fields if f not in obj]
    if missing:
        raise ConfigError(f"{where} lacks the field(s) {', '.join(missing)}")


def _string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a non-empty string, got {_got(value)}")
    return value.strip()


def _optional_string(value: object, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string or null, got {_got(value)}")
    return value


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list of strings, got {_got(value)}")
    return tuple(_string(item, f"{where}[{index}]") for index, item in enumerate(value))


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, got {_got(value)}")
    return value


def _version(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != DOCUMENT_VERSION:
        raise ConfigError(
            f"version must be {DOCUMENT_VERSION}, got {value!r:.20}: this function reads version "
            f"{DOCUMENT_VERSION} documents (deploy the module and its function together)"
        )
    return DOCUMENT_VERSION


def _name(value: object) -> str:
    name = _string(value, "name")
    if len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise ConfigError(f"name must be at most {MAX_NAME_LENGTH} printable characters")
    return name


def _key_values(value: object) -> KeyValues:
    for mode in KEY_VALUE_MODES:
        if value == mode:
            return mode
    raise ConfigError(f"key_values must be one of {', '.join(KEY_VALUE_MODES)}, got {value!r:.20}")


def _whole(value: object, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ConfigError(f"{where} must be a whole number, got {_got(value)}")
    if not low <= value <= high:
        raise ConfigError(f"{where} must be between {low} and {high}, got {int(value)}")
    return int(value)


def _ledger(value: object) -> LedgerSettings | None:
    if value is None:
        return None
    obj = _object(value, "ledger")
    _exact_fields(obj, "ledger", _LEDGER_FIELDS)
    table = _string(obj["table_name"], "ledger.table_name")
    if not _TABLE_NAME.fullmatch(table):
        raise ConfigError("ledger.table_name must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)")
    return LedgerSettings(
        table_name=table,
        digest_window_minutes=_whole(
            obj["digest_window_minutes"], "ledger.digest_window_minutes", 0, MAX_DIGEST_WINDOW_MINUTES
        ),
        ttl_days=_whole(obj["ttl_days"], "ledger.ttl_days", 1, MAX_LEDGER_TTL_DAYS),
    )


def _pipeline(value: object) -> PipelineResources:
    obj = _object(value, "pipeline")
    _exact_fields(obj, "pipeline", _PIPELINE_STR_FIELDS + _PIPELINE_LIST_FIELDS)

    def text(name: str) -> str | None:
        return _optional_string(obj[name], f"pipeline.{name}")

    def texts(name: str) -> tuple[str, ...]:
        return _strings(obj[name], f"pipeline.{name}")

    return PipelineResources(
        trail_arn=text("trail_arn"),
        trail_bucket=text("trail_bucket"),
        log_group_names=texts("log_group_names"),
        function_name=text("function_name"),
        queue_arn=text("queue_arn"),
        kms_key_arns=texts("kms_key_arns"),
        ssm_parameter_names=texts("ssm_parameter_names"),
        alarm_names=texts("alarm_names"),
        schedule_names=texts("schedule_names"),
        role_names=texts("role_names"),
        table_names=texts("table_names"),
        rule_names=texts("rule_names"),
    )


def _account_names(value: object) -> Mapping[str, str]:
    """``{"111122223333": "payments-prod", ...}``: friendly names shown beside account IDs in alerts. The
    formats escape and bound them like any other text; here only their shape is checked."""
    obj = _object(value, "account_names")
    names: dict[str, str] = {}
    for account, name in obj.items():
        if not _ACCOUNT_ID.fullmatch(str(account)):
            raise ConfigError(f"account_names keys must be 12-digit account IDs, got {str(account)!r:.20}")
        names[account] = _string(name, f"account_names[{account}]")
    return MappingProxyType(names)


def _canary(value: object) -> CanarySettings | None:
    """``null`` (no canary) or ``{"table_arn", "role_arn"}``: the heartbeat the function recognises."""
    if value is None:
        return None
    obj = _object(value, "canary")
    _exact_fields(obj, "canary", _CANARY_FIELDS)
    table_arn = _string(obj["table_arn"], "canary.table_arn")
    if not _CANARY_TABLE_ARN.fullmatch(table_arn):
        raise ConfigError(
            f"canary.table_arn must be a DynamoDB table ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME), "
            f"got {table_arn!r:.120}"
        )
    role_arn = _string(obj["role_arn"], "canary.role_arn")
    if not _CANARY_ROLE_ARN.fullmatch(role_arn):
        raise ConfigError(
            f"canary.role_arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/[PATH/]NAME), "
            f"got {role_arn!r:.120}"
        )
    return CanarySettings(table_arn=table_arn, role_arn=role_arn)


def _home(value: object) -> Home:
    obj = _object(value, "home")
    _exact_fields(obj, "home", _HOME_FIELDS)
    partition = _string(obj["partition"], "home.partition")
    if partition not in PARTITIONS:
        raise ConfigError(f"home.partition must be one of {', '.join(PARTITIONS)}, got {partition!r:.20}")
    account = _string(obj["account"], "home.account")
    if not _ACCOUNT.fullmatch(account):
        raise ConfigError(f"home.account must be a 12-digit account id, got {account!r:.20}")
    region = _string(obj["region"], "home.region")
    if not _REGION.fullmatch(region):
        raise ConfigError(f"home.region must be a Region name such as us-east-1, got {region!r:.30}")
    return Home(partition=partition, account=account, region=region)


def parse_document(document: object, *, local: bool = False) -> Config:
    """Validate a parsed configuration document (version 1) and build the settings.

    ``local``: the document was given directly (``ACCESS_ALERTS_CONFIG``, a file), so a destination may
    carry its ``url`` instead of an SSM parameter name.
    """
    top = _object(document, "the document")
    _exact_fields(top, "the document", _FIELDS)
    _version(top["version"])
    name = _name(top["name"])
    tables = _strings(top["tables"], "tables")
    if not tables:
        raise ConfigError("tables must list at least one table ARN")
    key_values = _key_values(top["key_values"])
    key_hash_parameter = _optional_string(top["key_hash_parameter"], "key_hash_parameter")
    if key_values == "hash" and key_hash_parameter is None:
        raise ConfigError(
            "key_hash_parameter is required when key_values is 'hash' (the keyed hash needs a secret)"
        )
    routing = routing_from(top["destinations"], top["routes"], top["default_destinations"], local=local)
    home = _home(top["home"])
    policy = PolicySettings(
        tables=tables,
        allowed=_strings(top["allowed"], "allowed"),
        allowed_management=_strings(top["allowed_management"], "allowed_management"),
        watch_pipeline=_bool(top["watch_pipeline"], "watch_pipeline"),
        watch_table_management=_bool(top["watch_table_management"], "watch_table_management"),
        pipeline=_pipeline(top["pipeline"]),
        canary=_canary(top["canary"]),
        home_account=home.account,
    )
    delivery = DeliverySettings(
        routing=routing,
        name=name,
        key_values=key_values,
        key_hash_ssm_parameter=key_hash_parameter,
        # The home account decides which console links can work (accounts.py).
        accounts=Accounts(names=_account_names(top["account_names"]), home=home.account),
    )
    return Config(policy=policy, delivery=delivery, ledger=_ledger(top["ledger"]), home=home)


def routing_from(destinations: object, routes: object, defaults: object, *, local: bool) -> Routing:
    """The destinations, routes and default destinations, validated together (destinations.py)."""
    try:
        return parse_routing(destinations, routes, defaults, local=local)
    except DestinationError as exc:
        raise ConfigError(str(exc)) from None


def load_routing_file(path: str) -> Routing:
    """``replay --destinations FILE``: a JSON object with ``destinations`` and optionally ``routes`` and
    ``default_destinations``, shaped like the module's variables. Secrets may be SSM parameter names (read
    with the caller's credentials) or, in this local file, the values themselves (``url``, ``token``,
    ``secret``)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the routing file ({type(exc).__name__})") from None
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"{path}: the routing file is not JSON ({first_line(exc, 80)})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the routing file must be a JSON object, got {_got(data)}")
    unknown = sorted(str(k) for k in data if k not in ("destinations", "routes", "default_destinations"))
    if unknown:
        raise ConfigError(
            f"{path}: unknown field(s) {', '.join(unknown)}; "
            "expected destinations, routes, default_destinations"
        )
    try:
        return routing_from(
            data.get("destinations"), data.get("routes"), data.get("default_destinations"), local=True
        )
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def delivery_settings_for_cli(
    webhook_url: str | None = None,
    key_values: str = "show",
    key_hash_secret: str | None = None,
    name: str = "replay",
    routing: Routing | None = None,
) -> DeliverySettings:
    """Delivery settings for the replay command: ``--webhook URL`` (one Slack webhook) or a routing
    (``--destinations FILE``)."""
    if (webhook_url is None) == (routing is None):
        raise ConfigError("give a webhook URL or a routing, not both")
    if webhook_url is not None:
        check_webhook_url(webhook_url, "--webhook")
    mode = key_values.strip().lower()
    if mode not in KEY_VALUE_MODES:
        raise ConfigError(f"key_values must be one of show, hash, hide; got {key_values[:20]!r}")
    if mode == "hash" and not key_hash_secret:
        raise ConfigError("key_values 'hash' needs a key hash secret")
    if routing is not None:
        return DeliverySettings(
            routing=routing, name=name, key_values=_key_values(mode), direct_key_hash_secret=key_hash_secret
        )
    assert webhook_url is not None  # noqa: S101 (checked above)
    routing = Routing(
        destinations={
            DEFAULT_DESTINATION: Destination(
                DEFAULT_DESTINATION, "slack_webhook", url=Secret(None, webhook_url, "--webhook")
            )
        }
    )
    return DeliverySettings(
        routing=routing, name=name, key_values=_key_values(mode), direct_key_hash_secret=key_hash_secret
    )
