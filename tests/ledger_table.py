"""The delivery ledger's table on moto (in this process), shaped as ledger.tf creates it, for unit tests.

moto 5.2.5 evaluates a conditional write and applies it in two steps without a lock, so two threads could
both pass the same condition; DynamoDB applies each request atomically. :func:`ledger_table` therefore
serialises moto's handling of DynamoDB requests (one request at a time, as one item's writes are in
DynamoDB). Threads still interleave *between* requests, which is where the ledger's races are.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from access_alerts import rules
from access_alerts.ledger import Ledger

REGION = "us-east-1"
TABLE = "unit-delivery-ledger"
T0 = 1_790_000_000.0  # 2026-09-21, a fixed epoch for the ledger's clock


class Clock:
    """A settable clock (epoch seconds), shared by the ledgers of a test."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def create_table(client: Any, name: str = TABLE) -> None:
    """The table as ledger.tf declares it (keys and TTL attribute from rules.json)."""
    schema = rules.ledger()
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": schema.partition_key, "KeyType": "HASH"},
            {"AttributeName": schema.sort_key, "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": schema.partition_key, "AttributeType": "S"},
            {"AttributeName": schema.sort_key, "AttributeType": "S"},
        ],
    )
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.ttl_attribute}
    )


@contextmanager
def ledger_table(name: str = TABLE) -> Iterator[Any]:
    """moto's DynamoDB with the ledger table; yields a boto3 client."""
    import boto3
    from moto import mock_aws
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    original = DynamoHandler.call_action

    def one_at_a_time(handler: Any) -> Any:
        with lock:
            return original(handler)

    with (
        mock.patch.dict(
            "os.environ",
            {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION},
        ),
        mock_aws(),
        mock.patch.object(DynamoHandler, "call_action", one_at_a_time),
    ):
        client = boto3.client("dynamodb", region_name=REGION)
        create_table(client, name)
        yield client


_owners = itertools.count(1)


def ledger(client: Any, clock: Clock, *, owner: str | None = None, lease_seconds: float = 60) -> Ledger:
    """A ledger as one invocation makes it: its own owner name, a lease until its 'deadline'."""
    return Ledger(
        client=client,
        table=TABLE,
        ttl_seconds=7 * 86400,
        owner=owner or f"invocation-{next(_owners)}",
        clock=clock,
        lease_until=int((clock() + lease_seconds) * 1000),
    )


def items(client: Any, table: str = TABLE) -> list[dict[str, Any]]:
    """Every item of the table (a Scan, for assertions)."""
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = client.scan(**kwargs)
        found.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
