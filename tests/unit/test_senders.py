"""senders: each destination type against its local stand-in (tools/webhook_receiver.py; SNS on moto), through
the delivery loop: Slack's Web API with threads and ok:false answers, Teams, the signed webhook, SNS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from access_alerts.config import DeliverySettings
from access_alerts.delivery import ThreadMemory, deliver_groups
from access_alerts.destinations import Destination, Routing, Secret
from access_alerts.grouping import group_alerts
from access_alerts.keys import KeyFormatter
from access_alerts.senders import (
    SenderPool,
    SnsSender,
    Style,
    build_sender,
    signature,
    signing_headers,
    slack_api_verdict,
)
from access_alerts.webhook import HttpResponse, WebhookClient
from tests.factories import access_event, alert, storm
from tools.webhook_receiver import (
    SIGNING_SECRET,
    SLACK_CHANNEL,
    SLACK_TOKEN,
    WebhookReceiver,
    expected_signature,
)

STYLE = Style("prod", KeyFormatter("show"))


def local(value: str) -> Secret:
    return Secret(None, value, "test")


def no_wait(client: Any) -> Any:
    """The sender's client, made to sleep without waiting."""
    client._sleep = lambda seconds: None
    client._rand = lambda: 0.0
    return client


def settings_for(*destinations: Destination) -> DeliverySettings:
    routing = Routing({d.name: d for d in destinations}, defaults=tuple(d.name for d in destinations))
    return DeliverySettings(routing=routing, name="prod")


def pool_for(settings: DeliverySettings) -> SenderPool:
    pool = SenderPool(settings.routing, read_secret=lambda secret: secret.value)
    for name in settings.routing.destinations:
        sender = pool.get(name)
        client = getattr(sender, "_post", None)
        if isinstance(client, WebhookClient):
            no_wait(client)
    return pool


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(slack_not_member=("C0NOTMEMBER",)) as receiver:
        yield receiver


def slack_app(hook: WebhookReceiver, channel: str = SLACK_CHANNEL, token: str = SLACK_TOKEN) -> Destination:
    return Destination(
        "oncall",
        "slack_app",
        token=local(token),
        channel=channel,
        api_url=hook.slack_api_url,
        mention_on_tamper=True,
    )


# -- Slack Web API -----------------------------------------------------------------------------------


def test_slack_app_posts_with_the_token_and_threads_a_storms_later_messages(hook: WebhookReceiver) -> None:
    settings = settings_for(slack_app(hook))
    pool, memory = pool_for(settings), ThreadMemory()
    for prefix in ("a", "b", "c"):  # one storm seen by three invocations
        report = deliver_groups(
            group_alerts(storm(3, id_prefix=prefix)), settings, senders=pool, hooks=memory
        )
        assert report.sent == 1
    requests = hook.delivered("slack_api")
    assert [r.headers["Authorization"] for r in requests] == [f"Bearer {SLACK_TOKEN}"] * 3
    threads = hook.threads()
    assert len(threads) == 1
    ((first, *replies),) = threads.values()
    assert "thread_ts" not in first.json() and len(replies) == 2
    assert all(r.json()["thread_ts"] == json.loads(first.answer)["ts"] for r in replies)
    assert SLACK_TOKEN not in json.dumps([r.json() for r in requests])  # the token is a header only


def test_slack_app_tamper_mentions_here_and_stands_alone(hook: WebhookReceiver) -> None:
    settings = settings_for(slack_app(hook))
    pool, memory = pool_for(settings), ThreadMemory()
    tamper = [
        alert(access_event(api="StopLogging", category="management", table="", access="write"), kind="tamper")
    ]
    for _ in range(2):
        deliver_groups(group_alerts(tamper), settings, senders=pool, hooks=memory)
    payloads = [r.json() for r in hook.delivered("slack_api")]
    assert (
        all(p["text"].startswith("<!here> ") and "thread_ts" not in p for p in payloads)
        and len(payloads) == 2
    )


@pytest.mark.parametrize(
    ("destination_kw", "fragment"),
    [
        ({"channel": "C0UNKNOWN1"}, "Slack answered channel_not_found: the channel ID does not exist"),
        ({"channel": "C0NOTMEMBER"}, "Slack answered not_in_channel: the app is not a member of the channel"),
        ({"token": "xoxb-wrong"}, "Slack answered invalid_auth: the token is not valid"),
    ],
)
def test_slack_app_permanent_errors_are_clear_and_not_retried(
    hook: WebhookReceiver, destination_kw: dict[str, str], fragment: str
) -> None:
    settings = settings_for(slack_app(hook, **destination_kw))
    report = deliver_groups(group_alerts(storm(2)), settings, senders=pool_for(settings))
    assert report.failed == 1 and fragment in report.failures[0]
    assert len(hook.received()) == 1
    assert "xoxb-wrong" not in report.failures[0] and SLACK_TOKEN not in report.failures[0]


