"""Destinations and routes: what the configuration document (and ``replay --destinations FILE``) says about
where alerts go, validated into frozen specs. Pure: no secret is fetched here (senders.py does that).

One shape serves three readers, so a routing file written for ``replay`` can be pasted into Terraform:

* the module's variables ``destinations`` / ``routes`` / ``default_destinations``;
* the configuration document's fields of the same names (docs/configuration-document.md);
* the routing file of ``replay --destinations FILE``.

A destination is ``{"type": ..., fields}``; its secrets are named by SSM SecureString parameter
(``url_parameter``, ``token_parameter``, ``secret_parameter``). Only a *local* document
(``ACCESS_ALERTS_CONFIG``, a routing file) may carry the secret itself instead (``url``, ``token``,
``secret``). ``kms_key_arn`` is read by Terraform (it grants the function the key of the destination's
parameters or topic) and ignored here. A field set to null counts as absent, as Terraform writes an unset
optional attribute.

A route is ``{"name", "tables", "kinds", "access", "accounts", "destinations"}``; an empty or missing list
matches everything on that dimension. routing.py decides which destinations an alert group reaches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from .text import json_type

DestinationType = Literal["slack_webhook", "slack_app", "teams", "webhook", "sns"]
DESTINATION_TYPES: Final[tuple[DestinationType, ...]] = (
    "slack_webhook",
    "slack_app",
    "teams",
    "webhook",
    "sns",
)
ROUTE_KINDS: Final = ("data", "control_plane", "tamper", "unparseable")
ROUTE_ACCESS: Final = ("read", "write")
DEFAULT_DESTINATION: Final = "default"
SLACK_API_URL: Final = "https://slack.com/api/chat.postMessage"

# type -> (secret fields: parameter name field, local value field), other fields
_SECRETS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "slack_webhook": (("url_parameter", "url"),),
    "slack_app": (("token_parameter", "token"),),
    "teams": (("url_parameter", "url"),),
    "webhook": (("url_parameter", "url"), ("secret_parameter", "secret")),
    "sns": (),
}
_OTHER: Final[dict[str, tuple[str, ...]]] = {
    "slack_webhook": (),
    "slack_app": ("channel", "mention_on_tamper", "api_url"),
    "teams": (),
    "webhook": (),
    "sns": ("topic_arn",),
}
_COMMON: Final = ("type", "kms_key_arn")
_ROUTE_FIELDS: Final = ("name", "tables", "kinds", "access", "accounts", "destinations")

NAME_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
PARAMETER_RE: Final = re.compile(r"/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")
CHANNEL_RE: Final = re.compile(r"[A-Z][A-Z0-9]{6,}")
TOPIC_ARN_RE: Final = re.compile(
    r"arn:(aws|aws-cn|aws-us-gov):sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?"
)
ACCOUNT_RE: Final = re.compile(r"[0-9]{12}")  # not \d: that also matches other scripts' digits


class DestinationError(ValueError):
    """A destination or route is unusable; the message names the field (never a secret value)."""


@dataclass(frozen=True, slots=True)
class Secret:
    """A secret named by its SSM parameter, or (local runs only) given as the value itself."""

    parameter: str | None
    value: str | None = field(default=None, repr=False)
    where: str = ""  # the field, for messages: destinations.NAME.url_parameter


@dataclass(frozen=True, slots=True)
class Destination:
    name: str
    type: DestinationType
    url: Secret | None = None  # slack_webhook, teams, webhook
    token: Secret | None = None  # slack_app: bot token (xoxb-...)
    secret: Secret | None = None  # webhook: HMAC-SHA256 signing secret
    channel: str | None = None  # slack_app: channel ID
    mention_on_tamper: bool = False  # slack_app: <!here> on tamper alerts
    api_url: str = SLACK_API_URL  # slack_app: chat.postMessage endpoint (GovSlack, a local receiver)
    topic_arn: str | None = None  # sns

    @property
    def secrets(self) -> tuple[Secret, ...]:
        return tuple(s for s in (self.url, self.token, self.secret) if s is not None)


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    tables: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    access: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    destinations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Routing:
    """Every destination by name (in the order given), the routes, and the default destinations."""

    destinations: Mapping[str, Destination]
    routes: tuple[Route, ...] = ()
    defaults: tuple[str, ...] = (DEFAULT_DESTINATION,)


# -- field readers -------------------------------------------------------------------------------


def _got(value: object) -> str:
    kind = json_type(value)
    return kind if value is None else ("an " if kind[0] in "aeiou" else "a ") + kind


def _string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DestinationError(f"{where} must be a non-empty string, got {_got(value)}")
    return value.strip()


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise DestinationError(f"{where} must be a list of strings, got {_got(value)}")
    return tuple(_string(item, f"{where}[{index}]") for index, item in enumerate(value))


def _present(obj: Mapping[str, Any], name: str) -> bool:
    return obj.get(name) is not None


def check_url(url: str, where: str) -> str:
    """The webhook URL rule of rules.json (https, or http on a loopback host); imported lazily (config)."""
    from .config import ConfigError, check_webhook_url

    try:
        return check_webhook_url(url, where)
    except ConfigError as exc:
        raise DestinationError(str(exc)) from None


def _secret(obj: Mapping[str, Any], where: str, fields: tuple[str, str], *, local: bool) -> Secret:
    parameter_field, value_field = fields
    has_parameter, has_value = _present(obj, parameter_field), _present(obj, value_field)
    if has_parameter == has_value:
        raise DestinationError(
            f"{where} needs {parameter_field} (the name of an SSM SecureString parameter)"
            + ("" if not has_value else f", not both {parameter_field} and {value_field}")
        )
    if has_parameter:
        name = _string(obj[parameter_field], f"{where}.{parameter_field}")
        if not PARAMETER_RE.fullmatch(name):
            raise DestinationError(
                f"{where}.{parameter_field} must be an SSM parameter name such as /team/alerts/secret, "
                "not an ARN"
            )
        return Secret(parameter=name, where=f"{where}.{parameter_field}")
    if not local:
        raise DestinationError(
            f"{where}.{value_field}: a secret value is accepted only in a local document or routing file; a "
            f"deployed document names the SSM parameter that holds it ({parameter_field})"
        )
    value = obj[value_field]
    if not isinstance(value, str) or not value.strip():
        raise DestinationError(f"{where}.{value_field} must be a non-empty string")
    return Secret(parameter=None, value=value.strip(), where=f"{where}.{value_field}")


def parse_destination(name: str, value: object, *, local: bool) -> Destination:
    where = f"destinations.{name}"
    if not NAME_RE.fullmatch(name):
        raise DestinationError(
            f"destination name {name[:70]!r} must be 1-64 letters, digits, '_' or '-' (it appears in logs "
            "and metrics)"
        )
    if not isinstance(value, dict):
        raise DestinationError(f"{where} must be an object, got {_got(value)}")
    kind = value.get("type")
    if kind not in DESTINATION_TYPES:
        raise DestinationError(
            f"{where}.type must be one of {', '.join(DESTINATION_TYPES)}, got {kind!r:.30}"
        )
    secret_fields = [f for pair in _SECRETS[kind] for f in pair]
    allowed = (*_COMMON, *secret_fields, *_OTHER[kind])
    unknown = sorted(str(k) for k, v in value.items() if k not in allowed and v is not None)
    if unknown:
        raise DestinationError(
            f"{where} ({kind}) has field(s) {', '.join(unknown)} that this type does not use; "
            f"expected {', '.join(a for a in allowed if a != 'type')}"
        )
    secrets = {pair[1]: _secret(value, where, pair, local=local) for pair in _SECRETS[kind]}
    url = secrets.get("url")
    if url is not None and url.value is not None:  # given here (local): check it now, as a fetched one is
        check_url(url.value, url.where)
    if kind == "slack_app":
        channel = _string(value.get("channel"), f"{where}.channel")
        if not CHANNEL_RE.fullmatch(channel):
            raise DestinationError(
                f"{where}.channel must be a Slack channel ID such as C0123456789 (not a #name); find it "
                "in the channel's details"
            )
        mention = value.get("mention_on_tamper")
        if mention is not None and not isinstance(mention, bool):
            raise DestinationError(f"{where}.mention_on_tamper must be true or false, got {_got(mention)}")
        api_url = SLACK_API_URL
        if _present(value, "api_url"):
            api_url = check_url(_string(value["api_url"], f"{where}.api_url"), f"{where}.api_url")
        return Destination(
            name,
            kind,
            token=secrets["token"],
            channel=channel,
            mention_on_tamper=bool(mention),
            api_url=api_url,
        )
    if kind == "sns":
        topic = _string(value.get("topic_arn"), f"{where}.topic_arn")
        if not TOPIC_ARN_RE.fullmatch(topic):
            raise DestinationError(
                f"{where}.topic_arn must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
            )
        return Destination(name, kind, topic_arn=topic)
    return Destination(name, kind, url=secrets.get("url"), secret=secrets.get("secret"))


def parse_route(index: int, value: object, destinations: Mapping[str, Destination]) -> Route:
    where = f"routes[{index}]"
    if not isinstance(value, dict):
        raise DestinationError(f"{where} must be an object, got {_got(value)}")
    unknown = sorted(str(k) for k in value if k not in _ROUTE_FIELDS)
    if unknown:
        raise DestinationError(
            f"{where} has unknown field(s) {', '.join(unknown)}; expected {', '.join(_ROUTE_FIELDS)}"
        )
    name = _string(value.get("name"), f"{where}.name")
    where = f"routes[{index}] ({name[:40]})"
    kinds = _strings(value.get("kinds"), f"{where}.kinds")
    for kind in kinds:
        if kind not in ROUTE_KINDS:
            raise DestinationError(f"{where}.kinds: {kind[:30]!r} is not one of {', '.join(ROUTE_KINDS)}")
    access = _strings(value.get("access"), f"{where}.access")
    for item in access:
        if item not in ROUTE_ACCESS:
            raise DestinationError(f"{where}.access: {item[:30]!r} is not one of {', '.join(ROUTE_ACCESS)}")
    accounts = _strings(value.get("accounts"), f"{where}.accounts")
    for account in accounts:
        if not ACCOUNT_RE.fullmatch(account):
            raise DestinationError(f"{where}.accounts: {account[:30]!r} is not a 12-digit account ID")
    targets = _strings(value.get("destinations"), f"{where}.destinations")
    if not targets:
        raise DestinationError(f"{where}.destinations must name at least one destination")
    for target in targets:
        if target not in destinations:
            raise DestinationError(
                f"{where}.destinations names {target[:64]!r}, which is not a destination "
                f"(known: {', '.join(destinations)})"
            )
    return Route(
        name=name,
        tables=_strings(value.get("tables"), f"{where}.tables"),
        kinds=kinds,
        access=access,
        accounts=accounts,
        destinations=tuple(dict.fromkeys(targets)),
    )


def parse_routing(
    destinations: object, routes: object, default_destinations: object, *, local: bool
) -> Routing:
    """Validate the three fields together: every route and default names a destination, and every
    destination is reached by a route or as a default."""
    if not isinstance(destinations, dict):
        raise DestinationError(
            f"destinations must be an object (name -> destination), got {_got(destinations)}"
        )
    if not destinations:
        raise DestinationError("destinations must name at least one destination")
    parsed = {
        str(name): parse_destination(str(name), spec, local=local) for name, spec in destinations.items()
    }
    if routes is None:
        routes = []
    if not isinstance(routes, list):
        raise DestinationError(f"routes must be a list, got {_got(routes)}")
    parsed_routes = tuple(parse_route(i, r, parsed) for i, r in enumerate(routes))
    names = [r.name for r in parsed_routes]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DestinationError(f"route names must be unique; repeated: {', '.join(duplicates)}")
    defaults = (
        (DEFAULT_DESTINATION,)
        if default_destinations is None
        else _strings(default_destinations, "default_destinations")
    )
    if not defaults:
        raise DestinationError(
            "default_destinations must name at least one destination (tamper alerts and alerts no route "
            "matches go there)"
        )
    for index, default in enumerate(defaults):
        if default not in parsed:
            raise DestinationError(
                f"default_destinations[{index}] names {default[:64]!r}, which is not a destination "
                f"(known: {', '.join(parsed)})"
            )
    reached = set(defaults) | {d for r in parsed_routes for d in r.destinations}
    unreached = [n for n in parsed if n not in reached]
    if unreached:
        raise DestinationError(
            f"destination(s) {', '.join(unreached)} are in no route and not in default_destinations: nothing "
            "would ever reach them. Route to them or remove them"
        )
    return Routing(destinations=parsed, routes=parsed_routes, defaults=tuple(dict.fromkeys(defaults)))
