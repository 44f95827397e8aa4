"""Reduce one CloudTrail record to an :class:`~access_alerts.model.AccessEvent`.

Read/write is decided by the API (and for PartiQL by each statement's verb), never by ``readOnly``, which
CloudTrail gets wrong for PartiQL. Tables come from ``resources[].ARN`` and from the request parameters,
whatever their casing. Unknown DynamoDB API names are parsed generically and count as writes (fail closed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from access_alerts import rules
from access_alerts.identity import resolve_principal, split_arn
from access_alerts.model import Access, AccessEvent
from access_alerts.tamper import management_targets

_READ_VERBS = frozenset({"SELECT", "EXISTS"})
_READ_PREFIXES = ("Describe", "List", "Get", "Lookup")

MAX_KEYS = 50
MAX_ATTRIBUTE_NAMES = 100
MAX_STATEMENTS = 50

_STATEMENT_TABLE = re.compile(
    r"""\b(?:FROM|INTO|UPDATE)\s+(?:"([^"]{1,255})"|([A-Za-z0-9_.\-]{1,255}))""", re.IGNORECASE
)
_VERB = re.compile(r"\s*\(?\s*([A-Za-z]+)")


class RecordError(ValueError):
    """The record cannot be read as a CloudTrail event; ``str(err)`` says why."""


