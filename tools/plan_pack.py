"""Run the module's policy pack (tests/compliance, terraform-compliance) on any plan of a root that calls
the module: a first plan (nothing applied yet) as a pull-request gate, or a steady plan after apply.

    terraform plan -out=plan.tfplan && terraform show -json plan.tfplan > plan.json
    python3 path/to/dynamodb-access-alerts/tools/plan_pack.py plan.json

terraform-compliance alone reads a value that is "known after apply" as missing, so on a first plan it fails
checks the plan cannot decide yet (the KMS key's ARN, IAM documents that name resources not yet created).
This wrapper prepares the plan first, then runs the unchanged pack on it:

1. Scope: only the resources of the module's calls (found by the module's own variables, or named with
   ``--module``) are kept, so resources of the root's own are not held to the module's rules.
2. Decide what the plan knows: an inline IAM policy built by an ``aws_iam_policy_document`` data source that
   Terraform reads only at apply is rebuilt from the statements the plan shows (actions, effects and the
   resources that are known), so the wildcard checks are decided on the first plan too.
3. Defer what it does not know: every value still unknown becomes the marker ``(known after apply)``, which
   the pack's checks accept, and every check that reads a marker is listed as deferred, with the resource,
   the attribute and where the value comes from (the configuration's references). A steady plan has none.

Stdlib only (runs wherever Terraform and terraform-compliance run). Exit status: the pack's (0 passed).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FEATURES = HERE.parent / "tests" / "compliance"
MARKER = "(known after apply)"
# A module call is this module's when its module declares these variables (the name of the call is the
# user's choice, and its source may be a path, a registry address or a git URL).
SIGNATURE_VARIABLES = frozenset({"table_names", "allowed_role_arns", "slack_webhook_url"})
# Attributes that hold a JSON document the pack looks into (terraform-compliance parses them).
JSON_ATTRIBUTES = frozenset({"policy"})
_POLICY_DATA = re.compile(r"^(data\.aws_iam_policy_document\.[A-Za-z0-9_-]+(?:\[[^\]]+\])?)\.json$")
_INSTANCE_KEY = re.compile(r"\[[^\]]*\]")
Json = Any
Plan = dict[str, Any]


# ------------------------------------------------------------------------------------------ the pack
@dataclass(frozen=True)
class Check:
    """One path a scenario reads: ``Given I have <type> defined`` then ``it must contain a / b / c``.
    ``absent`` for a final ``it must not contain``."""

    feature: str
    scenario: str
    types: tuple[str, ...]
    path: tuple[str, ...]
    absent: bool = False
    reads_value: bool = False  # a value step follows ("its value must ...", "all of its values ...")


_STEP = re.compile(r"^(?:Given|When|Then|And|But)\s+(.*)$")


def _scenarios(text: str) -> Iterator[tuple[str, list[str], list[str]]]:
    """Each scenario of a feature file: its name, the resource types of an Outline's examples, its steps."""
    name, in_examples = "", False
    examples: list[str] = []
    steps: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(("Scenario:", "Scenario Outline:")):
            if name:
                yield name, examples, steps
            name, examples, steps, in_examples = line.split(":", 1)[1].strip(), [], [], False
        elif line.startswith("Examples:"):
            in_examples = True
        elif in_examples and line.startswith("|"):
            cell = line.strip("|").strip()
            if cell and cell != "resource":
                examples.append(cell)
        elif step := _STEP.match(line):
            steps.append(step.group(1))
    if name:
        yield name, examples, steps


def _paths(steps: list[str]) -> Iterator[tuple[str | None, tuple[str, ...], bool, bool]]:
    """(the type a ``Given`` names, path, absent, reads_value) for each step of a scenario that reads."""
    given: str | None = None
    path: list[str] = []
    last: tuple[str, ...] = ()
    for text in steps:
        if m := re.fullmatch(r"I have (\S+) defined", text):
            given = None if m.group(1).startswith("<") else m.group(1)
        elif m := re.fullmatch(r"it (?:has|contains) (\S+)", text):  # a filter: the stash stays
            last = (*path, m.group(1))
            yield given, last, False, False
        elif m := re.fullmatch(r"it must (?:contain|have) (\S+)", text):  # descends into the property
            path.append(m.group(1))
            last = tuple(path)
            yield given, last, False, False
        elif m := re.fullmatch(r"it must not (?:contain|have) (\S+)", text):
            yield given, (*path, m.group(1)), True, False
        elif re.match(r"(?:its|all of its|any of its) (?:singular )?values? ", text) and last:
            yield given, last, False, True


