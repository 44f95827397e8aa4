"""Read a Terraform module's ``.tf`` files with python-hcl2, for tools/tfdocs.py and the tests that check
what Terraform does with a rule (nothing is evaluated).

Values come as python-hcl2 serialises them here: string literals unquoted and unescaped, every other
expression as its HCL text wrapped in ``${...}``, objects and tuples as HCL text too, heredocs as written,
blocks as lists of dicts (``{"variable": [{"name": {...}}]}``, ``{"resource": [{"type": {"name": {...}}}]}``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
from lark.exceptions import LarkError

OPTIONS = hcl2.SerializationOptions(
    with_comments=False,
    explicit_blocks=False,
    strip_string_quotes=True,
    preserve_heredocs=True,  # python-hcl2 8.1.4 leaves `\"` escapes in the indented heredocs it converts
    wrap_objects=True,
    wrap_tuples=True,
)
_LOCAL_REF = re.compile(r"\blocal\.([A-Za-z_][A-Za-z0-9_-]*)")


class HclError(ValueError):
    """A file is not valid HCL."""


def parse(path: Path) -> dict[str, Any]:
    """One ``.tf`` file."""
    try:
        return _loads(path.read_text(encoding="utf-8"))
    except LarkError as exc:
        raise HclError(f"{path.name} is not valid HCL: {exc}") from exc


@functools.lru_cache(maxsize=64)
def _loads(text: str) -> dict[str, Any]:  # callers only read the result
    parsed: dict[str, Any] = hcl2.loads(text, serialization_options=OPTIONS)
    return parsed


def files(module_dir: Path) -> list[Path]:
    return sorted(module_dir.glob("*.tf"))


def blocks(module_dir: Path, kind: str) -> Iterator[Any]:
    """Every ``kind`` block of the module (``variable``, ``resource``, ``locals``, ...), file by file in
    name order and in file order within each: the block's labels are the keys of nested dicts."""
    for path in files(module_dir):
        yield from parse(path).get(kind, [])


def labelled(module_dir: Path, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(label, body)`` of every one-label block (``variable``, ``output``, ``provider``, ``module``)."""
    for block in blocks(module_dir, kind):
        yield from block.items()


def locals_of(module_dir: Path) -> dict[str, Any]:
    """Every local value of the module, by name."""
    found: dict[str, Any] = {}
    for block in blocks(module_dir, "locals"):
        found.update(block)
    return found


def strings(value: Any) -> Iterator[str]:
    """Every string inside a value (expressions included), depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def attributes(value: Any, name: str) -> Iterator[Any]:
    """Every attribute called ``name`` anywhere inside a value (e.g. each ``condition`` of the
    validations, preconditions and check assertions of a module)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == name:
                yield item
            yield from attributes(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from attributes(item, name)


def closure(expression: Any, local_values: dict[str, Any]) -> str:
    """The text of ``expression`` followed by the text of every local it uses, directly or through other
    locals: what a search for a reference in ``expression`` has to look at."""
    texts: list[str] = []
    seen: set[str] = set()
    pending = [expression]
    while pending:
        text = "\n".join(strings(pending.pop()))
        texts.append(text)
        for name in _LOCAL_REF.findall(text):
            if name not in seen and name in local_values:
                seen.add(name)
                pending.append(local_values[name])
    return "\n".join(texts)
