"""The module's destinations/routes variables and the function's reader (destinations.py) accept the same
fields, types and values, so a routing file that replay accepts is one Terraform accepts, and the other way
round."""

from __future__ import annotations

import re
from pathlib import Path

from access_alerts import destinations
from tools import hcl

REPO = Path(__file__).resolve().parents[2]


def variable(name: str) -> dict[str, object]:
    return dict(hcl.labelled(REPO, "variable"))[name]


def object_fields(type_expression: object) -> set[str]:
    return set(re.findall(r"(\w+) = (?:optional\()?(?:string|bool|list)", str(type_expression)))


def test_destination_fields_are_the_same() -> None:
    python = set(destinations._COMMON) | {f for pair in destinations._SECRETS.values() for f, _ in pair}
    python |= {f for fields in destinations._OTHER.values() for f in fields}
    assert object_fields(variable("destinations")["type"]) == python


def test_route_fields_are_the_same() -> None:
    assert object_fields(variable("routes")["type"]) == set(destinations._ROUTE_FIELDS)


def test_types_kinds_and_access_are_the_same() -> None:
    for kind in destinations.DESTINATION_TYPES:
        assert f'"{kind}"' in str(variable("destinations")["validation"]), kind
    routes = str(variable("routes")["validation"])
    for kind in destinations.ROUTE_KINDS:
        assert f'"{kind}"' in routes, kind
    for access in destinations.ROUTE_ACCESS:
        assert f'"{access}"' in routes, access
