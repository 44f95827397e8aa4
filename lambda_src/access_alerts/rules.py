"""The rules the Lambda shares with Terraform, read from ``rules.json`` beside this file.

``rules.json`` is the one home of each rule that both sides apply: the allow-list pattern shapes, the
webhook URL shape, the classes of DynamoDB APIs, the calls on the pipeline's own resources that count as
tampering, the delivery ledger's table keys and flush event, and the CloudWatch metric names the function
publishes and the module's alarms watch. Terraform reads it with ``jsondecode(file(...))``; this module reads
it once, on first use (never at import time), checks its shape and hands out typed, immutable views of it.

The regular expressions in the file are unanchored and written in the syntax RE2 (Terraform) and Python's
``re`` read alike; :func:`allow_list_shape` and :func:`webhook_url_shape` anchor them (``fullmatch``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

RULES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rules.json")
VERSION = 1


class RulesError(RuntimeError):
    """rules.json is missing or malformed: the package itself is broken (never the user's input)."""


@dataclass(frozen=True, slots=True)
class DynamoDBApis:
    """DynamoDB API names by what they do. Item and stream reads are data reads; PartiQL is decided by
    statement; management APIs are the control plane: a read when the name starts with one of
    ``management_read_prefixes``, else a write, and every write alerts unless it is ``harmless_writes``."""

    event_sources: frozenset[str]
    writes: frozenset[str]
    reads: frozenset[str]  # item reads
    stream_reads: frozenset[str]
    partiql: frozenset[str]
    management: frozenset[str]
    management_read_prefixes: tuple[str, ...]
    harmless_writes: frozenset[str]
    data: frozenset[str]  # all of writes, reads, stream_reads and partiql: data whatever eventCategory says

    def is_management_read(self, event_name: str) -> bool:
        return event_name.startswith(self.management_read_prefixes)


# CloudTrail names some calls with their API version (Lambda's UpdateFunctionCode20150331v2).
_VERSION_SUFFIX = re.compile(r"[0-9]{8}(v[0-9]+)?")


def base_event_name(event_name: str) -> str:
    """``UpdateFunctionCode20150331v2`` -> ``UpdateFunctionCode``; other names unchanged."""
    found = _VERSION_SUFFIX.search(event_name)
    if found is not None and found.end() == len(event_name) and found.start() > 0:
        return event_name[: found.start()]
    return event_name


@dataclass(frozen=True, slots=True)
class WatchedCalls:
    """The calls of one AWS service (one eventSource) that change a resource of the kind the pipeline is
    made of: the service's write API list (``calls``, and ``call_prefixes`` for names matched by prefix),
    the writes that change nothing (``not_tamper``) and the ones that change every resource of the account
    (``account_calls``). See :meth:`changes`."""

    calls: frozenset[str]
    call_prefixes: tuple[str, ...]
    not_tamper: frozenset[str] = frozenset()
    account_calls: frozenset[str] = frozenset()
    read_prefixes: tuple[str, ...] = ()

    def changes(self, event_name: str) -> bool:
        """True for a call that changes a resource of this service: a listed write, or (fail closed) a call
        this version does not know that is not a read. Version suffixes are ignored."""
        name = base_event_name(event_name)
        if name in self.calls or (self.call_prefixes and event_name.startswith(self.call_prefixes)):
            return True
        return not (name in self.not_tamper or name.startswith(self.read_prefixes))

    def is_account_call(self, event_name: str) -> bool:
        """True for a call that changes every resource of the service in the account (and Region)."""
        return base_event_name(event_name) in self.account_calls

    def __contains__(self, event_name: object) -> bool:
        return isinstance(event_name, str) and self.changes(event_name)


@dataclass(frozen=True, slots=True)
class MetricNames:
    """The CloudWatch names the function's summary line publishes and the module's alarms watch."""

    namespace: str
    function_dimension: str
    canary_seen: str  # heartbeats of the canary seen in one invocation (docs/canary.md)
    canary_delay: str  # seconds from the canary's call to its arrival at the function


@dataclass(frozen=True, slots=True)
class LedgerRules:
    """The delivery ledger's table key and TTL attribute names, and the event the flush schedule sends."""

    partition_key: str
    sort_key: str
    ttl_attribute: str
    flush_event: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Rules:
    allow_list_shapes: Mapping[str, str]  # shape name -> unanchored regular expression
    webhook_url: str  # unanchored regular expression
    key_hash_secret_min_length: int
    dynamodb: DynamoDBApis
    pipeline_calls: Mapping[str, WatchedCalls]  # eventSource -> calls that are tampering
    pipeline_read_prefixes: tuple[str, ...]
    not_forwarded: frozenset[str]  # event names the subscription filter drops before the Lambda
    metrics: MetricNames
    ledger: LedgerRules


def _object(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise RulesError(f"rules.json: {where} must be an object")
    return value


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise RulesError(f"rules.json: {where} must be a list of non-empty strings")
    return tuple(value)


def _string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise RulesError(f"rules.json: {where} must be a non-empty string")
    return value


def _length(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RulesError(f"rules.json: {where} must be a positive whole number")
    return value


def parse_rules(document: object) -> Rules:
    """Check and convert the parsed ``rules.json``. Raises :class:`RulesError` naming the field."""
    top = _object(document, "the document")
    if top.get("version") != VERSION:
        raise RulesError(f"rules.json: version must be {VERSION}")
    shapes = _object(top.get("allow_list_shapes"), "allow_list_shapes")
    ddb = _object(top.get("dynamodb"), "dynamodb")
    pipeline = _object(top.get("pipeline"), "pipeline")
    sources = _object(pipeline.get("event_sources"), "pipeline.event_sources")
    metrics = _object(top.get("metrics"), "metrics")
    ledger = _object(top.get("ledger"), "ledger")
    flush_event = _object(ledger.get("flush_event"), "ledger.flush_event")

    def apis(key: str) -> frozenset[str]:
        return frozenset(_strings(ddb.get(key), f"dynamodb.{key}"))

    writes, reads, stream_reads, partiql = (
        apis("write_apis"),
        apis("read_apis"),
        apis("stream_read_apis"),
        apis("partiql_apis"),
    )

    read_prefixes = _strings(pipeline.get("read_prefixes", []), "pipeline.read_prefixes")
    not_forwarded = frozenset(_strings(pipeline.get("not_forwarded"), "pipeline.not_forwarded"))
    watched: dict[str, WatchedCalls] = {}
    for source, spec in sources.items():
        where = f"pipeline.event_sources.{source}"
        entry = _object(spec, where)
        watched[source] = WatchedCalls(
            calls=frozenset(_strings(entry.get("calls"), f"{where}.calls")),
            call_prefixes=_strings(entry.get("call_prefixes", []), f"{where}.call_prefixes"),
            # The subscription filter drops not_forwarded calls of every pipeline service: the Lambda never
            # sees them, so failing closed on them as unknown calls would only break the two layers' parity.
            not_tamper=frozenset(_strings(entry.get("not_tamper", []), f"{where}.not_tamper"))
            | not_forwarded,
            account_calls=frozenset(_strings(entry.get("account_calls", []), f"{where}.account_calls")),
            read_prefixes=read_prefixes,
        )
    return Rules(
        allow_list_shapes=MappingProxyType(
            {name: _string(rx, f"allow_list_shapes.{name}") for name, rx in shapes.items()}
        ),
        webhook_url=_string(top.get("webhook_url"), "webhook_url"),
        key_hash_secret_min_length=_length(
            top.get("key_hash_secret_min_length"), "key_hash_secret_min_length"
        ),
        dynamodb=DynamoDBApis(
            event_sources=apis("event_sources"),
            writes=writes,
            reads=reads,
            stream_reads=stream_reads,
            partiql=partiql,
            management=apis("management_apis"),
            management_read_prefixes=_strings(
                ddb.get("management_read_prefixes"), "dynamodb.management_read_prefixes"
            ),
            harmless_writes=apis("harmless_management_writes"),
            data=writes | reads | stream_reads | partiql,
        ),
        pipeline_calls=MappingProxyType(watched),
        pipeline_read_prefixes=read_prefixes,
        not_forwarded=not_forwarded,
        metrics=MetricNames(
            namespace=_string(metrics.get("namespace"), "metrics.namespace"),
            function_dimension=_string(metrics.get("function_dimension"), "metrics.function_dimension"),
            canary_seen=_string(metrics.get("canary_seen"), "metrics.canary_seen"),
            canary_delay=_string(metrics.get("canary_delay"), "metrics.canary_delay"),
        ),
        ledger=LedgerRules(
            partition_key=_string(ledger.get("partition_key"), "ledger.partition_key"),
            sort_key=_string(ledger.get("sort_key"), "ledger.sort_key"),
            ttl_attribute=_string(ledger.get("ttl_attribute"), "ledger.ttl_attribute"),
            flush_event=MappingProxyType(
                {str(k): _string(v, f"ledger.flush_event.{k}") for k, v in flush_event.items()}
            ),
        ),
    )


@cache
def load() -> Rules:
    """The package's rules, read and checked on first use."""
    try:
        with open(RULES_FILE, encoding="utf-8") as fh:
            document = json.load(fh)
    except (OSError, ValueError) as exc:
        raise RulesError(f"cannot read {RULES_FILE} ({type(exc).__name__})") from None
    return parse_rules(document)


def dynamodb() -> DynamoDBApis:
    return load().dynamodb


def pipeline_calls() -> Mapping[str, WatchedCalls]:
    return load().pipeline_calls


def pipeline_read_prefixes() -> tuple[str, ...]:
    """Name prefixes of the calls that only read (``Describe``, ``Get``, ``List``, ...), for every service."""
    return load().pipeline_read_prefixes


def metric_names() -> MetricNames:
    return load().metrics


def ledger() -> LedgerRules:
    return load().ledger


@cache
def allow_list_shape() -> re.Pattern[str]:
    """Every accepted allow-list pattern shape as one expression; use ``fullmatch``."""
    return re.compile("|".join(f"(?:{rx})" for rx in load().allow_list_shapes.values()))


@cache
def webhook_url_shape() -> re.Pattern[str]:
    """The accepted webhook URLs (https anywhere, http only on loopback); use ``fullmatch``."""
    return re.compile(load().webhook_url)
