"""Which records a replay looks at: ``--since``/``--until``, ``--account`` and ``--region``.

The filters mean the same for every input: a record is kept when its ``eventTime`` is in
``[since, until)``, its ``recipientAccountId`` is one of the accounts and its ``awsRegion`` one of the
Regions (a filter that is not given keeps everything; a record that lacks the field is kept, so nothing
that cannot be placed is dropped). Where files follow CloudTrail's S3 layout
(``AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_X.json.gz``)
the same filters also choose the directories and files before anything is downloaded.

A CloudTrail log file is named after the minute it was delivered and "can contain records written at
any point before that time" (CloudTrail User Guide, log file name format). So a file delivered before
``since`` holds nothing at or after it and is skipped, while files delivered up to
:data:`DELIVERY_MARGIN` after ``until`` are still read (and their late records filtered out one by
one). CloudTrail states no upper bound for the delay; an hour is a margin chosen here, not an AWS figure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

DELIVERY_MARGIN: Final = timedelta(hours=1)
LAYOUT_ROOT: Final = "AWSLogs"
_ACCOUNT = re.compile(r"[0-9]{12}")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]+")
_ORG = re.compile(r"o-[a-z0-9]{10,32}")
_FILE = re.compile(
    r"(?P<account>[0-9]{12})_CloudTrail_(?P<region>[a-z0-9-]+)_(?P<time>[0-9]{8}T[0-9]{4}Z)_[^/]*"
)
_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EVENT_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


class SelectionError(ValueError):
    """A filter value is not valid; the message names the option."""


def parse_time(text: str, option: str, *, end_of_day: bool = False) -> datetime:
    """``YYYY-MM-DD`` or an ISO 8601 time (UTC unless it says otherwise), as an aware UTC datetime.

    With ``end_of_day`` a date alone means the end of that day (``--until 2026-11-24`` includes the 24th).
    """
    value = text.strip()
    if _DATE_ONLY.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise SelectionError(f"{option} {text!r} is not a valid date") from None
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return start + timedelta(days=1) if end_of_day else start
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise SelectionError(
            f"{option} {text!r} is neither a date (2026-11-18) nor a time (2026-11-18T09:30:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _event_time_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Selection:
    since: datetime | None = None
    until: datetime | None = None
    accounts: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    @classmethod
    def from_options(
        cls,
        since: str | None = None,
        until: str | None = None,
        accounts: Iterable[str] = (),
        regions: Iterable[str] = (),
    ) -> Selection:
        """Validate the command-line values. Raises SelectionError naming the option."""
        start = parse_time(since, "--since") if since else None
        end = parse_time(until, "--until", end_of_day=True) if until else None
        if start is not None and end is not None and end <= start:
            raise SelectionError("--until must be later than --since")
        account_set = frozenset(_split(accounts))
        for account in sorted(account_set):
            if not _ACCOUNT.fullmatch(account):
                raise SelectionError(f"--account {account!r} is not a 12-digit AWS account id")
        region_set = frozenset(_split(regions))
        for region in sorted(region_set):
            if not _REGION.fullmatch(region):
                raise SelectionError(f"--region {region!r} is not an AWS Region name such as eu-west-1")
        return cls(since=start, until=end, accounts=account_set, regions=region_set)

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.accounts or self.regions)

    def describe(self) -> str:
        parts = []
        if self.accounts:
            parts.append("accounts " + ", ".join(sorted(self.accounts)))
        if self.regions:
            parts.append("Regions " + ", ".join(sorted(self.regions)))
        if self.since:
            parts.append(f"since {_event_time_text(self.since)}")
        if self.until:
            parts.append(f"until {_event_time_text(self.until)}")
        return "; ".join(parts) if parts else "no filters"

    # -- records ---------------------------------------------------------------------------------
    def keeps(self, record: object) -> bool:
        """False only when the record has a field that places it outside the selection."""
        if not isinstance(record, Mapping):
            return True  # unparseable text: decided (and alerted) rather than dropped
        if self.accounts:
            account = record.get("recipientAccountId")
            if isinstance(account, str) and account not in self.accounts:
                return False
        if self.regions:
            region = record.get("awsRegion")
            if isinstance(region, str) and region not in self.regions:
                return False
        if self.since is not None or self.until is not None:
            moment = _record_time(record.get("eventTime"))
            if moment is not None:
                if self.since is not None and moment < self.since:
                    return False
                if self.until is not None and moment >= self.until:
                    return False
        return True

    # -- CloudTrail's S3 layout ------------------------------------------------------------------
    def _files_window(self) -> tuple[datetime | None, datetime | None]:
        """Delivery times of the files that may hold selected records: [since floored to the minute,
        until + margin)."""
        start = self.since.replace(second=0, microsecond=0) if self.since else None
        end = self.until + DELIVERY_MARGIN if self.until else None
        return start, end

    def directory_may_match(self, prefix: str) -> bool:
        """False when a directory (key prefix ending in ``/``) of CloudTrail's layout cannot hold a
        selected log file. Directories outside the layout are kept (nothing known about them)."""
        rel = _layout_parts(prefix.rstrip("/").split("/"))
        if rel is None:
            return True
        where = _Where.parse(rel)
        if where is None:
            return False  # inside AWSLogs/ but not CloudTrail's data: digests, Insights, other services
        return self._where_matches(where)

    def file_may_match(self, key: str) -> bool:
        """False when a log file (an S3 key or a local path) cannot hold a selected record."""
        parts = key.split("/")
        rel = _layout_parts(parts[:-1])
        if rel is not None:
            where = _Where.parse(rel)
            if where is None or where.day is None or not self._where_matches(where):
                return False
        match = _FILE.fullmatch(parts[-1])
        if match is None:
            return True
        if self.accounts and match["account"] not in self.accounts:
            return False
        if self.regions and match["region"] not in self.regions:
            return False
        delivered = datetime.strptime(match["time"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
        start, end = self._files_window()
        return not ((start is not None and delivered < start) or (end is not None and delivered >= end))

    def _where_matches(self, where: _Where) -> bool:
        if where.account is not None and self.accounts and where.account not in self.accounts:
            return False
        if where.region is not None and self.regions and where.region not in self.regions:
            return False
        if where.year is None:
            return True
        first, after = where.period()
        start, end = self._files_window()
        return not ((end is not None and first >= end) or (start is not None and after <= start))


def _split(values: Iterable[str]) -> list[str]:
    """Repeatable options that also accept comma-separated lists."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _record_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    if _EVENT_TIME.fullmatch(value):  # CloudTrail's own format: the common case, parsed cheaply
        return datetime(
            int(value[0:4]),
            int(value[5:7]),
            int(value[8:10]),
            int(value[11:13]),
            int(value[14:16]),
            int(value[17:19]),
            tzinfo=UTC,
        )
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _layout_parts(parts: Sequence[str]) -> list[str] | None:
    """The path segments after ``AWSLogs`` (directories only), or None outside CloudTrail's layout."""
    try:
        root = list(parts).index(LAYOUT_ROOT)
    except ValueError:
        return None
    return list(parts[root + 1 :])


