"""tools/plan_review.py: the excerpt of a plan's output and the page's generated blocks (the plans
themselves are made in tests/e2e/test_plan_review.py)."""

from __future__ import annotations

import pytest

from tools import plan_review

OUTPUT = """module.x.data.aws_region.current: Reading...
module.x.aws_kms_key.this[0]: Refreshing state... [id=1234abcd-12ab-34cd-56ef-1234567890ab]

Terraform used the selected providers to generate the following execution plan.

Terraform will perform the following actions:

  # module.x.terraform_data.configuration will be updated in-place
  ~ resource "terraform_data" "configuration" {
      ~ output = {
          - name = "a"
          - url  = "http://127.0.0.1:40123/api"
        } -> (known after apply)
      ~ sha = "OLD" -> "NEW"
    }

Plan: 0 to add, 1 to change, 0 to destroy.

Saved the plan to: review.tfplan
""".replace("OLD", "a" * 64).replace("NEW", "b" * 64)


def test_excerpt_keeps_the_actions_and_hides_what_differs_on_every_run() -> None:
    text = plan_review.excerpt(OUTPUT)
    assert text.startswith("Terraform will perform the following actions:")
    assert text.endswith("Plan: 0 to add, 1 to change, 0 to destroy.\n")
    assert '"<sha256>" -> "<sha256>"' in text
    assert "Refreshing" not in text and "Saved the plan" not in text
    assert "(the document as applied, left out of this excerpt)" in text and "- name" not in text
    assert "40123" not in text


def test_no_changes_is_an_excerpt_too() -> None:
    assert plan_review.excerpt(
        "x\n\nNo changes. Your infrastructure matches the configuration.\n\nMore.\n"
    ) == ("No changes. Your infrastructure matches the configuration.\n")


def test_render_fills_each_block_and_fails_on_a_missing_one() -> None:
    page = "intro\n<!-- plan:a -->\nold\n<!-- /plan:a -->\nafter\n"
    assert (
        plan_review.render(page, {"a": "new\n"})
        == "intro\n<!-- plan:a -->\n```text\nnew\n```\n<!-- /plan:a -->\nafter\n"
    )
    with pytest.raises(ValueError, match="plan:b"):
        plan_review.render(page, {"b": "x\n"})


def test_the_page_has_a_block_for_every_change() -> None:
    page = plan_review.PAGE.read_text()
    for change in plan_review.CHANGES:
        assert f"<!-- plan:{change.slug} -->" in page and f"<!-- /plan:{change.slug} -->" in page
