"""What ``replay`` prints: one line per record (``jsonl``, ``csv``) or per alert (``text``), and the report.

:class:`Summary` is everything the report needs, in memory that does not grow with the number of
records: counts, a count per allow-list entry (the lists are fixed), and the principals and tables that
would alert, kept to :data:`MAX_DISTINCT` names each (beyond that the rarest are folded into one
"others" count and the report says so). Summaries of files decided in parallel are merged in file order,
so the report is the same whatever the number of jobs.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, TextIO

from access_alerts.model import Decision

MAX_DISTINCT: Final = 10_000
TOP: Final = 10
MAX_UNPARSEABLE_SHOWN: Final = 10
FORMATS: Final = ("text", "jsonl", "csv")
CSV_FIELDS: Final = (
    "eventID",
    "eventTime",
    "eventName",
    "decision",
    "alert_kind",
    "principal",
    "principal_display",
    "session",
    "tables",
    "access",
    "category",
    "errorCode",
    "matched",
    "reason",
    "source",
)


def clean(value: object) -> str:
    """Printable text for a terminal: control characters escaped."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}"
        for ch in text
    )


def decision_record(d: Decision) -> dict[str, object]:
    """The JSON Lines object for one decision."""
    ev = d.event
    p = ev.principal if ev else None
    return {
        "eventID": d.event_id or (ev.event_id if ev else None),
        "eventName": ev.event_name if ev else None,
        "eventTime": ev.event_time if ev else None,
        "decision": d.kind,
        "principal": (p.arn or p.service or p.display) if p else None,
        "principal_display": p.display if p else None,
        "session": p.session_name if p else None,
        "tables": list(ev.tables) if ev else [],
        "access": ev.access if ev else None,
        "category": ev.category if ev else None,
        "errorCode": ev.error_code if ev else None,
        "reason": d.reason,
        "matched": d.matched,
        "alert_kind": d.alert_kind,
        "source": d.source_id,
    }


def alert_line(d: Decision) -> str:
    """The ``text`` format's line for one alert."""
    ev = d.event
    if ev is None:
        return clean(f"ALERT [{d.alert_kind}] {d.source_id}: {d.reason}")
    tables = ",".join(ev.tables) or "-"
    err = f" (failed: {ev.error_code})" if ev.error_code else ""
    return clean(
        f"ALERT [{d.alert_kind}] {ev.event_time or '-'} {ev.event_name} {ev.access} {tables}{err}: "
        f"{d.reason} [{d.source_id}]"
    )


_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A spreadsheet cell: text a spreadsheet would run as a formula is prefixed with ``'``
    (logged values such as user agents and session names are chosen by whoever made the call)."""
    if value is None:
        return ""
    text = " ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_header() -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(CSV_FIELDS)
    return buf.getvalue()


class CsvRows:
    """Writes one CSV row per decision to a text buffer."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")

    def write(self, d: Decision) -> None:
        row = decision_record(d)
        self._writer.writerow([_cell(row[name]) for name in CSV_FIELDS])


class _Bounded:
    """A counter of at most MAX_DISTINCT names: beyond that the rarest are folded into ``others``."""

    __slots__ = ("counts", "folded", "others")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.others = 0
        self.folded = False

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] += n
        if len(self.counts) > MAX_DISTINCT:
            self._fold()

    def merge(self, other: _Bounded) -> None:
        for name, n in other.counts.items():
            self.counts[name] += n
        self.others += other.others
        self.folded = self.folded or other.folded
        if len(self.counts) > MAX_DISTINCT:
            self._fold()

    def _fold(self) -> None:
        keep = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))[: MAX_DISTINCT // 2]
        self.others += sum(self.counts.values()) - sum(n for _, n in keep)
        self.counts = Counter(dict(keep))
        self.folded = True

    def top(self, n: int) -> list[tuple[str, int]]:
        return sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))[:n]


