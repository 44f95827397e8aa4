"""Issue 9, display and encoding: what an attacker can put in a record's text (lone surrogates, invisible and
direction-changing characters, bare URLs, a Region with a trailing newline) never stops an alert from being
delivered, never crashes replay, and never reaches a person hidden or as a live link, in any format.

Each case is a fixture record (tests/fixtures/records); the decisions themselves are checked by
test_records_fixtures.py, these tests follow the records through grouping, every format and the serialiser.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from access_alerts import alert_json, sns, teams, text
from access_alerts.cli import build_parser, replay
from access_alerts.destinations import Destination, Secret
from access_alerts.grouping import AlertGroup, group_alerts
from access_alerts.keys import KeyFormatter
from access_alerts.model import Decision, PolicySettings
from access_alerts.policy import Policy
from access_alerts.senders import SlackAppSender, SlackWebhookSender, Style
from access_alerts.slack import console_link
from access_alerts.webhook import HttpResponse, WebhookClient
from tests.unit.test_records_fixtures import FIXTURES, SETTINGS, load_fixture

SURROGATE_CASES = ("putitem_lone_surrogate_user_agent_and_key", "putitem_lone_surrogate_table_name")
INVISIBLE = ("\u200b", "\u202e", "\u202c", "\ufeff", "\u0085")
FORMATS = ("slack_webhook", "slack_app", "teams", "webhook", "sns")


def decide(name: str, settings: PolicySettings = SETTINGS, **kw: Any) -> Decision:
    record, _ = load_fixture(FIXTURES / f"{name}.json")
    return Policy(settings, **kw).evaluate(record, source_id=name)


def every_table(name: str) -> AlertGroup:
    """The fixture as replay without --table sees it: every table watched, so it alerts."""
    decision = decide(name, monitor_all_tables=True)
    assert decision.kind == "alert", decision.reason
    (group,) = group_alerts([decision])
    return group


def render(fmt: str, group: AlertGroup, keys: KeyFormatter) -> Any:
    style = Style("prod-alerts", keys)
    if fmt == "slack_webhook":
        hook = Destination("d", "slack_webhook", url=Secret(None, "https://x", "u"))
        return SlackWebhookSender(hook, lambda p, d: None).render(group, style)  # type: ignore[arg-type, return-value]
    if fmt == "slack_app":
        app = Destination("a", "slack_app", token=Secret(None, "xoxb-1", "t"), channel="C0123456789")
        return SlackAppSender(app, lambda p, d: None).render(group, style)  # type: ignore[arg-type, return-value]
    if fmt == "teams":
        return teams.format_group(group, style.name, keys)
    if fmt == "webhook":
        return alert_json.format_group(group, style.name, keys)
    message = sns.format_group(group, style.name, keys)
    return {"Subject": message.subject, "Message": message.message, "attributes": message.attributes}


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


class Capture:
    """A transport that keeps the bytes a WebhookClient sends and answers 200."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, url: str, body: bytes, timeout: float, headers: Any = None) -> HttpResponse:
        self.bodies.append(body)
        return HttpResponse(status=200, body="ok")


# -- lone surrogates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["show", "hash", "hide"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", SURROGATE_CASES)
def test_a_lone_surrogate_never_stops_delivery(case: str, fmt: str, mode: str) -> None:
    keys = KeyFormatter(mode, b"k" * 32 if mode == "hash" else None)  # type: ignore[arg-type]
    payload = render(fmt, every_table(case), keys)
    capture = Capture()
    client = WebhookClient("https://hooks.example/x", transport=capture, rate_per_second=0)
    if fmt == "sns":  # published by boto3, which encodes every string as UTF-8
        for value in strings(payload):
            value.encode("utf-8")
        json.loads(payload["Message"])
    else:
        result = client.post(payload)
        assert result.ok, result.detail
        body = json.loads(capture.bodies[0].decode("utf-8"))  # strict: valid UTF-8, valid JSON
        assert body


def test_serialiser_replaces_lone_surrogates_and_keeps_pairs() -> None:
    assert text.json_bytes({"a": "x\ud800y"}) == '{"a":"x\ufffdy"}'.encode()
    assert text.encodable("\ud83d\ude00 and \udfff") == "\U0001f600 and \ufffd"
    assert text.encodable("plain") == "plain"


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("fmt", ["jsonl", "text", "csv"])
@pytest.mark.parametrize("case", SURROGATE_CASES)
def test_replay_never_crashes_on_a_lone_surrogate(case: str, fmt: str, jobs: str, tmp_path: Path) -> None:
    record, _ = load_fixture(FIXTURES / f"{case}.json")
    source = tmp_path / "records.jsonl"
    source.write_text(json.dumps(record) + "\n", encoding="utf-8")  # ensure_ascii: as CloudTrail writes it
    # A strict UTF-8 stream, as a real stdout is: a lone surrogate written to it raises.
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    args = build_parser().parse_args(["replay", "--format", fmt, "--jobs", jobs, str(source), str(source)])
    assert replay(args, out, err) == 0
    out.flush()
    assert isinstance(out.buffer, io.BytesIO)
    written = out.buffer.getvalue().decode("utf-8")
    if fmt == "jsonl":
        line = written.splitlines()[0]
        decided = json.loads(line)
        assert decided["decision"] == "alert"
        if case.endswith("table_name"):
            assert decided["tables"] == ["Orders\ufffd"]
    elif fmt == "csv":
        assert "PutItem" in written and "alert" in written
    else:
        assert "ALERT" in written


