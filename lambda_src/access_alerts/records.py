"""Reduce one CloudTrail record to an :class:`~access_alerts.model.AccessEvent`.

Read/write is decided by the API (and for PartiQL by each statement's verb), never by ``readOnly``, which
CloudTrail gets wrong for PartiQL. Tables come from ``resources[].ARN`` and from the request parameters,
whatever their casing. Unknown DynamoDB API names are parsed generically and count as writes (fail closed).
The classes of DynamoDB APIs come from ``rules.json`` (:mod:`access_alerts.rules`).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal

from access_alerts import rules
from access_alerts.identity import resolve_principal, split_arn
from access_alerts.model import Access, AccessEvent
from access_alerts.tamper import management_targets
from access_alerts.text import is_region, text_or_none

_READ_VERBS = frozenset({"SELECT", "EXISTS"})
MAX_KEYS = 50
MAX_ATTRIBUTE_NAMES = 100
MAX_STATEMENTS = 50

_STATEMENT_TABLE = re.compile(
    r"""\b(?:FROM|INTO|UPDATE)\s+(?:"([^"]{1,255})"|([A-Za-z0-9_.\-]{1,255}))""", re.IGNORECASE
)
_VERB = re.compile(r"\s*\(?\s*([A-Za-z]+)")
_ACCOUNT = re.compile(r"[0-9]{12}")

Category = Literal["data", "management"]


class RecordError(ValueError):
    """The record cannot be read as a CloudTrail event; ``str(err)`` says why."""


def table_of_arn(arn: str) -> tuple[str, str] | None:
    """Table name and table ARN from a DynamoDB table/index/stream/backup/export ARN.

    Not memoised: on the records of `make bench` a cache saved 10 ms of about 230 (4%).
    """
    parts = split_arn(arn)
    if parts is None or parts[1] != "dynamodb" or not parts[4].startswith("table/"):
        return None
    name = parts[4][len("table/") :].split("/", 1)[0]
    if not name:
        return None
    return name, f"arn:{parts[0]}:dynamodb:{parts[2]}:{parts[3]}:table/{name}"


def partition_of_region(region: str | None) -> str:
    if region:
        if region.startswith("cn-"):
            return "aws-cn"
        if region.startswith("us-gov-"):
            return "aws-us-gov"
    return "aws"


def statement_verb(statement: str) -> str:
    m = _VERB.match(statement)
    return m.group(1).upper() if m else ""


def statements_access(statements: tuple[str, ...] | list[str]) -> Access:
    """read only when every statement is a read (SELECT/EXISTS); no statement at all counts as write."""
    if not statements:
        return "write"
    if all(statement_verb(st) in _READ_VERBS for st in statements):
        return "read"
    return "write"


def _statement_tables(statement: str) -> Iterator[str]:
    for m in _STATEMENT_TABLE.finditer(statement):
        name = m.group(1) or m.group(2)
        if name:
            yield name


def resources_arns(record: Mapping[str, Any]) -> Iterator[str]:
    """The ARNs in ``resources[]`` (``ARN``, or ``arn`` in some records)."""
    resources = record.get("resources")
    if not isinstance(resources, list):
        return
    for res in resources:
        if isinstance(res, dict):
            arn = res.get("ARN")
            if arn is None:
                arn = res.get("arn")
            if isinstance(arn, str) and arn:
                yield arn


def is_dynamodb(source: str, event_name: str) -> bool:
    """A DynamoDB call: by its source, or (fail closed) a DynamoDB API name on a record without a source."""
    apis = rules.dynamodb()
    return source in apis.event_sources or (
        not source and (event_name in apis.data or event_name in apis.management)
    )


def classify_category(record: Mapping[str, Any], event_name: str, dynamodb: bool) -> Category:
    """``data`` or ``management``. DynamoDB calls (``dynamodb``: see :func:`is_dynamodb`) are placed by
    their API name, so old records without ``eventCategory`` are placed right; an unknown DynamoDB API
    counts as data (fail closed)."""
    category = record.get("eventCategory")
    if not dynamodb:
        return "data" if category == "Data" else "management"
    apis = rules.dynamodb()
    if event_name in apis.data:
        return "data"  # whatever eventCategory says: fail closed
    if category == "Management" or event_name in apis.management:
        return "management"
    return "data"  # unknown DynamoDB API: treat as data access


