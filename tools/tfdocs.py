"""Render the module's Inputs and Outputs tables into README.md (a small stand-in for terraform-docs).

Reads ``variables.tf`` and ``outputs.tf`` of the module directory with a minimal HCL reader that knows
strings (with ``${...}`` interpolation), heredocs, comments and bracket nesting: enough to find each
``variable`` / ``output`` block and its top-level attributes. It does not evaluate anything.

    python tools/tfdocs.py            print the generated block
    python tools/tfdocs.py --write    rewrite README.md between the markers
    python tools/tfdocs.py --check    exit 1 and show a diff when README.md is stale

Every variable must have a ``description`` (a single string literal) and a ``type``; every output a
``description``. A missing one is an error, so the check also enforces the module's documentation rule.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
REPO = Path(__file__).resolve().parent.parent

_OPEN = {"{": "}", "[": "]", "(": ")"}
_CLOSE = {"}", "]", ")"}
_BLOCK_RE = re.compile(r'^(variable|output)\s+"([^"]+)"\s*\{', re.MULTILINE)
_ATTR_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)\s*=(?!=)")
_HEREDOC_RE = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\n")


class TfDocsError(ValueError):
    """The Terraform files cannot be documented (syntax this reader does not know, or a rule broken)."""


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    description: str
    type: str
    default: str | None  # HCL source text of the default, None when the variable is required
    sensitive: bool = False

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True, slots=True)
class Output:
    name: str
    description: str


# ------------------------------------------------------------------------------------- minimal lexer


def _skip_string(text: str, i: int) -> int:
    """``text[i]`` is an opening quote; return the index just after the closing quote."""
    i += 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1
        if c == "\n":
            raise TfDocsError(f"unterminated string at offset {i}")
        if text.startswith("${", i) or text.startswith("%{", i):
            i = _skip_nested(text, i + 1, "}")
            continue
        i += 1
    raise TfDocsError("unterminated string at end of file")


def _skip_comment(text: str, i: int) -> int | None:
    """If a comment starts at ``i`` return the index after it, else None."""
    if text.startswith("#", i) or text.startswith("//", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text.startswith("/*", i):
        end = text.find("*/", i + 2)
        if end < 0:
            raise TfDocsError("unterminated /* comment")
        return end + 2
    return None


def _skip_heredoc(text: str, i: int) -> int | None:
    match = _HEREDOC_RE.match(text, i)
    if not match:
        return None
    marker = match.group(1)
    pos = match.end()
    while pos <= len(text):
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        if line.strip() == marker:
            return len(text) if end < 0 else end
        if end < 0:
            break
        pos = end + 1
    raise TfDocsError(f"unterminated heredoc <<{marker}")


def _skip_nested(text: str, i: int, closer: str) -> int:
    """``text[i]`` opens a bracket whose closer is ``closer``; return the index after the match."""
    stack = [closer]
    i += 1
    while i < len(text):
        c = text[i]
        skipped = _skip_comment(text, i)
        if skipped is not None:
            i = skipped
            continue
        if c == '"':
            i = _skip_string(text, i)
            continue
        heredoc = _skip_heredoc(text, i) if c == "<" else None
        if heredoc is not None:
            i = heredoc
            continue
        if c in _OPEN:
            stack.append(_OPEN[c])
        elif c in _CLOSE:
            if c != stack[-1]:
                raise TfDocsError(f"unbalanced {c!r} at offset {i}")
            stack.pop()
            if not stack:
                return i + 1
        i += 1
    raise TfDocsError("unbalanced brackets at end of file")


def _expression_end(text: str, i: int) -> int:
    """End of the expression starting at ``i``: the newline outside any bracket, string or heredoc."""
    while i < len(text):
        c = text[i]
        skipped = _skip_comment(text, i)
        if skipped is not None:
            if text.startswith("/*", i):
                i = skipped
                continue
            return i  # a line comment ends the expression
        if c == "\n":
            return i
        if c == '"':
            i = _skip_string(text, i)
            continue
        heredoc = _skip_heredoc(text, i) if c == "<" else None
        if heredoc is not None:
            i = heredoc
            continue
        if c in _OPEN:
            i = _skip_nested(text, i, _OPEN[c])
            continue
        i += 1
    return i


def _top_level_attributes(body: str) -> dict[str, str]:
    """Attributes ``name = expression`` directly inside a block body (nested blocks are skipped)."""
    attrs: dict[str, str] = {}
    i = 0
    while i < len(body):
        c = body[i]
        if c.isspace():
            i += 1
            continue
        skipped = _skip_comment(body, i)
        if skipped is not None:
            i = skipped
            continue
        match = _ATTR_RE.match(body, i)
        if match:
            start = match.end()
            end = _expression_end(body, start)
            attrs[match.group(1)] = body[start:end].strip()
            i = end
            continue
        # a nested block such as `validation {`: skip it whole
        brace = body.find("{", i)
        newline = body.find("\n", i)
        if brace < 0 or (0 <= newline < brace):
            raise TfDocsError(f"cannot read {body[i : i + 40]!r}")
        i = _skip_nested(body, brace, "}")
    return attrs


def _blocks(text: str) -> list[tuple[str, str, dict[str, str]]]:
    out: list[tuple[str, str, dict[str, str]]] = []
    i = 0
    while True:
        match = _BLOCK_RE.search(text, i)
        if not match:
            return out
        open_brace = match.end() - 1
        end = _skip_nested(text, open_brace, "}")
        out.append((match.group(1), match.group(2), _top_level_attributes(text[open_brace + 1 : end - 1])))
        i = end


# ---------------------------------------------------------------------------------- interpretation


def _string_literal(expr: str, what: str) -> str:
    if (
        len(expr) < 2
        or not (expr.startswith('"') and expr.endswith('"'))
        or _skip_string(expr, 0) != len(expr)
    ):
        raise TfDocsError(f"{what} must be a single quoted string")
    if "${" in expr or "%{" in expr:
        raise TfDocsError(f"{what} must not use template interpolation")
    out: list[str] = []
    i = 1
    while i < len(expr) - 1:
        c = expr[i]
        if c == "\\":
            nxt = expr[i + 1]
            out.append({"n": " ", "t": " ", '"': '"', "\\": "\\"}.get(nxt, nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _one_line(expr: str) -> str:
    """Collapse a multi-line expression onto one line, with commas between object attributes."""
    lines = [line.strip() for line in expr.splitlines()]
    lines = [re.sub(r"\s+#.*$", "", line) for line in lines if line and not line.startswith("#")]
    out = ""
    for line in lines:
        if not out:
            out = line
        elif out.endswith(("{", "(", "[", ",")) or line.startswith(("}", ")", "]")):
            out += " " + line
        else:
            out += ", " + line
    return re.sub(r"\s+", " ", out)


def read_variables(path: Path) -> list[Variable]:
    result: list[Variable] = []
    for kind, name, attrs in _blocks(path.read_text(encoding="utf-8")):
        if kind != "variable":
            continue
        if "description" not in attrs:
            raise TfDocsError(f"variable {name!r} in {path.name} has no description")
        if "type" not in attrs:
            raise TfDocsError(f"variable {name!r} in {path.name} has no type")
        result.append(
            Variable(
                name=name,
                description=_string_literal(attrs["description"], f"description of variable {name!r}"),
                type=_one_line(attrs["type"]),
                default=_one_line(attrs["default"]) if "default" in attrs else None,
                sensitive=attrs.get("sensitive", "false").strip() == "true",
            )
        )
    return result


def read_outputs(path: Path) -> list[Output]:
    result: list[Output] = []
    for kind, name, attrs in _blocks(path.read_text(encoding="utf-8")):
        if kind != "output":
            continue
        if "description" not in attrs:
            raise TfDocsError(f"output {name!r} in {path.name} has no description")
        result.append(Output(name, _string_literal(attrs["description"], f"description of output {name!r}")))
    return result


# -------------------------------------------------------------------------------------------- render


def _cell(text: str) -> str:
    """Table cell text: pipes escaped everywhere, `*` escaped outside code spans (no stray emphasis)."""
    parts = text.replace("\n", " ").replace("|", "\\|").split("`")
    return "`".join(part if n % 2 else part.replace("*", "\\*") for n, part in enumerate(parts))


def _code(text: str) -> str:
    # A code span may not contain a bare "|" inside a table; backticks inside use a double fence.
    text = text.replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def render(module_dir: Path) -> str:
    variables = read_variables(module_dir / "variables.tf")
    outputs = read_outputs(module_dir / "outputs.tf")
    ordered = sorted(variables, key=lambda v: (not v.required, v.name))
    lines = [
        BEGIN,
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
    ]
    for v in ordered:
        default = "n/a" if v.default is None else _code(v.default)
        note = " (sensitive)" if v.sensitive else ""
        lines.append(
            f'| <a name="input_{v.name}"></a> [{v.name}](#input_{v.name}) | {_cell(v.description)}{note} | '
            f"{_code(v.type)} | {default} | {'yes' if v.required else 'no'} |"
        )
    lines += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    for o in sorted(outputs, key=lambda o: o.name):
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
    parser.add_argument(
        "--module-dir", type=Path, default=REPO, help="directory with variables.tf/outputs.tf"
    )
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
