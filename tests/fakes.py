"""Delivery test doubles: routings of Slack webhook destinations, a recording post function, and pools of
senders that post through it (no network, no SSM)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from access_alerts.config import DeliverySettings
from access_alerts.destinations import Destination, Route, Routing, Secret
from access_alerts.model import KeyValues
from access_alerts.senders import SenderPool, SlackWebhookSender
from access_alerts.webhook import PostFn, PostResult


def hook_destination(name: str = "default", url: str = "https://example.com/hook") -> Destination:
    return Destination(name, "slack_webhook", url=Secret(None, url, f"destinations.{name}.url"))


def routing(*names: str, routes: Sequence[Route] = (), defaults: Sequence[str] | None = None) -> Routing:
    names = names or ("default",)
    return Routing(
        destinations={n: hook_destination(n, f"https://example.com/{n}") for n in names},
        routes=tuple(routes),
        defaults=tuple(defaults if defaults is not None else names[:1]),
    )


def settings(
    route_to: Routing | None = None,
    *,
    name: str = "prod",
    key_values: KeyValues = "show",
    key_hash_secret: str | None = None,
) -> DeliverySettings:
    return DeliverySettings(
        routing=route_to or routing(),
        name=name,
        key_values=key_values,
        direct_key_hash_secret=key_hash_secret,
    )


class FakePost:
    """Records payloads; fails (HTTP 500 after 6 attempts) those for which ``fail_when`` is true."""

    def __init__(self, fail_when: Callable[[Mapping[str, Any]], bool] | None = None) -> None:
        self.payloads: list[Mapping[str, Any]] = []
        self.deadlines: list[float | None] = []
        self.fail_when = fail_when or (lambda payload: False)

    def __call__(self, payload: Mapping[str, Any], deadline: float | None) -> PostResult:
        self.payloads.append(payload)
        self.deadlines.append(deadline)
        if self.fail_when(payload):
            return PostResult(False, 500, 6, "gave up after 6 attempts; HTTP 500")
        return PostResult(True, 200, 1, "delivered")


def pool(route_to: Routing, posts: Mapping[str, PostFn]) -> SenderPool:
    """A pool whose Slack webhook senders post through ``posts[name]``."""
    return SenderPool(
        route_to,
        senders={name: SlackWebhookSender(route_to.destinations[name], post) for name, post in posts.items()},
    )


def use_post(senders: SenderPool, post: PostFn, name: str = "default") -> None:
    """Send destination ``name``'s messages (a Slack webhook) through ``post``, e.g. a fast WebhookClient."""
    senders.set(name, SlackWebhookSender(senders.routing.destinations[name], post))
