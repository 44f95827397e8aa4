"""Every destination format (Slack webhook, Slack app, Teams card, the signed webhook's JSON, SNS) for a data
alert, a grouped storm, a control-plane alert and a tamper alert, each with hostile values in every untrusted
field: snapshots, and the escaping rules of each format checked directly."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from access_alerts import alert_json, facts, sns, teams
from access_alerts.accounts import Accounts
from access_alerts.destinations import Destination, Secret
from access_alerts.digest import follow_up_group, label
from access_alerts.grouping import AlertGroup, group_alerts
from access_alerts.keys import KeyFormatter
from access_alerts.ledger import BatchSummary, ClosedWindow
from access_alerts.model import Principal
from access_alerts.senders import SlackAppSender, SlackWebhookSender, Style
from tests.factories import ACCOUNT, REGION, access_event, alert, role_principal, storm

# One hostile string per trick: a chat mention, a markdown and a mrkdwn link, a bare URL, a Teams mention,
# a template call, HTML, a backtick, zero-width and direction-changing characters, a line break.
HOSTILE = (
    "<!channel> <@U123> [click](https://evil.example/x) <https://evil.example|here> www.evil.example "
    "<at>bob</at> {{DATE(2017-02-14T06:08:00Z)}} <b>bold</b> `x` **b** a\u200bb \u202eevil\u202c line\nbreak"
)
INVISIBLE = ("\u200b", "\u202e", "\u202c")
STYLE = Style("prod-alerts", KeyFormatter("show"))


def hostile_principal() -> Principal:
    return Principal(
        type="AssumedRole",
        arn=f"arn:aws:iam::{ACCOUNT}:role/{HOSTILE}",
        display=f"role/x ({HOSTILE})",
        account_id=ACCOUNT,
        session_name=HOSTILE,
        session_arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/x/{HOSTILE}",
    )


def hostile_event(**kw: Any) -> Any:
    options: dict[str, Any] = {
        "principal": hostile_principal(),
        "table": "Orders" + HOSTILE,
        "keys": ({"pk": HOSTILE, "sk": {"S": "https://evil.example/k"}},),
        "user_agent": HOSTILE,
        "source_ip": HOSTILE,
        "error_code": "AccessDenied" + HOSTILE,
        "error_message": HOSTILE,
        "attribute_names": ("name", HOSTILE),
        "statements": (f"SELECT * FROM \"Orders\" WHERE pk = '{HOSTILE}'",),  # noqa: S608
        "event_id": "11111111-2222-3333-4444-" + "5" * 12,
    }
    options.update(kw)
    return access_event(**options)


def scenario(name: str) -> AlertGroup:
    if name == "data":
        decisions = [alert(hostile_event(api="GetItem"), reason=f"not allowed {HOSTILE}")]
    elif name == "storm":
        decisions = [
            alert(
                hostile_event(
                    api="DeleteItem",
                    access="write",
                    event_id=f"e-{i:06d}",
                    time=f"2026-11-25T09:{(i // 60) % 60:02d}:{i % 60:02d}Z",
                    keys=({"pk": f"item#{i} {HOSTILE}"},),
                ),
                reason=f"not allowed {HOSTILE}",
            )
            for i in range(2500)
        ]
    elif name == "control_plane":
        decisions = [
            alert(
                hostile_event(api="DeleteTable", access="write", keys=()),
                kind="control_plane",
                reason=HOSTILE,
            )
        ]
    elif name == "digest":
        return digest_follow_up()
    else:
        event = hostile_event(
            api="StopLogging", access="write", category="management", table="", keys=(), target=HOSTILE
        )
        decisions = [alert(event, kind="tamper", reason=f"pipeline resource changed: {HOSTILE}")]
    groups = group_alerts(decisions)
    assert len(groups) == 1
    return groups[0]


def digest_follow_up() -> AlertGroup:
    """The follow-up of a digest window the hostile storm opened, with hostile samples in every batch."""
    first = scenario("storm")
    held = BatchSummary(
        count=9375,
        first_time="2026-11-25T09:00:05Z",
        last_time="2026-11-25T09:01:58Z",
        apis=("DeleteItem", "Scan"),
        key_texts=(f'{{"pk":"item#7 {HOSTILE}"}}',),
        event_ids=("e-000700", "e-000701", "e-000702"),
        source_ips=(HOSTILE,),
        user_agents=(HOSTILE,),
    )
    window = ClosedWindow(
        dest="oncall",
        key="k",
        gen="g",
        opened=1795597200000,  # 2026-11-25T09:00:00Z
        closes=1795597800000,
        label=label(first),
        thread="1795597200.000100",
        batches=(held,),
    )
    return follow_up_group(window, 10)


SCENARIOS = ("data", "storm", "control_plane", "tamper", "digest")


def slack_app() -> SlackAppSender:
    destination = Destination(
        "oncall",
        "slack_app",
        token=Secret(None, "xoxb-1", "t"),
        channel="C0123456789",
        mention_on_tamper=True,
    )
    return SlackAppSender(destination, lambda payload, deadline: None)  # type: ignore[arg-type, return-value]


def render(fmt: str, group: AlertGroup, style: Style = STYLE) -> Any:
    if fmt == "slack_webhook":
        hook = Destination("d", "slack_webhook", url=Secret(None, "https://x", "u"))
        return SlackWebhookSender(hook, lambda p, d: None).render(group, style)  # type: ignore[arg-type, return-value]
    if fmt == "slack_app":
        return slack_app().render(group, style)
    if fmt == "teams":
        return teams.format_group(group, style.name, style.keys, style.accounts)
    if fmt == "webhook":
        return alert_json.format_group(group, style.name, style.keys, style.accounts)
    message = sns.format_group(group, style.name, style.keys, style.accounts)
    structure = json.loads(message.message)
    return {
        "Subject": message.subject,
        "MessageAttributes": message.attributes,
        "default": structure["default"],
        "sqs": json.loads(structure["sqs"]),
        "protocols": sorted(structure),
    }


@pytest.fixture
def snap(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("kind", SCENARIOS)
@pytest.mark.parametrize("fmt", ["slack_webhook", "slack_app", "teams", "webhook", "sns"])
def test_snapshot(fmt: str, kind: str, snap: SnapshotAssertion) -> None:
    assert render(fmt, scenario(kind)) == snap


# -- Slack ---------------------------------------------------------------------------------------------


def slack_texts(payload: dict[str, Any]) -> Iterator[str]:
    """The texts Slack reads as mrkdwn (a plain_text header shows mentions and links as typed)."""
    yield payload["text"]
    for block in payload["blocks"]:
        if isinstance(block.get("text"), dict) and block["text"]["type"] == "mrkdwn":
            yield block["text"]["text"]
        for field in block.get("fields", []):
            yield field["text"]


@pytest.mark.parametrize("kind", SCENARIOS)
def test_slack_app_mentions_only_on_tamper_and_only_its_own(kind: str) -> None:
    payload = slack_app().render(scenario(kind), STYLE)
    assert payload["channel"] == "C0123456789" and payload["unfurl_links"] is False
    mentions = [t for t in slack_texts(payload) if "<!" in t or "<@" in t]
    if kind == "tamper":
        assert payload["text"].startswith("<!here> ")
        assert mentions == [payload["text"], "<!here> Tamper alert: look now."]
        assert payload["text"].count("<!") == 1
    else:
        assert mentions == []


def test_slack_app_without_mention_never_mentions() -> None:
    destination = Destination("o", "slack_app", token=Secret(None, "t", "t"), channel="C0123456789")
    payload = SlackAppSender(destination, lambda p, d: None).render(scenario("tamper"), STYLE)  # type: ignore[arg-type, return-value]
    assert not any("<!" in t for t in slack_texts(payload))


def test_slack_app_posts_replies_in_the_thread() -> None:
    sent: list[dict[str, Any]] = []
    destination = Destination("o", "slack_app", token=Secret(None, "t", "t"), channel="C0123456789")
    sender = SlackAppSender(destination, lambda payload, deadline: sent.append(payload))  # type: ignore[arg-type, func-returns-value]
    sender.post({"text": "x"}, None, None)
    sender.post({"text": "y"}, "1700000000.000100", None)
    assert "thread_ts" not in sent[0] and sent[1]["thread_ts"] == "1700000000.000100"


# -- Teams ---------------------------------------------------------------------------------------------


def card_elements(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    assert payload["type"] == "message" and len(payload["attachments"]) == 1
    attachment = payload["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    yield from card["body"]


@pytest.mark.parametrize("kind", SCENARIOS)
def test_teams_text_is_never_markdown_and_never_a_link(kind: str) -> None:
    payload = teams.format_group(scenario(kind), STYLE.name, STYLE.keys)
    runs = []
    for element in card_elements(payload):
        assert element["type"] == "RichTextBlock"  # no TextBlock or FactSet: those read Markdown
        for run in element["inlines"]:
            assert run["type"] == "TextRun" and "\n" not in run["text"]
            runs.append(run["text"])
    text = "\n".join(runs)
    assert "https://evil" not in text and "www.evil" not in text and "{{" not in text
    assert "https[:]//evil.example" in text
    assert not any(ch in text for ch in INVISIBLE)
    actions = payload["attachments"][0]["content"].get("actions", [])
    assert all(a["url"].startswith("https://eu-west-1.console.aws.amazon.com/cloudtrailv2/") for a in actions)
    assert "msteams" in payload["attachments"][0]["content"]  # width only: no entities, so no mentions


def test_teams_card_stays_small_for_huge_values() -> None:
    big = "x" * 100_000
    event = access_event(user_agent=big, keys=tuple({"pk": big + str(i)} for i in range(20)), source_ip=big)
    payload = teams.format_group(group_alerts([alert(event)])[0], "prod", STYLE.keys)
    assert len(json.dumps(payload)) <= teams.MAX_PAYLOAD_CHARS


# -- the signed webhook's JSON -------------------------------------------------------------------------


def test_webhook_json_keeps_the_exact_values_and_every_event_id() -> None:
    group = scenario("data")
    payload = alert_json.format_group(group, STYLE.name, STYLE.keys)
    decoded = json.loads(json.dumps(payload))
    assert decoded["schema"] == "dynamodb-access-alerts/alert-group" and decoded["schema_version"] == 1
    assert decoded["principal"]["session_name"] == HOSTILE  # exact: a SIEM wants the values as logged
    assert decoded["user_agents"] == [HOSTILE]
    assert decoded["event_ids"] == list(group.event_ids) and decoded["event_id_count"] == 1
    assert decoded["severity"] == "medium" and decoded["kind"] == "data"
    assert re.fullmatch(r"[0-9a-f]{32}", decoded["group_id"])


def test_webhook_json_bounds_a_storms_event_ids() -> None:
    group = group_alerts(storm(1500))[0]
    payload = alert_json.format_group(group, "prod", STYLE.keys)
    assert len(payload["event_ids"]) == alert_json.MAX_EVENT_IDS
    assert payload["event_id_count"] == 1500 and payload["event_ids_truncated"] is True
    assert alert_json.group_id(group) != alert_json.group_id(group_alerts(storm(1499))[0])


# -- SNS -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", SCENARIOS)
def test_sns_subject_and_attributes_obey_the_limits(kind: str) -> None:
    message = sns.format_group(scenario(kind), "prod-\u00e9t\u00e9-alerts", STYLE.keys)
    assert len(message.subject) < 100 and message.subject.isascii()
    assert all(" " <= ch <= "~" for ch in message.subject)
    assert message.subject.startswith("[prod-?t?-alerts] ")
    attrs = message.attributes
    assert attrs["kind"] == {"DataType": "String", "StringValue": scenario(kind).alert_kind}
    assert attrs["severity"]["StringValue"] in facts.SEVERITIES
    assert len(attrs) <= 10
    for name in ("table", "account"):
        if name in attrs:
            assert attrs[name]["DataType"] == "String.Array"
            assert isinstance(json.loads(attrs[name]["StringValue"]), list)
    assert json.loads(attrs["account"]["StringValue"]) == [ACCOUNT]
    structure = json.loads(message.message)
    assert set(structure) == {"default", *sns.MACHINE_PROTOCOLS}
    text = structure["default"]
    assert "https://evil" not in text and "www.evil" not in text
    assert not any(ch in text for ch in INVISIBLE)
    assert len(message.message.encode()) <= sns.MAX_MESSAGE_BYTES


def test_sns_publish_arguments() -> None:
    message = sns.format_group(scenario("data"), "prod", STYLE.keys)
    args = message.publish_arguments("arn:aws:sns:eu-west-1:111122223333:t")
    assert args["MessageStructure"] == "json" and args["Subject"] == message.subject


# -- the neutraliser -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("https://evil.example/x", "https[:]//evil.example/x"),
        ("HTTP://x", "HTTP[:]//x"),
        ("javascript://x", "javascript[:]//x"),
        ("file:\\\\host\\share", "file[:]\\\\host\\share"),
        ("see www.evil.example", "see www[.]evil.example"),
        ("a\u200bb\u202ec\u2066d", "a\ufffdb\ufffdc\ufffdd"),
        ("line\nbreak\ttab\x00", "line break tab "),
        ("arn:aws:iam::1:role/x", "arn:aws:iam::1:role/x"),  # no // : not a link
    ],
)
def test_plain(raw: str, shown: str) -> None:
    assert facts.plain(raw) == shown


def test_plain_bounds_length() -> None:
    assert facts.plain("x" * 500, 10) == "x" * 9 + facts.ELLIPSIS


@pytest.mark.parametrize(
    "formatter",
    [teams.format_group, alert_json.format_group, sns.format_group],
    ids=["teams", "webhook", "sns"],
)
def test_unparseable_and_unknown_caller_format(formatter: Callable[..., Any]) -> None:
    group = group_alerts([alert(None, kind="unparseable", source_id="file.json:3")])[0]
    assert formatter(group, "prod", STYLE.keys)


# -- accounts: names beside IDs, and no console link into another account ----------------------------------

MANAGEMENT = "999988887777"  # where an organization deployment runs (its home)
MEMBER = "210987654321"  # a member account whose table is watched
HOSTILE_NAME = "<!here> pay [x](https://evil.example) {{DATE(2017-02-14T06:08:00Z)}} `y`"
ORG_STYLE = Style(
    "org-alerts",
    KeyFormatter("show"),
    Accounts(names={MEMBER: HOSTILE_NAME, ACCOUNT: "tools"}, home=MANAGEMENT),
)


def member_group() -> AlertGroup:
    """A PutItem on a member account's table by a role of that account, decided in the management account."""
    event = access_event(
        api="PutItem", access="write", principal=role_principal(session="bob", account=MEMBER)
    )
    event = dataclasses.replace(
        event, account_id=MEMBER, table_arns=(f"arn:aws:dynamodb:{REGION}:{MEMBER}:table/Orders",)
    )
    (group,) = group_alerts([alert(event)])
    return group


