"""Realistic CloudTrail records and subscription payloads, generated: shared by the unit tests (handler,
load, redrive) and the benchmark (tools/bench.py), so both measure and test the same shapes.

The records are DynamoDB data events of four callers on three tables: an application role (allowed by
``ALLOWED`` through its path-less ARN), an ETL role (allowed by a wildcard), an SSO person and an IAM user;
table ``Sessions`` is not in ``MONITORED``.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Iterator
from typing import Any

from tools.payloads import encode_subscription

ACCOUNT = "111122223333"
REGION = "us-east-1"
TABLES = ("Orders", "Customers", "Sessions")  # Sessions is not monitored
MONITORED = ("Orders", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Customers")
ALLOWED = (f"arn:aws:iam::{ACCOUNT}:role/app-worker", f"arn:aws:iam::{ACCOUNT}:role/etl-*")
DATA_APIS = (
    ("GetItem", True),
    ("PutItem", False),
    ("UpdateItem", False),
    ("DeleteItem", False),
    ("Query", True),
    ("Scan", True),
    ("BatchGetItem", True),
)


def _role_identity(role: str, session: str, path: str = "/") -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLE{zlib.crc32(role.encode()) % 10**8:08d}:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEKEY000001",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLE",
                "arn": f"arn:aws:iam::{ACCOUNT}:role{path}{role}",
                "accountId": ACCOUNT,
                "userName": role,
            },
            "attributes": {"creationDate": "2026-11-18T09:12:03Z", "mfaAuthenticated": "false"},
        },
    }


IDENTITIES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("app", _role_identity("app-worker", "i-0abc1234def567890", "/service/")),
    ("etl", _role_identity("etl-nightly", "glue-job-17")),
    (
        "alice",
        _role_identity(
            "AWSReservedSSO_DataScientist_1a2b3c4d5e6f7a8b",
            "alice@example.com",
            "/aws-reserved/sso.amazonaws.com/",
        ),
    ),
    (
        "bob",
        {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEBOB",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/bob",
            "accountId": ACCOUNT,
            "accessKeyId": "AKIAEXAMPLEBOB",
            "userName": "bob",
        },
    ),
)


def make_record(
    i: int,
    rng: random.Random,
    *,
    who: str | None = None,
    table: str | None = None,
    api: tuple[str, bool] | None = None,
) -> dict[str, Any]:
    """One realistic DynamoDB data-event record (about 1.5 KB as JSON)."""
    _name, identity = (
        next(x for x in IDENTITIES if x[0] == who)
        if who
        else rng.choice(IDENTITIES[:1] * 6 + IDENTITIES[1:2] * 2 + IDENTITIES[2:])
    )
    table_name = table or rng.choice(TABLES)
    event_name, read_only = api or rng.choice(DATA_APIS)
    key = {"OrderId": f"o-{rng.randrange(10**6)}", "CustomerId": f"c-{rng.randrange(10**4)}"}
    params: dict[str, Any] = {"tableName": table_name}
    if event_name in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        params["key"] = key
    if event_name == "PutItem":
        params["item"] = ["OrderId", "CustomerId", "Total", "Status", "Lines"]
    if event_name == "UpdateItem":
        params["updateExpression"] = "SET #s = :s, #t = :t"
        params["expressionAttributeNames"] = {"#s": "Status", "#t": "Total"}
    if event_name in ("Query", "Scan"):
        params["keyConditionExpression"] = "CustomerId = :c" if event_name == "Query" else None
        params["limit"] = 100
    if event_name == "BatchGetItem":
        params = {"requestItems": [{"tableName": table_name, "key": key}]}
    return {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": f"2026-11-18T09:{(i // 60) % 60:02d}:{i % 60:02d}Z",
        "eventSource": "dynamodb.amazonaws.com",
        "eventName": event_name,
        "awsRegion": REGION,
        "sourceIPAddress": f"203.0.113.{i % 250 + 1}",
        "userAgent": "aws-sdk-java/2.25.0 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.9+8-LTS Java/17.0.9 "
        "vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/standard",
        "requestParameters": params,
        "responseElements": None,
        "requestID": f"REQ{i:020d}",
        "eventID": f"{rng.getrandbits(32):08x}-{i % 65536:04x}-4a7d-9d5e-{i:012x}",
        "readOnly": read_only,
        "resources": [
            {
                "accountId": ACCOUNT,
                "type": "AWS::DynamoDB::Table",
                "ARN": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table_name}",
            }
        ],
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"dynamodb.{REGION}.amazonaws.com",
        },
    }


def make_payloads(
    total_records: int,
    *,
    seed: int = 7,
    max_bytes: int = 1_000_000,
    max_records: int | None = None,
    **record_kw: Any,
) -> Iterator[tuple[dict[str, Any], int]]:
    """Split ``total_records`` records into payloads of about ``max_bytes`` of record text each.

    Yields (event, number of records in it).
    """
    rng = random.Random(seed)  # noqa: S311  (test data, not crypto)
    batch: list[str] = []
    size = 0
    first = 0
    for i in range(total_records):
        text = json.dumps(make_record(i, rng, **record_kw), separators=(",", ":"))
        if batch and (size + len(text) > max_bytes or (max_records and len(batch) >= max_records)):
            yield _encode(batch, first), len(batch)
            first += len(batch)
            batch, size = [], 0
        batch.append(text)
        size += len(text)
    if batch:
        yield _encode(batch, first), len(batch)


def _encode(messages: list[str], first_id: int) -> dict[str, Any]:
    """A subscription event as CloudWatch Logs builds it for the trail's log group."""
    return encode_subscription(
        messages,
        owner=ACCOUNT,
        log_group="aws-cloudtrail-logs-access-alerts",
        log_stream=f"{ACCOUNT}_CloudTrail_{REGION}",
        first_id=first_id,
        timestamp=1763456100000,
    )


def config_document(webhook_url: str, **fields: Any) -> dict[str, Any]:
    """A version-1 configuration document (docs/configuration-document.md) for local runs: the generated
    records' watched tables and allow-list, delivering to ``webhook_url``. ``fields`` replace fields."""
    document: dict[str, Any] = {
        "version": 1,
        "name": "prod-alerts",
        "tables": list(MONITORED),
        "allowed": list(ALLOWED),
        "allowed_management": [],
        "watch_pipeline": True,
        "watch_table_management": True,
        "pipeline": {
            "trail_arn": None,
            "trail_bucket": None,
            "log_group_names": [],
            "function_name": None,
            "queue_arn": None,
            "kms_key_arns": [],
            "ssm_parameter_names": [],
            "alarm_names": [],
            "schedule_names": [],
            "role_names": [],
            "table_names": [],
            "rule_names": [],
        },
        "key_values": "show",
        "key_hash_parameter": None,
        "destinations": {"default": {"type": "slack_webhook", "url": webhook_url}},
        "default_destinations": ["default"],
        "routes": [],
        "ledger": None,
        "account_names": {},
        "home": {"partition": "aws", "account": ACCOUNT, "region": "us-east-1"},
        "canary": None,
    }
    document.update(fields)
    return document


def config_environ(webhook_url: str, **fields: Any) -> dict[str, str]:
    """The environment of a local run: the document inline in ACCESS_ALERTS_CONFIG."""
    return {"ACCESS_ALERTS_CONFIG": json.dumps(config_document(webhook_url, **fields))}
