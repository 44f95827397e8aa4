"""A local stand-in for a Slack incoming webhook, on 127.0.0.1 only.

It records every POST, answers ``ok`` (or a scripted status such as 429 with ``Retry-After``, or 500), and
can print each received Slack message readably (header, fields, text). Used by the e2e tests, the demo and
by hand:

    python tools/webhook_receiver.py [--port 8765] [--status 500]

In Python::

    with WebhookReceiver(echo=True) as hook:
        ... post to hook.url ...
        hook.respond_with(500)          # every later request gets 500 until hook.respond_with(200)
        hook.respond_with(429, times=2, retry_after=1)
        hook.received()                 # list of ReceivedRequest
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
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


@dataclass
class _Script:
    status: int = 200
    times: int | None = None  # None: until changed
    retry_after: float | None = None
    body: str = ""


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[ReceivedRequest] = field(default_factory=list)
    script: list[_Script] = field(default_factory=list)


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
        self, status: int, *, times: int | None = None, retry_after: float | None = None, body: str = ""
    ) -> None:
        """Answer the next ``times`` requests (or all, when None) with ``status``; 200 restores normal."""
        with self._state.lock:
            if times is None:
                self._state.script.clear()
            self._state.script.append(_Script(status, times, retry_after, body))

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

    # -------------------------------------------------------------- server side
    def _next_response(self) -> _Script:
        with self._state.lock:
            while self._state.script:
                head = self._state.script[0]
                if head.times is None:
                    return head
                if head.times > 0:
                    head.times -= 1
                    return head
                self._state.script.pop(0)
            return _Script()

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
                script = receiver._next_response()
                status = script.status
                text = script.body or ("ok" if status < 300 else "rate_limited" if status == 429 else "error")
                data = text.encode()
                receiver._record(ReceivedRequest(self.path, dict(self.headers.items()), body, status))
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                if script.retry_after is not None:
                    self.send_header("Retry-After", f"{script.retry_after:g}")
                self.end_headers()
                self.wfile.write(data)

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