@dataclass(slots=True)
class Summary:
    """Counts for the report; :meth:`merge` adds another file's summary."""

    files: int = 0
    files_unreadable: int = 0
    records: int = 0
    filtered_out: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    alert_kinds: Counter[str] = field(default_factory=Counter)
    allowed_data: Counter[str] = field(default_factory=Counter)
    allowed_management: Counter[str] = field(default_factory=Counter)
    principals: _Bounded = field(default_factory=_Bounded)
    tables: _Bounded = field(default_factory=_Bounded)
    unparseable: int = 0
    unparseable_shown: list[tuple[str, str]] = field(default_factory=list)

    def add(self, d: Decision) -> None:
        self.records += 1
        self.kinds[d.kind] += 1
        ev = d.event
        if d.kind == "allowed":
            if d.matched is not None:
                data = ev is not None and ev.category == "data"
                (self.allowed_data if data else self.allowed_management)[d.matched] += 1
        elif d.kind == "alert":
            self.alert_kinds[d.alert_kind or "data"] += 1
            if ev is None or d.alert_kind == "unparseable":
                self.unparseable += 1
                if len(self.unparseable_shown) < MAX_UNPARSEABLE_SHOWN:
                    self.unparseable_shown.append((d.source_id or "-", d.reason))
            if ev is not None:
                p = ev.principal
                self.principals.add(p.arn or p.service or p.display)
                for table in ev.tables:
                    self.tables.add(table)

    def merge(self, other: Summary) -> None:
        self.files += other.files
        self.files_unreadable += other.files_unreadable
        self.records += other.records
        self.filtered_out += other.filtered_out
        self.kinds.update(other.kinds)
        self.alert_kinds.update(other.alert_kinds)
        self.allowed_data.update(other.allowed_data)
        self.allowed_management.update(other.allowed_management)
        self.principals.merge(other.principals)
        self.tables.merge(other.tables)
        self.unparseable += other.unparseable
        room = MAX_UNPARSEABLE_SHOWN - len(self.unparseable_shown)
        if room > 0:
            self.unparseable_shown.extend(other.unparseable_shown[:room])

    @property
    def alerts(self) -> int:
        return self.kinds["alert"]


def _entries(
    title: str, entries: Sequence[str], counts: Counter[str], out: list[str]
) -> list[tuple[str, str]]:
    """Lines for one allow-list; returns its dead entries as (list name, entry)."""
    if not entries:
        out.append(f"{title}: no entries")
        return []
    out.append(f"{title} (records allowed by each entry):")
    dead = []
    for entry in entries:
        n = counts.get(entry, 0)
        out.append(clean(f"  {n:>9,}  {entry}" + ("   <- allowed nothing" if n == 0 else "")))
        if n == 0:
            dead.append(entry)
    return [(title, e) for e in dead]


def _ranked(title: str, bounded: _Bounded, out: list[str]) -> None:
    top = bounded.top(TOP)
    if not top:
        out.append(f"{title}: none")
        return
    out.append(f"{title}:")
    out.extend(clean(f"  {n:>9,}  {name}") for name, n in top)
    if bounded.folded:
        out.append(
            f"  (more than {MAX_DISTINCT:,} distinct names: {bounded.others:,} alerts from the rarest "
            "are counted only in the totals)"
        )


def report_lines(
    summary: Summary,
    allowed: Sequence[str],
    allowed_management: Sequence[str],
    filters: str | None = None,
) -> list[str]:
    """The end of the ``text`` output: what a person acts on."""
    s = summary
    k = s.kinds
    out = [
        f"records: {s.records}  alert: {k['alert']}  allowed: {k['allowed']}  ignored: {k['ignored']}",
        f"files: {s.files} read, {s.files_unreadable} unreadable"
        + (f"; {s.filtered_out:,} records outside the filters ({filters})" if filters else ""),
    ]
    if s.alert_kinds:
        out.append(
            "alerts by kind: "
            + ", ".join(f"{kind} {n:,}" for kind, n in sorted(s.alert_kinds.items(), key=_by_count))
        )
    _ranked("top principals that would alert", s.principals, out)
    _ranked("top tables that would alert", s.tables, out)
    dead = _entries("allow-list", allowed, s.allowed_data, out)
    dead += _entries("management allow-list", allowed_management, s.allowed_management, out)
    if dead:
        out.append("dead entries (allowed nothing in these records: remove them, or look for a typo):")
        out.extend(clean(f"  {title}: {entry}") for title, entry in dead)
    else:
        out.append("dead entries: none")
    out.append(f"unparseable records: {s.unparseable:,}")
    out.extend(clean(f"  {source}: {reason}") for source, reason in s.unparseable_shown)
    if s.unparseable > len(s.unparseable_shown):
        out.append(f"  ... and {s.unparseable - len(s.unparseable_shown):,} more")
    return out


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def merged(summaries: Iterable[Summary]) -> Summary:
    total = Summary()
    for s in summaries:
        total.merge(s)
    return total
