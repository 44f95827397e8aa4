"""The delivery ledger: the function's only state, one DynamoDB table (docs/delivery.md, "The ledger").

This module makes the item calls and nothing else; what they mean for delivery (post, hold in a digest
window, skip a repeat) is decided in :mod:`access_alerts.digest`. boto3 is imported when the first ledger
client is made, never at import time.

The table's key and TTL attribute names come from rules.json (Terraform creates the table from the same
file); they are ``pk``, ``sk`` and ``expires_at`` below. Times inside items are epoch milliseconds of the
ledger's clock; ``expires_at`` is epoch seconds (DynamoDB's TTL).

=========  =====================  ==================  =============================================
item       pk                     sk                  attributes
=========  =====================  ==================  =============================================
receipt    ``r#DEST#EVENTID``     ``r``               ``how`` (sent or held), ``batch``, ``at``
message    ``m#DEST#BATCH``       ``m``               ``state`` (sending or sent), ``owner``,
                                                      ``lease``, ``thread``, ``at``
pointer    ``w#DEST#KEY``         ``open``            ``gen``, ``closes``: the key's current window
window     ``w#DEST#KEY``         ``g#GEN``           ``opened``, ``closes``, ``label``, ``thread``,
                                                      ``held``, ``batches`` (batch id -> summary),
                                                      ``closing`` + ``lease`` (a flush has it),
                                                      ``done``
due        ``due``                ``DEST#KEY#GEN``    ``dest``, ``key``, ``gen``, ``closes``
=========  =====================  ==================  =============================================

Every race is decided by a conditional write on one item: one invocation claims a message (``m#``), a
batch of records is counted into a window once (``batches.#B`` must not exist yet), one invocation opens a
window (the pointer's ``gen`` is compared and swapped), one flush closes it (``closing``). A claim whose
owner never finished (a crash, a timeout) has a lease, the owner's deadline, after which another
invocation may take it over: that is where a repeat can come from, never a loss.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from . import rules

log = logging.getLogger("access_alerts.ledger")

Clock = Callable[[], float]  # epoch seconds, like time.time

BATCH_GET_MAX: Final = 100  # keys per BatchGetItem (DynamoDB's limit)
BATCH_WRITE_MAX: Final = 25  # requests per BatchWriteItem (DynamoDB's limit)
UNPROCESSED_ROUNDS: Final = 5  # rounds for UnprocessedKeys / UnprocessedItems before giving up
DEFAULT_LEASE_MS: Final = 15 * 60 * 1000  # for callers without a Lambda deadline (redrive)
# A window keeps taking records until a flush claims it, but never longer than this after it closed: if
# the flush schedule stops, new alerts open new windows (and post at once) instead of waiting for nothing.
LATE_HOLD_MS: Final = 2 * 60 * 1000
DUE_PK: Final = "due"
POINTER_SK: Final = "open"
MAX_TEXT: Final = 300  # longest string a batch summary keeps (user agents, keys)
CONDITION_FAILED: Final = "ConditionalCheckFailedException"


class LedgerUnavailable(RuntimeError):
    """A ledger call failed for a reason other than its condition (throttled, down, denied, too big)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class ConditionFailed(Exception):
    """A conditional write lost. ``old`` is the item as it was (empty when there was none or it was not
    asked for)."""

    def __init__(self, old: Mapping[str, Any]) -> None:
        super().__init__("the condition of a ledger write was not met")
        self.old = old