def test_slack_app_rate_limit_waits_for_retry_after_then_delivers(hook: WebhookReceiver) -> None:
    settings = settings_for(slack_app(hook))
    pool = pool_for(settings)
    waits: list[float] = []
    pool.get("oncall")._post._sleep = waits.append  # type: ignore[attr-defined]
    hook.slack_answer("ratelimited", times=1, retry_after=7)
    hook.respond_with(200, times=1, body=json.dumps({"ok": False, "error": "internal_error"}))
    report = deliver_groups(group_alerts(storm(1)), settings, senders=pool)
    assert report.sent == 1 and len(hook.received()) == 3
    assert waits[0] == 7.0


def test_slack_api_verdicts() -> None:
    ok = slack_api_verdict(HttpResponse(200, '{"ok": true, "ts": "1.2"}'))
    assert (ok.outcome, ok.ref) == ("delivered", "1.2")
    limited = slack_api_verdict(HttpResponse(200, '{"ok": false, "error": "ratelimited"}', retry_after="3"))
    assert (limited.outcome, limited.wait) == ("retry", 3.0)
    assert slack_api_verdict(HttpResponse(200, '{"ok": false, "error": "ratelimited"}')).wait == 1.0
    assert slack_api_verdict(HttpResponse(200, '{"ok": false, "error": "fatal_error"}')).outcome == "retry"
    odd = slack_api_verdict(HttpResponse(200, '{"ok": false, "error": "<!channel>"}'))
    assert odd.outcome == "failed" and "<!" not in odd.detail
    assert slack_api_verdict(HttpResponse(200, "<html>")).outcome == "failed"
    assert slack_api_verdict(HttpResponse(200, '{"ok": false}')).detail.startswith(
        "Slack answered unknown_error"
    )


# -- Teams, the signed webhook -------------------------------------------------------------------------


def test_teams_gets_an_adaptive_card_and_202_counts_as_delivered(hook: WebhookReceiver) -> None:
    settings = settings_for(Destination("teams", "teams", url=local(hook.teams_url)))
    report = deliver_groups(group_alerts(storm(4)), settings, senders=pool_for(settings))
    assert report.sent == 1
    (request,) = hook.delivered("teams")
    assert request.status == 202 and "DynamoDB data access (read) on Orders (4 records)" in request.text


def test_signed_webhook_verifies_at_the_receiver(hook: WebhookReceiver) -> None:
    settings = settings_for(
        Destination("siem", "webhook", url=local(hook.signed_url), secret=local(SIGNING_SECRET))
    )
    report = deliver_groups(group_alerts(storm(2)), settings, senders=pool_for(settings))
    assert report.sent == 1
    (request,) = hook.delivered("signed")
    assert request.verified is True and request.json()["event_ids"] == ["e-000000", "e-000001"]
    assert request.headers["X-Alert-Schema"] == "dynamodb-access-alerts/alert-group; version=1"


def test_signed_webhook_with_the_wrong_secret_is_refused(hook: WebhookReceiver) -> None:
    settings = settings_for(Destination("siem", "webhook", url=local(hook.signed_url), secret=local("other")))
    report = deliver_groups(group_alerts(storm(2)), settings, senders=pool_for(settings))
    assert report.failed == 1 and "HTTP 401: bad signature" in report.failures[0]
    assert hook.received()[0].verified is False


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"a":1}'
    sig = signature(b"secret", "1700000000", body)
    import hashlib
    import hmac

    assert sig == "sha256=" + hmac.new(b"secret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sig == expected_signature("secret", "1700000000", body)  # the receiver's (documented) check
    assert (
        signature(b"secret", "1700000001", body) != sig and signature(b"secret", "1700000000", b"{}") != sig
    )
    now = iter([100.0, 160.0])
    make = signing_headers(b"secret", clock=lambda: next(now))
    first, retry = make(body), make(body)
    assert first["X-Signature-Timestamp"] == "100" and retry["X-Signature-Timestamp"] == "160"
    assert first["X-Signature"] != retry["X-Signature"]  # a retry is signed afresh


# -- SNS on moto ---------------------------------------------------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3


def subscribed_queue(boto3: Any, topic_arn: str, raw: bool = False) -> tuple[Any, str]:
    sqs, sns = boto3.client("sqs", region_name="eu-west-1"), boto3.client("sns", region_name="eu-west-1")
    url = sqs.create_queue(QueueName="pager")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true"} if raw else {},
    )
    return sqs, url


