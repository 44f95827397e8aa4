"""POST messages to an incoming webhook with the standard library, politely and within a deadline.

* 2xx: delivered.
* 429: wait ``Retry-After`` seconds (or the backoff when the header is missing), then retry.
* 5xx, timeouts, connection errors: retry with exponential backoff and full jitter
  (``random() * min(cap, base * 2**attempt)``).
* any other 4xx: the payload or the webhook is wrong; fail at once, keeping a short, escaped
  excerpt of the response text for the log (Slack answers e.g. ``invalid_payload``).
* Everything happens before ``deadline`` (a ``clock()`` value): a wait that would end past it
  is not started, so the invocation can still report and fail cleanly.

Sends are paced by a small token bucket (default: bursts of 3, then 0.95 per second) so a storm of
messages does not run into 429s needlessly. Clock, sleep and random are injectable for tests.

The same client serves every HTTP destination (senders.py): ``headers`` adds request headers, computed per
attempt from the body when it is a function (the signed webhook's timestamp and signature), and ``classify``
reads a 2xx answer that may still be a failure (Slack's Web API answers HTTP 200 with ``{"ok": false}``):
it returns a :class:`Verdict`, which can ask for a retry (with a wait) or fail at once with a clear reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from .text import json_bytes

log = logging.getLogger("access_alerts.webhook")

DEFAULT_TIMEOUT: Final = 10.0
MAX_ATTEMPTS: Final = 6
BACKOFF_BASE: Final = 0.5
BACKOFF_CAP: Final = 8.0
MAX_RETRY_AFTER: Final = 60.0
RESPONSE_EXCERPT: Final = 200
USER_AGENT: Final = "dynamodb-access-alerts/1"


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int  # 0: no HTTP answer (timeout, connection error)
    body: str = ""
    retry_after: str | None = None
    error: str | None = None  # transport error description


@dataclass(frozen=True, slots=True)
class PostResult:
    ok: bool
    status: int
    attempts: int
    detail: str = ""  # short, safe description (never the URL)
    ref: str | None = None  # the destination's reference to the message (Slack's ts), when it gives one


@dataclass(frozen=True, slots=True)
class Verdict:
    """How a 2xx answer reads: delivered (with an optional reference), retry (after ``wait`` seconds, or
    the backoff when None), or failed for good."""

    outcome: Literal["delivered", "retry", "failed"]
    detail: str = ""
    wait: float | None = None
    ref: str | None = None


class Transport(Protocol):
    def __call__(
        self, url: str, body: bytes, timeout: float, headers: Mapping[str, str] | None = None
    ) -> HttpResponse: ...


Classifier = Callable[[HttpResponse], Verdict]
HeaderFn = Callable[[bytes], Mapping[str, str]]


class PostFn(Protocol):
    def __call__(self, payload: Mapping[str, Any], deadline: float | None) -> PostResult: ...


def safe_excerpt(text: str, limit: int = RESPONSE_EXCERPT) -> str:
    """A short, printable, escaped excerpt of an untrusted response body, for logs."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text[: limit * 2])
    cleaned = cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").strip()
    return cleaned[:limit] + ("\u2026" if len(cleaned) > limit else "")


