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
   the gunzip + json.loads floor, and peak RSS (``--replay-million`` adds the 1,000,000-record run);
6. the delivery ledger's cost per invocation against the emulator (moto over HTTP on loopback, the
   ledger table as ledger.tf creates it): DynamoDB calls and milliseconds spent in them, for a payload
   that opens a digest window, a payload held in it, the same payload again (a repeat), a flush with no
   open window and a flush that closes one (``--ledger 0`` skips it).

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


class _CountingClient:
    """The ledger's DynamoDB client, counting its calls and the time spent in them."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: dict[str, int] = {}
        self.seconds = 0.0

    def take(self) -> tuple[dict[str, int], float]:
        taken = (self.calls, self.seconds)
        self.calls, self.seconds = {}, 0.0
        return taken

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def call(**kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(**kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls[name] = self.calls.get(name, 0) + 1

        return call


def _ledger_cost(total: int) -> list[tuple[str, str, str]]:
    """The ledger's calls and time per kind of invocation: one principal's ``total`` records on one table
    in ~1 MB payloads, one webhook, a 10-minute window on a simulated clock."""
    from access_alerts import handler, ledger, rules
    from tests.ledger_table import create_table
    from tools.sandbox import Emulator

    rows: list[tuple[str, str, str]] = []
    saved = dict(os.environ)
    with Emulator() as emu, WebhookReceiver() as hook:
        os.environ.update(emu.aws_env())
        table = "bench-delivery-ledger"
        create_table(emu.client("dynamodb"), table)
        settings = {"table_name": table, "digest_window_minutes": 10, "ttl_days": 15}
        os.environ.update(config_environ(hook.url, name="bench", ledger=settings))
        handler.reset_state()
        ledger.forget_client()
        counting = _CountingClient(ledger.dynamodb_client())
        real_client = ledger.dynamodb_client
        ledger.dynamodb_client = lambda: counting
        flush_event = dict(rules.ledger().flush_event)
        events = [
            e for e, _ in make_payloads(total, seed=13, who="bob", table="Orders", api=("PutItem", False))
        ]
        now = [1_790_000_000.0]
        try:
            state = handler.get_state()
            state.clock = lambda: now[0]

            def invoke(event: dict[str, Any]) -> tuple[str, float]:
                started = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()):
                    handler.lambda_handler(event, FakeContext())
                wall = time.perf_counter() - started
                calls, seconds = counting.take()
                named = {"".join(p.title() for p in api.split("_")): n for api, n in calls.items()}
                detail = ", ".join(f"{n} {api}" for api, n in sorted(named.items())) or "none"
                total = sum(calls.values())
                return f"{total} call{'s' if total != 1 else ''} ({detail}), {seconds * 1000:.0f} ms", wall

            counting.take()
            first, first_wall = invoke(events[0])
            held_figures = []
            for event in events[1:]:
                now[0] += 8
                held_figures.append(invoke(event))
            repeat, repeat_wall = invoke(events[1])
            idle_flush, idle_wall = invoke(flush_event)  # nothing due yet: the window is open
            now[0] += 11 * 60
            closing, closing_wall = invoke(flush_event)
            empty, empty_wall = invoke(flush_event)
        finally:
            ledger.dynamodb_client = real_client
            ledger.forget_client()
            handler.reset_state()
            os.environ.clear()
            os.environ.update(saved)
        size = -(-total // len(events))
        held, held_wall = held_figures[len(held_figures) // 2]
        rows += [
            (
                f"ledger: first payload of a storm (~{size} records, opens a window, posts)",
                first,
                f"invocation {first_wall * 1000:.0f} ms",
            ),
            (
                f"ledger: a later payload, held in the window (median of {len(held_figures)})",
                held,
                f"invocation {held_wall * 1000:.0f} ms",
            ),
            (
                "ledger: the same payload again (a repeat, posts nothing)",
                repeat,
                f"invocation {repeat_wall * 1000:.0f} ms",
            ),
            ("ledger: flush while the window is open", idle_flush, f"invocation {idle_wall * 1000:.0f} ms"),
            (
                "ledger: flush that closes the window (one follow-up)",
                closing,
                f"invocation {closing_wall * 1000:.0f} ms",
            ),
            ("ledger: flush with no open window", empty, f"invocation {empty_wall * 1000:.0f} ms"),
        ]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=6000, help="records for the throughput figure")
    parser.add_argument("--storm", type=int, default=10_000, help="records in the storm (0 to skip)")
    parser.add_argument(
        "--replay", type=int, default=100_000, help="records in the replay archive (0 to skip)"
    )
    parser.add_argument("--replay-million", action="store_true", help="replay RSS at 1,000,000 records too")
    parser.add_argument(
        "--ledger", type=int, default=10_000, help="records in the ledger's storm (0 to skip)"
    )
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
    if args.ledger:
        rows += _ledger_cost(args.ledger)
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
