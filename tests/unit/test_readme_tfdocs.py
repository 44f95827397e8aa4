"""The README's Inputs/Outputs tables match the module's variables and outputs, and tools/tfdocs.py (on
python-hcl2) reads and renders them right."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tools import tfdocs

REPO = Path(__file__).resolve().parents[2]


def test_readme_tables_are_up_to_date() -> None:
    diff = tfdocs.check(REPO, REPO / "README.md")
    assert diff == [], "README.md is stale; run `python tools/tfdocs.py --write`:\n" + "".join(diff)


def test_every_module_variable_and_output_is_documented() -> None:
    variables = tfdocs.read_variables(REPO)
    outputs = tfdocs.read_outputs(REPO)
    names = {v.name for v in variables}
    # The inputs the issue asks for by name.
    assert {
        "name",
        "table_names",
        "allowed_role_arns",
        "slack_webhook_url",
        "slack_webhook_url_ssm_parameter_name",
        "track_reads",
        "exclude_allowed_roles_at_source",
        "key_values",
        "log_retention_in_days",
        "kms_key_arn",
        "lambda_runtime",
        "tags",
    } <= names
    assert {
        "trail_arn",
        "trail_bucket_name",
        "log_group_name",
        "lambda_function_name",
        "lambda_function_arn",
        "on_failure_queue_arn",
        "on_failure_queue_url",
    } <= {o.name for o in outputs}
    for v in variables:
        assert len(v.description) >= 20, v.name
        assert v.type and v.type != "any", v.name
    for o in outputs:
        assert len(o.description) >= 10, o.name
    webhook = next(v for v in variables if v.name == "slack_webhook_url")
    assert webhook.sensitive and webhook.default == "null"


def _module(tmp_path: Path, variables: str, outputs: str = "") -> Path:
    (tmp_path / "variables.tf").write_text(textwrap.dedent(variables), encoding="utf-8")
    (tmp_path / "outputs.tf").write_text(textwrap.dedent(outputs), encoding="utf-8")
    return tmp_path


TRICKY = """
    # a comment with { braces ( and "quotes"
    variable "simple" {
      description = "Plain: with \\"escaped quotes\\", a | pipe and a role/NAME* pattern."
      type        = string
    }

    variable "nested" {
      description = <<-EOT
        Object type, described
        over "several" lines.
      EOT
      type = object({
        period  = optional(number, 300) # trailing comment
        actions = optional(list(string), [])
      })
      default  = {}
      nullable = false

      validation {
        condition     = can(regex("^[a-z]{1,3}$", "x")) && var.nested.period > 0
        error_message = <<-EOT
          A heredoc with } and { and "quotes".
        EOT
      }
    }

    variable "secret" {
      description = "Sensitive value."
      type        = string
      default     = null
      sensitive   = true
    }

    variable "constants" {
      description = "Defaults of every shape."
      type        = map(any)
      default     = { name = "a \\"b\\"", count = 2, on = true, list = [1, "x"] }
    }
