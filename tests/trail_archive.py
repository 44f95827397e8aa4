"""Generated CloudTrail archives for replay tests and ``make bench``: real-shaped records in log files
named and laid out the way CloudTrail writes them to S3.

A trail logs far more than DynamoDB: by default one record in ten is a DynamoDB data event (a few
principals reading and writing a few tables, one of them not on the usual allow-list), the rest are
management and S3/KMS data events of the sizes CloudTrail writes (about 1-2 KB each). Everything is
derived from a seed, so two runs write identical files.
"""

from __future__ import annotations

import gzip
import json
import random
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ACCOUNT = "111122223333"
REGION = "eu-west-1"
START = datetime(2026, 11, 18, 0, 0, tzinfo=UTC)
TABLES = ("Orders", "Customers", "Inventory")
WRITER = f"arn:aws:iam::{ACCOUNT}:role/service/orders-writer"
READER_SSO = (
    f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_0f1e2d3c4b5a6978"
)
INTRUDER = f"arn:aws:iam::{ACCOUNT}:role/ops-admin"
ALLOWED = (
    f"arn:aws:iam::{ACCOUNT}:role/service/orders-writer",
    f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_ReadOnly_*",
    "dynamodb.amazonaws.com",
    f"arn:aws:iam::{ACCOUNT}:role/retired-batch",  # allows nothing: a dead entry
)
_USER_AGENT = (
    "aws-sdk-java/2.25.0 Linux/5.10.214-202.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.9+8-LTS "
    "Java/17.0.9 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/standard"
)
_OTHER_EVENTS = (
    ("sts.amazonaws.com", "AssumeRole", True),
    ("ec2.amazonaws.com", "DescribeInstances", True),
    ("s3.amazonaws.com", "GetObject", True),
    ("s3.amazonaws.com", "PutObject", False),
    ("kms.amazonaws.com", "Decrypt", True),
    ("kms.amazonaws.com", "GenerateDataKey", True),
    ("logs.amazonaws.com", "CreateLogStream", False),
    ("lambda.amazonaws.com", "Invoke", False),
    ("secretsmanager.amazonaws.com", "GetSecretValue", True),
    ("ecr.amazonaws.com", "GetAuthorizationToken", True),
)


def _role_session(role_arn: str, session: str, account: str) -> dict[str, Any]:
    name = role_arn.rsplit("/", 1)[-1]
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLE{zlib.crc32(name.encode()) % 10**9:09d}:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{name}/{session}",
        "accountId": account,
        "accessKeyId": "ASIAEXAMPLEEXAMPLE12",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": f"AROAEXAMPLE{zlib.crc32(name.encode()) % 10**9:09d}",
                "arn": role_arn,
                "accountId": account,
                "userName": name,
            },
            "attributes": {"creationDate": "2026-11-18T08:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def _session(rng: random.Random, sessions: int | None) -> str:
    """An instance-id-like session name; ``sessions`` limits how many different ones occur."""
    return f"i-{rng.randrange(sessions or 16**8):08x}"


def dynamodb_record(
    i: int, rng: random.Random, when: datetime, account: str, region: str, sessions: int | None = None
) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.80:
        role, session = WRITER, _session(rng, sessions)
    elif roll < 0.97:
        role, session = READER_SSO, f"user{rng.randrange(40)}@example.com"
    else:
        role, session = INTRUDER, "jane@example.com"
    name, read_only = rng.choice(
        (("GetItem", True), ("PutItem", False), ("Query", True), ("UpdateItem", False), ("DeleteItem", False))
    )
    table = rng.choice(TABLES)
    params: dict[str, Any] = {"tableName": table}
    if name != "Query":
        params["key"] = {"OrderId": f"o-{rng.randrange(10**6)}", "CustomerId": f"c-{rng.randrange(10**4)}"}
    else:
        params.update(keyConditionExpression="CustomerId = :c", limit=100)
    return {
        "eventVersion": "1.09",
        "userIdentity": _role_session(role, session, account),
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "dynamodb.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": f"10.0.{rng.randrange(256)}.{rng.randrange(256)}",
        "userAgent": _USER_AGENT,
        "requestParameters": params,
        "responseElements": None,
        "requestID": f"{rng.getrandbits(64):016X}{i:016X}",
        "eventID": f"{rng.getrandbits(32):08x}-{i % 65536:04x}-4a7d-9d5e-{i:012x}",
        "readOnly": read_only,
        "resources": [
            {
                "accountId": account,
                "type": "AWS::DynamoDB::Table",
                "ARN": f"arn:aws:dynamodb:{region}:{account}:table/{table}",
            }
        ],
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": account,
        "eventCategory": "Data",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"dynamodb.{region}.amazonaws.com",
        },
    }


