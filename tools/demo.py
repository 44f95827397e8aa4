"""`make demo`: deploy examples/complete to a local AWS emulator and watch alerts reach a local "Slack".

Everything runs on 127.0.0.1 and is stopped at the end (also on Ctrl-C or a failure):
  1. moto (AWS emulator) and a webhook receiver that prints each Slack message it gets;
  2. `terraform init` + `apply` of examples/complete with envs/prod.tfvars, in a temporary copy that a
     Terraform override file points at the emulator (tools/sandbox.py; the example itself is unchanged);
  3. a scene: an allowed service role writes an item (no alert); a person through an SSO administrator
     role updates an item and scans the table (alerts: the write reaches the orders team's Teams channel
     and the SIEM by a route), then tries to stop the trail (tamper alert: the default destinations, the
     on-call Slack app with @here, and the on-call SNS topic).
     Each call is made against the emulator's DynamoDB, its CloudTrail record is written to the trail's
     log group, and the payload the subscription filter produces is run through the *deployed* code
     (the committed zip, with the environment Terraform gave the function);
  4. `terraform destroy`.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.sandbox import (
    EXAMPLE,
    PAGER_QUEUE,
    VAR_FILE,
    WEBHOOK_PARAMETER,
    Emulator,
    HandlerRun,
    Workspace,
    cloudtrail_record,
    extract_zip,
    provide_destinations,
    put_records,
    role_session,
    run_deployed_handler,
    table_arn,
)
from tools.tf import TerraformSetupError
from tools.webhook_receiver import WebhookReceiver

TABLE = "orders"
SERVICE_ROLE = "orders-service"
SSO_ROLE = "AWSReservedSSO_AdministratorAccess_5f1a2b3c4d5e6f70"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"
PERSON = "alice@example.com"

BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")
START = time.monotonic()
TIMINGS: list[tuple[str, float]] = []


def say(text: str) -> None:
    print(f"{BOLD}[{time.monotonic() - START:6.1f}s] {text}{RESET}", flush=True)


def note(text: str) -> None:
    print(f"{DIM}         {text}{RESET}", flush=True)


@contextmanager
def step(name: str) -> Iterator[None]:
    say(name)
    started = time.monotonic()
    yield
    TIMINGS.append((name, time.monotonic() - started))


def run_handler(
    emulator: Emulator, code: Path, function: dict[str, Any], log_group: str, records: list[dict[str, Any]]
) -> HandlerRun:
    invocations = put_records(emulator, log_group, records)
    note(f"CloudTrail record(s) -> {log_group} -> subscription filter -> {len(invocations)} invocation(s)")
    if len(invocations) != 1:
        raise RuntimeError(
            f"expected one Lambda invocation from the subscription filter, got {len(invocations)}"
        )
    run = run_deployed_handler(code, function, invocations[0].event, emulator.aws_env())
    result = next((x for x in run.stdout.splitlines() if x.startswith("HANDLER_RESULT ")), None)
    if not run.ok or result is None:
        raise RuntimeError(f"the deployed handler failed (exit {run.returncode}):\n{run.stderr[-2000:]}")
    counts = json.loads(result.removeprefix("HANDLER_RESULT "))
    note(
        f"deployed handler: {counts.get('alert', 0)} alert(s), {counts.get('allowed', 0)} allowed, "
        f"{counts.get('messages_sent', 0)} message(s) sent, in {run.seconds:.1f}s"
    )
    return run


def scene(emulator: Emulator, receiver: WebhookReceiver, ws: Workspace, code: Path) -> None:
    out = ws.output()
    function = emulator.client("lambda").get_function_configuration(FunctionName=out["lambda_function_name"])
    log_group = str(out["log_group_name"])
    ddb = emulator.client("dynamodb")
    arn = table_arn(TABLE)

    with step(f"Scene 1: the service role {SERVICE_ROLE} (allow-listed) writes an order"):
        ddb.put_item(TableName=TABLE, Item={"orderId": {"S": "ord-1001"}, "status": {"S": "paid"}})
        service = role_session(SERVICE_ROLE, "i-0a1b2c3d4e5f")
        record = cloudtrail_record(
            "PutItem",
            service,
            table_arn=arn,
            request_parameters={"tableName": TABLE, "key": {"orderId": {"S": "ord-1001"}}},
        )
        before = len(receiver.received())
        run_handler(emulator, code, function, log_group, [record])
        got = len(receiver.received()) - before
        note(f"{got} message(s): the role is allow-listed (in AWS the trail does not even log it)")

    with step(
        f"Scene 2: {PERSON} signs in through SSO as AdministratorAccess, edits an order and scans the table"
    ):
        ddb.update_item(
            TableName=TABLE,
            Key={"orderId": {"S": "ord-1001"}},
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "refunded"}},
        )
        scanned = ddb.scan(TableName=TABLE)["Count"]
        note(f"UpdateItem done; Scan returned {scanned} item(s)")
        person = role_session(SSO_ROLE, PERSON, path=SSO_PATH)
        records = [
            cloudtrail_record(
                "UpdateItem",
                person,
                table_arn=arn,
                request_parameters={"tableName": TABLE, "key": {"orderId": {"S": "ord-1001"}}},
            ),
            cloudtrail_record(
                "Scan", person, table_arn=arn, request_parameters={"tableName": TABLE}, read_only=True
            ),
        ]
        before = len(receiver.delivered())
        run_handler(emulator, code, function, log_group, records)
        kinds = sorted({r.path.split("/")[1] + ":" + r.kind for r in receiver.delivered()[before:]})
        note(
            "the UpdateItem matches route orders-writes: it reaches the orders team (Teams) and the SIEM "
            "(signed webhook), and the default webhook through route everything; the Scan only the "
            f"default ({kinds})"
        )

    with step(f"Scene 3: {PERSON} tries to switch the alerting off (StopLogging on the module's trail)"):
        trail_arn = str(out["trail_arn"])
        emulator.client("cloudtrail").stop_logging(Name=trail_arn)
        record = cloudtrail_record(
            "StopLogging",
            role_session(SSO_ROLE, PERSON, path=SSO_PATH),
            event_source="cloudtrail.amazonaws.com",
            request_parameters={"name": trail_arn},
            data_event=False,
        )
        run_handler(emulator, code, function, log_group, [record])
        emulator.client("cloudtrail").start_logging(Name=trail_arn)
        sqs = emulator.client("sqs")
        queue = sqs.get_queue_url(QueueName=PAGER_QUEUE)["QueueUrl"]
        for message in sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
            note(
                f"SNS topic platform-oncall -> SQS {PAGER_QUEUE}: "
                f"{json.loads(message['Body'])['title']} {attributes}"
            )


def main() -> int:
    say("dynamodb-access-alerts demo: everything runs on 127.0.0.1 and is removed at the end")
    with (
        tempfile.TemporaryDirectory(prefix="access-alerts-demo-") as tmp,
        WebhookReceiver(echo=True) as receiver,
    ):
        emulator = Emulator()
        try:
            with step("Starting the AWS emulator (moto) and the webhook receiver (stands in for Slack)"):
                emulator.start()
                note(f"moto: {emulator.endpoint}   webhook: {receiver.url}")
                emulator.client("ssm").put_parameter(
                    Name=WEBHOOK_PARAMETER, Type="SecureString", Value=receiver.url, Overwrite=True
                )
                note(
                    f"SSM SecureString {WEBHOOK_PARAMETER} -> the receiver (prod.tfvars names this parameter)"
                )
                provide_destinations(emulator, receiver)
                note(
                    "the other destinations of prod.tfvars: a Slack app token, a Teams workflow URL and a "
                    "signed SIEM webhook (parameters pointing at the receiver), and the SNS topic "
                    f"platform-oncall with an SQS queue {PAGER_QUEUE} subscribed"
                )
                ddb = emulator.client("dynamodb")
                for table in ("orders", "payments", "customers"):
                    ddb.create_table(
                        TableName=table,
                        KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST",
                    )
                note("DynamoDB tables orders, payments, customers created in the emulator")
            ws = Workspace(
                EXAMPLE,
                Path(tmp),
                emulator,
                var_files=[VAR_FILE],
                variables={"slack_api_url": receiver.slack_api_url},
            )
            with step("terraform init (provider from TF_PROVIDER_MIRROR when set, else the registry)"):
                ws.init()
            with step(f"terraform apply examples/complete -var-file={VAR_FILE}"):
                applied = ws.apply()
                note(
                    next(
                        (x for x in applied.stdout.splitlines() if x.startswith("Apply complete")), "applied"
                    )
                )
            for name, summary in ws.output()["routing_summary"].items():
                note(f"routing_summary {name} ({summary['type']}): {'; '.join(summary['receives'])}")
            code = extract_zip(into=Path(tmp) / "code")
            scene(emulator, receiver, ws, code)
            with step("terraform destroy"):
                destroyed = ws.destroy()
                note(
                    next(
                        (x for x in destroyed.stdout.splitlines() if x.startswith("Destroy complete")),
                        "destroyed",
                    )
                )
        except TerraformSetupError as exc:
            print(f"\ndemo: {exc}", file=sys.stderr)
            return 2
        except RuntimeError as exc:  # a terraform step or the handler failed: say what, then clean up
            print(f"\ndemo: FAILED: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\ndemo: interrupted; stopping the emulator and the receiver", file=sys.stderr)
            return 130
        finally:
            emulator.stop()
        delivered = len(receiver.delivered())
    say(f"Done: {delivered} message(s) reached the receiver; emulator, receiver and temporary files are gone")
    for name, seconds in TIMINGS:
        print(f"  {seconds:6.1f}s  {name}")
    print(f"  {time.monotonic() - START:6.1f}s  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
