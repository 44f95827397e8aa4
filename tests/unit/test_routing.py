"""destinations (parsing destinations, routes, defaults) and routing (which destinations a group reaches)."""

from __future__ import annotations

from typing import Any

import pytest

from access_alerts.destinations import (
    SLACK_API_URL,
    Destination,
    DestinationError,
    Route,
    Routing,
    Secret,
    parse_routing,
)
from access_alerts.grouping import AlertGroup, group_alerts
from access_alerts.routing import describe_route, destinations_for, group_key, route_matches
from tests.factories import ACCOUNT, access_event, alert, role_principal, storm, user_principal

DESTINATIONS: dict[str, Any] = {
    "oncall": {"type": "slack_app", "token_parameter": "/t/slack-token", "channel": "C0123456789"},
    "teams": {"type": "teams", "url_parameter": "/t/teams-url"},
    "siem": {"type": "webhook", "url_parameter": "/t/siem-url", "secret_parameter": "/t/siem-secret"},
    "pager": {"type": "sns", "topic_arn": "arn:aws:sns:eu-west-1:111122223333:pager", "kms_key_arn": None},
    "default": {"type": "slack_webhook", "url_parameter": "/t/hook"},
}
ROUTES: list[dict[str, Any]] = [
    {"name": "orders", "tables": ["Orders*"], "destinations": ["teams"]},
    {"name": "writes", "access": ["write"], "kinds": ["data"], "destinations": ["siem", "siem"]},
    {"name": "prod-account", "accounts": ["999999999999"], "destinations": ["pager"]},
    {"name": "control", "kinds": ["control_plane"], "destinations": ["pager", "oncall"]},
]


def parse(
    destinations: Any = None, routes: Any = None, defaults: Any = ("default",), local: bool = False
) -> Routing:
    return parse_routing(
        DESTINATIONS if destinations is None else destinations,
        ROUTES if routes is None else routes,
        list(defaults) if isinstance(defaults, tuple) else defaults,
        local=local,
    )


def test_every_type_is_read() -> None:
    routing = parse()
    assert list(routing.destinations) == ["oncall", "teams", "siem", "pager", "default"]
    oncall = routing.destinations["oncall"]
    assert oncall == Destination(
        "oncall",
        "slack_app",
        token=Secret("/t/slack-token", where="destinations.oncall.token_parameter"),
        channel="C0123456789",
        api_url=SLACK_API_URL,
    )
    siem = routing.destinations["siem"]
    assert siem.url is not None and siem.url.parameter == "/t/siem-url"
    assert siem.secret is not None and siem.secret.parameter == "/t/siem-secret"
    assert routing.destinations["pager"].topic_arn == "arn:aws:sns:eu-west-1:111122223333:pager"
    assert routing.routes[1] == Route("writes", kinds=("data",), access=("write",), destinations=("siem",))
    assert routing.defaults == ("default",)


def test_defaults_default_to_the_destination_named_default() -> None:
    assert parse(defaults=None).defaults == ("default",)


def test_a_local_routing_file_may_give_the_secrets_themselves() -> None:
    routing = parse(
        {
            "hook": {"type": "slack_webhook", "url": "http://127.0.0.1:9/x"},
            "app": {
                "type": "slack_app",
                "token": "xoxb-1",
                "channel": "C0123456789",
                "api_url": "http://127.0.0.1:9/api",
            },
            "siem": {"type": "webhook", "url": "https://siem.example/in", "secret": "s3cr3t"},
        },
        routes=[],
        defaults=["hook", "app", "siem"],
        local=True,
    )
    app = routing.destinations["app"]
    assert (
        app.token == Secret(None, "xoxb-1", "destinations.app.token")
        and app.api_url == "http://127.0.0.1:9/api"
    )
    assert "s3cr3t" not in repr(routing) and "xoxb-1" not in repr(routing)


