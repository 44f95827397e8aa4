"""ledger.py against the ledger table on moto: receipts, message claims, digest windows, the flush's items,
concurrent invocations (threads: conditional writes decide), and a ledger that is down."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from botocore.exceptions import ClientError

from access_alerts import rules
from access_alerts.ledger import (
    LATE_HOLD_MS,
    BatchSummary,
    ClosedWindow,
    Due,
    Ledger,
    LedgerUnavailable,
)
from tests.ledger_table import TABLE, Clock, items, ledger, ledger_table

T = TypeVar("T")
DEST = "oncall"
KEY = "0123456789abcdef0123456789abcdef"
WINDOW_MS = 10 * 60_000
LABEL = {"principal": {"display": "alice"}, "tables": ["Orders"], "access": "read"}


@pytest.fixture
def client() -> Iterator[Any]:
    with ledger_table() as c:
        yield c


@pytest.fixture
def clock() -> Clock:
    return Clock()


def summary(
    count: int, first: str = "2026-09-21T10:00:00Z", last: str = "2026-09-21T10:01:00Z"
) -> BatchSummary:
    return BatchSummary(
        count=count,
        first_time=first,
        last_time=last,
        apis=("Scan",),
        key_texts=('{"OrderId":"o-1"}',),
        event_ids=("e-1",),
        source_ips=("198.51.100.7",),
        user_agents=("aws-cli/2",),
    )


def together(n: int, task: Callable[[int], T]) -> list[T]:
    """Run ``task(i)`` for i in range(n) on n threads released at the same moment."""
    start = threading.Barrier(n)

    def run(i: int) -> T:
        start.wait()
        return task(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


# -- receipts -------------------------------------------------------------------------------------------


def test_receipts_are_per_destination_and_read_back(client: Any, clock: Clock) -> None:
    a = ledger(client, clock)
    assert a.receipts(DEST, ["e-1", "e-2"]) == set()
    a.record_receipts(DEST, ["e-1", "e-3"], "sent", "b1")
    assert a.receipts(DEST, ["e-1", "e-2", "e-3"]) == {"e-1", "e-3"}
    assert a.receipts("siem", ["e-1", "e-3"]) == set(), "another destination has received nothing"


def test_receipts_in_batches_of_the_api_limits(client: Any, clock: Clock) -> None:
    a = ledger(client, clock)
    ids = [f"e-{i:04d}" for i in range(260)]
    a.record_receipts(DEST, ids[:130], "held", "b1")
    assert a.calls["BatchWriteItem"] == 6  # 130 / 25, rounded up
    assert a.receipts(DEST, ids) == set(ids[:130])
    assert a.calls["BatchGetItem"] == 3  # 260 / 100, rounded up


def test_receipts_expire_after_the_ttl(client: Any, clock: Clock) -> None:
    ledger(client, clock).record_receipts(DEST, ["e-1"], "sent", "b1")
    (item,) = items(client)
    assert int(item[rules.ledger().ttl_attribute]["N"]) == int(clock()) + 7 * 86400


def test_unprocessed_keys_are_asked_for_again() -> None:
    class Throttled:
        """BatchGetItem leaves its keys unprocessed once, then answers."""

        def __init__(self) -> None:
            self.calls = 0

        def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
            self.calls += 1
            if self.calls == 1:
                return {"Responses": {TABLE: []}, "UnprocessedKeys": RequestItems}
            pk = rules.ledger().partition_key
            return {"Responses": {TABLE: [{pk: {"S": f"r#{DEST}#e-1"}}]}}

    fake = Throttled()
    l = Ledger(client=fake, table=TABLE, ttl_seconds=60, owner="x", clock=Clock())  # noqa: E741
    assert l.receipts(DEST, ["e-1", "e-2"]) == {"e-1"}
    assert fake.calls == 2


# -- message claims -------------------------------------------------------------------------------------


def test_one_invocation_owns_a_message_until_it_is_sent(client: Any, clock: Clock) -> None:
    first, second = ledger(client, clock), ledger(client, clock)
    owned = first.claim_message(DEST, "b1")
    assert owned.state == "owned" and owned.claim is not None
    assert second.claim_message(DEST, "b1").state == "busy"
    assert first.message_sent(owned.claim, "1700000000.000100")
    again = second.claim_message(DEST, "b1")
    assert (again.state, again.thread) == ("sent", "1700000000.000100")


def test_a_released_claim_can_be_taken_at_once(client: Any, clock: Clock) -> None:
    first, second = ledger(client, clock), ledger(client, clock)
    owned = first.claim_message(DEST, "b1").claim
    assert owned is not None
    first.release_message(owned)
    assert second.claim_message(DEST, "b1").state == "owned"


def test_a_crashed_owners_claim_is_taken_over_after_its_lease(client: Any, clock: Clock) -> None:
    crashed = ledger(client, clock, lease_seconds=60)
    owned = crashed.claim_message(DEST, "b1").claim
    assert owned is not None
    retry = ledger(client, clock)
    assert retry.claim_message(DEST, "b1").state == "busy", "the owner may still be posting"
    clock.advance(61)
    retry = ledger(client, clock)
    assert retry.claim_message(DEST, "b1").state == "owned", "after the owner's deadline it is taken over"
    assert not crashed.message_sent(owned, None), "the old owner learns that it lost the claim"


# -- windows --------------------------------------------------------------------------------------------


def open_window(l: Ledger, replaces: str | None = None) -> str:  # noqa: E741
    opened = l.open_window(DEST, KEY, WINDOW_MS, LABEL, replaces=replaces)
    assert opened is not None
    return opened.gen


def test_one_invocation_opens_a_window_and_the_others_hold_into_it(client: Any, clock: Clock) -> None:
    first, second = ledger(client, clock), ledger(client, clock)
    gen = open_window(first)
    assert second.open_window(DEST, KEY, WINDOW_MS, LABEL, replaces=None) is None
    pointer = second.pointer(DEST, KEY)
    assert pointer is not None and pointer.gen == gen and pointer.closes == first.now() + WINDOW_MS
    assert second.hold(DEST, KEY, gen, "b2", summary(600)) == "held"
    assert second.hold(DEST, KEY, gen, "b2", summary(600)) == "already", "a batch counts once"
    assert second.hold(DEST, KEY, gen, "b3", summary(25)) == "held"
    due = second.due()
    assert Due(DEST, KEY, gen, pointer.closes) in due
    assert len(due) == 2, "the loser's empty window is due too (a flush finishes it without a message)"


def test_a_window_holds_late_records_until_a_flush_claims_it(client: Any, clock: Clock) -> None:
    gen = open_window(ledger(client, clock))
    clock.advance(WINDOW_MS / 1000 + 30)  # closed 30 s ago, not flushed yet
    late = ledger(client, clock)
    assert late.hold(DEST, KEY, gen, "b1", summary(5)) == "held"
    flush = ledger(client, clock)
    (due,) = flush.due()
    window = flush.claim_window(due)
    assert isinstance(window, ClosedWindow) and window.held == 5
    assert late.hold(DEST, KEY, gen, "b2", summary(5)) == "closed", "claimed windows take no more records"


def test_a_window_stops_holding_when_its_flush_is_overdue(client: Any, clock: Clock) -> None:
    gen = open_window(ledger(client, clock))
    clock.advance((WINDOW_MS + LATE_HOLD_MS) / 1000 + 1)
    assert ledger(client, clock).hold(DEST, KEY, gen, "b1", summary(5)) == "closed"


def test_a_window_is_replaced_only_by_whoever_saw_it_last(client: Any, clock: Clock) -> None:
    gen = open_window(ledger(client, clock))
    clock.advance(WINDOW_MS / 1000 + LATE_HOLD_MS / 1000 + 1)
    a, b = ledger(client, clock), ledger(client, clock)
    new = a.open_window(DEST, KEY, WINDOW_MS, LABEL, replaces=gen)
    assert new is not None and new.gen != gen
    assert b.open_window(DEST, KEY, WINDOW_MS, LABEL, replaces=gen) is None
    pointer = a.pointer(DEST, KEY)
    assert pointer is not None and pointer.gen == new.gen
    gens = {d.gen for d in a.due()}
    assert {gen, new.gen} <= gens, "the old window still has to be flushed"
    assert len(gens) == 3, "the loser's empty window is left for the flush to finish"


def test_flush_claims_a_closed_window_once_and_finishes_it(client: Any, clock: Clock) -> None:
    gen = open_window(ledger(client, clock))
    holder = ledger(client, clock)
    holder.hold(DEST, KEY, gen, "b1", summary(600, "2026-09-21T10:00:05Z", "2026-09-21T10:00:50Z"))
    holder.hold(DEST, KEY, gen, "b2", summary(30, "2026-09-21T10:00:01Z", "2026-09-21T10:02:00Z"))
    flush = ledger(client, clock)
    (due,) = flush.due()
    clock.advance(WINDOW_MS / 1000)
    flush, other = ledger(client, clock), ledger(client, clock)
    window = flush.claim_window(due)
    assert isinstance(window, ClosedWindow)
    assert window.held == 630 and len(window.batches) == 2 and window.label == LABEL
    assert other.claim_window(due) == "busy"
    flush.finish_window(window)
    assert flush.due() == []
    assert other.claim_window(due) == "gone"


def test_a_window_not_yet_closed_cannot_be_claimed(client: Any, clock: Clock) -> None:
    gen = open_window(ledger(client, clock))
    flush = ledger(client, clock)
    assert flush.claim_window(Due(DEST, KEY, gen, flush.now())) == "busy"


def test_a_failed_follow_up_is_retried_by_the_next_flush(client: Any, clock: Clock) -> None:
    gen = open_window(ledger(client, clock))
    ledger(client, clock).hold(DEST, KEY, gen, "b1", summary(3))
    clock.advance(WINDOW_MS / 1000)
    first = ledger(client, clock)
    (due,) = first.due()
    window = first.claim_window(due)
    assert isinstance(window, ClosedWindow)
    first.release_window(window)
    again = ledger(client, clock).claim_window(due)
    assert isinstance(again, ClosedWindow) and again.held == 3


def test_a_crashed_flush_is_taken_over_after_its_lease(client: Any, clock: Clock) -> None:
    gen = open_window(ledger(client, clock))
    ledger(client, clock).hold(DEST, KEY, gen, "b1", summary(3))
    clock.advance(WINDOW_MS / 1000)
    crashed = ledger(client, clock, lease_seconds=30)
    (due,) = crashed.due()
    assert isinstance(crashed.claim_window(due), ClosedWindow)
    assert ledger(client, clock).claim_window(due) == "busy"
    clock.advance(31)
    assert isinstance(ledger(client, clock).claim_window(due), ClosedWindow)


def test_the_thread_of_the_first_message_is_kept_for_the_follow_up(client: Any, clock: Clock) -> None:
    first = ledger(client, clock)
    gen = open_window(first)
    first.set_thread(DEST, KEY, gen, "1790000000.000200")
    ledger(client, clock).hold(DEST, KEY, gen, "b1", summary(1))
    clock.advance(WINDOW_MS / 1000)
    flush = ledger(client, clock)
    window = flush.claim_window(flush.due()[0])
    assert isinstance(window, ClosedWindow) and window.thread == "1790000000.000200"


def test_batch_summaries_round_trip_and_cut_long_text() -> None:
    long = summary(7)
    long = BatchSummary(**{**{f: getattr(long, f) for f in long.__slots__}, "user_agents": ("x" * 1000,)})
    back = BatchSummary.from_attribute(long.to_attribute())
    assert back.count == 7 and back.apis == ("Scan",) and back.user_agents == ("x" * 300,)
    assert BatchSummary.from_attribute(BatchSummary(1, None, None, ()).to_attribute()) == BatchSummary(
        1, None, None, ()
    )


def test_no_open_window_costs_one_query(client: Any, clock: Clock) -> None:
    flush = ledger(client, clock)
    assert flush.due() == []
    assert flush.calls == {"Query": 1}


# -- concurrent invocations: conditional writes decide ------------------------------------------------------


def test_concurrent_claims_of_one_message_have_one_winner(client: Any, clock: Clock) -> None:
    results = together(8, lambda i: ledger(client, clock).claim_message(DEST, "same-batch").state)
    assert sorted(results) == ["busy"] * 7 + ["owned"]


def test_concurrent_openers_of_one_key_have_one_winner(client: Any, clock: Clock) -> None:
    opened = together(
        8, lambda i: ledger(client, clock).open_window(DEST, KEY, WINDOW_MS, LABEL, replaces=None)
    )
    winners = [o for o in opened if o is not None]
    assert len(winners) == 1
    pointer = ledger(client, clock).pointer(DEST, KEY)
    assert pointer is not None and pointer.gen == winners[0].gen
    clock.advance(WINDOW_MS / 1000)
    flush = ledger(client, clock)
    closed = [flush.claim_window(d) for d in flush.due()]
    assert len(closed) == 8 and all(isinstance(w, ClosedWindow) and w.held == 0 for w in closed)


def test_concurrent_holds_count_every_batch_exactly_once(client: Any, clock: Clock) -> None:
    gen = open_window(ledger(client, clock))
    # 16 invocations, each holding its own batch, and each batch delivered twice (a redelivery racing itself)
    results = together(
        32, lambda i: ledger(client, clock).hold(DEST, KEY, gen, f"batch-{i % 16}", summary(625))
    )
    assert results.count("held") == 16 and results.count("already") == 16
    clock.advance(WINDOW_MS / 1000)
    flush = ledger(client, clock)
    window = flush.claim_window(flush.due()[0])
    assert isinstance(window, ClosedWindow) and window.held == 10_000


def test_holds_racing_a_flush_are_either_in_its_totals_or_refused(client: Any, clock: Clock) -> None:
    gen = open_window(ledger(client, clock))
    clock.advance(WINDOW_MS / 1000 + 10)  # closed, within the late-hold time
    (due,) = ledger(client, clock).due()

    def task(i: int) -> str | ClosedWindow:
        l = ledger(client, clock)  # noqa: E741
        if i == 0:
            claimed = l.claim_window(due)
            assert isinstance(claimed, ClosedWindow)
            return claimed
        return l.hold(DEST, KEY, gen, f"batch-{i}", summary(1))

    results = together(12, task)
    window = next(r for r in results if isinstance(r, ClosedWindow))
    held = [r for r in results if r == "held"]
    assert window.held == len(held), "every hold that succeeded is in the flush's totals, no other"
    assert all(r in ("held", "closed") for r in results if not isinstance(r, ClosedWindow))


# -- the ledger is down ------------------------------------------------------------------------------------


class Broken:
    """A DynamoDB client whose every call fails like a throttled or unreachable service."""

    def __init__(self, code: str = "ProvisionedThroughputExceededException") -> None:
        self.code = code

    def __getattr__(self, name: str) -> Any:
        def fail(**_: Any) -> Any:
            raise ClientError({"Error": {"Code": self.code, "Message": "slow down"}}, name)

        return fail


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "AccessDeniedException"])
def test_every_call_of_a_broken_ledger_raises_ledger_unavailable(code: str) -> None:
    l = Ledger(client=Broken(code), table=TABLE, ttl_seconds=60, owner="x", clock=Clock())  # noqa: E741
    calls: list[Callable[[], object]] = [
        lambda: l.receipts(DEST, ["e-1"]),
        lambda: l.record_receipts(DEST, ["e-1"], "sent", "b"),
        lambda: l.claim_message(DEST, "b"),
        lambda: l.pointer(DEST, KEY),
        lambda: l.open_window(DEST, KEY, WINDOW_MS, LABEL, replaces=None),
        lambda: l.hold(DEST, KEY, "g", "b", summary(1)),
        lambda: l.due(),
    ]
    for call in calls:
        with pytest.raises(LedgerUnavailable) as caught:
            call()
        assert caught.value.code == code


def test_a_full_window_is_closed_for_new_batches() -> None:
    l = Ledger(client=Broken("ValidationException"), table=TABLE, ttl_seconds=60, owner="x", clock=Clock())  # noqa: E741
    assert l.hold(DEST, KEY, "g", "b", summary(1)) == "closed"
