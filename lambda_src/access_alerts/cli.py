"""Command line: ``python -m access_alerts replay ...`` and ``python -m access_alerts redrive ...``.

Exit status: 0 fine, 1 alerts could not be delivered (``--webhook``), 2 bad input or usage (an
unreadable file, a bad pattern or URL). When files are unreadable the status is 2 even if delivery of
the rest succeeded; a delivery failure on top of that still prints its error.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections import Counter
from collections.abc import Sequence
from typing import TextIO

from access_alerts.allowlist import PatternError
from access_alerts.config import ConfigError, check_webhook_url
from access_alerts.destinations import Routing
from access_alerts.model import Decision, PolicySettings
from access_alerts.policy import Policy
from access_alerts.sources import SourceError, iter_file_records
from access_alerts.text import json_line

EXIT_OK = 0
EXIT_DELIVERY = 1
EXIT_USAGE = 2

_REPLAY_HELP = """\
Decide CloudTrail records from files exactly as the Lambda would, and print the decisions.

Files may be CloudTrail log files ({"Records": [...]}, as CloudTrail writes them to S3), JSON Lines of
single records, or CloudWatch Logs subscription events ({"awslogs": {"data": ...}} or the decoded JSON with
logEvents); plain or gzip-compressed. The kind is detected from the content, not the file name.

Without --table, EVERY DynamoDB table counts as monitored: that is how to test an allow-list against
last week's logs before deploying it. Nothing is sent anywhere unless --webhook or --destinations is given.

--destinations FILE sends through a routing file shaped like the module's variables:
  {"destinations": {"oncall": {"type": "slack_app", "token_parameter": "/team/slack-bot-token",
                               "channel": "C0123456789"}, ...},
   "routes": [{"name": "orders-writes", "tables": ["orders*"], "access": ["write"],
               "destinations": ["oncall"]}],
   "default_destinations": ["oncall"]}
Secrets named by SSM parameter are read with your AWS credentials; in this local file a destination may
give the value itself instead (url, token, secret).

exit status: 0 done, 1 alerts could not be delivered, 2 unreadable file or bad arguments"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m access_alerts",
        description="DynamoDB access alerts: replay CloudTrail logs or redrive failed payloads.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{replay,redrive}")
    replay = sub.add_parser(
        "replay",
        help="decide CloudTrail records from files (and optionally deliver)",
        description=_REPLAY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    replay.add_argument("files", nargs="+", metavar="FILE", help="CloudTrail/JSON Lines/subscription file")
    replay.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="PATTERN",
        help="allow-list pattern for data events (repeatable), e.g. "
        "arn:aws:iam::123456789012:role/app-writer",
    )
    replay.add_argument(
        "--allow-management",
        action="append",
        default=[],
        metavar="PATTERN",
        help="allow-list pattern for table control-plane events (repeatable)",
    )
    replay.add_argument(
        "--table",
        action="append",
        default=[],
        metavar="NAME_OR_ARN",
        help="monitored table name or ARN (repeatable); default: every DynamoDB table",
    )
    replay.add_argument(
        "--format",
        choices=("jsonl", "text"),
        default="text",
        help="jsonl: one JSON object per record; text: alerts and counts (default)",
    )
    replay.add_argument(
        "--webhook",
        metavar="URL",
        help="also deliver the alerts, grouped like the Lambda does (https://, or http:// on "
        "a loopback host)",
    )
    replay.add_argument(
        "--destinations",
        metavar="FILE",
        help="also deliver the alerts through the destinations and routes in FILE (JSON, shaped like the "
        "module's destinations/routes/default_destinations variables)",
    )
    replay.add_argument(
        "--key-values",
        choices=("show", "hash", "hide"),
        default="show",
        help="how key values appear in delivered messages (default: show; hash uses a "
        "random secret for this run)",
    )
    sub.add_parser(
        "redrive", help="replay payloads from the on-failure queue (see redrive --help)", add_help=False
    )
    return parser