FORMATS = ("slack_webhook", "slack_app", "teams", "webhook", "sns")


@pytest.mark.parametrize("fmt", FORMATS)
def test_snapshot_member_account(fmt: str, snap: SnapshotAssertion) -> None:
    assert render(fmt, member_group(), ORG_STYLE) == snap


def test_slack_names_the_account_escaped_and_links_nowhere() -> None:
    payload = render("slack_webhook", member_group(), ORG_STYLE)
    texts = "\n".join(slack_texts(payload))
    assert f"`{MEMBER}` (&lt;!here&gt; pay [x](https[:]//evil.example)" in texts
    assert "<!" not in texts and "https://evil" not in texts
    assert "console.aws.amazon.com" not in json.dumps(payload)
    assert f"these events are in account `{MEMBER}`" in texts and f"`{MANAGEMENT}`" in texts


def test_teams_names_the_account_and_has_no_console_button() -> None:
    payload = render("teams", member_group(), ORG_STYLE)
    runs = [r["text"] for e in card_elements(payload) for r in e["inlines"]]
    assert any(
        r.startswith(f"{MEMBER} (<!here> pay [x](https[:]//evil.example) {{\u2009{{DATE") for r in runs
    )
    assert "actions" not in payload["attachments"][0]["content"]
    assert any("sign in to that account" in r for r in runs)