def _s(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


_ARN_CACHE: dict[str, tuple[str, str] | None] = {}
_ARN_CACHE_MAX = 4096


def table_of_arn(arn: str) -> tuple[str, str] | None:
    """Table name and table ARN from a DynamoDB table/index/stream/backup/export ARN (memoised)."""
    try:
        return _ARN_CACHE[arn]
    except KeyError:
        pass
    parts = split_arn(arn)
    found: tuple[str, str] | None = None
    if parts is not None and parts[1] == "dynamodb" and parts[4].startswith("table/"):
        name = parts[4][6:].split("/", 1)[0]
        if name:
            found = name, f"arn:{parts[0]}:dynamodb:{parts[2]}:{parts[3]}:table/{name}"
    if len(_ARN_CACHE) >= _ARN_CACHE_MAX:
        _ARN_CACHE.clear()
    _ARN_CACHE[arn] = found
    return found


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
    for st in statements:
        if statement_verb(st) not in _READ_VERBS:
            return "write"
    return "read"


def _statement_tables(statement: str) -> Iterator[str]:
    for m in _STATEMENT_TABLE.finditer(statement):
        name = m.group(1) or m.group(2)
        if name:
            yield name


# What each request parameter holds, under either casing CloudTrail uses (tableName / TableName).
(
    _TABLE,
    _KEY,
    _KEYS,
    _NAMES,
    _PROJECTION,
    _REQUEST_ITEMS,
    _TRANSACT_ITEMS,
    _STATEMENT,
    _STATEMENTS,
    _CREATION,
) = range(10)
_PARAM_ROLES: dict[str, int] = {}
for _role, _fields in (
    (
        _TABLE,
        (
            "tableName",
            "tableArn",
            "streamArn",
            "resourceArn",
            "backupArn",
            "sourceTableArn",
            "sourceTableName",
            "targetTableName",
            "globalTableName",
        ),
    ),
    (_KEY, ("key",)),
    (_KEYS, ("keys",)),
    (_NAMES, ("item", "items", "attributesToGet")),
    (_PROJECTION, ("projectionExpression",)),
    (_REQUEST_ITEMS, ("requestItems",)),
    (_TRANSACT_ITEMS, ("transactItems",)),
    (_STATEMENT, ("statement",)),
    (_STATEMENTS, ("statements", "transactStatements")),
    (_CREATION, ("tableCreationParameters",)),
):
    for _f in _fields:
        _PARAM_ROLES[_f] = _role
        _PARAM_ROLES[_f[0].upper() + _f[1:]] = _role


class _Collector:
    """Tables, keys, attribute names and statements found in one record's request parameters."""

    __slots__ = ("arns", "keys", "names", "statements", "tables")

    def __init__(self) -> None:
        self.tables: dict[str, None] = {}
        self.arns: dict[str, None] = {}
        self.keys: list[Any] = []
        self.names: dict[str, None] = {}
        self.statements: list[str] = []

    def table(self, value: object) -> None:
        if type(value) is not str or not value:
            return
        if value.startswith("arn:"):
            found = table_of_arn(value)
            if found is not None:
                self.tables[found[0]] = None
                self.arns[found[1]] = None
        elif "/" not in value and len(value) <= 1024:
            self.tables[value] = None

    def key(self, value: object) -> None:
        if type(value) is dict and value and len(self.keys) < MAX_KEYS:
            self.keys.append(value)

    def attribute_names(self, value: object) -> None:
        """``item``/``items``/``attributesToGet``: lists of names, or maps whose keys are names."""
        names = self.names
        if type(value) is list:
            for v in value:
                if type(v) is str:
                    names[v] = None
                elif type(v) is dict:
                    for k in v:
                        names[k] = None
        elif type(value) is dict:
            for k in value:
                names[k] = None

    def scan(self, params: Mapping[str, Any], nested: bool = False) -> None:
        """One pass over a parameter map; ``nested`` for the requests inside batch/transact lists."""
        roles = _PARAM_ROLES
        for field, value in params.items():
            role = roles.get(field)
            if role is None or value is None:
                continue
            if role == _TABLE:
                self.table(value)
            elif role == _KEY:
                self.key(value)
            elif role == _NAMES:
                self.attribute_names(value)
            elif role == _PROJECTION:
                if type(value) is str:
                    for part in value.split(","):
                        name = part.strip()
                        if name:
                            self.names[name] = None
            elif role == _KEYS:
                if type(value) is list:
                    for k in value:
                        self.key(k)
            elif nested:
                continue
            elif role == _REQUEST_ITEMS:
                self.request_items(value)
            elif role == _TRANSACT_ITEMS:
                if type(value) is list:
                    for entry in value:  # [{put|update|delete|conditionCheck|get: {...}}]
                        if type(entry) is dict:
                            for req in entry.values():
                                if type(req) is dict:
                                    self.scan(req, nested=True)
            elif role == _STATEMENT:
                if type(value) is str:
                    self.statement(value)
            elif role == _STATEMENTS:
                if type(value) is list:
                    for item in value:
                        if type(item) is dict:
                            st = item.get("statement")
                            if st is None:
                                st = item.get("Statement")
                            if type(st) is str:
                                self.statement(st)
                        elif type(item) is str:
                            self.statement(item)
            elif role == _CREATION and type(value) is dict:  # ImportTable
                self.table(value.get("tableName") or value.get("TableName"))

    def request_items(self, value: object) -> None:
        """BatchGetItem (table -> {keys: [...]}) or BatchWriteItem (table -> [{putRequest|deleteRequest}])."""
        if type(value) is not dict:
            return
        for table, spec in value.items():
            self.table(table)
            if type(spec) is dict:
                self.scan(spec, nested=True)
            elif type(spec) is list:
                for entry in spec:
                    if type(entry) is dict:
                        for req in entry.values():
                            if type(req) is dict:
                                self.scan(req, nested=True)

    def statement(self, statement: str) -> None:
        self.statements.append(statement)
        for name in _statement_tables(statement):
            self.table(name)


def _resources_arns(record: Mapping[str, Any]) -> Iterator[str]:
    resources = record.get("resources")
    if type(resources) is list:
        for res in resources:
            if type(res) is dict:
                arn = res.get("ARN")
                if arn is None:
                    arn = res.get("arn")
                if type(arn) is str and arn:
                    yield arn


def is_dynamodb(source: str, event_name: str) -> bool:
    """A DynamoDB call: by its source, or (fail closed) a DynamoDB API name on a record without a source."""
    apis = rules.dynamodb()
    return source in apis.event_sources or (
        not source and (event_name in apis.data or event_name in apis.management)
    )


def classify_category(
    record: Mapping[str, Any], event_name: str, source: str
) -> Literal["data", "management"]:
    if is_dynamodb(source, event_name):
        apis = rules.dynamodb()
        if event_name in apis.data:
            return "data"  # whatever eventCategory says: fail closed
        category = record.get("eventCategory")
        if category == "Management" or event_name in apis.management:
            return "management"
        return "data"  # unknown DynamoDB API: treat as data access
    category = record.get("eventCategory")
    if category == "Data":
        return "data"
    return "management"


def parse_record(record: Mapping[str, Any]) -> AccessEvent:
    """Parse one CloudTrail record. Raises :class:`RecordError` when it is not one."""
    if type(record) is not dict and not isinstance(record, Mapping):
        raise RecordError("record is not a JSON object")
    get = record.get
    event_name = get("eventName")
    if type(event_name) is not str or not event_name:
        raise RecordError("record has no eventName")
    source = get("eventSource")
    if type(source) is not str:
        source = ""
    apis = rules.dynamodb()
    dynamodb = is_dynamodb(source, event_name)
    category: Literal["data", "management"]
    if dynamodb and event_name in apis.data:
        category = "data"  # whatever eventCategory says: fail closed
    else:
        category = classify_category(record, event_name, source)
    params = get("requestParameters")
    if type(params) is not dict:
        params = {}

    col = _Collector()
    resources = get("resources")
    if type(resources) is list:
        for res in resources:
            if type(res) is dict:
                arn = res.get("ARN")
                if arn is None:
                    arn = res.get("arn")
                col.table(arn)
    access: Access
    if dynamodb:
        if params:
            col.scan(params)
        if event_name in apis.partiql or col.statements:
            access = statements_access(col.statements)
        elif event_name in apis.reads or event_name in apis.stream_reads:
            access = "read"
        elif event_name in apis.writes:
            access = "write"
        elif category == "management" and event_name.startswith(_READ_PREFIXES):
            access = "read"
        else:
            access = "write"
    else:
        access = "read" if event_name.startswith(_READ_PREFIXES) else "write"

    region = _s(get("awsRegion"))
    account = _s(get("recipientAccountId"))
    names = tuple(col.tables)
    arns = col.arns
    if region and account and len(arns) < len(names):
        # Names from request parameters without an ARN: place them in the record's account and region.
        known = {a.rsplit("/", 1)[-1] for a in arns}
        partition = partition_of_region(region)
        for name in names:
            if name not in known:
                arns[f"arn:{partition}:dynamodb:{region}:{account}:table/{name}"] = None
    target: str | None = None
    targets: tuple[str, ...] = ()
    if category == "management":
        if dynamodb:
            target = _s(params.get("targetTableName")) or _s(params.get("TargetTableName"))
            creation = params.get("tableCreationParameters")
            if target is None and type(creation) is dict:
                target = _s(creation.get("tableName"))
            if target is None and arns:
                target = next(iter(arns))
            if target is None and names:
                target = names[0]
        else:
            targets = management_targets(params, _resources_arns(record))
            target = targets[0] if targets else None
    error_message = get("errorMessage")
    console = get("sessionCredentialFromConsole")
    statements = col.statements
    event_id = get("eventID")
    event_time = get("eventTime")
    source_ip = get("sourceIPAddress")
    user_agent = get("userAgent")
    error_code = get("errorCode")
    return AccessEvent(
        event_id=event_id if type(event_id) is str and event_id else None,
        event_name=event_name,
        event_source=source,
        category=category,
        access=access,
        principal=resolve_principal(get("userIdentity")),
        tables=names,
        table_arns=tuple(arns),
        event_time=event_time if type(event_time) is str and event_time else None,
        region=region,
        account_id=account,
        source_ip=source_ip if type(source_ip) is str and source_ip else None,
        user_agent=user_agent if type(user_agent) is str and user_agent else None,
        console=console is True or console == "true",
        error_code=error_code if type(error_code) is str and error_code else None,
        error_message=error_message if type(error_message) is str else None,
        keys=tuple(col.keys),
        attribute_names=tuple(col.names)[:MAX_ATTRIBUTE_NAMES],
        statements=tuple(statements[:MAX_STATEMENTS]) if statements else (),
        target=target,
        targets=targets,
    )