def read_checks(features: Path) -> list[Check]:
    """The paths every scenario of the pack reads, from the feature files (so this list cannot drift from
    the pack). Understands the steps the pack uses: ``I have T defined``, ``it has P``, ``it contains P``,
    ``it must contain P``, ``it must not contain P``, value steps, and Outline examples for ``<resource>``."""
    checks: list[Check] = []
    for file in sorted(features.glob("*.feature")):
        for scenario, examples, steps in _scenarios(file.read_text()):
            for given, path, absent, reads in _paths(steps):
                types = (given,) if given else tuple(examples)
                checks.append(Check(file.name, scenario, types, path, absent, reads))
    # A presence check adds nothing to a longer path, or to a value check of the same path, in its scenario.
    unique = list(dict.fromkeys(checks))

    def covered(c: Check) -> bool:
        return any(
            o.scenario == c.scenario
            and o.types == c.types
            and not o.absent
            and o.path[: len(c.path)] == c.path
            and (o.path != c.path or o.reads_value)
            for o in unique
            if o is not c
        )

    return [c for c in unique if c.absent or c.reads_value or not covered(c)]


# ----------------------------------------------------------------------------------------- scoping
def _module_calls(module: dict[str, Any], prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, call in (module.get("module_calls") or {}).items():
        address = f"{prefix}module.{name}"
        yield address, call
        yield from _module_calls(call.get("module") or {}, address + ".")


def find_module_calls(plan: Plan) -> list[str]:
    """Addresses (``module.a.module.b``, without instance keys) of the calls of this module."""
    root = (plan.get("configuration") or {}).get("root_module") or {}
    return [
        address
        for address, call in _module_calls(root, "")
        if set((call.get("module") or {}).get("variables") or {}) >= SIGNATURE_VARIABLES
    ]


def _unkeyed(address: str) -> str:
    return _INSTANCE_KEY.sub("", address)


def in_scope(module_address: str | None, calls: Iterable[str]) -> bool:
    if not module_address:
        return False
    bare = _unkeyed(module_address)
    return any(bare == c or bare.startswith(c + ".module.") for c in calls)


def _call_configuration(plan: Plan, module_address: str) -> dict[str, Any]:
    """The configuration block (``module``) of the call at ``module_address``."""
    module = (plan.get("configuration") or {}).get("root_module") or {}
    for name in re.findall(r"module\.([A-Za-z0-9_-]+)", _unkeyed(module_address)):
        module = ((module.get("module_calls") or {}).get(name) or {}).get("module") or {}
    return module


def _expressions(plan: Plan, rc: dict[str, Any]) -> dict[str, Any]:
    prefix = "data." if rc.get("mode") == "data" else ""
    wanted = f"{prefix}{rc['type']}.{rc['name']}"
    for resource in _call_configuration(plan, rc.get("module_address") or "").get("resources") or []:
        if resource.get("address") == wanted:
            return dict(resource.get("expressions") or {})
    return {}


def _references(expression: Json) -> list[str]:
    """Every reference in a configuration expression (nested blocks included), in order, deduplicated,
    keeping the most precise form (``aws_x.y.arn`` rather than ``aws_x.y``)."""
    found: list[str] = []

    def walk(node: Json) -> None:
        if isinstance(node, dict):
            found.extend(r for r in node.get("references", []) if isinstance(r, str))
            for key, value in node.items():
                if key != "references":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(expression)
    precise = [r for r in dict.fromkeys(found) if not any(o != r and o.startswith(r + ".") for o in found)]
    return precise


# ------------------------------------------------------------------------------------ preparation
def _fill_unknowns(value: Json, unknown: Json) -> Json:
    """``value`` with every unknown part (``after_unknown`` true) replaced by :data:`MARKER`."""
    if unknown is True:
        return MARKER
    if isinstance(unknown, dict):
        base = dict(value) if isinstance(value, dict) else {}
        for key, sub in unknown.items():
            if sub is True or (sub and isinstance(sub, (dict, list))):
                base[key] = _fill_unknowns(base.get(key), sub)
        return base
    if isinstance(unknown, list):
        items = list(value) if isinstance(value, list) else [None] * len(unknown)
        items += [None] * (len(unknown) - len(items))
        return [_fill_unknowns(v, u) if u else v for v, u in zip(items, unknown, strict=False)] + items[
            len(unknown) :
        ]
    return value


def _drop_empty_lists(node: Json) -> Json:
    """``node`` without the empty lists in its objects: Terraform prints an unset list argument of a block as
    ``[]``, which terraform-compliance's ``When it has`` reads as present (so a scenario for a property that
    no block sets would fail instead of being skipped). A ``must contain`` on such a property fails either
    way, as it should."""
    if isinstance(node, dict):
        return {k: _drop_empty_lists(v) for k, v in node.items() if v != []}
    if isinstance(node, list):
        return [_drop_empty_lists(v) for v in node]
    return node


def known_or_marked(change: dict[str, Any]) -> Json:
    """A planned change's ``after`` with every value known only after apply replaced by :data:`MARKER`."""
    return _fill_unknowns(copy.deepcopy(change.get("after") or {}), change.get("after_unknown") or {})


def _synthesize(rest: tuple[str, ...]) -> Json:
    """A stand-in for an unknown block a check reads through: the properties the check looks for, each
    unknown, and the key :data:`MARKER` that says the block itself is unknown."""
    if not rest:
        return MARKER
    return {MARKER: MARKER, rest[0]: _synthesize(rest[1:])}


def _open_unknown_blocks(
    node: Json, rest: tuple[str, ...], attribute: str | None = None, *, on_path: bool = True
) -> Json:
    """``node`` where a check's ``rest`` path meets an unknown block before its end: the block is
    replaced by :func:`_synthesize`, so the check reaches its (unknown) property instead of failing to
    find it. Blocks met while searching at any depth (``on_path`` false) are left alone. Returns the new
    node."""
    if not rest:
        return node
    if node == MARKER and on_path:
        made = _synthesize(rest)
        return json.dumps(made) if attribute in JSON_ATTRIBUTES else made
    if isinstance(node, str) and node.lstrip().startswith(("{", "[")):
        try:
            parsed = json.loads(node)
        except ValueError:
            return node
        return json.dumps(_open_unknown_blocks(parsed, rest, on_path=on_path))
    if isinstance(node, list):
        return [_open_unknown_blocks(item, rest, on_path=on_path) for item in node]
    if isinstance(node, dict):
        if MARKER in node and rest[0] not in node:
            node[rest[0]] = _synthesize(rest[1:])
        for key, sub in list(node.items()):
            if key == rest[0]:
                node[key] = _open_unknown_blocks(sub, rest[1:], key)
            elif _json_like(sub):
                node[key] = _open_unknown_blocks(sub, rest, on_path=False)
    return node


def _policy_json(statements: list[dict[str, Any]]) -> str:
    """An IAM policy document from an ``aws_iam_policy_document``'s planned ``statement`` blocks."""

    def principals(blocks: list[dict[str, Any]] | None) -> dict[str, Any]:
        return {b.get("type") or MARKER: b.get("identifiers") or [] for b in blocks or []}

    def condition(blocks: list[dict[str, Any]] | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for b in blocks or []:
            out.setdefault(b.get("test") or MARKER, {})[b.get("variable") or MARKER] = b.get("values")
        return out

    document = []
    for s in statements:
        entry: dict[str, Any] = {"Sid": s.get("sid") or "", "Effect": s.get("effect") or "Allow"}
        for key, field in (
            ("Action", "actions"),
            ("NotAction", "not_actions"),
            ("Resource", "resources"),
            ("NotResource", "not_resources"),
        ):
            if s.get(field) is not None:
                entry[key] = s[field]
        if s.get("principals"):
            entry["Principal"] = principals(s["principals"])
        if s.get("not_principals"):
            entry["NotPrincipal"] = principals(s["not_principals"])
        if s.get("condition"):
            entry["Condition"] = condition(s["condition"])
        document.append(entry)
    return json.dumps({"Version": "2012-10-17", "Statement": document})


@dataclass(frozen=True)
class Deferred:
    scenario: str
    address: str
    attribute: str
    source: str  # where the value comes from (references in the configuration), or ""

    def __str__(self) -> str:
        origin = f" (from {self.source})" if self.source else ""
        return f"{self.scenario}: {self.address} {self.attribute} is known after apply{origin}"


@dataclass
class Prepared:
    plan: Plan
    calls: list[str]
    resources: int  # resource changes in scope
    rebuilt_policies: list[str]  # addresses whose policy was rebuilt from their policy document
    sources: dict[tuple[str, str], str]  # (address, attribute path) -> references


def prepare(plan: Plan, checks: list[Check], modules: list[str] | None = None) -> Prepared:
    """The plan cut down to the module's resources, unknown values replaced by :data:`MARKER` and IAM
    documents of data sources read at apply rebuilt from their planned statements."""
    calls = [_unkeyed(m) for m in modules] if modules else find_module_calls(plan)
    if not calls:
        raise LookupError(
            "no call of the dynamodb-access-alerts module found in the plan's configuration "
            "(name one with --module module.NAME)"
        )
    changes = [rc for rc in plan.get("resource_changes") or [] if in_scope(rc.get("module_address"), calls)]
    by_address = {rc["address"]: rc for rc in changes}
    sources: dict[tuple[str, str], str] = {}
    rebuilt: list[str] = []
    prepared: list[dict[str, Any]] = []
    for rc in changes:
        change = rc.get("change") or {}
        if change.get("actions") == ["delete"]:
            continue
        after_unknown = change.get("after_unknown") or {}
        expressions = _expressions(plan, rc)
        after = _fill_unknowns(copy.deepcopy(change.get("after") or {}), after_unknown)
        for attribute in JSON_ATTRIBUTES:
            if after.get(attribute) != MARKER:
                continue
            document = _policy_document(rc, expressions.get(attribute), by_address)
            if document is not None:
                statements, unknown_statements, data_address = document
                after[attribute] = _policy_json(_fill_unknowns(statements, unknown_statements))
                rebuilt.append(rc["address"])
                data_expressions = _expressions(plan, by_address[data_address])
                for block in data_expressions.get("statement") or []:
                    sid = (block.get("sid") or {}).get("constant_value")
                    refs = _references(block.get("resources"))
                    if sid and refs:
                        sources[(rc["address"], f"{attribute}.Statement[{sid}]")] = ", ".join(refs)
        for check in checks:
            if rc["type"] in check.types and not check.absent:
                after = _open_unknown_blocks(after, check.path)
        after = _drop_empty_lists(after)
        for key, expression in expressions.items():
            refs = _references(expression)
            if refs:
                sources.setdefault((rc["address"], key), ", ".join(refs))
        new_change = {**change, "after": after, "after_unknown": {}}
        prepared.append({**rc, "change": new_change})
    out: Plan = {
        key: plan[key]
        for key in ("format_version", "terraform_version", "variables", "configuration")
        if key in plan
    }
    out["resource_changes"] = prepared
    out["planned_values"] = {"root_module": {}}
    return Prepared(out, calls, len(changes), rebuilt, sources)


def _policy_document(
    rc: dict[str, Any], expression: Json, by_address: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], Json, str] | None:
    """The planned statements of the ``aws_iam_policy_document`` the attribute's expression names (its
    ``.json``), their ``after_unknown``, and the data source's address."""
    for ref in _references(expression):
        m = _POLICY_DATA.match(ref)
        if not m:
            continue
        data_address = f"{rc['module_address']}.{m.group(1)}"
        data = by_address.get(data_address)
        if data is None:
            return None
        change = data.get("change") or {}
        after, unknown = change.get("after") or {}, change.get("after_unknown") or {}
        statements = after.get("statement")
        if not isinstance(statements, list) or unknown.get("statement") is True:
            return None
        return statements, unknown.get("statement") or [], data_address
    return None


# ------------------------------------------------------------------------------------------ report
def _markers_at(value: Json, path: tuple[str, ...], *, under: bool = True) -> Iterator[str]:
    """Where ``value`` holds :data:`MARKER` on ``path``: at its end, under it, or in place of a block the
    path goes through. Like terraform-compliance, a property is looked for at any depth, so blocks whose
    key is not on the path are searched too (a marker met while searching is not on the path). Yields the
    dotted path of each marker, statements of a policy document named by their Sid. ``under`` false: only
    markers on the path itself (a check that only asks whether the property is there)."""

    def walk(node: Json, rest: tuple[str, ...], here: str, on_path: bool) -> Iterator[str]:
        if not rest and not under:
            if node == MARKER or (isinstance(node, dict) and MARKER in node):
                yield here
            return
        if node == MARKER:
            if on_path:
                yield here
            return
        if isinstance(node, str) and rest and node.lstrip().startswith(("{", "[")):
            try:
                node = json.loads(node)
            except ValueError:
                return
        if isinstance(node, list):
            for item in node:
                sid = item.get("Sid") if isinstance(item, dict) else None
                yield from walk(item, rest, f"{here}[{sid}]" if sid else here, on_path)
            return
        if isinstance(node, dict):
            if MARKER in node and on_path:  # a block the plan does not know, opened by _synthesize
                yield here
                return
            for key, sub in node.items():
                if not rest:
                    yield from walk(sub, (), f"{here}.{key}", on_path)
                elif key == rest[0]:
                    yield from walk(sub, rest[1:], f"{here}.{key}", True)
                elif _json_like(sub):
                    yield from walk(sub, rest, f"{here}.{key}", False)

    return walk(value, path, "", True)


def _json_like(node: Json) -> bool:
    return isinstance(node, (dict, list))


def deferred_checks(prepared: Prepared, checks: list[Check]) -> list[Deferred]:
    """Every (scenario, resource, attribute) the prepared plan cannot decide yet: a marker on its path."""
    found: dict[tuple[str, str, str], Deferred] = {}
    for rc in prepared.plan["resource_changes"]:
        if rc.get("mode") == "data":
            continue
        after = rc["change"]["after"]
        for check in checks:
            if rc["type"] not in check.types:
                continue
            for where in _markers_at(after, check.path, under=check.reads_value):
                attribute = where.lstrip(".")
                statement = re.match(r"^[^.]+\.Statement\[[^\]]+\]", attribute)
                top = attribute.split(".", 1)[0]
                source = prepared.sources.get((rc["address"], statement.group(0) if statement else top)) or (
                    prepared.sources.get((rc["address"], top), "")
                )
                key = (check.scenario, rc["address"], attribute)
                found.setdefault(key, Deferred(check.scenario, rc["address"], attribute, source))
    return sorted(found.values(), key=lambda d: (d.scenario, d.address, d.attribute))


# -------------------------------------------------------------------------------------------- run
def run_pack(tool: str, plan_file: Path, features: Path, *, quiet: bool) -> subprocess.CompletedProcess[str]:
    """terraform-compliance on ``plan_file``; its cache goes under a private temporary directory."""
    with tempfile.TemporaryDirectory(prefix="plan-pack-") as scratch:
        return subprocess.run(
            [tool, "--no-ansi", "-p", str(plan_file), "-f", str(features)],
            env={**os.environ, "TMPDIR": scratch},
            capture_output=quiet,
            text=True,
            check=False,
        )


@dataclass
class Result:
    returncode: int
    deferred: list[Deferred]
    prepared: Prepared
    output: str


def check_plan(
    plan: Plan,
    *,
    tool: str,
    features: Path = FEATURES,
    modules: list[str] | None = None,
    quiet: bool = False,
    keep: Path | None = None,
) -> Result:
    """Prepare ``plan``, run the pack on it, and list the deferred checks."""
    checks = read_checks(features)
    prepared = prepare(plan, checks, modules)
    deferred = deferred_checks(prepared, checks)
    with tempfile.TemporaryDirectory(prefix="plan-pack-") as tmp:
        path = keep or Path(tmp) / "plan.prepared.json"
        path.write_text(json.dumps(prepared.plan))
        proc = run_pack(tool, path, features, quiet=quiet)
    return Result(proc.returncode, deferred, prepared, (proc.stdout or "") + (proc.stderr or ""))


def report(result: Result) -> str:
    p = result.prepared
    lines = [
        f"plan_pack: {p.resources} resource change(s) of {', '.join(p.calls)} checked; "
        f"{len(p.rebuilt_policies)} IAM policy document(s) rebuilt from their planned statements"
    ]
    if result.deferred:
        lines.append(f"plan_pack: {len(result.deferred)} check(s) deferred to the plan after apply:")
        lines += [f"  deferred: {d}" for d in result.deferred]
    else:
        lines.append("plan_pack: every check decided (no value is known only after apply)")
    verdict = "passed" if result.returncode == 0 else "FAILED"
    lines.append(f"plan_pack: the policy pack {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("plan", type=Path, help="`terraform show -json` of a saved plan")
    parser.add_argument("--features", type=Path, default=FEATURES, help="the pack (default: %(default)s)")
    parser.add_argument(
        "--terraform-compliance",
        default=shutil.which("terraform-compliance") or "terraform-compliance",
        help="the terraform-compliance program (default: from PATH)",
    )
    parser.add_argument(
        "--module",
        action="append",
        help="address of the module call to check (repeatable; default: every call of this module)",
    )
    parser.add_argument("--keep", type=Path, help="also write the prepared plan here")
    parser.add_argument(
        "--quiet", action="store_true", help="show terraform-compliance's output only on failure"
    )
    args = parser.parse_args(argv)
    try:
        plan = json.loads(args.plan.read_text())
    except (OSError, ValueError) as exc:
        print(f"plan_pack: cannot read {args.plan}: {exc}", file=sys.stderr)
        return 2
    try:
        result = check_plan(
            plan,
            tool=args.terraform_compliance,
            features=args.features,
            modules=args.module,
            quiet=args.quiet,
            keep=args.keep,
        )
    except LookupError as exc:
        print(f"plan_pack: {exc}", file=sys.stderr)
        return 2
    if args.quiet and result.returncode != 0:
        print(result.output)
    print(report(result))
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