def urllib_transport(
    url: str, body: bytes, timeout: float, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    """One POST with urllib. Never raises for HTTP or network problems."""
    # Imported here: urllib.request pulls in http.client, email and ssl (~20 ms), which an
    # invocation that only sees allowed records never needs.
    import urllib.error
    import urllib.request

    request = urllib.request.Request(  # noqa: S310  (scheme checked by config: https, or http on loopback)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            text = response.read(16384).decode("utf-8", "replace")
            return HttpResponse(
                status=response.status, body=text, retry_after=response.headers.get("Retry-After")
            )
    except urllib.error.HTTPError as exc:
        try:
            text = exc.read(4096).decode("utf-8", "replace")
        except Exception:  # the body is only for the log
            text = ""
        return HttpResponse(status=exc.code, body=text, retry_after=exc.headers.get("Retry-After"))
    except TimeoutError:
        return HttpResponse(status=0, error="timeout")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return HttpResponse(status=0, error="timeout")
        return HttpResponse(status=0, error=f"connection error ({type(reason).__name__})")
    except (OSError, ValueError) as exc:  # connection reset, bad status line, ...
        return HttpResponse(status=0, error=f"connection error ({type(exc).__name__})")


def parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # HTTP-date form: not used by Slack; fall back to backoff
    if seconds != seconds or seconds < 0:  # NaN or negative
        return None
    return min(seconds, MAX_RETRY_AFTER)


class WebhookClient:
    """Posts JSON payloads to one webhook URL with retries, pacing and a deadline."""

    def __init__(
        self,
        url: str,
        *,
        transport: Transport = urllib_transport,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] | None = None,  # default: random.random
        timeout: float = DEFAULT_TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base: float = BACKOFF_BASE,
        backoff_cap: float = BACKOFF_CAP,
        rate_per_second: float = 0.95,  # a little under Slack's ~1/s so clock jitter causes no 429s
        burst: int = 3,
        headers: Mapping[str, str] | HeaderFn | None = None,
        classify: Classifier | None = None,
    ) -> None:
        self._url = url
        self._headers = headers
        self._classify = classify
        self._transport = transport
        self._clock = clock
        self._sleep = sleep
        if rand is None:
            import random  # here, not at module import: keeps cold starts short

            rand = random.random
        self._rand = rand
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.rate = rate_per_second
        self.burst = float(burst)
        self._tokens = float(burst)
        self._last_fill: float | None = None

    def __repr__(self) -> str:  # never show the URL or the headers (secrets)
        return "WebhookClient(<webhook>)"

    def _headers_for(self, body: bytes) -> Mapping[str, str] | None:
        if self._headers is None or isinstance(self._headers, Mapping):
            return self._headers
        return self._headers(body)

    # -- pacing ------------------------------------------------------------------------------

    def _refill(self) -> None:
        now = self._clock()
        if self._last_fill is not None and now <= self._last_fill:
            return  # held off (after a 429) until _last_fill
        if self._last_fill is not None and self.rate > 0:
            self._tokens = min(self.burst, self._tokens + (now - self._last_fill) * self.rate)
        self._last_fill = now

    def _pace(self, deadline: float | None) -> bool:
        """Wait for a send token. False when the wait would pass the deadline."""
        if self.rate <= 0:
            return True
        self._refill()
        if self._tokens < 1.0:
            wait = (1.0 - self._tokens) / self.rate
            if deadline is not None and self._clock() + wait > deadline:
                return False
            self._sleep(wait)
            self._refill()
        self._tokens = max(self._tokens - 1.0, 0.0)
        return True

    def _hold_off(self, seconds: float) -> None:
        """After a 429 the webhook's own bucket is empty: one send after the wait, no burst."""
        self._tokens = 1.0
        self._last_fill = self._clock() + seconds

    # -- sending -----------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        return float(self._rand()) * min(self.backoff_cap, self.backoff_base * (2.0**attempt))

    def post(self, payload: Mapping[str, Any], deadline: float | None = None) -> PostResult:
        body = json_bytes(payload)  # the one serialiser: lone surrogates cannot make it fail
        return self.post_bytes(body, deadline)

    __call__ = post

    def post_bytes(self, body: bytes, deadline: float | None = None) -> PostResult:
        last = "not attempted"
        status = 0
        for attempt in range(self.max_attempts):
            if deadline is not None and self._clock() >= deadline:
                return PostResult(
                    False, status, attempt, f"deadline reached before attempt {attempt + 1}; {last}"
                )
            if not self._pace(deadline):
                return PostResult(False, status, attempt, f"deadline reached while pacing; {last}")
            timeout = self.timeout
            if deadline is not None:
                timeout = max(min(timeout, deadline - self._clock()), 0.1)
            response = self._transport(self._url, body, timeout, self._headers_for(body))
            status = response.status
            rate_limited = status == 429
            if 200 <= status < 300:
                verdict = self._classify(response) if self._classify else Verdict("delivered", "delivered")
                if verdict.outcome == "delivered":
                    return PostResult(True, status, attempt + 1, verdict.detail or "delivered", verdict.ref)
                if verdict.outcome == "failed":
                    log.warning(
                        "destination rejected a message; not retrying", extra={"detail": verdict.detail}
                    )
                    return PostResult(False, status, attempt + 1, verdict.detail)
                wait = verdict.wait if verdict.wait is not None else self._backoff(attempt)
                last = verdict.detail
                rate_limited = verdict.wait is not None  # a rate limit stated in the answer
            elif status == 429:
                stated = parse_retry_after(response.retry_after)
                wait = stated if stated is not None else self._backoff(attempt)
                last = f"HTTP 429 (Retry-After {response.retry_after or 'missing'})"
            elif status >= 500 or status == 0:
                wait = self._backoff(attempt)
                last = f"HTTP {status}" if status else (response.error or "transport error")
                if status and response.body:
                    last += f": {safe_excerpt(response.body)}"
            else:
                detail = f"HTTP {status}: {safe_excerpt(response.body) or '(empty response)'}"
                log.warning(
                    "webhook rejected a message; not retrying",
                    extra={"status": status, "response": safe_excerpt(response.body)},
                )
                return PostResult(False, status, attempt + 1, detail)
            if attempt + 1 >= self.max_attempts:
                break
            if deadline is not None and self._clock() + wait >= deadline:
                return PostResult(
                    False, status, attempt + 1, f"{last}; waiting {wait:.1f}s would pass the deadline"
                )
            log.info(
                "webhook delivery retry",
                extra={"attempt": attempt + 1, "wait_seconds": round(wait, 3), "cause": last},
            )
            if rate_limited:
                self._hold_off(wait)
            self._sleep(wait)
        return PostResult(
            False, status, self.max_attempts, f"gave up after {self.max_attempts} attempts; {last}"
        )