def other_record(
    i: int, rng: random.Random, when: datetime, account: str, region: str, sessions: int | None = None
) -> dict[str, Any]:
    source, name, read_only = rng.choice(_OTHER_EVENTS)
    role = f"arn:aws:iam::{account}:role/app-{rng.randrange(12)}"
    data = source in ("s3.amazonaws.com", "lambda.amazonaws.com")
    return {
        "eventVersion": "1.09",
        "userIdentity": _role_session(role, _session(rng, sessions), account),
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": f"10.1.{rng.randrange(256)}.{rng.randrange(256)}",
        "userAgent": _USER_AGENT,
        "requestParameters": {
            "bucketName": f"app-data-{rng.randrange(5)}",
            "key": f"exports/2026/11/18/part-{rng.randrange(10**5):05d}.parquet",
            "encryptionContext": {"aws:s3:arn": f"arn:aws:s3:::app-data-{rng.randrange(5)}"},
        },
        "responseElements": None,
        "additionalEventData": {"bytesTransferredIn": 0, "bytesTransferredOut": rng.randrange(10**6)},
        "requestID": f"{rng.getrandbits(64):016X}{i:016X}",
        "eventID": f"{rng.getrandbits(32):08x}-{i % 65536:04x}-4b7d-8d5e-{i:012x}",
        "readOnly": read_only,
        "resources": [{"accountId": account, "type": "AWS::S3::Object", "ARN": "arn:aws:s3:::app-data/x"}],
        "eventType": "AwsApiCall",
        "managementEvent": not data,
        "recipientAccountId": account,
        "eventCategory": "Data" if data else "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com",
        },
    }


def records(
    n: int,
    *,
    seed: int = 7,
    dynamodb_share: float = 0.1,
    account: str = ACCOUNT,
    region: str = REGION,
    start: datetime = START,
    step: timedelta = timedelta(seconds=1),
    sessions: int | None = None,
) -> Iterator[dict[str, Any]]:
    """``n`` records, one ``step`` apart from ``start``; ``sessions`` caps the distinct session names."""
    rng = random.Random(seed)  # noqa: S311  (test data)
    for i in range(n):
        when = start + i * step
        make = dynamodb_record if rng.random() < dynamodb_share else other_record
        yield make(i, rng, when, account, region, sessions)


# Records per log file: CloudTrail writes a file per account and Region every few minutes, from a handful
# of records on a quiet account to thousands on a busy one.
_FILE_SIZES = (3, 20, 60, 150, 300, 600, 1200, 2500)
_FILE_WEIGHTS = (2, 4, 6, 8, 8, 5, 2, 1)


def log_file_key(
    delivered: datetime, *, account: str = ACCOUNT, region: str = REGION, org: str | None = None, n: int = 0
) -> str:
    """``AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_X.json.gz``"""
    top = f"AWSLogs/{org}/{account}" if org else f"AWSLogs/{account}"
    return (
        f"{top}/CloudTrail/{region}/{delivered:%Y/%m/%d}/"
        f"{account}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{n:016X}.json.gz"
    )


def gzip_log(recs: list[dict[str, Any]]) -> bytes:
    text = json.dumps({"Records": recs}, separators=(",", ":"))
    return gzip.compress(text.encode(), compresslevel=6, mtime=0)


def write_archive(
    root: Path,
    n_records: int,
    *,
    seed: int = 7,
    per_file: int | None = None,
    account: str = ACCOUNT,
    region: str = REGION,
    org: str | None = None,
    sessions: int | None = None,
) -> list[Path]:
    """Write ``n_records`` records as CloudTrail log files under ``root`` in CloudTrail's layout.

    ``per_file`` fixes the records per file; otherwise sizes vary like a real trail's. Returns the paths.
    """
    rng = random.Random(seed + 1)  # noqa: S311  (test data)
    stream = records(n_records, seed=seed, account=account, region=region, sessions=sessions)
    paths: list[Path] = []
    written = 0
    while written < n_records:
        size = per_file or rng.choices(_FILE_SIZES, _FILE_WEIGHTS)[0]
        batch = [rec for _, rec in zip(range(size), stream, strict=False)]
        written += len(batch)
        last = datetime.strptime(batch[-1]["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        key = log_file_key(last + timedelta(minutes=3), account=account, region=region, org=org, n=len(paths))
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip_log(batch))
        paths.append(path)
    return paths
