"""Render the module's Inputs and Outputs tables into README.md (a small stand-in for terraform-docs).

Reads every ``variable`` and ``output`` block of the module's ``*.tf`` files with python-hcl2 (tools/hcl.py;
nothing is evaluated) and renders the two tables between the README markers.

    python tools/tfdocs.py            print the generated block
    python tools/tfdocs.py --write    rewrite README.md between the markers
    python tools/tfdocs.py --check    exit 1 and show a diff when README.md is stale

Every variable needs a ``description`` and a ``type``, every output a ``description`` (the module's
standard); a missing one is an error. Descriptions may be quoted strings or heredocs over several lines:
the table shows them on one line.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # so `python tools/tfdocs.py` can import its siblings as `tools.*`
    sys.path.insert(0, str(REPO))

from tools import hcl  # noqa: E402

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
_HEREDOC_RE = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)\n(.*\n)[ \t]*\2\Z", re.DOTALL)


class TfDocsError(ValueError):
    """The Terraform files cannot be documented (not HCL, or a variable/output without description)."""


def _labelled(module_dir: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        return list(hcl.labelled(module_dir, kind))
    except hcl.HclError as exc:
        raise TfDocsError(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    description: str
    type: str
    default: str | None  # the default as HCL text, None when the variable has no default (required)
    sensitive: bool = False

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True, slots=True)
class Output:
    name: str
    description: str


# ------------------------------------------------------------------------------------------- reading


def _text(value: Any, what: str) -> str:
    """A string attribute's value: quoted strings come unescaped; heredocs (kept as written, see
    tools/hcl.py) are cut out of their markers here, ``<<-`` ones also dedented as Terraform does."""
    if not isinstance(value, str) or value.startswith("${"):
        raise TfDocsError(f"{what} must be a string, not {value!r}")
    heredoc = _HEREDOC_RE.match(value)
    if heredoc:
        indented, _, body = heredoc.groups()
        return textwrap.dedent(body) if indented else body
    return value


def _hcl(value: Any) -> str:
    """HCL source text of a type or a constant default as python-hcl2 returned it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value[2:-1] if value.startswith("${") and value.endswith("}") else json.dumps(value)
    raise TfDocsError(f"cannot render {value!r} as HCL")


def _type(value: Any) -> str:
    """A type constraint: bare keywords (``string``) come as plain strings, the rest as ``${...}``."""
    return value[2:-1] if isinstance(value, str) and value.startswith("${") else str(value)


def read_variables(module_dir: Path) -> list[Variable]:
    result = []
    for name, body in _labelled(module_dir, "variable"):
        if "description" not in body:
            raise TfDocsError(f"variable {name!r} has no description")
        if "type" not in body:
            raise TfDocsError(f"variable {name!r} has no type")
        result.append(
            Variable(
                name=name,
                description=_text(body["description"], f"description of variable {name!r}"),
                type=_type(body["type"]),
                default=_hcl(body["default"]) if "default" in body else None,
                sensitive=body.get("sensitive") is True,
            )
        )
    return result


def read_outputs(module_dir: Path) -> list[Output]:
    result = []
    for name, body in _labelled(module_dir, "output"):
        if "description" not in body:
            raise TfDocsError(f"output {name!r} has no description")
        result.append(Output(name, _text(body["description"], f"description of output {name!r}")))
    return result


# -------------------------------------------------------------------------------------------- render


def _cell(text: str) -> str:
    """Table cell text on one line: pipes escaped everywhere, `*` escaped outside code spans."""
    parts = " ".join(text.split()).replace("|", "\\|").split("`")
    return "`".join(part if n % 2 else part.replace("*", "\\*") for n, part in enumerate(parts))


def _code(text: str) -> str:
    # A code span may not contain a bare "|" inside a table; backticks inside use a double fence.
    text = " ".join(text.split()).replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def render(module_dir: Path) -> str:
    variables = sorted(read_variables(module_dir), key=lambda v: (not v.required, v.name))
    outputs = sorted(read_outputs(module_dir), key=lambda o: o.name)
    lines = [
        BEGIN,
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
    ]
    for v in variables:
        default = "n/a" if v.default is None else _code(v.default)
        note = " (sensitive)" if v.sensitive else ""
        lines.append(
            f'| <a name="input_{v.name}"></a> [{v.name}](#input_{v.name}) | {_cell(v.description)}{note} | '
            f"{_code(v.type)} | {default} | {'yes' if v.required else 'no'} |"
        )
    lines += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    for o in outputs:
        lines.append(
            f'| <a name="output_{o.name}"></a> [{o.name}](#output_{o.name}) | {_cell(o.description)} |'
        )
    lines.append(END)
    return "\n".join(lines) + "\n"


def splice(readme: str, block: str) -> str:
    """README text with the part from BEGIN to END (inclusive) replaced by ``block``."""
    start = readme.find(BEGIN)
    end = readme.find(END)
    if start < 0 or end < 0 or end < start:
        raise TfDocsError(f"README.md needs the markers {BEGIN} and {END}, in that order")
    tail = readme[end + len(END) :]
    if tail.startswith("\n"):
        tail = tail[1:]
    return readme[:start] + block + tail


def check(module_dir: Path, readme_path: Path) -> list[str]:
    """Unified diff lines between README.md and what it should be (empty when up to date)."""
    current = readme_path.read_text(encoding="utf-8")
    wanted = splice(current, render(module_dir))
    return list(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            wanted.splitlines(keepends=True),
            fromfile=f"{readme_path.name} (committed)",
            tofile=f"{readme_path.name} (generated)",
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 with a diff when README.md is stale")
    mode.add_argument("--write", action="store_true", help="rewrite README.md between the markers")
    parser.add_argument("--module-dir", type=Path, default=REPO, help="directory of the module's .tf files")
    parser.add_argument(
        "--readme", type=Path, default=None, help="README to check/write (default: MODULE/README.md)"
    )
    args = parser.parse_args(argv)
    module_dir: Path = args.module_dir
    readme: Path = args.readme or module_dir / "README.md"
    try:
        if args.check:
            diff = check(module_dir, readme)
            if diff:
                sys.stdout.writelines(diff)
                print(f"\n{readme} is out of date: run `python tools/tfdocs.py --write`", file=sys.stderr)
                return 1
            return 0
        if args.write:
            current = readme.read_text(encoding="utf-8") if readme.exists() else f"{BEGIN}\n{END}\n"
            readme.write_text(splice(current, render(module_dir)), encoding="utf-8")
            return 0
        sys.stdout.write(render(module_dir))
        return 0
    except (TfDocsError, OSError) as exc:
        print(f"tfdocs: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
