"""Command line: ``python -m access_alerts replay ...`` and ``python -m access_alerts redrive ...``.

Exit status: 0 fine, 1 alerts could not be delivered (``--webhook``), 2 bad input or usage (an
unreadable file, a bad pattern or URL), 3 something would alert and ``--fail-on-alert`` was given. When
files are unreadable the status is 2 even if delivery of the rest succeeded; a delivery failure on top of
that still prints its error. 3 is returned only when nothing else went wrong.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import TextIO

from access_alerts.allowlist import PatternError
from access_alerts.config import ConfigError, check_webhook_url
from access_alerts.destinations import Routing
from access_alerts.model import Decision
from access_alerts.policy import Policy
from access_alerts.report import clean
from access_alerts.selection import Selection, SelectionError

EXIT_OK = 0
EXIT_DELIVERY = 1
EXIT_USAGE = 2
EXIT_ALERTS = 3

_REPLAY_HELP = """\
Decide CloudTrail records from files exactly as the Lambda would, and print the decisions.

Inputs are files, directories (read in name order) and s3://BUCKET/PREFIX locations, whose CloudTrail
layout (AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/) is walked with the --account, --region,
--since and --until filters choosing what is downloaded. Files may be CloudTrail log files
({"Records": [...]}), JSON Lines of single records, or CloudWatch Logs subscription events
({"awslogs": {"data": ...}} or the decoded JSON with logEvents); plain or gzip-compressed. The kind is
detected from the content, not the file name. Files are decided in parallel (--jobs), output is in input
order.

--config FILE (terraform output -json lambda_configuration) or --function NAME decides with the deployed
configuration, tamper rules included; --table/--allow/--allow-management add to it. With neither and
without --table, EVERY DynamoDB table counts as monitored: that is how to test an allow-list against last
week's logs before choosing tables. Nothing is sent anywhere unless --webhook or --destinations is given.

--destinations FILE sends through a routing file shaped like the module's variables:
  {"destinations": {"oncall": {"type": "slack_app", "token_parameter": "/team/slack-bot-token",
                               "channel": "C0123456789"}, ...},
   "routes": [{"name": "orders-writes", "tables": ["orders*"], "access": ["write"],
               "destinations": ["oncall"]}],
   "default_destinations": ["oncall"]}
Secrets named by SSM parameter are read with your AWS credentials; in this local file a destination may
give the value itself instead (url, token, secret).

