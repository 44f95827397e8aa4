"""``python -m access_alerts redrive --queue-url URL [--max-messages N] [--dry-run]``

Takes the payloads that the Lambda could not deliver from its on-failure SQS queue and runs them
through the same stages as the function (same decode, allow-list, grouping and delivery), with
the same configuration document, found the same way (``config.load_config``): run it with the
function's environment (``ACCESS_ALERTS_CONFIG_PARAMETER`` and ``ACCESS_ALERTS_CONFIG_SHA256``, as
``aws lambda get-function-configuration`` shows them), or with ``ACCESS_ALERTS_CONFIG`` holding the
document (``terraform output -json lambda_configuration``).

Each SQS message is deleted only after every alert of its payload was delivered. A message
whose alerts could not all be delivered, or whose payload cannot be decoded, stays on the queue
(it becomes visible again after the queue's visibility timeout). ``--dry-run`` decodes and
decides, prints what would be sent, delivers nothing, deletes nothing and makes the messages
visible again at once.

Messages on the queue are Lambda asynchronous-invocation on-failure records: a JSON object with
``requestContext``, ``requestPayload`` (the original ``{"awslogs": ...}`` event),
``responseContext`` and ``responsePayload``. A bare ``{"awslogs": ...}`` event is accepted too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from .config import ConfigError
from .decode import PayloadError, decode_subscription
from .delivery import DeliveryError
from .grouping import group_alerts
from .handler import PayloadRejected, State, build_state, process_event
from .text import first_line

EXIT_OK = 0
EXIT_KEPT = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m access_alerts redrive",
        description="Replay payloads from the Lambda's on-failure SQS queue through the function's stages.",
        epilog="The configuration document is found as the function finds it: ACCESS_ALERTS_CONFIG_PARAMETER "
        "and ACCESS_ALERTS_CONFIG_SHA256 (the function's environment), or ACCESS_ALERTS_CONFIG.",
    )
    parser.add_argument("--queue-url", required=True, help="URL of the on-failure SQS queue")
    parser.add_argument("--max-messages", type=int, default=100, help="stop after this many messages (100)")
    parser.add_argument(
        "--dry-run", action="store_true", help="decide and report only; send and delete nothing"
    )
    parser.add_argument("--wait-seconds", type=int, default=1, help="SQS long-poll wait per receive (1)")
    parser.add_argument(
        "--region", default=None, help="AWS region of the queue (default: from the environment)"
    )
    return parser


def extract_event(body: str) -> object:
    """The original subscription event inside an on-failure record. Raises ValueError."""
    try:
        record = json.loads(body)
    except ValueError:
        raise ValueError("message body is not JSON") from None
    if not isinstance(record, Mapping):
        raise ValueError("message body is not a JSON object")
    if "requestPayload" in record:
        return record["requestPayload"]
    if "awslogs" in record:
        return record
    raise ValueError("message is neither an on-failure record (no requestPayload) nor an awslogs event")


def _sqs_client(region: str | None) -> Any:
    import boto3  # only the redrive command needs it

    return boto3.client("sqs", region_name=region) if region else boto3.client("sqs")


def redrive(
    queue_url: str,
    state: State,
    sqs: Any,
    *,
    max_messages: int = 100,
    dry_run: bool = False,
    wait_seconds: int = 1,
    out: TextIO = sys.stdout,
) -> tuple[int, int]:
    """Process up to ``max_messages``. Returns (done, kept)."""
    done = kept = seen = 0
    while seen < max_messages:
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=max(1, min(10, max_messages - seen)),
            WaitTimeSeconds=wait_seconds,
        )
        messages = response.get("Messages") or []
        if not messages:
            break
        for message in messages:
            seen += 1
            message_id = message.get("MessageId", "?")
            receipt = message["ReceiptHandle"]
            ok = _one(message_id, message.get("Body", ""), state, dry_run, out)
            if dry_run:
                sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=0)
                done += 1 if ok else 0
                kept += 0 if ok else 1
            elif ok:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt)
                done += 1
            else:
                kept += 1
    return done, kept


def _one(message_id: str, body: str, state: State, dry_run: bool, out: TextIO) -> bool:
    try:
        event = extract_event(body)
        payload = decode_subscription(event)
    except (ValueError, PayloadError) as exc:
        # The Lambda already alerted about an undecodable payload; keep it for a person to inspect.
        print(f"message {message_id}: kept: {first_line(exc, 200)}", file=out)
        return False
    if dry_run:
        decisions = state.policy.evaluate_payload(payload)
        groups = group_alerts(decisions)
        alerts = sum(1 for d in decisions if d.kind == "alert")
        print(
            f"message {message_id}: would send {len(groups)} message(s) for {alerts} alert record(s) "
            f"of {len(decisions)} record(s)",
            file=out,
        )
        return True
    try:
        summary, _ = process_event(event, state)
    except DeliveryError as exc:
        s = exc.summary
        print(
            f"message {message_id}: kept: {s.messages_failed} message(s) not delivered "
            f"({s.records_in_failed_deliveries} alert records); {s.messages_sent} sent",
            file=out,
        )
        return False
    except PayloadRejected as exc:  # pragma: no cover - decode was checked above
        print(f"message {message_id}: kept: {exc.reason}", file=out)
        return False
    print(
        f"message {message_id}: delivered {summary.messages_sent} message(s) for {summary.alert} alert "
        f"record(s) of {summary.records} record(s); deleted",
        file=out,
    )
    return True


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    sqs: Any = None,
    out: TextIO | None = None,
) -> int:
    args = _parser().parse_args(list(argv) if argv is not None else None)
    stream = out or sys.stdout
    if args.max_messages < 1:
        print("redrive: --max-messages must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        state = build_state(environ if environ is not None else os.environ)
    except ConfigError as exc:
        print(f"redrive: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    client = sqs if sqs is not None else _sqs_client(args.region)
    done, kept = redrive(
        args.queue_url,
        state,
        client,
        max_messages=args.max_messages,
        dry_run=args.dry_run,
        wait_seconds=args.wait_seconds,
        out=stream,
    )
    verb = "checked" if args.dry_run else "delivered and deleted"
    print(f"redrive: {done} message(s) {verb}, {kept} kept on the queue", file=stream)
    return EXIT_OK if kept == 0 else EXIT_KEPT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