@dataclass(frozen=True, slots=True)
class _Where:
    """A position in ``[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD``, as far as it is known."""

    account: str | None = None
    region: str | None = None
    year: int | None = None
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, rel: Sequence[str]) -> _Where | None:
        """None when the segments cannot be CloudTrail's layout (so nothing below them is a log file)."""
        rest = list(rel)
        if rest and _ORG.fullmatch(rest[0]):
            rest = rest[1:]
        if len(rest) > 6:  # deeper than the day directory
            return None
        names = ["account", "service", "region", "year", "month", "day"]
        got = dict(zip(names, rest, strict=False))
        if "account" in got and not _ACCOUNT.fullmatch(got["account"]):
            return None
        if "service" in got and got["service"] != "CloudTrail":
            return None
        if "region" in got and not _REGION.fullmatch(got["region"]):
            return None
        try:
            year = int(got["year"]) if "year" in got else None
            month = int(got["month"]) if "month" in got else None
            day = int(got["day"]) if "day" in got else None
            if year is not None:
                date(year, month or 1, day or 1)
        except ValueError:
            return None
        return cls(account=got.get("account"), region=got.get("region"), year=year, month=month, day=day)

    def period(self) -> tuple[datetime, datetime]:
        """[first, after) of the year, month or day this position names."""
        if self.year is None:
            raise ValueError("no year: this position names no period")
        if self.month is None:
            return datetime(self.year, 1, 1, tzinfo=UTC), datetime(self.year + 1, 1, 1, tzinfo=UTC)
        first = datetime(self.year, self.month, self.day or 1, tzinfo=UTC)
        if self.day is not None:
            return first, first + timedelta(days=1)
        after = datetime(self.year + self.month // 12, self.month % 12 + 1, 1, tzinfo=UTC)
        return first, after