class _Collector:
    """Tables, keys, attribute names and statements found in one record's request parameters.

    :meth:`scan` hands each known request parameter to the method that reads it (see ``_READERS``).
    """

    __slots__ = ("arns", "keys", "names", "statements", "streams", "tables")

    def __init__(self) -> None:
        self.tables: dict[str, None] = {}  # names, in order of appearance
        self.arns: dict[str, None] = {}  # table ARNs, in order of appearance
        self.streams: dict[str, None] = {}  # stream ARNs (TABLE_ARN/stream/LABEL), in order of appearance
        self.keys: list[Any] = []
        self.names: dict[str, None] = {}  # attribute names
        self.statements: list[str] = []

    def scan(self, params: Mapping[str, Any], *, nested: bool = False) -> None:
        """One pass over a parameter map; ``nested`` for the requests inside batch/transact lists."""
        readers = _ITEM_READERS if nested else _READERS
        for field, value in params.items():
            reader = readers.get(field)
            if reader is not None and value is not None:
                reader(self, value)

    # -- one method per kind of request parameter --------------------------------------------------
    def table(self, value: object) -> None:
        """A table name, or any DynamoDB ARN that names a table (index, stream, backup, ...). A stream ARN
        counts as its table (reading a stream reads the table's items) and is kept to be named."""
        if not isinstance(value, str) or not value:
            return
        if value.startswith("arn:"):
            found = table_of_arn(value)
            if found is not None:
                self.tables[found[0]] = None
                self.arns[found[1]] = None
                if value.startswith(found[1] + "/stream/"):
                    self.streams[value] = None
        elif "/" not in value and len(value) <= 1024:
            self.tables[value] = None

    def key(self, value: object) -> None:
        if isinstance(value, dict) and value and len(self.keys) < MAX_KEYS:
            self.keys.append(value)

    def key_list(self, value: object) -> None:
        if isinstance(value, list):
            for key in value:
                self.key(key)

    def attribute_names(self, value: object) -> None:
        """``item``/``items``/``attributesToGet``: lists of names, or maps whose keys are names."""
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            return
        for item in value:
            if isinstance(item, str):
                self.names[item] = None
            elif isinstance(item, dict):
                self.names.update(dict.fromkeys(item))

    def projection(self, value: object) -> None:
        """``projectionExpression``: comma-separated attribute names (or placeholders)."""
        if isinstance(value, str):
            for part in value.split(","):
                name = part.strip()
                if name:
                    self.names[name] = None

    def request_items(self, value: object) -> None:
        """BatchGetItem (table -> {keys: [...]}) or BatchWriteItem (table -> [{putRequest|deleteRequest}])."""
        if not isinstance(value, dict):
            return
        for table, spec in value.items():
            self.table(table)
            if isinstance(spec, dict):
                self.scan(spec, nested=True)
            elif isinstance(spec, list):
                self._requests(spec)

    def transact_items(self, value: object) -> None:
        """``[{put|update|delete|conditionCheck|get: {...}}]``."""
        if isinstance(value, list):
            self._requests(value)

    def _requests(self, entries: list[Any]) -> None:
        """A list of ``{kind: request}`` maps, each request read like top-level parameters."""
        for entry in entries:
            if isinstance(entry, dict):
                for request in entry.values():
                    if isinstance(request, dict):
                        self.scan(request, nested=True)

    def statement(self, value: object) -> None:
        if isinstance(value, str):
            self.statements.append(value)
            for name in _statement_tables(value):
                self.table(name)

    def statement_list(self, value: object) -> None:
        """``statements``/``transactStatements``: a list of ``{statement: ...}`` maps (or of strings)."""
        if not isinstance(value, list):
            return
        for item in value:
            if isinstance(item, dict):
                st = item.get("statement")
                self.statement(st if st is not None else item.get("Statement"))
            else:
                self.statement(item)

    def creation_parameters(self, value: object) -> None:
        """ImportTable's ``tableCreationParameters`` name the table it creates."""
        if isinstance(value, dict):
            self.table(value.get("tableName") or value.get("TableName"))


