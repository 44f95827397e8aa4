"""A local stand-in for every HTTP destination, on 127.0.0.1 only: a Slack incoming webhook, Slack's Web
API (``chat.postMessage`` with a bot token, threads and ``ok: false`` answers), a Microsoft Teams Workflows
webhook and a signed generic webhook (it verifies ``X-Signature``). One server; the path says which:

    url              /services/...           Slack incoming webhook: answers ``ok``
    slack_api_url    /api/chat.postMessage   Slack Web API: checks the bearer token and channel, answers
                                             ``{"ok": true, "ts": ...}`` or ``{"ok": false, "error": ...}``
    teams_url        /teams/...              Teams Workflows: checks the Adaptive Card envelope, answers 202
    signed_url       /siem/...               signed webhook: checks the signature, answers 200 (or 401)

It records every POST, answers as above (or a scripted status such as 429 with ``Retry-After``, or 500, or an
answer chosen per request by a function, such as Slack's rate limit), and can print each received message
readably. The one local HTTP stub of the project: used by the unit and e2e tests, the load test, the
benchmark, the demo and by hand:

    python tools/webhook_receiver.py [--port 8765] [--status 500]

In Python::

    with WebhookReceiver(echo=True) as hook:
        ... post to hook.url ...
        hook.respond_with(500)          # every later request gets 500 until hook.respond_with(200)
        hook.respond_with(429, times=2, retry_after=1)
        hook.respond_with(200, times=1, delay=2.0)   # answer late (client timeouts)
        hook.respond_by(rate_limited(rate=1.0))      # decide each answer with a function
        hook.received()                 # list of ReceivedRequest
        hook.slack_answer("not_in_channel", times=1)  # the Web API's ok:false answers
        hook.received(kind="slack_api")  # only what reached one kind of endpoint
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import itertools
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
SLACK_API_PATH = "/api/chat.postMessage"
TEAMS_PATH = "/teams/workflows/local-test"
SIGNED_PATH = "/siem/local-test"
SLACK_TOKEN = "xoxb-local-test-token"  # noqa: S105 - a stand-in on loopback
SLACK_CHANNEL = "C0LOCALTEST"
SIGNING_SECRET = "local-test-signing-secret"  # noqa: S105 - a stand-in on loopback
SIGNATURE_TOLERANCE_SECONDS = 300


def kind_of(path: str) -> str:
    if path.startswith(SLACK_API_PATH):
        return "slack_api"
    if path.startswith("/teams/"):
        return "teams"
    if path.startswith("/siem/"):
        return "signed"
    return "slack_webhook"


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    """How a receiver verifies the signed webhook (docs/destinations.md shows the same)."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered
    answer: str = ""  # the body it answered with
    verified: bool | None = None  # signed webhook: did the signature check out

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def kind(self) -> str:
        """slack_webhook, slack_api, teams or signed (by path)."""
        return kind_of(self.path)

    @property
    def text(self) -> str:
        """All human-readable text of a payload, flattened (for assertions)."""
        try:
            payload = self.json()
        except ValueError:
            return self.body.decode("utf-8", "replace")
        if not isinstance(payload, dict):
            return str(payload)
        if self.kind == "teams":
            return render_teams(payload)
        if self.kind == "signed":
            return render_alert_json(payload)
        return render_slack(payload)


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


def render_teams(payload: dict[str, Any]) -> str:
    """A Teams Workflows payload's Adaptive Card as readable lines: one per RichTextBlock or TextBlock."""
    lines: list[str] = []
    for attachment in payload.get("attachments") or []:
        card = attachment.get("content") if isinstance(attachment, dict) else None
        if not isinstance(card, dict):
            continue
        for element in card.get("body") or []:
            if not isinstance(element, dict):
                continue
            if element.get("type") == "RichTextBlock":
                lines.append(
                    "".join(
                        str(r.get("text", "")) for r in element.get("inlines") or [] if isinstance(r, dict)
                    )
                )
            elif isinstance(element.get("text"), str):
                lines.append(element["text"])
        for action in card.get("actions") or []:
            if isinstance(action, dict):
                lines.append(f"[{action.get('title')}] ({action.get('url')})")
    return "\n".join(lines)


def render_alert_json(payload: dict[str, Any]) -> str:
    """The signed webhook's JSON as readable lines: title, summary, eventIDs."""
    ids = payload.get("event_ids") or []
    return "\n".join(
        [
            f"{payload.get('title')} [{payload.get('severity')}]",
            str(payload.get("summary")),
            f"eventIDs: {', '.join(map(str, ids[:5]))}" + (" ..." if len(ids) > 5 else ""),
        ]
    )