# ----------------------------------------------------------------------------------------- values
@dataclass(frozen=True, slots=True)
class BatchSummary:
    """What a window keeps of one batch of held records: counts and small samples, no record bodies."""

    count: int
    first_time: str | None
    last_time: str | None
    apis: tuple[str, ...]
    key_texts: tuple[str, ...] = ()  # keys as the deployment shows them (key_values), a few
    event_ids: tuple[str, ...] = ()  # a few, for links
    source_ips: tuple[str, ...] = ()
    user_agents: tuple[str, ...] = ()

    def to_attribute(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"n": _n(self.count)}
        if self.first_time:
            entry["f"] = _s(self.first_time[:MAX_TEXT])
        if self.last_time:
            entry["l"] = _s(self.last_time[:MAX_TEXT])
        for name, values in (
            ("a", self.apis),
            ("k", self.key_texts),
            ("i", self.event_ids),
            ("s", self.source_ips),
            ("u", self.user_agents),
        ):
            if values:
                entry[name] = {"L": [_s(v[:MAX_TEXT]) for v in values]}
        return {"M": entry}

    @classmethod
    def from_attribute(cls, value: Mapping[str, Any]) -> BatchSummary:
        entry = value.get("M") or {}

        def texts(name: str) -> tuple[str, ...]:
            return tuple(str(v.get("S", "")) for v in (entry.get(name) or {}).get("L", []))

        return cls(
            count=_get_n(entry, "n") or 0,
            first_time=_get_s(entry, "f"),
            last_time=_get_s(entry, "l"),
            apis=texts("a"),
            key_texts=texts("k"),
            event_ids=texts("i"),
            source_ips=texts("s"),
            user_agents=texts("u"),
        )


@dataclass(frozen=True, slots=True)
class Pointer:
    """The window a key has now (it may have closed: compare ``closes``, ms)."""

    gen: str
    closes: int


@dataclass(frozen=True, slots=True)
class MessageClaim:
    dest: str
    batch: str


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """``owned``: post it; ``sent``: an invocation posted it before; ``busy``: another invocation is
    posting it now (and its lease has not run out)."""

    state: Literal["owned", "sent", "busy"]
    claim: MessageClaim | None = None
    thread: str | None = None  # the earlier message's thread, when sent


HoldResult = Literal["held", "already", "closed"]


@dataclass(frozen=True, slots=True)
class Due:
    """A window that a flush closes once ``closes`` (ms) has passed."""

    dest: str
    key: str
    gen: str
    closes: int


@dataclass(frozen=True, slots=True)
class ClosedWindow:
    """A window a flush has claimed: its totals are final, no record is held into it any more."""

    dest: str
    key: str
    gen: str
    opened: int
    closes: int
    label: Mapping[str, Any]
    thread: str | None
    batches: tuple[BatchSummary, ...]

    @property
    def held(self) -> int:
        return sum(b.count for b in self.batches)


# --------------------------------------------------------------------------------- attribute values
def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(int(value))}