def _clean(value: object) -> str:
    """Printable text for a terminal: control characters escaped."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}"
        for ch in text
    )


def decision_record(d: Decision) -> dict[str, object]:
    """The JSON Lines object for one decision."""
    ev = d.event
    p = ev.principal if ev else None
    return {
        "eventID": d.event_id or (ev.event_id if ev else None),
        "eventName": ev.event_name if ev else None,
        "eventTime": ev.event_time if ev else None,
        "decision": d.kind,
        "principal": (p.arn or p.service or p.display) if p else None,
        "principal_display": p.display if p else None,
        "session": p.session_name if p else None,
        "tables": list(ev.tables) if ev else [],
        "access": ev.access if ev else None,
        "category": ev.category if ev else None,
        "errorCode": ev.error_code if ev else None,
        "reason": d.reason,
        "matched": d.matched,
        "alert_kind": d.alert_kind,
        "source": d.source_id,
    }


def _text_line(d: Decision) -> str:
    ev = d.event
    if ev is None:
        return _clean(f"ALERT [{d.alert_kind}] {d.source_id}: {d.reason}")
    tables = ",".join(ev.tables) or "-"
    err = f" (failed: {ev.error_code})" if ev.error_code else ""
    return _clean(
        f"ALERT [{d.alert_kind}] {ev.event_time or '-'} {ev.event_name} {ev.access} {tables}{err}: "
        f"{d.reason} [{d.source_id}]"
    )


class _Tally:
    """Counts per decision, per allow-list entry and per alerting principal."""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.matched: Counter[str] = Counter()
        self.alerting: Counter[str] = Counter()

    def add(self, d: Decision) -> None:
        self.kinds[d.kind] += 1
        if d.kind == "allowed" and d.matched:
            self.matched[d.matched] += 1
        elif d.kind == "alert":
            self.alerting[_principal_id(d)] += 1

    def print(self, out: TextIO) -> None:
        k = self.kinds
        print(
            f"records: {sum(k.values())}  alert: {k['alert']}  allowed: {k['allowed']}  "
            f"ignored: {k['ignored']}",
            file=out,
        )
        for entry, n in self.matched.most_common():
            print(_clean(f"  allowed by {entry}: {n}"), file=out)
        for name, n in self.alerting.most_common(20):
            print(_clean(f"  alerts from {name}: {n}"), file=out)


def _principal_id(d: Decision) -> str:
    if d.event is None:
        return "(unparseable records)"
    p = d.event.principal
    return p.arn or p.service or p.display


def replay(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    settings = PolicySettings(
        tables=tuple(args.table),
        allowed=tuple(args.allow),
        allowed_management=tuple(args.allow_management),
        watch_pipeline=False,
        watch_table_management=True,
    )
    try:
        policy = Policy(settings, monitor_all_tables=not args.table)
    except PatternError as exc:
        print(f"replay: {exc}", file=err)
        return EXIT_USAGE
    if args.webhook is not None and args.destinations is not None:
        print("replay: give --webhook or --destinations, not both", file=err)
        return EXIT_USAGE
    routing = None
    try:
        if args.webhook is not None:
            check_webhook_url(args.webhook, "--webhook")
        if args.destinations is not None:
            from access_alerts.config import load_routing_file

            routing = load_routing_file(args.destinations)
    except ConfigError as exc:
        print(_clean(f"replay: {exc}"), file=err)
        return EXIT_USAGE
    delivering = args.webhook is not None or routing is not None

    # Only what the summary and delivery need is kept, so a week of logs does not have to fit in memory.
    tally = _Tally()
    to_deliver: list[Decision] = []
    status = EXIT_OK
    jsonl = args.format == "jsonl"
    for path in args.files:
        try:
            for source_id, record in iter_file_records(path):
                d = policy.evaluate(record, source_id)
                tally.add(d)
                if d.kind == "alert" and delivering:
                    to_deliver.append(d)
                if jsonl:
                    # json_line: a lone surrogate or a line separator in a record must not break the output
                    out.write(json_line(decision_record(d)) + "\n")
                elif d.kind == "alert":
                    out.write(_text_line(d) + "\n")
        except SourceError as exc:
            print(_clean(f"replay: {path}: {exc}"), file=err)
            status = EXIT_USAGE
    if not jsonl:
        tally.print(out)
    out.flush()
    if delivering:
        delivery = _deliver(to_deliver, args.webhook, routing, args.key_values, err)
        if delivery != EXIT_OK and status == EXIT_OK:
            status = delivery
    return status


def _deliver(
    decisions: Sequence[Decision], url: str | None, routing: Routing | None, key_values: str, err: TextIO
) -> int:
    # Imported only when delivering: replay without --webhook needs none of it.
    from access_alerts import config
    from access_alerts.delivery import deliver_groups
    from access_alerts.grouping import group_alerts

    # "hash" needs a secret: a fresh one per run makes equal keys recognisable within this replay only.
    secret = secrets.token_hex(32) if key_values == "hash" else None
    try:
        settings = config.delivery_settings_for_cli(
            webhook_url=url, key_values=key_values, key_hash_secret=secret, routing=routing
        )
    except config.ConfigError as exc:
        print(_clean(f"replay: {exc}"), file=err)
        return EXIT_USAGE
    report = deliver_groups(group_alerts(decisions), settings)
    if report.failed:
        print(
            f"replay: delivery failed: {report.failed} of {report.sent + report.failed}"
            f" alert messages could not be delivered ({report.records_in_failed} alert records; "
            f"{_clean(report.describe())})",
            file=err,
        )
        for failure in report.failures:
            print(_clean(f"  {failure}"), file=err)
        return EXIT_DELIVERY
    if url is not None:
        print(f"replay: delivered {report.sent} message(s) to the webhook", file=err)
    else:
        print(_clean(f"replay: delivered {report.sent} message(s): {report.describe()}"), file=err)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in and args_in[0] == "redrive":
        from access_alerts import redrive

        return redrive.main(args_in[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(args_in)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command != "replay":
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return replay(args, sys.stdout, sys.stderr)
    except BrokenPipeError:  # e.g. piped into head: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_DELIVERY
