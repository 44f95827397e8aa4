"""tables.WatchedTables: exact tables and families, by name or ARN; tables whose location is unknown."""

from __future__ import annotations

import pytest

from access_alerts.allowlist import PatternError
from access_alerts.tables import WatchedTables

A = "111122223333"
HOME = f"arn:aws:dynamodb:us-east-1:{A}:table/"
REPLICA = f"arn:aws:dynamodb:eu-west-1:{A}:table/"


def test_exact_arn_matches_only_that_table_in_that_account_and_region() -> None:
    t = WatchedTables([HOME + "Orders"])
    assert t.watches("Orders", [HOME + "Orders"])
    assert not t.watches("Orders", [REPLICA + "Orders"])
    assert not t.watches("Orders", ["arn:aws:dynamodb:us-east-1:999999999999:table/Orders"])
    assert not t.watches("Orders2", [HOME + "Orders2"])


def test_family_arn_matches_every_table_with_the_prefix_there() -> None:
    t = WatchedTables([HOME + "tenant-*"])
    assert t.watches("tenant-acme", [HOME + "tenant-acme"])
    assert t.watches("tenant-", [HOME + "tenant-"])
    assert not t.watches("tenantacme", [HOME + "tenantacme"])
    assert not t.watches("tenant-acme", [REPLICA + "tenant-acme"])
    assert not t.watches("acme-tenant-x", [HOME + "acme-tenant-x"])


def test_names_and_name_families_match_in_any_account_and_region() -> None:
    t = WatchedTables(["Orders", "tenant-*"])
    assert t.watches("Orders", [REPLICA + "Orders"])
    assert t.watches("tenant-acme", ["arn:aws:dynamodb:ap-south-1:999999999999:table/tenant-acme"])
    assert t.watches("tenant-acme", [])
    assert not t.watches("Order", [HOME + "Order"])


def test_a_table_without_a_known_location_matches_arn_entries_by_name_fail_closed() -> None:
    t = WatchedTables([REPLICA + "Orders", REPLICA + "tenant-*"])
    assert t.watches("Orders", [])
    assert t.watches("tenant-acme", [])
    assert not t.watches("Customers", [])


def test_any_of_several_arns_is_enough() -> None:
    t = WatchedTables([REPLICA + "Orders"])
    assert t.watches("Orders", [HOME + "Orders", REPLICA + "Orders"])


def test_empty_configuration_watches_nothing() -> None:
    t = WatchedTables([])
    assert not t.watches("Orders", [HOME + "Orders"])
    assert not t.watches("Orders", [])


@pytest.mark.parametrize(
    "entry",
    [
        "",
        "*",
        "ten*ant",
        "tenant-**",
        "has space",
        "a" * 256,
        HOME + "*",
        HOME + "Orders/stream/2026-01-01T00:00:00.000",
        HOME + "Orders/index/by-date",
        "arn:aws:s3:::bucket",
        f"arn:aws:dynamodb::{A}:table/Orders",
        "arn:aws:dynamodb:us-east-1::table/Orders",
        f"arn:aws:dynamodb:us-east-1:{A}:backup/b",
    ],
)
def test_bad_entries_are_rejected_with_the_entry_named(entry: str) -> None:
    with pytest.raises(PatternError) as info:
        WatchedTables([entry])
    assert "tables entry" in str(info.value) and repr(entry) in str(info.value)
