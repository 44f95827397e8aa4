"""Load test: 100 payloads through the handler against a webhook that answers 429/500 at random.

Every alert record must end in a delivered message or in a failed invocation (whose payload
Lambda would retry and finally put on the on-failure queue); none may vanish. The default size
(2,000 records) runs in seconds; the full size (100,000 records) is marked ``slow``.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from access_alerts import config as config_mod
from access_alerts import handler
from access_alerts.delivery import DeliveryError
from access_alerts.grouping import AlertGroup
from access_alerts.webhook import PostResult, WebhookClient
from tests.fakes import use_post
from tests.generators import config_environ, make_record
from tools.payloads import encode_subscription
from tools.webhook_receiver import Reply, Responder, WebhookReceiver


def flaky(seed: int, error_rate: float) -> Responder:
    """Answers 200, 429 (Retry-After 0) or 500 at random, from a seeded generator."""
    rng = random.Random(seed)  # noqa: S311  (test data, not crypto)
    lock = threading.Lock()

    def answer() -> Reply:
        with lock:
            roll = rng.random()
        if roll >= error_rate:
            return Reply(200)
        return Reply(429, retry_after=0) if roll < error_rate / 2 else Reply(500)

    return answer


class Context:
    function_name = "load-test"
    aws_request_id = "load"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def expected_alert_ids(messages: list[str]) -> set[str]:
    """Independent oracle: records by app-worker/etl-* are allowed; table Sessions is not monitored."""
    out = set()
    for text in messages:
        record = json.loads(text)
        arn = record["userIdentity"]["arn"]
        table = record["resources"][0]["ARN"].rsplit("/", 1)[1]
        if "assumed-role/app-worker/" in arn or "assumed-role/etl-" in arn or table == "Sessions":
            continue
        out.add(record["eventID"])
    return out


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in config_mod.KNOWN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in config_environ("http://127.0.0.1:9/placeholder").items():
        monkeypatch.setenv(name, value)
    handler.reset_state()
    yield
    handler.reset_state()


def run_load(total_records: int, payloads: int, monkeypatch: pytest.MonkeyPatch) -> None:
    with WebhookReceiver() as hook:
        hook.respond_by(flaky(seed=2024, error_rate=0.35))
        # Spy on what the handler grouped and what each POST returned, in order.
        groups_seen: list[AlertGroup] = []
        real_group = handler.group_alerts

        def spy_group(decisions: Any) -> list[AlertGroup]:
            groups = real_group(decisions)
            groups_seen.extend(groups)
            return groups

        monkeypatch.setattr(handler, "group_alerts", spy_group)
        client = WebhookClient(
            hook.url, sleep=lambda s: None, rand=lambda: 0.0, rate_per_second=0, max_attempts=3
        )
        results: list[PostResult] = []

        def post(payload: Any, deadline: float | None) -> PostResult:
            result = client.post(payload, deadline)
            results.append(result)
            return result

        use_post(handler.get_state().senders, post)

        rng = random.Random(99)  # noqa: S311  (test data, not crypto)
        per_payload = total_records // payloads
        delivered_ids: set[str] = set()
        kept_ids: set[str] = set()  # alert records of failed invocations (retry / on-failure queue)
        all_alert_ids: set[str] = set()
        failed_invocations = 0
        counted_records = 0
        for p in range(payloads):
            messages = [json.dumps(make_record(p * per_payload + i, rng)) for i in range(per_payload)]
            alert_ids = expected_alert_ids(messages)
            all_alert_ids |= alert_ids
            start = len(groups_seen)
            try:
                event = encode_subscription(messages, first_id=p * per_payload)
                summary = handler.lambda_handler(event, Context())
            except DeliveryError as exc:
                failed_invocations += 1
                summary = exc.summary.as_dict()
                kept_ids |= alert_ids
                assert exc.summary.messages_failed >= 1
            new_groups = groups_seen[start:]
            new_results = results[start:]
            assert len(new_groups) == len(new_results)  # every group was attempted
            for group, result in zip(new_groups, new_results, strict=True):
                if result.ok:
                    delivered_ids.update(group.event_ids)
            assert (
                summary["alert"] + summary["allowed"] + summary["ignored"]
                == summary["records"]
                == per_payload
            )
            assert summary["alert"] == len(alert_ids)
            counted_records += summary["records"]
        assert counted_records == total_records
        vanished = all_alert_ids - delivered_ids - kept_ids
        assert vanished == set()
        assert delivered_ids <= all_alert_ids  # nothing invented
        # The flaky webhook really did fail: some invocations failed, most succeeded.
        statuses = [r.status for r in hook.received()]
        assert 429 in statuses and 500 in statuses
        assert 0 < failed_invocations < payloads
        assert sum(r.ok for r in results) == statuses.count(200)


def test_load_default_size(environment: None, monkeypatch: pytest.MonkeyPatch) -> None:
    run_load(2_000, 100, monkeypatch)


@pytest.mark.slow
def test_load_full_size(environment: None, monkeypatch: pytest.MonkeyPatch) -> None:
    run_load(100_000, 100, monkeypatch)
