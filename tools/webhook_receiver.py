"""A local stand-in for a Slack incoming webhook, on 127.0.0.1 only.

It records every POST, answers ``ok`` (or a scripted status such as 429 with ``Retry-After``, or 500, or an
answer chosen per request by a function, such as Slack's rate limit), and can print each received Slack
message readably (header, fields, text). The one local HTTP stub of the project: used by the unit and e2e
tests, the load test, the benchmark, the demo and by hand:

    python tools/webhook_receiver.py [--port 8765] [--status 500]

In Python::

    with WebhookReceiver(echo=True) as hook:
        ... post to hook.url ...
        hook.respond_with(500)          # every later request gets 500 until hook.respond_with(200)
        hook.respond_with(429, times=2, retry_after=1)
        hook.respond_with(200, times=1, delay=2.0)   # answer late (client timeouts)
        hook.respond_by(rate_limited(rate=1.0))      # decide each answer with a function
        hook.received()                 # list of ReceivedRequest
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WEBHOOK_PATH = "/services/T00000000/B00000000/local-test-hook"


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """All human-readable text of a Slack payload, flattened (for assertions)."""
        try:
            payload = self.json()
        except ValueError:
            return self.body.decode("utf-8", "replace")
        return render_slack(payload) if isinstance(payload, dict) else str(payload)


@dataclass(frozen=True)
class Reply:
    """One answer: the status, an optional ``Retry-After`` (seconds), the body, and how long to wait first."""

    status: int = 200
    retry_after: float | None = None
    body: str = ""  # empty: "ok", "rate_limited" or "error" by status
    delay: float = 0.0


@dataclass
class _Script:
    reply: Reply
    times: int | None = None  # None: until changed


Responder = Callable[[], Reply]


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[ReceivedRequest] = field(default_factory=list)
    script: list[_Script] = field(default_factory=list)
    responder: Responder | None = None


def rate_limited(rate: float = 1.0, burst: float = 1.0) -> Responder:
    """Slack's incoming-webhook limit: at most ``rate`` messages a second (a bucket of ``burst``), above
    that 429 with ``Retry-After: 1``."""
    lock = threading.Lock()
    bucket = {"tokens": burst, "last": time.monotonic()}

    def answer() -> Reply:
        with lock:
            now = time.monotonic()
            bucket["tokens"] = min(burst, bucket["tokens"] + (now - bucket["last"]) * rate)
            bucket["last"] = now
            if bucket["tokens"] >= 1.0:
                bucket["tokens"] -= 1.0
                return Reply(200)
        return Reply(429, retry_after=1)

    return answer


def _texts(obj: Any) -> list[str]:
    """Text of a Slack text object, element or list of them."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        if isinstance(obj.get("text"), str):
            return [obj["text"]]
        if isinstance(obj.get("text"), dict):
            return _texts(obj["text"])
        if "elements" in obj:
            return _texts(obj["elements"])
        return []
    if isinstance(obj, list):
        return [t for item in obj for t in _texts(item)]
    return []


_LINK_RE = re.compile(r"<([^<>|]+)\|([^<>]+)>")


def render_slack(payload: dict[str, Any]) -> str:
    """A Slack message (blocks, attachments, text) as plain readable lines."""
    lines: list[str] = []

    def blocks(items: Any, indent: str = "") -> None:
        if not isinstance(items, list):
            return
        for block in items:
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "header":
                lines.extend(f"{indent}== {t} ==" for t in _texts(block.get("text")))
            elif kind == "divider":
                lines.append(f"{indent}" + "-" * 40)
            elif kind == "context":
                lines.extend(f"{indent}  ({t})" for t in _texts(block.get("elements")))
            else:
                for t in _texts(block.get("text")) if block.get("text") else []:
                    lines.extend(f"{indent}{line}" for line in t.splitlines())
                for f in block.get("fields") or []:
                    lines.extend(f"{indent}  - " + " ".join(t.split()) for t in _texts(f))
                if kind not in ("section", None) and "elements" in block:
                    lines.extend(f"{indent}{t}" for t in _texts(block.get("elements")))

    blocks(payload.get("blocks"))
    for att in payload.get("attachments") or []:
        if isinstance(att, dict):
            blocks(att.get("blocks"), indent="  | ")
            if isinstance(att.get("text"), str):
                lines.append(f"  | {att['text']}")
    if not lines and isinstance(payload.get("text"), str):
        lines.append(payload["text"])
    elif isinstance(payload.get("text"), str) and payload["text"] not in "\n".join(lines):
        lines.insert(0, f"[notification text] {payload['text']}")
    return _LINK_RE.sub(r"\2 (\1)", "\n".join(lines))