Reader = Callable[[_Collector, Any], None]


def _both_casings(readers: Mapping[str, Reader]) -> dict[str, Reader]:
    """CloudTrail writes request parameters as ``tableName`` or ``TableName``: accept both."""
    return {**readers, **{field[0].upper() + field[1:]: reader for field, reader in readers.items()}}


# Parameters of one item request: read at the top level and inside batch/transact requests.
_ITEM_READERS = _both_casings(
    {
        "tableName": _Collector.table,
        "tableArn": _Collector.table,
        "streamArn": _Collector.table,
        "resourceArn": _Collector.table,
        "backupArn": _Collector.table,
        "sourceTableArn": _Collector.table,
        "sourceTableName": _Collector.table,
        "targetTableName": _Collector.table,
        "globalTableName": _Collector.table,
        "key": _Collector.key,
        "keys": _Collector.key_list,
        "item": _Collector.attribute_names,
        "items": _Collector.attribute_names,
        "attributesToGet": _Collector.attribute_names,
        "projectionExpression": _Collector.projection,
    }
)
# Parameters that only appear at the top level of a request.
_READERS = {
    **_ITEM_READERS,
    **_both_casings(
        {
            "requestItems": _Collector.request_items,
            "transactItems": _Collector.transact_items,
            "statement": _Collector.statement,
            "statements": _Collector.statement_list,
            "transactStatements": _Collector.statement_list,
            "tableCreationParameters": _Collector.creation_parameters,
        }
    ),
}


# -- parse_record and its steps ------------------------------------------------------------------------


# Fields that hold a table's name (any DynamoDB ARN that names a table is read wherever it is).
_TABLE_NAME_FIELDS = frozenset(
    {"tableName", "TableName", "globalTableName", "GlobalTableName", "targetTableName", "TargetTableName"}
    | {"sourceTableName", "SourceTableName"}
)
MAX_WALK_NODES = 500  # values looked at when searching a management record for its table


def _walk_for_tables(found: _Collector, value: object) -> None:
    """Every table a JSON value names anywhere in it (a table-name field, or a DynamoDB ARN that names a
    table), breadth first and bounded: for management calls whose known fields name no table, such as an
    ``UpdateTable`` that names it only in ``responseElements.tableDescription``."""
    queue: deque[tuple[str | None, object]] = deque([(None, value)])
    seen = 0
    while queue and seen < MAX_WALK_NODES:
        field, item = queue.popleft()
        seen += 1
        if isinstance(item, dict):
            queue.extend(item.items())
        elif isinstance(item, list):
            queue.extend((None, entry) for entry in item)
        elif isinstance(item, str) and (item.startswith("arn:") or field in _TABLE_NAME_FIELDS):
            found.table(item)


def _collect(
    record: Mapping[str, Any], params: Mapping[str, Any], dynamodb: bool, category: Category
) -> _Collector:
    """Tables named in ``resources``, and for DynamoDB calls everything in the request parameters. A DynamoDB
    management call whose known fields name no table is searched further: ``responseElements``, then every
    value of the request (fail closed: a write whose table cannot be found alerts, see policy.py)."""
    found = _Collector()
    for arn in resources_arns(record):
        found.table(arn)
    if dynamodb and params:
        found.scan(params)
    if dynamodb and category == "management" and not found.tables:
        _walk_for_tables(found, record.get("responseElements"))
        if not found.tables:
            _walk_for_tables(found, params)
    return found


def _access(event_name: str, category: Category, dynamodb: bool, statements: list[str]) -> Access:
    """Read or write, by API name (PartiQL: by statement). Anything unknown is a write (fail closed)."""
    if not dynamodb:
        return "read" if event_name.startswith(rules.pipeline_read_prefixes()) else "write"
    apis = rules.dynamodb()
    if event_name in apis.partiql or statements:
        return statements_access(statements)
    if event_name in apis.reads or event_name in apis.stream_reads:
        return "read"
    if event_name in apis.writes:
        return "write"
    if category == "management" and apis.is_management_read(event_name):
        return "read"
    return "write"


