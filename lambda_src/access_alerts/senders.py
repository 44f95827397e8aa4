"""One sender per destination type: it renders an alert group in its destination's format and posts it.

Every HTTP sender is built on :class:`~access_alerts.webhook.WebhookClient` (retries, ``Retry-After``, pacing,
deadline), one client per destination, so each destination has its own pacing and retries. The delivery
loop (delivery.py) calls, per destination and group: :meth:`Sender.render` (or :meth:`Sender.fallback` when
rendering failed), then :meth:`Sender.post`.

:class:`SenderPool` builds a destination's sender on first use, fetching its secrets from SSM (config.py), and
keeps it for the life of the execution environment, so pacing holds across warm invocations. A destination
whose secrets cannot be read gets no sender: every message to it fails with the reason (the invocation fails,
and is retried), while the other destinations are delivered to as usual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from .accounts import NO_ACCOUNTS, Accounts
from .destinations import Destination, Routing
from .grouping import AlertGroup
from .keys import KeyFormatter
from .webhook import (
    HttpResponse,
    PostFn,
    PostResult,
    Verdict,
    WebhookClient,
    parse_retry_after,
    safe_excerpt,
)

SecretReader = Callable[[Any], str]  # Secret -> value (config.read_secret)


@dataclass(frozen=True, slots=True)
class Style:
    """What every format needs besides the group: the deployment's name, how keys are shown, and which
    accounts have names (and which one the deployment runs in)."""

    name: str
    keys: KeyFormatter
    accounts: Accounts = NO_ACCOUNTS  # friendly names of accounts, and the deployment's own account


class Sender(Protocol):
    @property
    def destination(self) -> Destination: ...

    @property
    def threads(self) -> bool:
        """True: post() accepts a thread reference (Slack's ts) and returns one in PostResult.ref."""

    def render(self, group: AlertGroup, style: Style) -> Any: ...

    def fallback(self, group: AlertGroup, style: Style) -> Any: ...

    def post(self, payload: Any, thread: str | None, deadline: float | None) -> PostResult: ...


class FormatModule(Protocol):
    """What a format module (slack.py, teams.py, alert_json.py, sns.py) offers a sender."""

    def format_group(self, group: AlertGroup, name: str, keys: KeyFormatter, accounts: Accounts) -> Any: ...

    def fallback_payload(self, group: AlertGroup, name: str) -> Any: ...


class DocumentSender:
    """A destination that takes one rendered document per message and has no threads. A subclass names its
    format module in :meth:`format`; the module is imported on first use, so a cold start imports only the
    formats its destinations need."""

    threads = False

    def __init__(self, destination: Destination, post: PostFn) -> None:
        self.destination = destination
        self._post = post

    @staticmethod
    def format() -> FormatModule:
        raise NotImplementedError

    def render(self, group: AlertGroup, style: Style) -> Any:
        return self.format().format_group(group, style.name, style.keys, style.accounts)

    def fallback(self, group: AlertGroup, style: Style) -> Any:
        return self.format().fallback_payload(group, style.name)

    def post(self, payload: Any, thread: str | None, deadline: float | None) -> PostResult:
        return self._post(payload, deadline)


class SlackWebhookSender(DocumentSender):
    """A Slack incoming webhook: Block Kit JSON, answered ``ok`` (HTTP 200) or an error string."""

    @staticmethod
    def format() -> FormatModule:
        from . import slack

        return slack


# -- Slack Web API (slack_app) ------------------------------------------------------------------------

# Slack's ``error`` strings that no retry can fix, with what to do about them.
SLACK_PERMANENT: Final[dict[str, str]] = {
    "channel_not_found": "the channel ID does not exist or the app cannot see it (check the destination's "
    "channel; a private channel needs the app invited)",
    "not_in_channel": "the app is not a member of the channel: invite it (/invite @APP) or give it the "
    "chat:write.public scope",
    "is_archived": "the channel is archived",
    "invalid_auth": "the token is not valid (check the token parameter; a bot token starts with xoxb-)",
    "not_authed": "no token was sent (check the token parameter)",
    "account_inactive": "the token belongs to a deactivated user or workspace",
    "token_revoked": "the token was revoked: install the app again and update the token parameter",
    "token_expired": "the token expired: update the token parameter",
    "missing_scope": "the app lacks the chat:write scope",
    "no_permission": "the app may not post in this workspace or channel",
    "restricted_action": "a workspace setting prevents the app from posting in this channel",
    "msg_too_long": "the message is too long",
    "invalid_blocks": "Slack rejected the message's blocks",
}
SLACK_TRANSIENT: Final = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def slack_api_verdict(response: HttpResponse) -> Verdict:
    """Read a chat.postMessage answer (HTTP 200 with ``{"ok": ...}``): delivered with the message's ``ts``,
    retried (rate limit: after ``Retry-After``), or failed with Slack's error and what to do about it."""
    import json

    try:
        answer = json.loads(response.body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return Verdict(
            "failed", f"HTTP {response.status} without a Slack API answer: {safe_excerpt(response.body)}"
        )
    if answer.get("ok") is True:
        ts = answer.get("ts")
        return Verdict("delivered", "delivered", ref=ts if isinstance(ts, str) and ts else None)
    error = answer.get("error")
    error = error if isinstance(error, str) and error else "unknown_error"
    shown = safe_excerpt(error, 60)
    if error == "ratelimited":
        wait = parse_retry_after(response.retry_after)
        return Verdict(
            "retry",
            f"Slack answered ratelimited (Retry-After {response.retry_after or 'missing'})",
            wait if wait is not None else 1.0,
        )
    if error in SLACK_TRANSIENT:
        return Verdict("retry", f"Slack answered {shown}")
    explanation = SLACK_PERMANENT.get(error, "see Slack's chat.postMessage documentation")
    return Verdict("failed", f"Slack answered {shown}: {explanation}")


class SlackAppSender(SlackWebhookSender):
    """A Slack app's bot posting with chat.postMessage: Block Kit, replies in a storm's thread, and
    ``<!here>`` on tamper alerts when the destination asks for it."""

    threads = True

    def render(self, group: AlertGroup, style: Style) -> dict[str, Any]:
        return self._address(group, super().render(group, style))

    def fallback(self, group: AlertGroup, style: Style) -> dict[str, Any]:
        return self._address(group, super().fallback(group, style))

    def _address(self, group: AlertGroup, payload: dict[str, Any]) -> dict[str, Any]:
        payload = {
            **payload,
            "channel": self.destination.channel,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if self.destination.mention_on_tamper and group.alert_kind == "tamper":
            # Our own text, added after every untrusted value was escaped: the only live mention.
            payload["text"] = "<!here> " + str(payload.get("text", ""))
            blocks = payload.get("blocks")
            if isinstance(blocks, list):
                mention = {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": "<!here> Tamper alert: look now."},
                }
                payload["blocks"] = [*blocks[:1], mention, *blocks[1:]]
        return payload

    def post(self, payload: Any, thread: str | None, deadline: float | None) -> PostResult:
        if thread:
            payload = {**payload, "thread_ts": thread}
        return self._post(payload, deadline)


# -- Microsoft Teams, the signed webhook ----------------------------------------------------------


class TeamsSender(DocumentSender):
    """A Teams Workflows webhook: an Adaptive Card (teams.py); answered 2xx (202 Accepted) when taken."""

    @staticmethod
    def format() -> FormatModule:
        from . import teams

        return teams


SIGNATURE_HEADER: Final = "X-Signature"
TIMESTAMP_HEADER: Final = "X-Signature-Timestamp"
SCHEMA_HEADER: Final = "X-Alert-Schema"


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``TIMESTAMP.BODY`` (the timestamp's ASCII digits, a dot, the
    body's exact bytes) under the destination's secret. docs/destinations.md shows how to verify it."""
    import hashlib
    import hmac

    return "sha256=" + hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def signing_headers(
    secret: bytes, clock: Callable[[], float] | None = None
) -> Callable[[bytes], dict[str, str]]:
    """Headers computed per attempt, so a retry carries a fresh timestamp."""
    import time

    now = clock or time.time

    def headers(body: bytes) -> dict[str, str]:
        timestamp = str(int(now()))
        return {
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(secret, timestamp, body),
            SCHEMA_HEADER: "dynamodb-access-alerts/alert-group; version=1",
        }

    return headers


class SignedWebhookSender(DocumentSender):
    """A generic HTTPS endpoint (SIEM, ticketing): the versioned JSON of alert_json.py, signed."""

    @staticmethod
    def format() -> FormatModule:
        from . import alert_json

        return alert_json


# -- Amazon SNS ----------------------------------------------------------------------------------------

SNS_CONNECT_TIMEOUT: Final = 3.0
SNS_READ_TIMEOUT: Final = 5.0
SNS_MAX_ATTEMPTS: Final = 3  # botocore's standard retry mode: throttling, 5xx and connection errors


class SnsSender:
    """Publishes to an SNS topic with boto3 (sns.py: subject, per-protocol message, attributes). botocore
    retries throttling and server errors; a publish is not started when its worst case would pass the
    deadline. A KMS-encrypted topic needs kms:GenerateDataKey and kms:Decrypt on its key (the module grants
    them when the destination names the key)."""

    threads = False

    def __init__(
        self,
        destination: Destination,
        client: Any = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        import time

        self.destination = destination
        self._client = client
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()

    def _sns(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                assert self.destination.topic_arn is not None  # noqa: S101 (parse_destination)
                region = self.destination.topic_arn.split(":")[3]
                self._client = boto3.client(
                    "sns",
                    region_name=region,
                    config=Config(
                        connect_timeout=SNS_CONNECT_TIMEOUT,
                        read_timeout=SNS_READ_TIMEOUT,
                        retries={"max_attempts": SNS_MAX_ATTEMPTS, "mode": "standard"},
                    ),
                )
            return self._client

    def render(self, group: AlertGroup, style: Style) -> Any:
        from .sns import format_group

        return format_group(group, style.name, style.keys, style.accounts)

    def fallback(self, group: AlertGroup, style: Style) -> Any:
        from .sns import fallback_payload

        return fallback_payload(group, style.name)

    def post(self, payload: Any, thread: str | None, deadline: float | None) -> PostResult:
        worst = SNS_CONNECT_TIMEOUT + SNS_READ_TIMEOUT
        if deadline is not None and self._clock() + worst > deadline:
            return PostResult(False, 0, 0, "deadline too close to publish to SNS")
        topic = self.destination.topic_arn
        assert topic is not None  # noqa: S101 (parse_destination)
        arguments = payload.publish_arguments(topic)
        if topic.endswith(".fifo"):
            arguments["MessageGroupId"] = "dynamodb-access-alerts"
            arguments["MessageDeduplicationId"] = group_id_of(payload)
        try:
            response = self._sns().publish(**arguments)
        except Exception as exc:  # botocore ClientError, connection errors: name them, never the payload
            code, status = _aws_error(exc)
            return PostResult(False, status, 1, f"SNS publish failed: {code}")
        message_id = response.get("MessageId") if isinstance(response, dict) else None
        return PostResult(True, 200, 1, f"published (MessageId {message_id})")


def group_id_of(payload: Any) -> str:
    """The FIFO deduplication id: the group's digest, carried in the machine-readable message."""
    import json

    try:
        machine = json.loads(json.loads(payload.message)["sqs"])
        return str(machine["group_id"])[:128]
    except (ValueError, KeyError, TypeError):
        import hashlib

        return hashlib.sha256(str(payload.message).encode()).hexdigest()[:64]


def _aws_error(exc: Exception) -> tuple[str, int]:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error") or {}
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0
        code = str(error.get("Code") or type(exc).__name__)
        message = safe_excerpt(str(error.get("Message") or ""), 160)
        return (f"{code} ({message})" if message else code), int(status)
    return type(exc).__name__, 0


# -- building ------------------------------------------------------------------------------------------

HTTP_PACE: Final[dict[str, tuple[float, int]]] = {
    # type -> (messages per second, burst): Slack's ~1/s per webhook and per channel; a SIEM takes more.
    "slack_webhook": (0.95, 3),
    "slack_app": (0.95, 3),
    "teams": (0.95, 3),
    "webhook": (5.0, 10),
}


def build_sender(destination: Destination, read_secret: SecretReader) -> Sender:
    """The sender of one destination, with its secrets read. Raises ConfigError when one cannot be."""
    from .config import check_webhook_url

    rate, burst = HTTP_PACE.get(destination.type, (0.95, 3))
    if destination.type == "sns":
        return SnsSender(destination)
    if destination.type == "slack_app":
        assert destination.token is not None  # noqa: S101 (parse_destination guarantees it)
        token = read_secret(destination.token)
        client = WebhookClient(
            destination.api_url,
            headers={"Authorization": f"Bearer {token}"},
            classify=slack_api_verdict,
            rate_per_second=rate,
            burst=burst,
        )
        return SlackAppSender(destination, client)
    assert destination.url is not None  # noqa: S101 (parse_destination guarantees it)
    url = check_webhook_url(read_secret(destination.url), f"the URL in {destination.url.where}")
    if destination.type == "webhook":
        assert destination.secret is not None  # noqa: S101
        secret = read_secret(destination.secret).encode("utf-8")
        client = WebhookClient(url, headers=signing_headers(secret), rate_per_second=rate, burst=burst)
        return SignedWebhookSender(destination, client)
    client = WebhookClient(url, rate_per_second=rate, burst=burst)
    if destination.type == "teams":
        return TeamsSender(destination, client)
    return SlackWebhookSender(destination, client)


class SenderPool:
    """The senders of one routing, built on first use and kept (thread-safe)."""

    def __init__(
        self,
        routing: Routing,
        read_secret: SecretReader | None = None,
        *,
        factory: Callable[[Destination, SecretReader], Sender] = build_sender,
        senders: Mapping[str, Sender] | None = None,
    ) -> None:
        self.routing = routing
        self._read_secret = read_secret
        self._factory = factory
        self._senders: dict[str, Sender] = dict(senders or {})
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SenderPool({', '.join(self.routing.destinations)})"

    def set(self, name: str, sender: Sender) -> None:
        """Use ``sender`` for destination ``name`` (tests, replay)."""
        with self._lock:
            self._senders[name] = sender

    def get(self, name: str) -> Sender:
        """The sender of destination ``name``. Raises ConfigError when its secrets cannot be read (not
        cached: the next invocation tries again)."""
        with self._lock:
            sender = self._senders.get(name)
            if sender is None:
                from .config import read_secret

                read = self._read_secret or read_secret
                sender = self._senders[name] = self._factory(self.routing.destinations[name], read)
            return sender

    def prepare(self) -> dict[str, str]:
        """Build every sender now (cold start), so a missing secret is reported early. Returns the reason per
        destination that could not be prepared; never raises for one destination."""
        from .config import ConfigError

        problems: dict[str, str] = {}
        for name in self.routing.destinations:
            try:
                self.get(name)
            except ConfigError as exc:
                problems[name] = str(exc)
        return problems
