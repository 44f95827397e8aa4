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
from typing import Any, Protocol

from .destinations import Destination, Routing
from .grouping import AlertGroup
from .keys import KeyFormatter
from .webhook import PostFn, PostResult, WebhookClient

SecretReader = Callable[[Any], str]  # Secret -> value (config.read_secret)


@dataclass(frozen=True, slots=True)
class Style:
    """What every format needs besides the group: the deployment's name and how keys are shown."""

    name: str
    keys: KeyFormatter


class Sender(Protocol):
    @property
    def destination(self) -> Destination: ...

    @property
    def threads(self) -> bool:
        """True: post() accepts a thread reference (Slack's ts) and returns one in PostResult.ref."""

    def render(self, group: AlertGroup, style: Style) -> Any: ...

    def fallback(self, group: AlertGroup, style: Style) -> Any: ...

    def post(self, payload: Any, thread: str | None, deadline: float | None) -> PostResult: ...


class SlackWebhookSender:
    """A Slack incoming webhook: Block Kit JSON, answered ``ok`` (HTTP 200) or an error string."""

    threads = False

    def __init__(self, destination: Destination, post: PostFn) -> None:
        self.destination = destination
        self._post = post

    def render(self, group: AlertGroup, style: Style) -> dict[str, Any]:
        from .slack import format_group

        return format_group(group, style.name, style.keys)

    def fallback(self, group: AlertGroup, style: Style) -> dict[str, Any]:
        from .slack import fallback_payload

        return fallback_payload(group, style.name)

    def post(self, payload: Any, thread: str | None, deadline: float | None) -> PostResult:
        return self._post(payload, deadline)


def build_sender(destination: Destination, read_secret: SecretReader) -> Sender:
    """The sender of one destination, with its secrets read. Raises ConfigError when one cannot be."""
    from .config import ConfigError, check_webhook_url

    if destination.type == "slack_webhook":
        assert destination.url is not None  # noqa: S101 (parse_destination guarantees it)
        url = check_webhook_url(read_secret(destination.url), f"the URL in {destination.url.where}")
        return SlackWebhookSender(destination, WebhookClient(url))
    raise ConfigError(
        f"destinations.{destination.name}: type {destination.type} is not delivered by this version"
    )


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