# -- invisible characters and links -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["slack_webhook", "slack_app", "teams", "sns"])
def test_invisible_characters_and_bare_urls_never_reach_a_person(fmt: str) -> None:
    decision = decide("getitem_invisible_and_url_in_session")
    assert decision.kind == "alert"
    (group,) = group_alerts([decision])
    payload = render(fmt, group, KeyFormatter("show"))
    shown = list(strings(payload))
    if fmt == "sns":  # the message is JSON text holding the plain-text and the machine forms
        structure = json.loads(payload["Message"])
        shown = [structure["default"], payload["Subject"]]
    for value in shown:
        for ch in INVISIBLE:
            assert ch not in value, (fmt, value)
        assert "https://evil" not in value and "www.evil" not in value, (fmt, value)
    joined = "\n".join(shown)
    assert "https[:]//evil.example/login" in joined and "www[.]evil.example" in joined
    assert "\ufffd" in joined  # the hidden characters are shown as replacement characters


@pytest.mark.parametrize("fmt", ["slack_webhook", "slack_app"])
def test_every_slack_mrkdwn_text_is_verbatim(fmt: str) -> None:
    """verbatim: Slack does no automatic parsing, so a bare URL or #channel in record text is never linked."""
    decision = decide("getitem_invisible_and_url_in_session")
    (group,) = group_alerts([decision])
    payload = render(fmt, group, KeyFormatter("show"))
    objects: list[dict[str, Any]] = []
    for block in payload["blocks"]:
        if isinstance(block.get("text"), dict) and block["text"]["type"] == "mrkdwn":
            objects.append(block["text"])
        objects.extend(block.get("fields", []))
    assert objects and all(o["verbatim"] is True for o in objects)


def test_machine_json_keeps_exact_values_but_its_prose_is_clean() -> None:
    decision = decide("getitem_invisible_and_url_in_session")
    (group,) = group_alerts([decision])
    body = alert_json.format_group(group, "prod-alerts", KeyFormatter("show"))
    assert "\u202e" in body["principal"]["session_name"]  # a SIEM gets the exact value
    for field in ("title", "summary"):
        assert not any(ch in body[field] for ch in INVISIBLE)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\u200bb", "a\ufffdb"),
        ("\u202eevil\u202c", "\ufffdevil\ufffd"),
        ("\ufeffbom", "\ufffdbom"),
        ("next\u0085line", "next line"),
        ("soft\u00adhyphen", "soft\ufffdhyphen"),
        ("tag\U000e0041", "tag\ufffd"),
        ("filler\u3164name", "filler\ufffdname"),
        ("para\u2029graph", "para graph"),
        ("lone\ud800", "lone\ufffd"),
        ("no\u00a0break", "no\u00a0break"),
        ("caf\u00e9 \U0001f600", "caf\u00e9 \U0001f600"),
        ("tab\tnew\nline\x1b[31m", "tab new line [31m"),
    ],
)
def test_clean_makes_hidden_characters_visible(raw: str, shown: str) -> None:
    assert text.clean(raw) == shown


# -- Region with a trailing newline -------------------------------------------------------------------


@pytest.mark.parametrize(
    "region", ["us-east-1\n", "us-east-1\r\n", "us-east-1 ", "us-east-\u0661", "xus-east-1"]
)
def test_region_must_match_in_full(region: str) -> None:
    assert not text.is_region(region)
    assert console_link(region, "7c1f0104") is None


def test_region_with_trailing_newline_still_alerts_on_the_watched_table() -> None:
    """The ARN would have been built with the newline and matched no watched ARN: the record was ignored."""
    decision = decide("putitem_region_trailing_newline")
    assert decision.kind == "alert" and decision.event is not None
    assert decision.event.table_arns == ()
    (group,) = group_alerts([decision])
    slack = render("slack_webhook", group, KeyFormatter("show"))
    assert "console.aws.amazon.com" not in json.dumps(slack)
    assert text.is_region("us-east-1") and console_link("us-east-1", "e") is not None