def test_json_and_sns_carry_the_names() -> None:
    payload = render("webhook", member_group(), ORG_STYLE)
    assert payload["account_names"] == {MEMBER: HOSTILE_NAME}  # exact, like every value of the JSON
    sns_message = render("sns", member_group(), ORG_STYLE)
    assert f"Account: {MEMBER} (<!here> pay [x](https[:]//evil.example)" in sns_message["default"]
    assert sns_message["sqs"]["account_names"] == {MEMBER: HOSTILE_NAME}


@pytest.mark.parametrize("fmt", ["slack_webhook", "teams"])
def test_console_link_kept_for_the_home_account_and_without_a_home(fmt: str) -> None:
    home = Style("org-alerts", KeyFormatter("show"), Accounts(names={}, home=MEMBER))
    unknown = Style("org-alerts", KeyFormatter("show"), Accounts(names={MEMBER: "pay"}))
    for style in (home, unknown):
        rendered = json.dumps(render(fmt, member_group(), style))
        assert "console.aws.amazon.com/cloudtrailv2" in rendered and "sign in to that account" not in rendered


def test_unnamed_accounts_show_the_id_alone() -> None:
    payload = render("slack_webhook", member_group(), STYLE)
    fields = [f["text"] for b in payload["blocks"] for f in b.get("fields", [])]
    assert f"*Account*\n`{MEMBER}`" in fields
