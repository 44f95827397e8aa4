"""docs/plan-review.md's excerpts are what `terraform plan` prints for the everyday changes, planned (never
applied) against the shared deployment; and such changes keep names and descriptions as they are."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.deployment import Deployment
from tools import plan_review
from tools.sandbox import WEBHOOK_PARAMETER

pytestmark = pytest.mark.e2e


def _plan(deployment: Deployment, slug: str, overrides: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Plan the shared deployment with ``overrides`` on top of its variables (a variables file passed last,
    so it wins); return the printed plan and its JSON. Nothing is applied. Without refresh: the deployment
    has no drift (test_lifecycle.py proves it), and each refresh would cost as much as the plan."""
    ws = deployment.workspace
    extra = ws.dir / f"review-{slug}.tfvars.json"
    extra.write_text(json.dumps(overrides))
    out = f"review-{slug}.tfplan"
    printed = ws.run(
        "plan",
        "-input=false",
        "-no-color",
        "-refresh=false",
        "-lock=false",  # plans only read the state: two run at once
        *ws.var_args,
        f"-var-file={extra.name}",
        f"-out={out}",
    )
    return printed.stdout, ws.show(out)


@pytest.fixture(scope="module")
def plans(deployment: Deployment) -> Iterator[dict[str, tuple[str, dict[str, Any]]]]:
    made: dict[str, tuple[str, dict[str, Any]]] = {}
    everyday = [c for c in plan_review.CHANGES if c.slug != "rotate-webhook"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            c.slug: pool.submit(_plan, deployment, c.slug, c.overrides(deployment.variables))
            for c in everyday
        }
        made.update({slug: future.result() for slug, future in futures.items()})
    # The platform team rotates the URL in its parameter; it is put back for the other tests.
    ssm = deployment.client("ssm")
    old = ssm.get_parameter(Name=WEBHOOK_PARAMETER, WithDecryption=True)["Parameter"]["Value"]
    ssm.put_parameter(Name=WEBHOOK_PARAMETER, Value=old + "?rotated=1", Type="SecureString", Overwrite=True)
    try:
        made["rotate-webhook"] = _plan(deployment, "rotate-webhook", {})
    finally:
        ssm.put_parameter(Name=WEBHOOK_PARAMETER, Value=old, Type="SecureString", Overwrite=True)
    made = {c.slug: made[c.slug] for c in plan_review.CHANGES}
    yield made


def _after(plan: dict[str, Any], resource_type: str) -> dict[str, Any]:
    (change,) = [
        rc["change"]
        for rc in plan["resource_changes"]
        if rc["type"] == resource_type and rc["mode"] == "managed"
    ]
    return change


@pytest.mark.parametrize("slug", ["add-table", "add-role"])
def test_names_and_descriptions_do_not_follow_the_inputs(
    plans: dict[str, tuple[str, dict[str, Any]]], slug: str
) -> None:
    _, plan = plans[slug]
    trail = _after(plan, "aws_cloudtrail")
    names = [[s["name"] for s in trail[side]["advanced_event_selector"]] for side in ("before", "after")]
    assert names[0] == names[1], f"{slug} renames the trail's selectors: {names}"
    function = _after(plan, "aws_lambda_function")
    assert function["after"]["description"] == function["before"]["description"]
    if slug == "add-table":
        before, after = (json.dumps(trail[s]["advanced_event_selector"]) for s in ("before", "after"))
        assert "table/invoices" in after and "table/invoices" not in before, "the new table is not selected"


def test_rotating_the_webhook_in_its_parameter_changes_nothing_in_the_plan(
    plans: dict[str, tuple[str, dict[str, Any]]],
) -> None:
    printed, plan = plans["rotate-webhook"]
    assert "No changes." in printed
    assert all(rc["change"]["actions"] in (["no-op"], ["read"]) for rc in plan["resource_changes"])


def test_docs_plan_review_shows_the_real_plans(plans: dict[str, tuple[str, dict[str, Any]]]) -> None:
    page = plan_review.PAGE.read_text()
    fresh = plan_review.render(
        page, {slug: plan_review.excerpt(printed) for slug, (printed, _) in plans.items()}
    )
    if os.environ.get("PLAN_REVIEW_WRITE") == "1":
        plan_review.PAGE.write_text(fresh)
        return
    assert fresh == page, (
        "docs/plan-review.md's plan excerpts differ from what terraform plan prints now; rewrite them with "
        "PLAN_REVIEW_WRITE=1 make e2e (or PLAN_REVIEW_WRITE=1 .venv/bin/python -m pytest tests/e2e -m e2e "
        "-k plan_review) and review the diff"
    )
