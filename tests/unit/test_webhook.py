"""webhook.WebhookClient against the local webhook receiver on 127.0.0.1, with a fake clock and sleep."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest

from access_alerts.webhook import (
    MAX_RETRY_AFTER,
    HttpResponse,
    WebhookClient,
    parse_retry_after,
    safe_excerpt,
    urllib_transport,
)
from tools.webhook_receiver import WebhookReceiver


def bodies(server: WebhookReceiver) -> list[bytes]:
    return [r.body for r in server.received()]


@pytest.fixture
def server(webhook_receiver: WebhookReceiver) -> WebhookReceiver:
    return webhook_receiver


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def client(url: str, fake: FakeTime, **kw: object) -> WebhookClient:
    options: dict[str, object] = {
        "clock": fake.clock,
        "sleep": fake.sleep,
        "rand": lambda: 0.5,
        "timeout": 2.0,
    }
    options.update(kw)
    return WebhookClient(url, **options)  # type: ignore[arg-type]


def test_200_posts_json_once(server: WebhookReceiver, fake: FakeTime) -> None:
    result = client(server.url, fake).post({"text": "héllo"})
    assert result.ok and result.status == 200 and result.attempts == 1
    assert json.loads(bodies(server)[0]) == {"text": "héllo"}
    assert server.received()[0].headers["Content-Type"].startswith("application/json")
    assert fake.sleeps == []


def test_429_honours_retry_after(server: WebhookReceiver, fake: FakeTime) -> None:
    server.respond_with(429, times=1, retry_after=7)
    server.respond_with(429, times=1, retry_after=2)
    result = client(server.url, fake).post({"text": "x"})
    assert result.ok and result.attempts == 3
    assert fake.sleeps == [7.0, 2.0]
    assert len(bodies(server)) == 3


def test_429_without_retry_after_backs_off(server: WebhookReceiver, fake: FakeTime) -> None:
    server.respond_with(429, times=1)
    assert client(server.url, fake).post({"text": "x"}).ok
    assert fake.sleeps == [0.25]  # 0.5 (random) * 0.5 (base * 2**0)


def test_5xx_retried_with_exponential_backoff_and_full_jitter(
    server: WebhookReceiver, fake: FakeTime
) -> None:
    for status in (500, 502, 503, 504):
        server.respond_with(status, times=1)
    result = client(server.url, fake, rand=lambda: 1.0).post({"text": "x"})
    assert result.ok and result.attempts == 5
    assert fake.sleeps == [0.5, 1.0, 2.0, 4.0]


def test_backoff_is_capped_and_attempts_bounded(server: WebhookReceiver, fake: FakeTime) -> None:
    server.respond_with(500, times=20, body="down")
    result = client(server.url, fake, rand=lambda: 1.0, max_attempts=8, backoff_cap=3.0).post({"text": "x"})
    assert not result.ok and result.attempts == 8 and result.status == 500
    assert "gave up after 8 attempts" in result.detail and "down" in result.detail
    assert max(fake.sleeps) == 3.0 and len(fake.sleeps) == 7
    assert len(bodies(server)) == 8


def test_4xx_is_not_retried_and_response_text_is_logged_escaped(
    server: WebhookReceiver, fake: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    server.respond_with(400, times=1, body="invalid_payload <!channel>")
    with caplog.at_level(logging.WARNING, logger="access_alerts"):
        result = client(server.url, fake).post({"text": "x"})
    assert not result.ok and result.status == 400 and result.attempts == 1
    assert result.detail == "HTTP 400: invalid_payload &lt;!channel&gt;"
    assert len(bodies(server)) == 1 and fake.sleeps == []
    record = next(r for r in caplog.records if "rejected" in r.getMessage())
    assert record.response == "invalid_payload &lt;!channel&gt;"  # type: ignore[attr-defined]
    assert server.url not in caplog.text


@pytest.mark.parametrize("status", [403, 404, 410])
def test_other_4xx_fail_fast(server: WebhookReceiver, fake: FakeTime, status: int) -> None:
    server.respond_with(status, times=1, body="no_service")
    result = client(server.url, fake).post({"text": "x"})
    assert not result.ok and result.attempts == 1 and "no_service" in result.detail


def test_timeout_is_retried(server: WebhookReceiver, fake: FakeTime) -> None:
    server.respond_with(200, times=1, body="late", delay=1.0)
    started = time.monotonic()
    result = client(server.url, fake, timeout=0.2).post({"text": "x"})
    assert result.ok and result.attempts == 2
    assert len(fake.sleeps) == 1
    assert time.monotonic() - started < 1.0  # the client did not wait for the slow answer


def test_connection_refused_is_retried_then_fails(fake: FakeTime) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    result = client(f"http://127.0.0.1:{port}/x", fake, max_attempts=3).post({"text": "x"})
    assert not result.ok and result.status == 0 and result.attempts == 3
    assert "connection error" in result.detail
    assert str(port) not in result.detail  # no URL in details


def test_retry_after_beyond_deadline_fails_without_waiting(server: WebhookReceiver, fake: FakeTime) -> None:
    server.respond_with(429, times=1, retry_after=30)
    result = client(server.url, fake).post({"text": "x"}, deadline=fake.now + 10)
    assert not result.ok and result.attempts == 1
    assert "would pass the deadline" in result.detail
    assert fake.sleeps == [] and len(bodies(server)) == 1


def test_passed_deadline_sends_nothing(server: WebhookReceiver, fake: FakeTime) -> None:
    result = client(server.url, fake).post({"text": "x"}, deadline=fake.now - 1)
    assert not result.ok and result.attempts == 0 and bodies(server) == []


def test_retries_fit_in_deadline(server: WebhookReceiver, fake: FakeTime) -> None:
    server.respond_with(500, times=10)
    deadline = fake.now + 2.0
    result = client(server.url, fake, rand=lambda: 1.0).post({"text": "x"}, deadline=deadline)
    assert not result.ok
    assert fake.now <= deadline


def test_pacing_allows_a_burst_then_one_per_second(server: WebhookReceiver, fake: FakeTime) -> None:
    c = client(server.url, fake, burst=3, rate_per_second=1.0)
    for _ in range(6):
        assert c.post({"text": "x"}).ok
    assert fake.sleeps == [1.0, 1.0, 1.0]
    assert len(bodies(server)) == 6


def test_after_429_no_burst(server: WebhookReceiver, fake: FakeTime) -> None:
    server.respond_with(429, times=1, retry_after=5)
    c = client(server.url, fake, burst=3, rate_per_second=1.0)
    assert c.post({"text": "1"}).ok
    assert c.post({"text": "2"}).ok
    assert fake.sleeps == [5.0, 1.0]


def test_repr_hides_url(server: WebhookReceiver, fake: FakeTime) -> None:
    assert server.url not in repr(client(server.url, fake))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        (None, None),
        ("soon", None),
        ("-1", None),
        ("nan", None),
        ("99999", MAX_RETRY_AFTER),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_safe_excerpt() -> None:
    assert safe_excerpt("a\x00b<c>" + "z" * 500, 10) == "a b&lt;c&gt;zz\u2026"[:10] + "\u2026"


def test_urllib_transport_reports_http_errors(server: WebhookReceiver) -> None:
    server.respond_with(429, times=1, body="slow down", retry_after=4)
    response = urllib_transport(server.url, b"{}", 2.0)
    assert response == HttpResponse(status=429, body="slow down", retry_after="4")