class WebhookReceiver:
    """HTTP server on 127.0.0.1 recording POSTs. Start with ``start()`` or a ``with`` block."""

    def __init__(
        self,
        port: int = 0,
        *,
        echo: bool = False,
        out: Callable[[str], None] | None = None,
    ) -> None:
        self._state = _State()
        self._echo = echo
        self._out = out or (lambda s: print(s, flush=True))
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- control
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    def start(self) -> WebhookReceiver:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="webhook-receiver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def respond_with(
        self,
        status: int,
        *,
        times: int | None = None,
        retry_after: float | None = None,
        body: str = "",
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``times`` requests (or all, when None) with ``status``; 200 restores normal.
        Calls queue up: ``respond_with(500, times=2)`` then ``respond_with(429, times=1)`` answers 500,
        500, 429, then 200."""
        with self._state.lock:
            if times is None:
                self._state.script.clear()
            self._state.script.append(_Script(Reply(status, retry_after, body, delay), times))

    def respond_by(self, responder: Responder | None) -> None:
        """Let ``responder()`` choose every answer (after any scripted ones); None restores normal."""
        with self._state.lock:
            self._state.responder = responder

    def received(self) -> list[ReceivedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    def delivered(self) -> list[ReceivedRequest]:
        """Requests that were answered 2xx: the messages Slack would have shown."""
        return [r for r in self.received() if 200 <= r.status < 300]

    def clear(self) -> None:
        with self._state.lock:
            self._state.requests.clear()
            self._state.script.clear()
            self._state.responder = None

    # -------------------------------------------------------------- server side
    def _next_reply(self) -> Reply:
        with self._state.lock:
            while self._state.script:
                head = self._state.script[0]
                if head.times is None:
                    return head.reply
                if head.times > 0:
                    head.times -= 1
                    return head.reply
                self._state.script.pop(0)
            responder = self._state.responder
        return responder() if responder is not None else Reply()

    def _record(self, request: ReceivedRequest) -> None:
        with self._state.lock:
            self._state.requests.append(request)
        if self._echo:
            self._out(self._describe(request))

    @staticmethod
    def _describe(request: ReceivedRequest) -> str:
        mark = "received" if request.status < 300 else f"answered {request.status} to"
        header = f"\n[webhook] {mark} a message ({len(request.body)} bytes)"
        return header + "\n" + "\n".join(f"   {line}" for line in request.text.splitlines())

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                reply = receiver._next_reply()
                status = reply.status
                text = reply.body or ("ok" if status < 300 else "rate_limited" if status == 429 else "error")
                data = text.encode()
                receiver._record(ReceivedRequest(self.path, dict(self.headers.items()), body, status))
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    if reply.retry_after is not None:
                        self.send_header("Retry-After", f"{reply.retry_after:g}")
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting (a timeout test): nothing to answer

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: requests are reported by echo / received()

        return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local Slack webhook stand-in on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--status", type=int, default=200, help="HTTP status to answer every request with")
    args = parser.parse_args(argv)
    receiver = WebhookReceiver(args.port, echo=True)
    if args.status != 200:
        receiver.respond_with(args.status)
    receiver.start()
    print(f"webhook receiver listening: {receiver.url}  (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
