"""lambda_handler with the delivery ledger on moto and the webhook receiver: a payload delivered twice, a
storm over invocations and the flush event, simulated time on the state, and a ledger that is down."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from access_alerts import config as config_mod
from access_alerts import handler, ledger, rules
from access_alerts.delivery import DeliveryError
from access_alerts.handler import FLUSH, is_flush_event
from access_alerts.ledger import LedgerUnavailable
from tests.generators import config_environ, make_record
from tests.ledger_table import T0, TABLE, ledger_table
from tests.unit.test_handler import Context, summary_lines
from tools.payloads import encode_subscription
from tools.webhook_receiver import WebhookReceiver

FLUSH_EVENT = dict(rules.ledger().flush_event)


class SimulatedTime:
    """The ledger's clock on the function's state: set, advanced by the test."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def table() -> Iterator[Any]:
    ledger.forget_client()
    with ledger_table() as client:
        yield client
    ledger.forget_client()


def use(monkeypatch: pytest.MonkeyPatch, url: str, **fields: Any) -> None:
    for name in config_mod.KNOWN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in config_environ(url, **fields).items():
        monkeypatch.setenv(name, value)
    handler.reset_state()
    config_mod.clear_secret_cache()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, webhook_receiver: WebhookReceiver) -> Iterator[SimulatedTime]:
    """The function configured with the ledger table, and its state's clock simulated."""
    use(
        monkeypatch,
        webhook_receiver.url,
        ledger={"table_name": TABLE, "digest_window_minutes": 10, "ttl_days": 7},
    )
    simulated = SimulatedTime()
    handler.get_state().clock = simulated
    yield simulated
    handler.reset_state()


def alice_scans(n: int, first: int = 0) -> dict[str, Any]:
    """A subscription event of ``n`` Scans of Orders by alice (eventIDs differ by ``first``)."""
    rng = random.Random(first)  # noqa: S311  (test data)
    return encode_subscription(
        [
            json.dumps(make_record(first + i, rng, who="alice", table="Orders", api=("Scan", True)))
            for i in range(n)
        ],
        first_id=first,
    )


def test_a_payload_delivered_twice_is_posted_once(
    table: Any, clock: SimulatedTime, webhook_receiver: WebhookReceiver
) -> None:
    event = alice_scans(20)
    first = handler.lambda_handler(event, Context())
    again = handler.lambda_handler(event, Context())
    assert first["messages_sent"] == 1 and again["messages_sent"] == 0
    assert again["messages_skipped"] == 1 and again["ledger_repeats"] == 20
    assert len(webhook_receiver.delivered()) == 1


def test_a_storm_over_invocations_is_summed_up_by_the_flush(
    table: Any, clock: SimulatedTime, webhook_receiver: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(4):
        result = handler.lambda_handler(alice_scans(25, first=n * 25), Context())
        clock.now += 30
    assert result["ledger_held"] == 25
    early = handler.lambda_handler(FLUSH_EVENT, Context())
    assert early["message_type"] == FLUSH and early["windows_closed"] == 0, "the window is still open"
    clock.now = T0 + 10 * 60
    flushed = handler.lambda_handler(FLUSH_EVENT, Context())
    assert flushed["message_type"] == FLUSH and flushed["status"] == "ok"
    assert (flushed["windows_closed"], flushed["follow_ups"], flushed["messages_sent"]) == (1, 1, 1)
    first, follow_up = webhook_receiver.delivered()
    assert "25 read calls" in first.text
    assert "75 more read calls" in follow_up.text and "Digest" in follow_up.text
    lines = summary_lines(capsys.readouterr().out)
    assert lines[-1]["message_type"] == FLUSH and lines[-1]["LedgerErrors"] == 0


def test_only_the_exact_flush_event_flushes() -> None:
    assert is_flush_event(FLUSH_EVENT)
    assert not is_flush_event({**FLUSH_EVENT, "awslogs": {}})
    assert not is_flush_event({"dynamodb_access_alerts": "something-else"})
    assert not is_flush_event([FLUSH_EVENT])


def test_a_flush_without_a_ledger_does_nothing(
    monkeypatch: pytest.MonkeyPatch, webhook_receiver: WebhookReceiver
) -> None:
    use(monkeypatch, webhook_receiver.url)  # ledger: null (a local document)
    result = handler.lambda_handler(FLUSH_EVENT, Context())
    assert result["message_type"] == FLUSH and result["messages_sent"] == 0
    handler.reset_state()


def test_a_ledger_that_is_down_never_stops_an_alert(
    monkeypatch: pytest.MonkeyPatch, webhook_receiver: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger.forget_client()
    with ledger_table():  # the emulator runs, but the table the document names does not exist
        use(
            monkeypatch,
            webhook_receiver.url,
            ledger={"table_name": "no-such-ledger", "digest_window_minutes": 10, "ttl_days": 7},
        )
        result = handler.lambda_handler(alice_scans(10), Context())
        assert result["messages_sent"] == 1 and result["ledger_errors"] == 1
        assert summary_lines(capsys.readouterr().out)[-1]["LedgerErrors"] == 1
        with pytest.raises(LedgerUnavailable):
            handler.lambda_handler(FLUSH_EVENT, Context())
        line = summary_lines(capsys.readouterr().out)[-1]
        assert line["outcome"] == "ledger_unavailable" and line["LedgerErrors"] == 1
    ledger.forget_client()
    handler.reset_state()


def test_a_failed_follow_up_fails_the_flush_and_is_sent_by_the_next(
    table: Any, clock: SimulatedTime, webhook_receiver: WebhookReceiver
) -> None:
    handler.lambda_handler(alice_scans(5), Context())
    handler.lambda_handler(alice_scans(5, first=5), Context())
    clock.now = T0 + 11 * 60
    webhook_receiver.respond_with(400, times=1, body="invalid_payload")  # no retry: fails at once
    with pytest.raises(DeliveryError):
        handler.lambda_handler(FLUSH_EVENT, Context())
    clock.now += 60
    result = handler.lambda_handler(FLUSH_EVENT, Context())
    assert result["follow_ups"] == 1
    assert "5 more read calls" in webhook_receiver.delivered()[-1].text


def test_the_lease_of_an_invocation_ends_with_it(table: Any, clock: SimulatedTime) -> None:
    state = handler.get_state()
    deadline = handler.deadline_from(Context(seconds=60))
    made = handler.make_ledger(state, deadline, "req-7")
    assert made is not None and made.owner == "req-7" and made.table == TABLE
    assert made.lease_until is not None
    assert abs(made.lease_until - (T0 + 60) * 1000) < 1500, "the Lambda's end: deadline plus the margin"
    assert handler.make_ledger(state, None, None) is not None  # redrive: a lease of its own