"""


def test_reads_types_defaults_and_skips_nested_blocks(tmp_path: Path) -> None:
    module = _module(tmp_path, TRICKY)
    by_name = {v.name: v for v in tfdocs.read_variables(module)}
    assert list(by_name) == ["simple", "nested", "secret", "constants"]
    assert by_name["simple"].description == 'Plain: with "escaped quotes", a | pipe and a role/NAME* pattern.'
    assert by_name["simple"].required and by_name["simple"].default is None
    assert by_name["nested"].description == 'Object type, described\nover "several" lines.\n'
    assert by_name["nested"].type == (
        "object({period = optional(number, 300), actions = optional(list(string), [])})"
    )
    assert by_name["nested"].default == "{}"
    assert by_name["secret"].sensitive and by_name["secret"].default == "null"
    assert not by_name["simple"].sensitive
    assert by_name["constants"].type == "map(any)"
    assert by_name["constants"].default == '{name = "a \\"b\\"", count = 2, on = true, list = [1, "x"]}'


def test_variables_and_outputs_in_any_tf_file_are_read(tmp_path: Path) -> None:
    module = _module(tmp_path, 'variable "a" {\n  description = "In variables.tf."\n  type = string\n}\n')
    (module / "extra.tf").write_text(
        'variable "b" {\n  description = "Elsewhere."\n  type = bool\n  default = false\n}\n'
        'output "o" {\n  description = "An output beside a variable."\n  value = var.b\n}\n'
        'resource "x" "y" {\n  description = "not a variable"\n}\n',
        encoding="utf-8",
    )
    assert [(v.name, v.default) for v in tfdocs.read_variables(module)] == [("b", "false"), ("a", None)]
    assert [o.name for o in tfdocs.read_outputs(module)] == ["o"]


def test_render_escapes_table_syntax(tmp_path: Path) -> None:
    module = _module(tmp_path, TRICKY, 'output "x" {\n  description = "Out | put."\n  value = 1\n}\n')
    block = tfdocs.render(module)
    assert block.startswith(tfdocs.BEGIN) and block.rstrip().endswith(tfdocs.END)
    row = next(line for line in block.splitlines() if "[simple]" in line)
    nested = next(line for line in block.splitlines() if "[nested]" in line)
    assert '| Object type, described over "several" lines. |' in nested, "one line in the table"
    assert "a \\| pipe" in row and "role/NAME\\* pattern" in row
    assert row.endswith("| n/a | yes |")
    # required inputs first
    names = [line.split("](#input_")[0].split("[")[-1] for line in block.splitlines() if "(#input_" in line]
    assert names == ["simple", "constants", "nested", "secret"]
    assert "(sensitive)" in next(line for line in block.splitlines() if "[secret]" in line)
    assert "Out \\| put." in block


def test_check_and_write_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = _module(tmp_path, TRICKY, 'output "x" {\n  description = "An output."\n  value = 1\n}\n')
    readme = module / "README.md"
    readme.write_text(
        f"# Title\n\nIntro.\n\n{tfdocs.BEGIN}\nold table\n{tfdocs.END}\n\nMore text.\n", "utf-8"
    )
    args = ["--module-dir", str(module), "--readme", str(readme)]
    assert tfdocs.main(["--check", *args]) == 1
    assert "-old table" in capsys.readouterr().out
    assert tfdocs.main(["--write", *args]) == 0
    text = readme.read_text("utf-8")
    assert text.startswith("# Title\n\nIntro.\n\n") and text.endswith("\n\nMore text.\n")
    assert "old table" not in text and "[nested]" in text
    assert tfdocs.main(["--check", *args]) == 0


def test_missing_description_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = _module(tmp_path, 'variable "x" {\n  type = string\n}\n')
    readme = module / "README.md"
    readme.write_text(f"{tfdocs.BEGIN}\n{tfdocs.END}\n", "utf-8")
    assert tfdocs.main(["--check", "--module-dir", str(module), "--readme", str(readme)]) == 2
    assert "has no description" in capsys.readouterr().err


def test_missing_type_and_invalid_hcl_are_errors(tmp_path: Path) -> None:
    module = _module(tmp_path, 'variable "x" {\n  description = "ok"\n}\n')
    with pytest.raises(tfdocs.TfDocsError, match="no type"):
        tfdocs.read_variables(module)
    module = _module(tmp_path, 'variable "x" {\n  description = "ok"\n  type = string\n')
    with pytest.raises(tfdocs.TfDocsError, match="not valid HCL"):
        tfdocs.read_variables(module)
    module = _module(tmp_path, "", 'output "x" {\n  value = 1\n}\n')
    with pytest.raises(tfdocs.TfDocsError, match="output 'x' has no description"):
        tfdocs.read_outputs(module)


def test_readme_without_markers_is_an_error(tmp_path: Path) -> None:
    module = _module(tmp_path, TRICKY)
    readme = module / "README.md"
    readme.write_text("# No markers\n", "utf-8")
    with pytest.raises(tfdocs.TfDocsError, match="markers"):
        tfdocs.check(module, readme)
