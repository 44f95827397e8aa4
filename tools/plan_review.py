"""docs/plan-review.md's plan excerpts, from real plans (tests/e2e/test_plan_review.py makes them).

The page is prose written by hand around generated blocks: each everyday change has a block between
``<!-- plan:SLUG -->`` and ``<!-- /plan:SLUG -->`` holding what ``terraform plan`` printed for it against the
shared e2e deployment (examples/complete with envs/prod.tfvars, on the emulator). The test fails when a
block differs from a fresh plan; ``PLAN_REVIEW_WRITE=1 make e2e`` rewrites the blocks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "docs" / "plan-review.md"
Variables = Mapping[str, Any]


@dataclass(frozen=True)
class Change:
    slug: str
    title: str
    overrides: Callable[[Variables], dict[str, Any]]  # the prod variables -> the ones this change sets


CHANGES = (
    Change("add-table", "Add a table", lambda v: {"table_names": [*v["table_names"], "invoices"]}),
    Change(
        "add-role",
        "Add an allowed role",
        lambda v: {
            "allowed_role_arns": [*v["allowed_role_arns"], "arn:aws:iam::123456789012:role/invoices-service"]
        },
    ),
    Change(
        "add-sso-pattern",
        "Add an SSO pattern",
        lambda v: {
            "allowed_role_arns": [
                *v["allowed_role_arns"],
                "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_SupportEngineer_*",
            ]
        },
    ),
    Change("rotate-webhook", "Rotate the webhook", lambda v: {}),
    Change("track-reads", "Switch track_reads", lambda v: {"track_reads": not v["track_reads"]}),
)

# terraform_data.configuration's output is the whole document as applied, printed again on every change of
# the document (about 160 lines): the excerpt keeps its first and last line.
_PREVIOUS_OUTPUT = re.compile(
    r"^( +)~ output = \{\n(.*?)^ +\} -> \(known after apply\)$", re.MULTILINE | re.DOTALL
)


def _shorten_output(m: re.Match[str]) -> str:
    indent = m.group(1)
    return (
        f"{indent}~ output = {{\n"
        f"{indent}    # (the document as applied, left out of this excerpt)\n"
        f"{indent}  }} -> (known after apply)"
    )


_NORMALISE = (
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
    (re.compile(r"127\.0\.0\.1:[0-9]+"), "127.0.0.1:<port>"),
    (re.compile(r"[ \t]+$", re.MULTILINE), ""),
    # How many unchanged attributes Terraform hides says nothing about the change, and follows every field
    # the document or a resource gains: keep the note, drop the count.
    (re.compile(r"# \(\d+ unchanged (attribute|element|block)s? hidden\)"), r"# (unchanged \1s hidden)"),
)


# The shared e2e deployment watches prod's tables plus an estate of generated ones (tests/e2e/estate.py:
# estate-000, estate-001, ...): a list of them is shortened to its first entry and a count.
_ESTATE_TABLE = re.compile(r'^(?P<lead>\s*[-+~]?\s*)"arn:aws[a-z-]*:dynamodb:[^"]+:table/estate-\d+",?$')


def _shorten_estate_lists(text: str) -> str:
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) > 2:
            lead = _ESTATE_TABLE.match(run[0])
            indent = " " * len(lead.group("lead")) if lead else ""
            out.extend([run[0], f"{indent}# ({len(run) - 1} more tables of the e2e deployment's estate)"])
        else:
            out.extend(run)
        run.clear()

    for line in text.split("\n"):
        if _ESTATE_TABLE.match(line):
            run.append(line)
            continue
        flush()
        out.append(line)
    flush()
    return "\n".join(out)


def excerpt(plan_output: str) -> str:
    """What a reviewer reads in ``terraform plan -no-color``: from the actions (or "No changes.") to the
    summary line, with the values that differ on every run (key IDs, hashes, the emulator's port)
    replaced by placeholders."""
    text = plan_output.replace("\r\n", "\n")
    start = text.find("Terraform will perform the following actions:")
    if start < 0:
        start = text.find("No changes.")
    if start < 0:
        raise ValueError("neither actions nor 'No changes.' in the plan output")
    end = (
        text.find("\n", text.find("Plan: ", start)) if "Plan: " in text[start:] else text.find("\n\n", start)
    )
    body = text[start : end if end > 0 else None].rstrip() + "\n"
    body = _PREVIOUS_OUTPUT.sub(_shorten_output, body)
    body = _shorten_estate_lists(body)
    for pattern, replacement in _NORMALISE:
        body = pattern.sub(replacement, body)
    return body


def _block(slug: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- plan:{re.escape(slug)} -->\n)(.*?)(<!-- /plan:{re.escape(slug)} -->)", re.DOTALL
    )


def render(page: str, excerpts: Mapping[str, str]) -> str:
    """``page`` with each change's block holding its excerpt (a fenced block)."""
    for slug, text in excerpts.items():
        pattern = _block(slug)
        if not pattern.search(page):
            raise ValueError(f"{PAGE.name} has no block <!-- plan:{slug} --> ... <!-- /plan:{slug} -->")
        fenced = f"```text\n{text}```\n"

        def fill(m: re.Match[str], fenced: str = fenced) -> str:
            return m.group(1) + fenced + m.group(3)

        page = pattern.sub(fill, page)
    return page