def _get_s(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    return str(value["S"]) if isinstance(value, Mapping) and "S" in value else None


def _get_n(item: Mapping[str, Any], name: str) -> int | None:
    value = item.get(name)
    if not isinstance(value, Mapping) or "N" not in value:
        return None
    try:
        return int(value["N"])
    except ValueError:
        return None


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        error = response.get("Error")
        if isinstance(error, Mapping):
            return str(error.get("Code") or "") or None
    return None


def _old_item(exc: BaseException) -> dict[str, Any]:
    """The item as it was when a condition failed (ReturnValuesOnConditionCheckFailure=ALL_OLD)."""
    response = getattr(exc, "response", None)
    item = response.get("Item") if isinstance(response, Mapping) else None
    return dict(item) if isinstance(item, Mapping) else {}


def window_pk(dest: str, key: str) -> str:
    return f"w#{dest}#{key}"


def due_sk(dest: str, key: str, gen: str) -> str:
    return f"{dest}#{key}#{gen}"


# ------------------------------------------------------------------------------------------ client
_CLIENT: list[Any] = []
_CLIENT_LOCK = threading.Lock()


def dynamodb_client() -> Any:
    """One DynamoDB client per execution environment, made on first use (boto3 is imported then).

    Few retries and short timeouts: when the ledger is slow or down the function posts anyway, and should
    not spend its time budget waiting for state it can do without.
    """
    with _CLIENT_LOCK:
        if not _CLIENT:
            import boto3
            from botocore.config import Config

            retries: Any = {"max_attempts": 3, "mode": "standard"}
            config = Config(retries=retries, connect_timeout=2, read_timeout=5)
            _CLIENT.append(boto3.client("dynamodb", config=config))
        return _CLIENT[0]


def forget_client() -> None:
    """Drop the cached client (tests; a cold start does the same)."""
    with _CLIENT_LOCK:
        _CLIENT.clear()


_METHODS: Final = {
    "BatchGetItem": "batch_get_item",
    "BatchWriteItem": "batch_write_item",
    "DeleteItem": "delete_item",
    "GetItem": "get_item",
    "PutItem": "put_item",
    "Query": "query",
    "UpdateItem": "update_item",
}


# ------------------------------------------------------------------------------------------ ledger
@dataclass
class Ledger:
    """The item calls of one invocation.

    ``owner`` names the invocation in its claims; ``lease_until`` (epoch ms) is when they may be taken over
    (the invocation's deadline; ``DEFAULT_LEASE_MS`` from now when None); ``clock`` gives epoch seconds.
    ``calls`` counts the calls made, by API (the summary line and ``make bench`` show them).
    """

    client: Any
    table: str
    ttl_seconds: int
    owner: str
    clock: Clock = time.time
    lease_until: int | None = None
    calls: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        schema = rules.ledger()
        self._pk, self._sk, self._ttl = schema.partition_key, schema.sort_key, schema.ttl_attribute

    # -- plumbing ------------------------------------------------------------------------------------
    def now(self) -> int:
        return int(self.clock() * 1000)

    def lease(self) -> int:
        return self.lease_until if self.lease_until is not None else self.now() + DEFAULT_LEASE_MS

    def _key(self, pk: str, sk: str) -> dict[str, Any]:
        return {self._pk: _s(pk), self._sk: _s(sk)}

    def _expires(self, from_ms: int) -> dict[str, str]:
        """The TTL attribute's value: ``ttl_seconds`` after ``from_ms``."""
        return _n(from_ms // 1000 + self.ttl_seconds)

    def _item(self, pk: str, sk: str, expires_from_ms: int, **attributes: Any) -> dict[str, Any]:
        return {**self._key(pk, sk), self._ttl: self._expires(expires_from_ms), **attributes}

    def _call(self, api: str, **kwargs: Any) -> Any:
        """One DynamoDB call. A failed condition raises ConditionFailed; anything else LedgerUnavailable."""
        with self._lock:  # hooks run on the destinations' threads
            self.calls[api] = self.calls.get(api, 0) + 1
        if api not in ("BatchGetItem", "BatchWriteItem"):
            kwargs["TableName"] = self.table
        try:
            return getattr(self.client, _METHODS[api])(**kwargs)
        except Exception as exc:
            code = _error_code(exc)
            if code == CONDITION_FAILED:
                raise ConditionFailed(_old_item(exc)) from None
            what = code or type(exc).__name__
            raise LedgerUnavailable(f"{api} on the ledger failed ({what})", code) from exc

    def _drain(self, api: str, field_in: str, field_out: str, request: dict[str, Any]) -> list[Any]:
        """A batch call, repeated for what DynamoDB left unprocessed (it does under throttling)."""
        responses = []
        for round_ in range(UNPROCESSED_ROUNDS):
            response = self._call(api, **{field_in: request})
            responses.append(response)
            request = response.get(field_out) or {}
            if not request:
                return responses
            time.sleep(0.05 * 2**round_)
        raise LedgerUnavailable(f"{api} on the ledger kept leaving requests unprocessed", field_out)

    # -- receipts: which eventIDs a destination received, or holds in a window -------------------------
    def receipts(self, dest: str, event_ids: Sequence[str]) -> set[str]:
        """The eventIDs among ``event_ids`` that ``dest`` has a receipt for (strongly consistent reads)."""
        found: set[str] = set()
        prefix = f"r#{dest}#"
        for chunk in _chunks(list(dict.fromkeys(event_ids)), BATCH_GET_MAX):
            request = {
                self.table: {
                    "Keys": [self._key(prefix + i, "r") for i in chunk],
                    "ProjectionExpression": "#pk",
                    "ExpressionAttributeNames": {"#pk": self._pk},
                    "ConsistentRead": True,
                }
            }
            for response in self._drain("BatchGetItem", "RequestItems", "UnprocessedKeys", request):
                for item in response.get("Responses", {}).get(self.table, []):
                    pk = _get_s(item, self._pk) or ""
                    found.add(pk[len(prefix) :])
        return found

    def record_receipts(
        self, dest: str, event_ids: Iterable[str], how: Literal["sent", "held"], batch: str
    ) -> None:
        """Remember for ``ttl_seconds`` that ``dest`` received (or holds) these eventIDs."""
        now = self.now()
        ids = list(dict.fromkeys(event_ids))
        for chunk in _chunks(ids, BATCH_WRITE_MAX):
            puts = [
                {
                    "PutRequest": {
                        "Item": self._item(
                            f"r#{dest}#{i}", "r", now, how=_s(how), batch=_s(batch), at=_n(now)
                        )
                    }
                }
                for i in chunk
            ]
            self._drain("BatchWriteItem", "RequestItems", "UnprocessedItems", {self.table: puts})

    # -- messages: one invocation posts a batch -----------------------------------------------------
    def claim_message(self, dest: str, batch: str) -> ClaimResult:
        """Claim the posting of ``batch`` to ``dest`` (see :class:`ClaimResult`)."""
        now = self.now()
        try:
            self._call(
                "PutItem",
                Item=self._item(
                    f"m#{dest}#{batch}",
                    "m",
                    now,
                    state=_s("sending"),
                    owner=_s(self.owner),
                    lease=_n(self.lease()),
                    at=_n(now),
                ),
                ConditionExpression="attribute_not_exists(#pk) OR (#state = :sending AND lease < :now)",
                ExpressionAttributeNames={"#pk": self._pk, "#state": "state"},
                ExpressionAttributeValues={":sending": _s("sending"), ":now": _n(now)},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ConditionFailed as lost:
            if _get_s(lost.old, "state") == "sent":
                return ClaimResult("sent", thread=_get_s(lost.old, "thread"))
            return ClaimResult("busy")
        return ClaimResult("owned", MessageClaim(dest, batch))

    def message_sent(self, claim: MessageClaim, thread: str | None) -> bool:
        """Mark a claimed message delivered. False when the claim was taken over meanwhile (our lease ran
        out), so that the other invocation may post it again."""
        values: dict[str, Any] = {":sent": _s("sent"), ":me": _s(self.owner), ":now": _n(self.now())}
        update = "SET #state = :sent, #at = :now"
        if thread:
            update += ", thread = :thread"
            values[":thread"] = _s(thread)
        try:
            self._call(
                "UpdateItem",
                Key=self._key(f"m#{claim.dest}#{claim.batch}", "m"),
                UpdateExpression=update + " REMOVE lease",
                ConditionExpression="#owner = :me",
                ExpressionAttributeNames={"#state": "state", "#at": "at", "#owner": "owner"},
                ExpressionAttributeValues=values,
            )
        except ConditionFailed:
            return False
        return True

    def release_message(self, claim: MessageClaim) -> None:
        """Give up a claim after a failed post, so that the retry of the payload posts it at once."""
        with contextlib.suppress(ConditionFailed):  # taken over meanwhile: nothing of ours to release
            self._call(
                "DeleteItem",
                Key=self._key(f"m#{claim.dest}#{claim.batch}", "m"),
                ConditionExpression="#owner = :me AND #state = :sending",
                ExpressionAttributeNames={"#owner": "owner", "#state": "state"},
                ExpressionAttributeValues={":me": _s(self.owner), ":sending": _s("sending")},
            )

    # -- windows ------------------------------------------------------------------------------------
    def pointer(self, dest: str, key: str) -> Pointer | None:
        response = self._call("GetItem", Key=self._key(window_pk(dest, key), POINTER_SK), ConsistentRead=True)
        item = response.get("Item") or {}
        gen, closes = _get_s(item, "gen"), _get_n(item, "closes")
        return Pointer(gen, closes) if gen is not None and closes is not None else None

    def open_window(
        self,
        dest: str,
        key: str,
        window_ms: int,
        label: Mapping[str, Any],
        *,
        replaces: str | None,
        thread: str | None = None,
    ) -> Pointer | None:
        """Open a window for (dest, key) in place of window ``replaces`` (None: the key had none). Returns
        None when the pointer no longer names ``replaces``: someone else opened a window first.

        The due item and the window item first, then the pointer (its condition decides who opens): a window
        the pointer names always exists, and always has a due item, so a flush always finds it. A loser
        leaves an empty window behind, which the flush finishes when it closes. ``thread``: the thread of
        the key's first message, carried over when a flush rolls a window over.
        """
        now = self.now()
        gen = f"{now:013d}.{uuid.uuid4().hex[:12]}"  # sorts by time; unique
        closes = now + window_ms
        pk = window_pk(dest, key)
        self._call(
            "PutItem",
            Item=self._item(
                DUE_PK,
                due_sk(dest, key, gen),
                closes,
                dest=_s(dest),
                key=_s(key),
                gen=_s(gen),
                closes=_n(closes),
            ),
        )
        window = self._item(
            pk,
            f"g#{gen}",
            closes,
            opened=_n(now),
            closes=_n(closes),
            label=_s(json.dumps(label, sort_keys=True, separators=(",", ":"))),
            held=_n(0),
            batches={"M": {}},
        )
        if thread:
            window["thread"] = _s(thread)
        self._call("PutItem", Item=window)
        values: dict[str, Any] = {":gen": _s(gen), ":closes": _n(closes), ":expires": self._expires(closes)}
        if replaces is None:
            condition = "attribute_not_exists(gen)"
        else:
            condition = "gen = :replaces"
            values[":replaces"] = _s(replaces)
        try:
            self._call(
                "UpdateItem",
                Key=self._key(pk, POINTER_SK),
                UpdateExpression="SET gen = :gen, closes = :closes, #ttl = :expires",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#ttl": self._ttl},
                ExpressionAttributeValues=values,
            )
        except ConditionFailed:
            return None
        return Pointer(gen, closes)

    def set_thread(self, dest: str, key: str, gen: str, thread: str) -> None:
        """Remember a window's first message, so that its follow-up replies in that thread."""
        # Finished already (ConditionFailed): its follow-up went out as a message of its own.
        with contextlib.suppress(ConditionFailed):
            self._call(
                "UpdateItem",
                Key=self._key(window_pk(dest, key), f"g#{gen}"),
                UpdateExpression="SET thread = :thread",
                ConditionExpression="attribute_exists(closes) AND attribute_not_exists(done)",
                ExpressionAttributeValues={":thread": _s(thread)},
            )

    def retire_window(self, dest: str, key: str, gen: str) -> None:
        """The first message of window ``gen`` could not be delivered: stop pointing at the window, so that
        the retry of the payload opens another and posts at once. What other invocations held into it
        meanwhile stays in it and is summed up when it closes."""
        with contextlib.suppress(ConditionFailed):  # the pointer moved on already
            self._call(
                "DeleteItem",
                Key=self._key(window_pk(dest, key), POINTER_SK),
                ConditionExpression="gen = :gen",
                ExpressionAttributeValues={":gen": _s(gen)},
            )

    def hold(self, dest: str, key: str, gen: str, batch: str, summary: BatchSummary) -> HoldResult:
        """Count a batch into window ``gen``: ``held``; ``already`` (this batch was counted before, by an
        earlier attempt or a concurrent duplicate); or ``closed`` (the window takes no more records: a flush
        claimed it, it closed more than LATE_HOLD_MS ago, it is gone, or its item is full)."""
        try:
            self._call(
                "UpdateItem",
                Key=self._key(window_pk(dest, key), f"g#{gen}"),
                UpdateExpression="SET batches.#batch = :summary ADD held :count",
                ConditionExpression=(
                    "attribute_exists(closes) AND closes > :stale AND attribute_not_exists(closing) "
                    "AND attribute_not_exists(done) AND attribute_not_exists(batches.#batch)"
                ),
                ExpressionAttributeNames={"#batch": batch},
                ExpressionAttributeValues={
                    ":summary": summary.to_attribute(),
                    ":count": _n(summary.count),
                    ":stale": _n(self.now() - LATE_HOLD_MS),
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ConditionFailed as lost:
            if batch in (lost.old.get("batches") or {}).get("M", {}):
                return "already"
            return "closed"
        except LedgerUnavailable as exc:
            if exc.code == "ValidationException":  # the window item reached DynamoDB's 400 KB item size
                log.warning("a digest window is full; opening another", extra={"destination": dest})
                return "closed"
            raise
        return "held"

    # -- flush ----------------------------------------------------------------------------------------
    def due(self) -> list[Due]:
        """Every window a flush will have to close: one Query, which finds nothing when none is open."""
        found: list[Due] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "#pk = :due",
            "ExpressionAttributeNames": {"#pk": self._pk},
            "ExpressionAttributeValues": {":due": _s(DUE_PK)},
        }
        while True:
            response = self._call("Query", **kwargs)
            for item in response.get("Items", []):
                dest, key, gen = _get_s(item, "dest"), _get_s(item, "key"), _get_s(item, "gen")
                closes = _get_n(item, "closes")
                if dest is not None and key is not None and gen is not None and closes is not None:
                    found.append(Due(dest, key, gen, closes))
                else:
                    sk = _get_s(item, self._sk)
                    log.warning("ignoring a malformed due item in the ledger", extra={"sk": sk})
            last = response.get("LastEvaluatedKey")
            if not last:
                return found
            kwargs["ExclusiveStartKey"] = last

    def claim_window(self, due: Due) -> ClosedWindow | Literal["gone", "busy"]:
        """Claim a window whose time is up; its totals are final from here on. ``gone``: it was finished
        before (or never written), so its due item can go; ``busy``: another flush has it."""
        now = self.now()
        try:
            response = self._call(
                "UpdateItem",
                Key=self._key(window_pk(due.dest, due.key), f"g#{due.gen}"),
                UpdateExpression="SET closing = :me, lease = :lease",
                ConditionExpression=(
                    "attribute_exists(closes) AND closes <= :now AND attribute_not_exists(done) "
                    "AND (attribute_not_exists(closing) OR lease < :now)"
                ),
                ExpressionAttributeValues={
                    ":me": _s(self.owner),
                    ":lease": _n(self.lease()),
                    ":now": _n(now),
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ConditionFailed as lost:
            return "gone" if not lost.old or "done" in lost.old else "busy"
        item = response.get("Attributes") or {}
        try:
            label = json.loads(_get_s(item, "label") or "{}")
        except ValueError:
            label = {}
        batches = (item.get("batches") or {}).get("M", {})
        return ClosedWindow(
            dest=due.dest,
            key=due.key,
            gen=due.gen,
            opened=_get_n(item, "opened") or 0,
            closes=_get_n(item, "closes") or due.closes,
            label=label if isinstance(label, dict) else {},
            thread=_get_s(item, "thread"),
            batches=tuple(BatchSummary.from_attribute(batches[name]) for name in sorted(batches)),
        )

    def finish_window(self, window: ClosedWindow) -> None:
        """The window's follow-up was delivered (or it needed none): mark it done and drop its due item."""
        try:
            self._call(
                "UpdateItem",
                Key=self._key(window_pk(window.dest, window.key), f"g#{window.gen}"),
                UpdateExpression="SET done = :now REMOVE closing, lease",
                ConditionExpression="closing = :me",
                ExpressionAttributeValues={":now": _n(self.now()), ":me": _s(self.owner)},
            )
        except ConditionFailed:
            log.warning("another flush took a window over after this one had posted its follow-up")
        self.drop_due(window.dest, window.key, window.gen)

    def release_window(self, window: ClosedWindow) -> None:
        """The follow-up could not be delivered: let the next flush try again at once."""
        with contextlib.suppress(ConditionFailed):  # taken over meanwhile: not ours to release
            self._call(
                "UpdateItem",
                Key=self._key(window_pk(window.dest, window.key), f"g#{window.gen}"),
                UpdateExpression="REMOVE closing, lease",
                ConditionExpression="closing = :me",
                ExpressionAttributeValues={":me": _s(self.owner)},
            )

    def drop_due(self, dest: str, key: str, gen: str) -> None:
        self._call("DeleteItem", Key=self._key(DUE_PK, due_sk(dest, key, gen)))