def test_sns_publishes_subject_message_and_attributes(aws: Any) -> None:
    kms = aws.client("kms", region_name="eu-west-1")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    topic = aws.client("sns", region_name="eu-west-1").create_topic(
        Name="pager", Attributes={"KmsMasterKeyId": key}
    )["TopicArn"]
    sqs, url = subscribed_queue(aws, topic)
    settings = settings_for(Destination("pager", "sns", topic_arn=topic))
    tamper = alert(
        access_event(api="StopLogging", category="management", table="", access="write"), kind="tamper"
    )
    report = deliver_groups(group_alerts([*storm(3), tamper]), settings, senders=pool_for(settings))
    assert report.sent == 2 and report.failed == 0
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    envelopes = [json.loads(m["Body"]) for m in messages]
    by_kind = {e["MessageAttributes"]["kind"]["Value"]: e for e in envelopes}
    assert set(by_kind) == {"tamper", "data"}
    assert by_kind["tamper"]["Subject"].startswith("[prod] TAMPER: alerting pipeline changed: StopLogging")
    assert by_kind["tamper"]["MessageAttributes"]["severity"]["Value"] == "critical"
    data = json.loads(by_kind["data"]["Message"])  # the sqs protocol gets the versioned JSON
    assert data["schema_version"] == 1 and data["event_ids"] == ["e-000000", "e-000001", "e-000002"]
    assert json.loads(by_kind["data"]["MessageAttributes"]["table"]["Value"]) == ["Orders"]


def test_sns_filter_policy_picks_by_attribute(aws: Any) -> None:
    sns = aws.client("sns", region_name="eu-west-1")
    topic = sns.create_topic(Name="pager")["TopicArn"]
    sqs, url = subscribed_queue(aws, topic, raw=True)
    subscription = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]["SubscriptionArn"]
    sns.set_subscription_attributes(
        SubscriptionArn=subscription,
        AttributeName="FilterPolicy",
        AttributeValue='{"severity": ["critical"]}',
    )
    settings = settings_for(Destination("pager", "sns", topic_arn=topic))
    tamper = alert(
        access_event(api="StopLogging", category="management", table="", access="write"), kind="tamper"
    )
    deliver_groups(group_alerts([*storm(3), tamper]), settings, senders=pool_for(settings))
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])[
        "Messages"
    ]
    assert len(messages) == 1 and json.loads(messages[0]["Body"])["kind"] == "tamper"


def test_sns_errors_are_named_and_fail_the_message(aws: Any) -> None:
    settings = settings_for(
        Destination("pager", "sns", topic_arn="arn:aws:sns:eu-west-1:123456789012:missing")
    )
    report = deliver_groups(group_alerts(storm(1)), settings, senders=pool_for(settings))
    assert report.failed == 1 and "SNS publish failed: NotFound" in report.failures[0]


def test_sns_does_not_start_a_publish_the_deadline_cannot_fit() -> None:
    sender = SnsSender(
        Destination("p", "sns", topic_arn="arn:aws:sns:eu-west-1:1:t"), client=object(), clock=lambda: 100.0
    )
    result = sender.post(None, None, deadline=104.0)
    assert not result.ok and "deadline" in result.detail


# -- building ------------------------------------------------------------------------------------------


def test_build_sender_reads_each_secret_and_checks_urls() -> None:
    from access_alerts.config import ConfigError

    read: list[str] = []

    def reader(secret: Secret) -> str:
        read.append(secret.where)
        return secret.value or ""

    siem = Destination(
        "siem", "webhook", url=Secret(None, "https://siem.example/in", "u"), secret=Secret(None, "s", "s")
    )
    assert build_sender(siem, reader).destination is siem and read == ["u", "s"]
    bad = Destination(
        "t", "teams", url=Secret(None, "http://teams.example/x", "destinations.t.url_parameter")
    )
    with pytest.raises(ConfigError, match=r"the URL in destinations\.t\.url_parameter is not https"):
        build_sender(bad, reader)