exit status: 0 done, 1 alerts could not be delivered, 2 unreadable input or bad arguments,
3 something would alert (only with --fail-on-alert)"""


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
    replay.add_argument(
        "files",
        nargs="*",
        metavar="INPUT",
        help="a file, a directory, or s3://BUCKET[/PREFIX] (CloudTrail/JSON Lines/subscription files)",
    )
    replay.add_argument(
        "--files-from",
        metavar="LIST",
        help="read more inputs from LIST, one per line ('-': standard input), e.g. S3 keys from Athena",
    )
    source = replay.add_mutually_exclusive_group()
    source.add_argument(
        "--config",
        metavar="FILE",
        help="the module's configuration document (terraform output -json lambda_configuration): decide "
        "exactly as the deployed function, tamper rules included; needs no AWS access",
    )
    source.add_argument(
        "--function",
        metavar="NAME",
        help="read the configuration document of a deployed function (its SSM parameter, hash-checked)",
    )
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
        help="monitored table name or ARN (repeatable), NAMEPREFIX* or ...:table/NAMEPREFIX* for a family; "
        "default: every DynamoDB table",
    )
    replay.add_argument(
        "--format",
        choices=("jsonl", "text", "csv"),
        default="text",
        help="text: alerts, then the report (default); jsonl: one JSON object per record; "
        "csv: one row per record",
    )
    replay.add_argument(
        "--since", metavar="TIME", help="only records at or after TIME (2026-11-18 or 2026-11-18T09:30Z)"
    )
    replay.add_argument(
        "--until", metavar="TIME", help="only records before TIME (a date alone: up to the end of that day)"
    )
    replay.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="ID",
        help="only these accounts' logs (repeatable or comma-separated)",
    )
    replay.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="REGION",
        help="only these Regions' logs (repeatable or comma-separated)",
    )
    replay.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="files decided in parallel (default: the number of CPUs)",
    )
    replay.add_argument(
        "--fail-on-alert",
        action="store_true",
        help="exit 3 when any record would alert (for CI)",
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
        default=None,
        help="how key values appear in delivered messages (default: the configuration's, else show; "
        "hash uses a random secret for this run)",
    )
    sub.add_parser(
        "redrive", help="replay payloads from the on-failure queue (see redrive --help)", add_help=False
    )
    return parser


def _inputs(args: argparse.Namespace, err: TextIO) -> list[str] | None:
    inputs = list(args.files)
    if args.files_from:
        try:
            if args.files_from == "-":
                lines = sys.stdin.read().splitlines()
            else:
                with open(args.files_from, encoding="utf-8") as fh:
                    lines = fh.read().splitlines()
        except OSError as exc:
            print(clean(f"replay: --files-from {args.files_from}: {exc.strerror or exc}"), file=err)
            return None
        inputs += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not inputs:
        print("replay: no input: give files, directories or s3:// locations (or --files-from)", file=err)
        return None
    return inputs


def replay(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from access_alerts import replay as engine  # the engine and its imports only for this command
    from access_alerts import replayconfig

    try:
        chosen = replayconfig.resolve(
            config_file=args.config,
            function=args.function,
            tables=tuple(args.table),
            allowed=tuple(args.allow),
            allowed_management=tuple(args.allow_management),
        )
        settings = chosen.settings
        Policy(settings, monitor_all_tables=chosen.monitor_all_tables)  # checked here, built in each worker
        selection = Selection.from_options(args.since, args.until, args.account, args.region)
    except (PatternError, SelectionError, ConfigError) as exc:
        print(clean(f"replay: {exc}"), file=err)
        return EXIT_USAGE
    key_values = args.key_values or chosen.key_values or "show"
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
        print(clean(f"replay: {exc}"), file=err)
        return EXIT_USAGE
    delivering = args.webhook is not None or routing is not None
    jobs = engine.default_jobs() if args.jobs is None else args.jobs
    if jobs < 1:
        print("replay: --jobs must be at least 1", file=err)
        return EXIT_USAGE
    inputs = _inputs(args, err)
    if inputs is None:
        return EXIT_USAGE

    delivered: list[int] = []
    # "hash" needs a secret: a fresh one per run makes equal keys recognisable within this replay only.
    secret = secrets.token_hex(32) if key_values == "hash" else None

    def deliver(alerts: list[Decision]) -> bool:
        delivered.append(len(alerts))
        return _deliver(alerts, args.webhook, routing, key_values, secret, err) == EXIT_OK

    options = engine.Options(
        settings=settings,
        monitor_all_tables=chosen.monitor_all_tables,
        output=args.format,
        selection=selection,
        keep_alerts=delivering,
    )
    try:
        outcome = engine.run(
            inputs,
            options,
            jobs=jobs,
            out=out,
            err=err,
            allowed=settings.allowed,
            allowed_management=settings.allowed_management,
            deliver=deliver if delivering else None,
            progress=engine.wants_progress(err),
        )
    except BrokenProcessPool:
        print(
            "replay: a worker process stopped unexpectedly (out of memory?); the output is incomplete. "
            "Run again with --jobs 1 to see the error.",
            file=err,
        )
        return EXIT_USAGE
    if delivering and not delivered:
        deliver([])  # say so, even when there was nothing to send
    if outcome.unreadable:
        return EXIT_USAGE
    if outcome.delivery_failed:
        return EXIT_DELIVERY
    if args.fail_on_alert and outcome.summary.alerts:
        return EXIT_ALERTS
    return EXIT_OK


def _deliver(
    decisions: Sequence[Decision],
    url: str | None,
    routing: Routing | None,
    key_values: str,
    secret: str | None,
    err: TextIO,
) -> int:
    # Imported only when delivering: replay without --webhook needs none of it.
    from access_alerts import config
    from access_alerts.delivery import deliver_groups
    from access_alerts.grouping import group_alerts

    try:
        settings = config.delivery_settings_for_cli(
            webhook_url=url, key_values=key_values, key_hash_secret=secret, routing=routing
        )
    except config.ConfigError as exc:
        print(clean(f"replay: {exc}"), file=err)
        return EXIT_USAGE
    report = deliver_groups(group_alerts(decisions), settings)
    if report.failed:
        print(
            f"replay: delivery failed: {report.failed} of {report.sent + report.failed}"
            f" alert messages could not be delivered ({report.records_in_failed} alert records; "
            f"{clean(report.describe())})",
            file=err,
        )
        for failure in report.failures:
            print(clean(f"  {failure}"), file=err)
        return EXIT_DELIVERY
    if url is not None:
        print(f"replay: delivered {report.sent} message(s) to the webhook", file=err)
    else:
        print(clean(f"replay: delivered {report.sent} message(s): {report.describe()}"), file=err)
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
