"""digest.py with the delivery loop and the ledger on moto: no repeats, digest windows, the flush, concurrent
invocations of one key, and a ledger that is down (the alerts are posted anyway)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from access_alerts.delivery import DeliveryReport, Plan, ThreadMemory, deliver_groups
from access_alerts.destinations import Route, Routing
from access_alerts.digest import (
    Counters,
    FlushHooks,
    Gate,
    LedgerHooks,
    batch_id,
    flush,
    follow_up_group,
)
from access_alerts.grouping import group_alerts
from access_alerts.keys import KeyFormatter
from access_alerts.ledger import BatchSummary, ClosedWindow, Ledger
from access_alerts.model import Decision
from access_alerts.webhook import PostResult
from tests.factories import access_event, alert, storm, user_principal
from tests.fakes import FakePost, pool, routing, settings
from tests.ledger_table import TABLE, Clock, ledger, ledger_table
from tests.unit.test_ledger import Broken

WINDOW = 10
ONE = routing("oncall")
TWO = routing("oncall", "siem", routes=[Route("all", destinations=("oncall", "siem"))], defaults=["oncall"])


@pytest.fixture
def client() -> Iterator[Any]:
    with ledger_table() as c:
        yield c


@pytest.fixture
def clock() -> Clock:
    return Clock()


class Posts(dict[str, FakePost]):
    """One recording post function per destination, kept across invocations."""

    def __init__(self, route_to: Routing) -> None:
        super().__init__({name: FakePost() for name in route_to.destinations})

    def texts(self, name: str = "oncall") -> list[str]:
        return [str(p["text"]) for p in self[name].payloads]


def records(text: str) -> int:
    """The number of records a message is about, from its fallback text (``...: 625 records by ...``)."""
    found = re.search(r": ([\d,]+) records? by ", text)
    assert found, text
    return int(found.group(1).replace(",", ""))


def invoke(
    client: Any,
    clock: Clock,
    decisions: Sequence[Decision],
    posts: Posts,
    *,
    route_to: Routing = ONE,
    window: int = WINDOW,
    led: Ledger | None = None,
) -> tuple[DeliveryReport, Counters]:
    """One invocation of the function on ``decisions``: the gate in front of the delivery loop."""
    counters = Counters()
    gate = Gate(led or ledger(client, clock), window, decisions, KeyFormatter("show").format, counters)
    report = deliver_groups(
        group_alerts(decisions),
        settings(route_to),
        senders=pool(route_to, posts),
        hooks=LedgerHooks(gate, ThreadMemory()),
    )
    return report, counters


def flush_now(
    client: Any, clock: Clock, posts: Posts, *, route_to: Routing = ONE, window: int = WINDOW
) -> tuple[DeliveryReport, Counters]:
    """One flush invocation: close the due windows, deliver their follow-ups."""
    led = ledger(client, clock)
    counters = Counters()
    follow_ups = flush(led, window, counters)
    report = deliver_groups(
        [f.group for f in follow_ups],
        settings(route_to),
        senders=pool(route_to, posts),
        hooks=FlushHooks(led, follow_ups, counters),
    )
    return report, counters


def payloads(count: int, size: int, **kwargs: Any) -> list[list[Decision]]:
    """``count`` payloads of ``size`` records by one person on one table (eventIDs all distinct)."""
    decisions = storm(count * size, **kwargs)
    return [decisions[i * size : (i + 1) * size] for i in range(count)]


# -- digest windows --------------------------------------------------------------------------------------


def test_a_storm_over_sixteen_invocations_gives_two_messages_whose_counts_add_up(
    client: Any, clock: Clock
) -> None:
    posts = Posts(ONE)
    for batch in payloads(16, 40):
        invoke(client, clock, batch, posts)
        clock.advance(7.5)  # sixteen payloads over two minutes
    assert len(posts["oncall"].payloads) == 1, "only the first alert is posted at once"
    assert flush_now(client, clock, posts)[0].sent == 0, "the window is still open"
    clock.advance(WINDOW * 60)
    report, counters = flush_now(client, clock, posts)
    assert report.sent == 1 and counters.follow_ups == 1 and counters.windows_closed == 1
    first, follow_up = posts.texts()
    assert records(first) == 40 and records(follow_up) == 600
    assert "Digest:" in follow_up


def test_the_follow_up_sums_up_the_window(client: Any, clock: Clock) -> None:
    posts = Posts(ONE)
    first, second = payloads(2, 5, api="Scan")
    third = storm(5, api="Query", id_prefix="q")
    invoke(client, clock, first, posts)
    invoke(client, clock, second, posts)
    invoke(client, clock, third, posts)
    clock.advance(WINDOW * 60)
    led = ledger(client, clock)
    (follow_up,) = flush(led, WINDOW, Counters())
    group = follow_up.group
    assert group.count == 10 and group.event_names == ("Query", "Scan")
    assert (group.first_time, group.last_time) == ("2026-11-25T09:00:00Z", "2026-11-25T09:00:09Z")
    assert group.digest is not None and group.digest.destination == "oncall"
    assert group.digest.window_minutes == WINDOW
    sampled = {f'{{"pk":{{"S":"item#{i}"}}}}' for i in (0, 1, 2, 5, 6, 7)}  # three keys per held batch
    assert len(group.digest.key_texts) == 5 and set(group.digest.key_texts) <= sampled
    assert first[0].event is not None
    assert group.principal is not None and group.principal.display == first[0].event.principal.display
    assert len(group.event_ids) == 6, "a sample of eventIDs, three per held batch"


def test_a_session_that_goes_on_gives_about_one_message_per_window(client: Any, clock: Clock) -> None:
    posts = Posts(ONE)
    for batch in payloads(35, 3):  # 35 minutes, one payload a minute
        invoke(client, clock, batch, posts)
        clock.advance(60)
        flush_now(client, clock, posts)  # the schedule, every minute
    clock.advance(2 * WINDOW * 60)
    flush_now(client, clock, posts)
    counts = [records(t) for t in posts.texts()]
    assert len(counts) == 5, posts.texts()  # the first alert, then one follow-up per 10-minute window
    assert sum(counts) == 105


def test_a_quiet_window_closes_without_a_message(client: Any, clock: Clock) -> None:
    posts = Posts(ONE)
    invoke(client, clock, storm(3), posts)
    clock.advance(WINDOW * 60)
    report, counters = flush_now(client, clock, posts)
    assert report.sent == 0 and counters.windows_closed == 1
    assert ledger(client, clock).due() == []
    clock.advance(60)
    invoke(client, clock, storm(3, id_prefix="later"), posts)
    assert len(posts["oncall"].payloads) == 2, "after a quiet window the next alert is posted at once"


def test_tamper_and_control_plane_alerts_are_never_held(client: Any, clock: Clock) -> None:
    posts = Posts(ONE)
    person = user_principal("mallory")

    def tamper(i: int) -> Decision:
        return alert(access_event(principal=person, api="StopLogging", event_id=f"t-{i}"), kind="tamper")

    def control(i: int) -> Decision:
        return alert(
            access_event(principal=person, api="DeleteTable", event_id=f"c-{i}"), kind="control_plane"
        )

    invoke(client, clock, [tamper(1), control(1)], posts)
    invoke(client, clock, [tamper(2), control(2)], posts)
    assert len(posts["oncall"].payloads) == 4


def test_records_without_an_event_id_are_posted_every_time(client: Any, clock: Clock) -> None:
    posts = Posts(ONE)
    old = [alert(access_event(event_id=None, time=f"2026-11-25T09:00:0{i}Z")) for i in range(2)]
    invoke(client, clock, old, posts)
    invoke(client, clock, old, posts)
    assert len(posts["oncall"].payloads) == 2, "nothing to remember them by: neither held nor deduplicated"


def test_digests_off_posts_each_invocation_but_nothing_twice(client: Any, clock: Clock) -> None:
    posts = Posts(ONE)
    first, second = payloads(2, 4)
    invoke(client, clock, first, posts, window=0)
    invoke(client, clock, second, posts, window=0)
    invoke(client, clock, second, posts, window=0)
    assert [records(t) for t in posts.texts()] == [4, 4]
    assert ledger(client, clock).due() == []


# -- no repeats ------------------------------------------------------------------------------------------


def test_a_retried_invocation_posts_nothing_again(client: Any, clock: Clock) -> None:
    posts = Posts(ONE)
    decisions = storm(30)
    invoke(client, clock, decisions, posts)
    report, counters = invoke(client, clock, decisions, posts)
    assert len(posts["oncall"].payloads) == 1
    assert report.skipped == 1 and counters.repeats == 30


def test_a_held_payload_redelivered_after_its_window_closed_is_not_counted_again(
    client: Any, clock: Clock
) -> None:
    posts = Posts(ONE)
    first, second = payloads(2, 10)
    invoke(client, clock, first, posts)
    invoke(client, clock, second, posts)  # held
    clock.advance(WINDOW * 60)
    flush_now(client, clock, posts)
    clock.advance(3600)
    invoke(client, clock, second, posts)  # CloudWatch Logs delivers it again, or a redrive
    invoke(client, clock, first, posts)
    clock.advance(2 * WINDOW * 60)
    flush_now(client, clock, posts)
    assert [records(t) for t in posts.texts()] == [10, 10]


def test_a_partial_redelivery_posts_only_the_new_records(client: Any, clock: Clock) -> None:
    posts = Posts(ONE)
    decisions = storm(20)
    invoke(client, clock, decisions[:12], posts, window=0)
    invoke(client, clock, decisions, posts, window=0)  # re-batched: 12 known, 8 new
    assert [records(t) for t in posts.texts()] == [12, 8]


def test_only_the_destination_that_failed_gets_the_retry(client: Any, clock: Clock) -> None:
    posts = Posts(TWO)
    posts["siem"].fail_when = lambda payload: True
    decisions = storm(5)
    report, _ = invoke(client, clock, decisions, posts, route_to=TWO)
    assert report.failed == 1
    posts["siem"].fail_when = lambda payload: False
    report, _ = invoke(client, clock, decisions, posts, route_to=TWO)  # Lambda's retry of the payload
    assert report.failed == 0
    assert len(posts["oncall"].payloads) == 1, "oncall had it: not posted again"
    assert len(posts["siem"].payloads) == 2, "siem gets it on the retry, at once (not held in a window)"


def test_another_invocation_posting_the_same_records_fails_this_one(client: Any, clock: Clock) -> None:
    decisions = storm(5)
    group = group_alerts(decisions)[0]
    other = ledger(client, clock, owner="the-other-invocation")
    assert other.claim_message("oncall", batch_id("oncall", group.event_ids)).state == "owned"
    posts = Posts(ONE)
    report, counters = invoke(client, clock, decisions, posts, window=0)
    assert report.failed == 1 and posts["oncall"].payloads == [] and counters.busy == 5
    assert "another invocation" in report.failures[0]


def test_a_crash_between_posting_and_recording_repeats_rather_than_loses(client: Any, clock: Clock) -> None:
    decisions = storm(5)
    group = group_alerts(decisions)[0]
    crashed = ledger(client, clock, owner="crashed", lease_seconds=120)
    assert crashed.claim_message("oncall", batch_id("oncall", group.event_ids)).state == "owned"
    # ... it posted, then died before marking the message sent. Lambda retries after its deadline:
    clock.advance(121)
    posts = Posts(ONE)
    invoke(client, clock, decisions, posts, window=0)
    assert len(posts["oncall"].payloads) == 1, "posted again (a repeat), never lost"


# -- the ledger is down or slow ---------------------------------------------------------------------------


def test_a_broken_ledger_never_stops_an_alert() -> None:
    posts = Posts(ONE)
    broken = Ledger(client=Broken(), table=TABLE, ttl_seconds=60, owner="x", clock=Clock())
    report, counters = invoke(None, Clock(), storm(7), posts, led=broken)
    assert report.sent == 1 and records(posts.texts()[0]) == 7
    assert counters.errors == 1


def test_a_ledger_failing_after_the_post_still_counts_the_post(client: Any, clock: Clock) -> None:
    class FailsOnWrite:
        """Reads work, every write after the claim fails (throttled)."""

        def __init__(self, real: Any) -> None:
            self.real = real
            self.claimed = False

        def __getattr__(self, name: str) -> Any:
            if name in ("batch_write_item", "update_item") and self.claimed:
                return Broken().__getattr__(name)
            if name == "put_item":
                self.claimed = True
            return getattr(self.real, name)

    posts = Posts(ONE)
    flaky = Ledger(client=FailsOnWrite(client), table=TABLE, ttl_seconds=60, owner="y", clock=clock)
    report, counters = invoke(client, clock, storm(4), posts, window=0, led=flaky)
    assert report.sent == 1 and counters.errors >= 1


# -- concurrent invocations of one key --------------------------------------------------------------------


def test_concurrent_invocations_of_one_key_give_one_first_message_and_exact_totals(
    client: Any, clock: Clock
) -> None:
    posts = Posts(ONE)
    lock = threading.Lock()
    start = threading.Barrier(8)
    batches = payloads(8, 25)

    def run(batch: list[Decision]) -> None:
        start.wait()
        invoke(client, clock, batch, posts)

    real_post = posts["oncall"]

    class Serialised(FakePost):
        def __call__(self, payload: Mapping[str, Any], deadline: float | None) -> PostResult:
            with lock:
                return real_post(payload, deadline)

    posts["oncall"] = Serialised()
    with ThreadPoolExecutor(max_workers=8) as threads:
        list(threads.map(run, batches))
    assert len(real_post.payloads) == 1, "one invocation opened the window and posted"
    clock.advance(WINDOW * 60)
    posts["oncall"] = real_post
    flush_now(client, clock, posts)
    counts = [records(str(p["text"])) for p in real_post.payloads]
    assert len(counts) == 2 and sum(counts) == 200


# -- threads (slack_app): the follow-up replies under the first message ----------------------------------


def test_the_follow_up_replies_in_the_first_messages_thread(client: Any, clock: Clock) -> None:
    led = ledger(client, clock)
    decisions = storm(3)
    gate = Gate(led, WINDOW, decisions, KeyFormatter("show").format)
    hooks = LedgerHooks(gate, ThreadMemory())
    group = group_alerts(decisions)[0]
    assert hooks.before_post("app", group) == Plan()
    hooks.after_post("app", group, PostResult(True, 200, 1, ref="1790000000.000100"))
    later = storm(2, id_prefix="later")
    Gate(ledger(client, clock), WINDOW, later, KeyFormatter("show").format).admit(
        "app", group_alerts(later)[0]
    )
    clock.advance(WINDOW * 60)
    flushing = ledger(client, clock)
    (follow_up,) = flush(flushing, WINDOW, Counters())
    assert follow_up.group.digest is not None and follow_up.group.digest.thread == "1790000000.000100"
    flush_hooks = FlushHooks(flushing, [follow_up], Counters())
    assert flush_hooks.before_post("app", follow_up.group) == Plan(thread="1790000000.000100")


def test_follow_up_group_from_a_window_without_a_label_still_alerts() -> None:
    window = ClosedWindow("oncall", "k", "g", 0, 600_000, {}, None, (BatchSummary(3, None, None, ("Scan",)),))
    group = follow_up_group(window, WINDOW)
    assert group.count == 3 and group.principal is None and group.alert_kind == "data"
    assert group.digest is not None and group.digest.opened == "1970-01-01T00:00:00Z"