def _table_arns(found: _Collector, region: str | None, account: str | None) -> tuple[str, ...]:
    """The tables' ARNs. Names from request parameters without an ARN are placed in the record's
    account and Region, when the record says which and both have their shape in full (a Region with a
    trailing newline would give an ARN that matches no watched table: the name alone is then compared, which
    fails closed)."""
    arns = dict(found.arns)
    if (
        len(arns) < len(found.tables)
        and is_region(region)
        and account is not None
        and _ACCOUNT.fullmatch(account)
    ):
        known = {a.rsplit("/", 1)[-1] for a in arns}
        partition = partition_of_region(region)
        for name in found.tables:
            if name not in known:
                arns[f"arn:{partition}:dynamodb:{region}:{account}:table/{name}"] = None
    return tuple(arns)


def _table_target(
    params: Mapping[str, Any], table_arns: tuple[str, ...], tables: tuple[str, ...]
) -> str | None:
    """The table a DynamoDB management call acts on: a restore's or import's target first."""
    target = text_or_none(params.get("targetTableName")) or text_or_none(params.get("TargetTableName"))
    creation = params.get("tableCreationParameters")
    if target is None and isinstance(creation, dict):
        target = text_or_none(creation.get("tableName"))
    if target is None and table_arns:
        target = table_arns[0]
    if target is None and tables:
        target = tables[0]
    return target


def parse_record(record: Mapping[str, Any]) -> AccessEvent:
    """Parse one CloudTrail record. Raises :class:`RecordError` when it is not one."""
    if not isinstance(record, Mapping):
        raise RecordError("record is not a JSON object")
    event_name = text_or_none(record.get("eventName"))
    if event_name is None:
        raise RecordError("record has no eventName")
    source = text_or_none(record.get("eventSource")) or ""
    dynamodb = is_dynamodb(source, event_name)
    category = classify_category(record, event_name, dynamodb)
    params = record.get("requestParameters")
    if not isinstance(params, dict):
        params = {}

    found = _collect(record, params, dynamodb, category)
    region = text_or_none(record.get("awsRegion"))
    account = text_or_none(record.get("recipientAccountId"))
    tables = tuple(found.tables)
    table_arns = _table_arns(found, region, account)
    target: str | None = None
    targets: tuple[str, ...] = ()
    if category == "management" and dynamodb:
        target = _table_target(params, table_arns, tables)
    elif dynamodb and found.streams:
        # A stream read (GetRecords, GetShardIterator) is a read of the table; the message names the stream.
        # Its record lists the stream alone or the stream and the table in `resources`: same result.
        target = next(iter(found.streams))
    elif category == "management":
        targets = management_targets(params, resources_arns(record), record.get("responseElements"))
        target = targets[0] if targets else None
    error_message = record.get("errorMessage")
    console = record.get("sessionCredentialFromConsole")
    return AccessEvent(
        event_id=text_or_none(record.get("eventID")),
        event_name=event_name,
        event_source=source,
        category=category,
        access=_access(event_name, category, dynamodb, found.statements),
        principal=resolve_principal(record.get("userIdentity")),
        tables=tables,
        table_arns=table_arns,
        event_time=text_or_none(record.get("eventTime")),
        region=region,
        account_id=account,
        source_ip=text_or_none(record.get("sourceIPAddress")),
        user_agent=text_or_none(record.get("userAgent")),
        console=console is True or console == "true",
        error_code=text_or_none(record.get("errorCode")),
        error_message=error_message if isinstance(error_message, str) else None,
        keys=tuple(found.keys),
        attribute_names=tuple(found.names)[:MAX_ATTRIBUTE_NAMES],
        statements=tuple(found.statements[:MAX_STATEMENTS]),
        target=target,
        targets=targets,
    )
