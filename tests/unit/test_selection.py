"""--since/--until/--account/--region: parsing, records, and CloudTrail's S3 layout."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from access_alerts.selection import Selection, SelectionError, parse_time

A = "111122223333"
B = "444455556666"


def sel(**kw: object) -> Selection:
    return Selection.from_options(**kw)  # type: ignore[arg-type]


def test_dates_and_times() -> None:
    assert parse_time("2026-11-18", "--since") == datetime(2026, 11, 18, tzinfo=UTC)
    assert parse_time("2026-11-18", "--until", end_of_day=True) == datetime(2026, 11, 19, tzinfo=UTC)
    assert parse_time("2026-11-18T09:30Z", "--since") == datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
    assert parse_time("2026-11-18T10:30:00+01:00", "--since") == datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
    assert parse_time("2026-11-18T09:30:15", "--since") == datetime(2026, 11, 18, 9, 30, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"since": "yesterday"}, "--since 'yesterday'"),
        ({"since": "2026-02-30"}, "not a valid date"),
        ({"since": "2026-11-19", "until": "2026-11-18"}, "later than --since"),
        ({"accounts": ["1234"]}, "12-digit"),
        ({"regions": ["Europe"]}, "Region name"),
    ],
)
def test_bad_values_name_the_option(kw: dict[str, object], fragment: str) -> None:
    with pytest.raises(SelectionError, match=fragment):
        sel(**kw)


def test_comma_separated_and_repeated() -> None:
    s = sel(accounts=[f"{A},{B}"], regions=["eu-west-1", "us-east-1"])
    assert s.accounts == {A, B} and s.regions == {"eu-west-1", "us-east-1"}


def test_records_outside_are_dropped_and_records_without_the_field_kept() -> None:
    s = sel(since="2026-11-18T09:00Z", until="2026-11-18T10:00Z", accounts=[A], regions=["eu-west-1"])
    inside = {"eventTime": "2026-11-18T09:00:00Z", "recipientAccountId": A, "awsRegion": "eu-west-1"}
    assert s.keeps(inside)
    assert not s.keeps({**inside, "eventTime": "2026-11-18T10:00:00Z"})  # until is exclusive
    assert not s.keeps({**inside, "eventTime": "2026-11-18T08:59:59Z"})
    assert not s.keeps({**inside, "recipientAccountId": B})
    assert not s.keeps({**inside, "awsRegion": "us-east-1"})
    assert s.keeps({"eventName": "GetItem"})  # cannot be placed: decided, never silently dropped
    assert s.keeps("not json")
    assert s.keeps({**inside, "eventTime": "2026-11-18T09:30:00.123+00:00"})


def test_whole_subtrees_are_skipped_by_account_region_and_date() -> None:
    s = sel(since="2026-11-18", until="2026-11-18", accounts=[A], regions=["eu-west-1"])  # the whole 18th
    may = s.directory_may_match
    assert may("AWSLogs/")
    assert may(f"trail/AWSLogs/{A}/")
    assert not may(f"AWSLogs/{B}/")
    assert may(f"AWSLogs/o-abcdef1234/{A}/CloudTrail/eu-west-1/2026/11/")
    assert not may(f"AWSLogs/o-abcdef1234/{B}/")
    assert not may(f"AWSLogs/{A}/CloudTrail-Digest/")
    assert not may(f"AWSLogs/{A}/elasticloadbalancing/")
    assert not may(f"AWSLogs/{A}/CloudTrail/us-east-1/")
    assert not may(f"AWSLogs/{A}/CloudTrail/eu-west-1/2025/")
    assert not may(f"AWSLogs/{A}/CloudTrail/eu-west-1/2026/10/")
    assert not may(f"AWSLogs/{A}/CloudTrail/eu-west-1/2026/11/17/")
    assert may(f"AWSLogs/{A}/CloudTrail/eu-west-1/2026/11/18/")
    # Files delivered shortly after --until can still hold records from before it.
    assert may(f"AWSLogs/{A}/CloudTrail/eu-west-1/2026/11/19/")
    assert not may(f"AWSLogs/{A}/CloudTrail/eu-west-1/2026/11/20/")
    assert may("exports/")  # outside CloudTrail's layout: nothing known, nothing skipped


def test_files_by_delivery_time() -> None:
    s = sel(since="2026-11-18T09:30:20Z", until="2026-11-18T10:00Z")
    day = f"AWSLogs/{A}/CloudTrail/eu-west-1/2026/11/18/"

    def name(hhmm: str) -> str:
        return f"{day}{A}_CloudTrail_eu-west-1_20261118T{hhmm}Z_0123456789ABCDEF.json.gz"

    assert not s.file_may_match(name("0929"))  # delivered before --since: holds nothing after it
    assert s.file_may_match(name("0930"))  # delivered in the minute of --since
    assert s.file_may_match(name("1059"))  # within the delivery margin after --until
    assert not s.file_may_match(name("1100"))
    assert not s.file_may_match(f"{day}notes.txt".replace("/18/", "/18/x/"))  # deeper than a day
    assert s.file_may_match(f"{day}some-other-name.json.gz")  # unknown name in the layout: read it
    assert s.file_may_match("ct-logs/copied.json.gz")  # a local copy outside the layout


def test_no_filters_keep_everything() -> None:
    s = Selection()
    assert not s.active
    assert s.describe() == "no filters"
    assert s.directory_may_match(f"AWSLogs/{A}/CloudTrail/eu-west-1/2019/")
    assert not s.directory_may_match(f"AWSLogs/{A}/CloudTrail-Insight/")