@pytest.mark.parametrize(
    ("destinations", "routes", "defaults", "fragment"),
    [
        ({}, [], ["default"], "destinations must name at least one destination"),
        ([], [], ["default"], "destinations must be an object"),
        ({"a b": {"type": "teams", "url_parameter": "/x"}}, [], ["a b"], "destination name 'a b' must be"),
        ({"x": {"type": "pagerduty"}}, [], ["x"], "destinations.x.type must be one of slack_webhook,"),
        ({"x": "teams"}, [], ["x"], "destinations.x must be an object, got a string"),
        ({"x": {"type": "teams"}}, [], ["x"], "destinations.x needs url_parameter"),
        ({"x": {"type": "teams", "url_parameter": "/a", "url": "https://a"}}, [], ["x"], "not both"),
        ({"x": {"type": "teams", "url": "https://a.example/x"}}, [], ["x"], "accepted only in a local"),
        (
            {"x": {"type": "teams", "url_parameter": "/a", "channel": "C1"}},
            [],
            ["x"],
            "(teams) has field(s) channel",
        ),
        (
            {"x": {"type": "webhook", "url_parameter": "/a"}},
            [],
            ["x"],
            "destinations.x needs secret_parameter",
        ),
        ({"x": {"type": "slack_app", "token_parameter": "/a"}}, [], ["x"], "destinations.x.channel must be"),
        (
            {"x": {"type": "slack_app", "token_parameter": "/a", "channel": "#alerts"}},
            [],
            ["x"],
            "must be a Slack channel ID such as C0123456789",
        ),
        (
            {
                "x": {
                    "type": "slack_app",
                    "token_parameter": "/a",
                    "channel": "C0123456789",
                    "mention_on_tamper": "yes",
                }
            },
            [],
            ["x"],
            "mention_on_tamper must be true or false",
        ),
        (
            {
                "x": {
                    "type": "slack_app",
                    "token_parameter": "/a",
                    "channel": "C0123456789",
                    "api_url": "http://slack.com/api",
                }
            },
            [],
            ["x"],
            "destinations.x.api_url is not https",
        ),
        ({"x": {"type": "sns", "topic_arn": "pager"}}, [], ["x"], "topic_arn must be an SNS topic ARN"),
        (
            {"x": {"type": "sns", "topic_arn": "arn:aws:sns:eu-west-1:1:t"}},
            [],
            ["x"],
            "must be an SNS topic ARN",
        ),
        (None, {"name": "r"}, ["default"], "routes must be a list, got an object"),
        (None, [{"destinations": ["default"]}], ["default"], "routes[0].name must be a non-empty string"),
        (
            None,
            [{"name": "r", "destinations": ["nope"]}],
            ["default"],
            "names 'nope', which is not a destination",
        ),
        (
            None,
            [{"name": "r", "destinations": []}],
            ["default"],
            "routes[0] (r).destinations must name at least",
        ),
        (
            None,
            [{"name": "r", "kinds": ["read"], "destinations": ["default"]}],
            ["default"],
            "'read' is not one of",
        ),
        (
            None,
            [{"name": "r", "access": ["delete"], "destinations": ["default"]}],
            ["default"],
            "'delete' is not",
        ),
        (
            None,
            [{"name": "r", "accounts": ["12"], "destinations": ["default"]}],
            ["default"],
            "not a 12-digit",
        ),
        (
            None,
            [{"name": "r", "tables": "Orders", "destinations": ["default"]}],
            ["default"],
            "must be a list",
        ),
        (
            None,
            [{"name": "r", "match": {}, "destinations": ["default"]}],
            ["default"],
            "unknown field(s) match",
        ),
        (
            None,
            [
                {"name": "r", "destinations": ["oncall"]},
                {"name": "r", "destinations": ["teams", "siem", "pager"]},
            ],
            ["default"],
            "route names must be unique; repeated: r",
        ),
        (None, [], [], "default_destinations must name at least one destination"),
        (None, [], ["nope"], "default_destinations[0] names 'nope', which is not a destination"),
        (None, [], None, "destination(s) oncall, teams, siem, pager are in no route"),
    ],
)
def test_errors_name_the_field(destinations: Any, routes: Any, defaults: Any, fragment: str) -> None:
    with pytest.raises(DestinationError) as info:
        parse(destinations, routes, defaults)
    assert fragment in str(info.value)


# -- routing -----------------------------------------------------------------------------------------


def one(decisions: list[Any]) -> AlertGroup:
    groups = group_alerts(decisions)
    assert len(groups) == 1
    return groups[0]


def data_group(table: str = "Orders", access: str = "read", account: str = ACCOUNT) -> AlertGroup:
    event = access_event(table=table, access=access, api="PutItem" if access == "write" else "GetItem")
    event.account_id = account
    return one([alert(event)])