class WebhookReceiver:
    """HTTP server on 127.0.0.1 recording POSTs. Start with ``start()`` or a ``with`` block.

    ``slack_token`` and ``slack_channels`` are what the Slack Web API stand-in accepts (an unknown channel
    gets ``channel_not_found``, one in ``slack_not_member`` gets ``not_in_channel``, another token
    ``invalid_auth``); ``signing_secret`` is the signed webhook's secret."""

    def __init__(
        self,
        port: int = 0,
        *,
        echo: bool = False,
        out: Callable[[str], None] | None = None,
        slack_token: str = SLACK_TOKEN,
        slack_channels: tuple[str, ...] = (SLACK_CHANNEL,),
        slack_not_member: tuple[str, ...] = (),
        signing_secret: str = SIGNING_SECRET,
    ) -> None:
        self.slack_token = slack_token
        self.slack_channels = slack_channels
        self.slack_not_member = slack_not_member
        self.signing_secret = signing_secret
        self._ts = itertools.count(1)
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

    @property
    def slack_api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{SLACK_API_PATH}"

    @property
    def teams_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{TEAMS_PATH}"

    @property
    def signed_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{SIGNED_PATH}"

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

    def slack_answer(self, error: str, *, times: int | None = 1, retry_after: float | None = None) -> None:
        """Answer the next ``times`` requests with Slack's ``{"ok": false, "error": ERROR}`` (HTTP 200, as the
        Web API does; ``ratelimited`` comes with HTTP 429 and ``Retry-After``)."""
        status = 429 if error == "ratelimited" else 200
        body = json.dumps({"ok": False, "error": error})
        self.respond_with(status, times=times, retry_after=retry_after, body=body)

    def respond_by(self, responder: Responder | None) -> None:
        """Let ``responder()`` choose every answer (after any scripted ones); None restores normal."""
        with self._state.lock:
            self._state.responder = responder

    def received(self, kind: str | None = None) -> list[ReceivedRequest]:
        with self._state.lock:
            return [r for r in self._state.requests if kind is None or r.kind == kind]

    def delivered(self, kind: str | None = None) -> list[ReceivedRequest]:
        """Requests that were taken (2xx, and for the Slack API ``ok: true``): the messages people see."""
        return [r for r in self.received(kind) if 200 <= r.status < 300 and '"ok": false' not in r.answer]

    def clear(self) -> None:
        with self._state.lock:
            self._state.requests.clear()
            self._state.script.clear()
            self._state.responder = None

    # -------------------------------------------------------------- server side
    def _next_reply(self) -> Reply | None:
        """A scripted answer, or None for the endpoint's own answer."""
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
        return responder() if responder is not None else None

    def _own_answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[Reply, bool | None]:
        """What the endpoint at ``path`` answers by itself (and, for the signed webhook, whether the signature
        checked out)."""
        kind = kind_of(path)
        if kind == "slack_api":
            return Reply(200, body=json.dumps(self._slack_api(headers, body))), None
        if kind == "teams":
            try:
                payload = json.loads(body)
                attachment = payload["attachments"][0]
                ok = (
                    payload.get("type") == "message"
                    and attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
                    and attachment["content"]["type"] == "AdaptiveCard"
                )
            except (ValueError, KeyError, IndexError, TypeError):
                ok = False
            return (Reply(202, body=" ") if ok else Reply(400, body="not an Adaptive Card message")), None
        if kind == "signed":
            verified = self._verify(headers, body)
            return (Reply(200) if verified else Reply(401, body="bad signature")), verified
        return Reply(), None

    def _slack_api(self, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        if headers.get("Authorization") != f"Bearer {self.slack_token}":
            return {"ok": False, "error": "invalid_auth"}
        try:
            payload = json.loads(body)
        except ValueError:
            return {"ok": False, "error": "invalid_json"}
        channel = payload.get("channel") if isinstance(payload, dict) else None
        if channel in self.slack_not_member:
            return {"ok": False, "error": "not_in_channel"}
        if channel not in self.slack_channels:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": channel, "ts": f"1700000000.{next(self._ts):06d}"}

    def _verify(self, headers: dict[str, str], body: bytes) -> bool:
        timestamp = headers.get("X-Signature-Timestamp", "")
        signature = headers.get("X-Signature", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
            return False
        return hmac.compare_digest(signature, expected_signature(self.signing_secret, timestamp, body))

    def threads(self) -> dict[str, list[ReceivedRequest]]:
        """Slack API messages by thread: the first message's ts -> [it, its replies...]."""
        threads: dict[str, list[ReceivedRequest]] = {}
        for request in self.delivered("slack_api"):
            payload = request.json()
            ts = json.loads(request.answer).get("ts")
            root = payload.get("thread_ts") or ts
            threads.setdefault(root, []).append(request)
        return threads

    def _record(self, request: ReceivedRequest) -> None:
        with self._state.lock:
            self._state.requests.append(request)
        if self._echo:
            self._out(self._describe(request))

    @staticmethod
    def _describe(request: ReceivedRequest) -> str:
        mark = "received" if request.status < 300 else f"answered {request.status} to"
        header = f"\n[{request.kind}] {mark} a message ({len(request.body)} bytes)"
        return header + "\n" + "\n".join(f"   {line}" for line in request.text.splitlines())

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = dict(self.headers.items())
                scripted = receiver._next_reply()
                reply, verified = receiver._own_answer(self.path, headers, body)
                if scripted is not None:
                    reply = scripted
                status = reply.status
                text = reply.body or ("ok" if status < 300 else "rate_limited" if status == 429 else "error")
                data = text.encode()
                receiver._record(ReceivedRequest(self.path, headers, body, status, text, verified))
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
    print(
        f"  Slack Web API: {receiver.slack_api_url} (token {receiver.slack_token}, channel {SLACK_CHANNEL})"
    )
    print(f"  Teams Workflows: {receiver.teams_url}")
    print(f"  signed webhook: {receiver.signed_url} (secret {receiver.signing_secret})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
