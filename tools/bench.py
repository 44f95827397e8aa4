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
   sent, 429s seen, wall time;
5. replay at archive scale (tools/bench_replay.py): throughput on one job and on every core against
   the gunzip + json.loads floor, and peak RSS (``--replay-million`` adds the 1,000,000-record run).

The records and payloads come from tests/generators.py, which the unit and load tests use too; the
webhook is tools/webhook_receiver.py with Slack's rate limit (``rate_limited``).
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
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "lambda_src"), str(REPO)]

from tests.generators import ALLOWED, MONITORED, config_environ, make_payloads  # noqa: E402
from tools.webhook_receiver import WebhookReceiver, rate_limited  # noqa: E402


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

    with WebhookReceiver() as hook:
        hook.respond_by(rate_limited(rate=1.0, burst=1.0))
        os.environ.update(config_environ(hook.url, name="bench"))
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
            "rejected": sum(r.status == 429 for r in hook.received()),
            "accepted": len(hook.delivered()),
            "wall": wall,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=6000, help="records for the throughput figure")
    parser.add_argument("--storm", type=int, default=10_000, help="records in the storm (0 to skip)")
    parser.add_argument(
        "--replay", type=int, default=100_000, help="records in the replay archive (0 to skip)"
    )
    parser.add_argument("--replay-million", action="store_true", help="replay RSS at 1,000,000 records too")
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
    if args.replay:
        from tools import bench_replay

        rows += bench_replay.rows(args.replay, args.replay_million)
    print(f"Python {sys.version.split()[0]} on {sys.platform}; command: python tools/bench.py")
    print()
    print("| measure | result | target |")
    print("|---|---|---|")
    for measure, result, target in rows:
        print(f"| {measure} | {result} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