def tamper_group() -> AlertGroup:
    return one(
        [
            alert(
                access_event(api="StopLogging", category="management", table="", access="write"),
                kind="tamper",
            )
        ]
    )


def test_a_group_reaches_every_matching_routes_destinations_in_order() -> None:
    routing = parse()
    assert destinations_for(data_group("Orders"), routing) == ("teams",)
    assert destinations_for(data_group("OrdersArchive", "write"), routing) == ("teams", "siem")
    assert destinations_for(data_group("Customers", "write"), routing) == ("siem",)
    assert destinations_for(data_group("Customers", "read", "999999999999"), routing) == ("pager",)


def test_no_match_goes_to_the_defaults() -> None:
    assert destinations_for(data_group("Customers"), parse()) == ("default",)


def test_tamper_and_unparseable_always_reach_the_defaults_too() -> None:
    routing = parse(
        routes=[
            *ROUTES,
            {"name": "all-tamper", "kinds": ["tamper", "unparseable"], "destinations": ["oncall"]},
        ]
    )
    assert destinations_for(tamper_group(), routing) == ("oncall", "default")
    unparseable = one([alert(None, kind="unparseable", source_id="x:1")])
    assert destinations_for(unparseable, routing) == ("oncall", "default")
    control = one([alert(access_event(api="DeleteTable", access="write"), kind="control_plane")])
    assert destinations_for(control, routing) == ("teams", "pager", "oncall")  # table Orders matches too


@pytest.mark.parametrize(
    ("route", "matches"),
    [
        (Route("r", tables=("Orders",)), True),
        (Route("r", tables=("orders",)), False),  # names are case-sensitive, as DynamoDB's are
        (Route("r", tables=("Ord*",)), True),
        (Route("r", tables=("*ders",)), True),
        (Route("r", tables=("O.ders",)), False),  # only * is special
        (Route("r", tables=(f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/Orders",)), True),
        (Route("r", tables=("arn:aws:dynamodb:us-east-1:*:table/Orders",)), False),
        (Route("r", tables=("arn:aws:dynamodb:eu-west-1:*:table/*",)), True),
        (Route("r", kinds=("data",)), True),
        (Route("r", kinds=("tamper",)), False),
        (Route("r", access=("read",)), True),
        (Route("r", access=("write",)), False),
        (Route("r", accounts=(ACCOUNT,)), True),
        (Route("r", accounts=("999999999999",)), False),
        (Route("r", tables=("Orders",), access=("write",)), False),  # every dimension must match
        (Route("r"), True),
    ],
)
def test_route_dimensions(route: Route, matches: bool) -> None:
    assert route_matches(route, data_group()) is matches


def test_a_route_on_tables_or_access_never_matches_a_group_without_them() -> None:
    unparseable = one([alert(None, kind="unparseable", source_id="x:1")])
    assert not route_matches(Route("r", tables=("*",)), unparseable)
    assert not route_matches(Route("r", access=("read", "write")), unparseable)
    assert route_matches(Route("r", kinds=("unparseable",)), unparseable)


def test_group_key_is_stable_per_storm_and_differs_between_storms() -> None:
    first = group_alerts(storm(3, id_prefix="a"))[0]
    later = group_alerts(storm(5, id_prefix="b"))[0]
    other = group_alerts(storm(3, principal=user_principal("eve")))[0]
    assert group_key(first) == group_key(later) != group_key(other)
    assert group_key(group_alerts(storm(3, principal=role_principal("bob@example.com")))[0]) != group_key(
        first
    )


def test_a_replica_in_another_region_is_a_key_of_its_own() -> None:
    """The same person reading a table and its replica in one invocation: two groups, two keys, so the
    ledger never holds the replica's alert back in the window the first one opened."""
    home = [alert(access_event(event_id="h-1"))]
    replica = [alert(access_event(event_id="r-1", region="us-west-2"))]
    groups = group_alerts(home + replica)
    assert len(groups) == 2
    assert group_key(groups[0]) != group_key(groups[1])
    assert group_key(group_alerts(home)[0]) == group_key(
        next(g for g in groups if g.regions == ("eu-west-1",))
    )


def test_describe_route() -> None:
    assert (
        describe_route(Route("r", tables=("a*",), access=("write",))) == "route 'r': tables a*; access write"
    )
    assert describe_route(Route("all")) == "route 'all': every alert"
