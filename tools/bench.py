"""Benchmark of the Lambda pipeline (``make bench``): prints figures, never fails on them.

Measured in one run, on the same generated payloads (realistic mixed CloudTrail records, about
1 MB of records per payload, as CloudWatch Logs batches them):

1. records/s through decode + decide + group, against the floor of base64 + gzip-decompress +
   ``json.loads`` of the same records (target: total <= 1.5 x floor);
2. handler import time against a bare interpreter start (target: <= 50 ms added), and whether
   boto3 got imported (it must not be, without an SSM parameter to read);
3. peak memory for the largest payload (tracemalloc of decode+decide+group+format, and the
   process's max RSS);
4. a storm of 10,000 records by one principal on one table, in ~1 MB payloads through the
   handler (warm, as on Lambda) to a local webhook that enforces 1 message/s with 429s: messages
   sent, 429s seen, wall time.

The generator functions are also used by the load tests (tests/unit/test_load.py).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import io
import json
import logging
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "lambda_src"))

ACCOUNT = "111122223333"
REGION = "us-east-1"
TABLES = ("Orders", "Customers", "Sessions")  # Sessions is not monitored
MONITORED = ("Orders", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Customers")
APP_ROLE = f"arn:aws:iam::{ACCOUNT}:role/service/app-worker"
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
        "principalId": f"AROAEXAMPLE{abs(hash(role)) % 10**8:08d}:{session}",
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


def encode_event(messages: list[str], first_id: int = 0) -> dict[str, Any]:
    """A Lambda event exactly as CloudWatch Logs builds it: {"awslogs": {"data": b64(gzip(json))}}."""
    doc = {
        "messageType": "DATA_MESSAGE",
        "owner": ACCOUNT,
        "logGroup": "aws-cloudtrail-logs-access-alerts",
        "logStream": f"{ACCOUNT}_CloudTrail_{REGION}",
        "subscriptionFilters": ["access-alerts"],
        "logEvents": [
            {"id": f"{first_id + n:056d}", "timestamp": 1763456100000 + n, "message": m}
            for n, m in enumerate(messages)
        ],
    }
    blob = gzip.compress(json.dumps(doc, separators=(",", ":")).encode(), compresslevel=6, mtime=0)
    return {"awslogs": {"data": base64.b64encode(blob).decode()}}


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
            yield encode_event(batch, first), len(batch)
            first += len(batch)
            batch, size = [], 0
        batch.append(text)
        size += len(text)
    if batch:
        yield encode_event(batch, first), len(batch)


def bench_environ(webhook_url: str) -> dict[str, str]:
    return {
        "ACCESS_ALERTS_NAME": "bench",
        "ACCESS_ALERTS_TABLES": json.dumps(list(MONITORED)),
        "ACCESS_ALERTS_ALLOWED": json.dumps(list(ALLOWED)),
        "ACCESS_ALERTS_WEBHOOK_URL": webhook_url,
    }


# -- local webhook that enforces a rate ----------------------------------------------------------


class RateLimitedWebhook:
    """127.0.0.1 webhook: accepts at most ``rate`` messages/s (bucket of ``burst``), else 429."""

    def __init__(self, rate: float = 1.0, burst: float = 1.0) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.last = time.monotonic()
        self.accepted = 0
        self.rejected = 0
        self.lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with hook.lock:
                    now = time.monotonic()
                    hook.tokens = min(hook.burst, hook.tokens + (now - hook.last) * hook.rate)
                    hook.last = now
                    ok = hook.tokens >= 1.0
                    if ok:
                        hook.tokens -= 1.0
                        hook.accepted += 1
                    else:
                        hook.rejected += 1
                body = b"ok" if ok else b"rate_limited"
                self.send_response(200 if ok else 429)
                if not ok:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/services/T/B/bench"

    def __enter__(self) -> RateLimitedWebhook:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeContext:
    function_name = "bench-fn"
    aws_request_id = "bench"

    def __init__(self, seconds: float = 900.0) -> None:
        self.end = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self.end - time.monotonic()) * 1000)


# -- measurements --------------------------------------------------------------------------------


def _floor(events: list[dict[str, Any]]) -> float:
    started = time.process_time()
    for event in events:
        doc = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
        for log_event in doc["logEvents"]:
            json.loads(log_event["message"])
    return time.process_time() - started


def _pipeline(events: list[dict[str, Any]], policy: Any) -> float:
    from access_alerts.decode import decode_subscription
    from access_alerts.grouping import group_alerts

    started = time.process_time()
    for event in events:
        group_alerts(policy.evaluate_payload(decode_subscription(event)))
    return time.process_time() - started


def _grouping_only(events: list[dict[str, Any]], policy: Any) -> float:
    from access_alerts.decode import decode_subscription
    from access_alerts.grouping import group_alerts

    decided = [policy.evaluate_payload(decode_subscription(event)) for event in events]
    started = time.process_time()
    for decisions in decided:
        group_alerts(decisions)
    return time.process_time() - started


def _import_times(runs: int = 12) -> dict[str, Any]:
    """Fastest of ``runs`` interpreter starts: bare, importing the handler with compiled .pyc files,
    and importing it from a copy of the package without .pyc files (as from a zip of sources only:
    the package is compiled at every cold start; the standard library keeps its .pyc files)."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "lambda_src")}

    def fastest(code: str, run_env: dict[str, str], flags: tuple[str, ...] = ()) -> float:
        # CPU time (user + system) of the child: much less disturbed by other load than wall time.
        times = []
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([sys.executable, *flags, "-c", code], check=True, env=run_env, capture_output=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            times.append((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime))
        return min(times)

    fastest("import access_alerts.handler", env)  # make sure the .pyc files exist
    bare = fastest("pass", env)
    handler = fastest("import access_alerts.handler", env)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(
            REPO / "lambda_src" / "access_alerts",
            Path(tmp) / "access_alerts",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        uncompiled = fastest("import access_alerts.handler", {**os.environ, "PYTHONPATH": tmp}, ("-B",))
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, access_alerts.handler; print('boto3' in sys.modules)"],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    )
    return {
        "bare": bare,
        "handler": handler,
        "uncompiled": uncompiled,
        "boto3": probe.stdout.strip() == "True",
    }


def _memory(event: dict[str, Any], policy: Any) -> int:
    from access_alerts.decode import decode_subscription
    from access_alerts.grouping import group_alerts
    from access_alerts.keys import KeyFormatter
    from access_alerts.slack import format_group

    tracemalloc.start()
    groups = group_alerts(policy.evaluate_payload(decode_subscription(event)))
    for g in groups:
        format_group(g, "bench", KeyFormatter("show"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def _storm(total: int) -> dict[str, Any]:
    from access_alerts import handler

    with RateLimitedWebhook(rate=1.0, burst=1.0) as hook:
        os.environ.update(bench_environ(hook.url))
        handler.reset_state()
        events = list(make_payloads(total, seed=11, who="alice", table="Orders", api=("DeleteItem", False)))
        started = time.perf_counter()
        sent = failed = alerts = 0
        with contextlib.redirect_stdout(io.StringIO()):  # the per-invocation summary lines
            for event, _ in events:
                result = handler.lambda_handler(event, FakeContext())
                sent += result["messages_sent"]
                failed += result["messages_failed"]
                alerts += result["alert"]
        wall = time.perf_counter() - started
        handler.reset_state()
        return {
            "payloads": len(events),
            "alerts": alerts,
            "sent": sent,
            "failed": failed,
            "rejected": hook.rejected,
            "accepted": hook.accepted,
            "wall": wall,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=6000, help="records for the throughput figure")
    parser.add_argument("--storm", type=int, default=10_000, help="records in the storm (0 to skip)")
    args = parser.parse_args(argv)

    from access_alerts.logs import configure_logging
    from access_alerts.model import PolicySettings
    from access_alerts.policy import Policy

    configure_logging(logging.WARNING, stream=io.StringIO())  # keep retry notices out of the table
    policy = Policy(PolicySettings(tables=MONITORED, allowed=ALLOWED))
    generated = list(make_payloads(args.records))
    events = [e for e, _ in generated]
    n = sum(c for _, c in generated)
    raw_mb = sum(len(gzip.decompress(base64.b64decode(e["awslogs"]["data"]))) for e in events) / 1e6

    _floor(events[:1]), _pipeline(events[:1], policy)  # warm up
    floors, totals = [], []
    for _ in range(5):  # interleaved, fastest of each: least disturbed by other load
        floors.append(_floor(events))
        totals.append(_pipeline(events, policy))
    floor, total = min(floors), min(totals)
    grouping = min(_grouping_only(events, policy) for _ in range(3))
    imports = _import_times()
    bare, imported, boto3_loaded = imports["bare"], imports["handler"], imports["boto3"]
    largest = max(generated, key=lambda item: len(item[0]["awslogs"]["data"]))
    peak = _memory(largest[0], policy)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    storm = _storm(args.storm) if args.storm else None

    rows = [
        ("Payloads / records", f"{len(events)} payloads, {n:,} records, {raw_mb:.1f} MB of log JSON", ""),
        ("decode + decide + group (CPU time)", f"{n / total:,.0f} records/s ({total * 1000:.0f} ms)", ""),
        (
            "floor: base64 + gunzip + json.loads (CPU time)",
            f"{n / floor:,.0f} records/s ({floor * 1000:.0f} ms)",
            "",
        ),
        ("ratio to floor", f"{total / floor:.2f} x", "<= 1.5 x"),
        ("of which grouping", f"{grouping * 1000:.0f} ms ({grouping / total:.0%} of the total)", ""),
        (
            "handler import, CPU time added to a bare interpreter start",
            f"{(imported - bare) * 1000:.0f} ms "
            f"(bare {bare * 1000:.0f} ms, with handler {imported * 1000:.0f} ms)",
            "<= 50 ms",
        ),
        (
            "the same, package without .pyc (compiled at import)",
            f"{(imports['uncompiled'] - bare) * 1000:.0f} ms added",
            "",
        ),
        ("boto3 imported at handler import", "yes" if boto3_loaded else "no", "no"),
        (
            "peak memory, largest payload (tracemalloc)",
            f"{peak / 1e6:.1f} MB for {largest[1]} records",
            "fits 128 MB",
        ),
        ("max RSS of the whole bench process", f"{rss_mb:.0f} MB", ""),
    ]
    if storm:
        rows.append(
            (
                f"storm: {args.storm:,} records, one principal, one table",
                f"{storm['payloads']} payloads -> {storm['sent']} messages ({storm['failed']} failed), "
                f"{storm['rejected']} x 429 answered, {storm['wall']:.1f} s wall",
                "1 message per payload",
            )
        )
    print(f"Python {sys.version.split()[0]} on {sys.platform}; command: python tools/bench.py")
    print()
    print("| measure | result | target |")
    print("|---|---|---|")
    for measure, result, target in rows:
        print(f"| {measure} | {result} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
