"""webhook.WebhookClient against a real HTTP server on 127.0.0.1, with a fake clock and sleep."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from access_alerts.webhook import (
    MAX_RETRY_AFTER,
    HttpResponse,
    WebhookClient,
    parse_retry_after,
    safe_excerpt,
    urllib_transport,
)


@dataclass
class Reply:
    status: int = 200
    body: str = "ok"
    retry_after: str | None = None
    delay: float = 0.0


@dataclass
class Server:
    """Answers POSTs from a script (then 200 ok); records request bodies and headers."""

    script: list[Reply] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def next(self) -> Reply:
        with self.lock:
            return self.script.pop(0) if self.script else Reply()


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with state.lock:
                state.bodies.append(body)
                state.headers.append(dict(self.headers))
            reply = state.next()
            if reply.delay:
                time.sleep(reply.delay)
            data = reply.body.encode()
            try:
                self.send_response(reply.status)
                if reply.retry_after is not None:
                    self.send_header("Retry-After", reply.retry_after)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/services/T/B/x"
    yield state
    httpd.shutdown()
    httpd.server_close()


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


def test_200_posts_json_once(server: Server, fake: FakeTime) -> None:
    result = client(server.url, fake).post({"text": "héllo"})
    assert result.ok and result.status == 200 and result.attempts == 1
    assert json.loads(server.bodies[0]) == {"text": "héllo"}
    assert server.headers[0]["Content-Type"].startswith("application/json")
    assert fake.sleeps == []


def test_429_honours_retry_after(server: Server, fake: FakeTime) -> None:
    server.script = [Reply(429, "rate_limited", retry_after="7"), Reply(429, "rate_limited", retry_after="2")]
    result = client(server.url, fake).post({"text": "x"})
    assert result.ok and result.attempts == 3
    assert fake.sleeps == [7.0, 2.0]
    assert len(server.bodies) == 3


def test_429_without_retry_after_backs_off(server: Server, fake: FakeTime) -> None:
    server.script = [Reply(429, "rate_limited")]
    assert client(server.url, fake).post({"text": "x"}).ok
    assert fake.sleeps == [0.25]  # 0.5 (random) * 0.5 (base * 2**0)


def test_5xx_retried_with_exponential_backoff_and_full_jitter(server: Server, fake: FakeTime) -> None:
    server.script = [Reply(500, "oops"), Reply(502), Reply(503), Reply(504)]
    result = client(server.url, fake, rand=lambda: 1.0).post({"text": "x"})
    assert result.ok and result.attempts == 5
    assert fake.sleeps == [0.5, 1.0, 2.0, 4.0]


def test_backoff_is_capped_and_attempts_bounded(server: Server, fake: FakeTime) -> None:
    server.script = [Reply(500, "down") for _ in range(20)]
    result = client(server.url, fake, rand=lambda: 1.0, max_attempts=8, backoff_cap=3.0).post({"text": "x"})
    assert not result.ok and result.attempts == 8 and result.status == 500
    assert "gave up after 8 attempts" in result.detail and "down" in result.detail
    assert max(fake.sleeps) == 3.0 and len(fake.sleeps) == 7
    assert len(server.bodies) == 8


def test_4xx_is_not_retried_and_response_text_is_logged_escaped(
    server: Server, fake: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    server.script = [Reply(400, "invalid_payload <!channel>")]
    with caplog.at_level(logging.WARNING, logger="access_alerts"):
        result = client(server.url, fake).post({"text": "x"})
    assert not result.ok and result.status == 400 and result.attempts == 1
    assert result.detail == "HTTP 400: invalid_payload &lt;!channel&gt;"
    assert len(server.bodies) == 1 and fake.sleeps == []
    record = next(r for r in caplog.records if "rejected" in r.getMessage())
    assert record.response == "invalid_payload &lt;!channel&gt;"  # type: ignore[attr-defined]
    assert server.url not in caplog.text


@pytest.mark.parametrize("status", [403, 404, 410])
def test_other_4xx_fail_fast(server: Server, fake: FakeTime, status: int) -> None:
    server.script = [Reply(status, "no_service")]
    result = client(server.url, fake).post({"text": "x"})
    assert not result.ok and result.attempts == 1 and "no_service" in result.detail


def test_timeout_is_retried(server: Server, fake: FakeTime) -> None:
    server.script = [Reply(200, "late", delay=1.0)]
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


def test_retry_after_beyond_deadline_fails_without_waiting(server: Server, fake: FakeTime) -> None:
    server.script = [Reply(429, retry_after="30")]
    result = client(server.url, fake).post({"text": "x"}, deadline=fake.now + 10)
    assert not result.ok and result.attempts == 1
    assert "would pass the deadline" in result.detail
    assert fake.sleeps == [] and len(server.bodies) == 1


def test_passed_deadline_sends_nothing(server: Server, fake: FakeTime) -> None:
    result = client(server.url, fake).post({"text": "x"}, deadline=fake.now - 1)
    assert not result.ok and result.attempts == 0 and server.bodies == []


def test_retries_fit_in_deadline(server: Server, fake: FakeTime) -> None:
    server.script = [Reply(500) for _ in range(10)]
    deadline = fake.now + 2.0
    result = client(server.url, fake, rand=lambda: 1.0).post({"text": "x"}, deadline=deadline)
    assert not result.ok
    assert fake.now <= deadline


def test_pacing_allows_a_burst_then_one_per_second(server: Server, fake: FakeTime) -> None:
    c = client(server.url, fake, burst=3, rate_per_second=1.0)
    for _ in range(6):
        assert c.post({"text": "x"}).ok
    assert fake.sleeps == [1.0, 1.0, 1.0]
    assert len(server.bodies) == 6


def test_after_429_no_burst(server: Server, fake: FakeTime) -> None:
    server.script = [Reply(429, retry_after="5")]
    c = client(server.url, fake, burst=3, rate_per_second=1.0)
    assert c.post({"text": "1"}).ok
    assert c.post({"text": "2"}).ok
    assert fake.sleeps == [5.0, 1.0]


def test_repr_hides_url(server: Server, fake: FakeTime) -> None:
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


def test_urllib_transport_reports_http_errors(server: Server) -> None:
    server.script = [Reply(429, "slow down", retry_after="4")]
    response = urllib_transport(server.url, b"{}", 2.0)
    assert response == HttpResponse(status=429, body="slow down", retry_after="4")
