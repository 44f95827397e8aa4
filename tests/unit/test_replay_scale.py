"""replay at archive scale: the same output for any --jobs, flat memory, the report, csv and exit codes."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest

from access_alerts import cli
from access_alerts import replay as engine
from access_alerts.model import PolicySettings
from access_alerts.policy import Policy
from access_alerts.report import MAX_DISTINCT, Summary, report_lines
from tests.trail_archive import ALLOWED, INTRUDER, TABLES, records, write_archive


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    if "--jobs" not in argv:  # worker processes only where parallelism is the point: keeps the suite quick
        argv = [*argv, "--jobs", "1"]
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def policy_args() -> list[str]:
    args = [arg for t in TABLES for arg in ("--table", t)]
    return args + [arg for a in ALLOWED for arg in ("--allow", a)]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("archive")
    write_archive(root, 1200, seed=3)
    return root


@pytest.mark.parametrize("fmt", ["jsonl", "text"])  # csv rows come out of the same per-file buffers
def test_output_is_the_same_for_any_number_of_jobs(
    archive: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    files = sorted(str(p) for p in archive.rglob("*.json.gz"))
    assert len(files) > 6
    outputs = []
    for jobs in ("1", "3"):
        argv = ["replay", "--format", fmt, "--jobs", jobs, *policy_args(), str(archive)]
        code, out, err = run(argv, capsys)
        assert code == 0, err
        outputs.append(out)
    assert outputs[0] == outputs[1]
    if fmt == "jsonl":
        sources = [json.loads(line)["source"] for line in outputs[0].splitlines()]
        assert len(sources) == 1200
        # Input order: files in name order, records in file order.
        order = [(files.index(s.rsplit(":", 1)[0]), int(s.rsplit("[", 1)[1][:-1])) for s in sources]
        assert order == sorted(order)


def test_report_counts_principals_tables_entries_and_dead_entries(
    archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["replay", "--format", "jsonl", *policy_args(), str(archive)], capsys)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    code, text, _ = run(["replay", *policy_args(), str(archive)], capsys)
    assert code == 0
    lines = text.splitlines()
    kinds = Counter(r["decision"] for r in rows)
    assert (
        f"records: 1200  alert: {kinds['alert']}  allowed: {kinds['allowed']}  ignored: {kinds['ignored']}"
        in lines
    )
    alerts = [r for r in rows if r["decision"] == "alert"]
    assert alerts and {r["principal"] for r in alerts} == {INTRUDER}
    top = lines.index("top principals that would alert:")
    assert lines[top + 1] == f"  {len(alerts):>9,}  {INTRUDER}"
    tables = Counter(t for r in alerts for t in r["tables"])
    start = lines.index("top tables that would alert:")
    shown = [line.split()[-1] for line in lines[start + 1 : start + 1 + len(tables)]]
    assert shown == [t for t, _ in sorted(tables.items(), key=lambda i: (-i[1], i[0]))]
    matched = Counter(r["matched"] for r in rows if r["decision"] == "allowed")
    for entry in ALLOWED[:2]:
        assert f"  {matched[entry]:>9,}  {entry}" in lines
    assert f"  {0:>9,}  {ALLOWED[3]}   <- allowed nothing" in lines
    dead = lines.index("dead entries (allowed nothing in these records: remove them, or look for a typo):")
    assert lines[dead + 1 :][:2] == [f"  allow-list: {ALLOWED[2]}", f"  allow-list: {ALLOWED[3]}"]
    assert lines[-1] == "unparseable records: 0"


def test_unparseable_records_are_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "r.jsonl"
    p.write_text(json.dumps(next(records(1))) + "\nnot json\n[1]\n")
    code, out, _ = run(["replay", str(p)], capsys)
    assert code == 0
    lines = out.splitlines()
    at = lines.index("unparseable records: 2")
    assert lines[at + 1].startswith(f"  {p}:2: record is not JSON")
    assert lines[at + 2] == f"  {p}:3: record is not a JSON object"


def test_csv_for_spreadsheets(archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hostile = dict(next(records(1)), userAgent="x", eventName='=HYPERLINK("http://evil")')
    p = tmp_path / "h.json"
    p.write_text(json.dumps({"Records": [hostile]}))
    code, out, _ = run(["replay", "--format", "csv", *policy_args(), str(archive), str(p)], capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 1201
    assert rows[0].keys() >= {"eventID", "decision", "principal", "tables", "matched", "reason", "source"}
    assert rows[-1]["eventName"].startswith("'=HYPERLINK")  # not a formula when opened in a spreadsheet
    assert {r["decision"] for r in rows} == {"alert", "allowed", "ignored"}


def test_fail_on_alert(archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["replay", "--fail-on-alert", *policy_args(), str(archive)], capsys)[0] == 3
    quiet = ["--allow", INTRUDER]
    assert run(["replay", "--fail-on-alert", *policy_args(), *quiet, str(archive)], capsys)[0] == 0
    # An unreadable input is worse than an alert: 2 wins.
    assert run(["replay", "--fail-on-alert", *policy_args(), str(archive), "/nonexistent"], capsys)[0] == 2


def test_files_from_and_filters(archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in archive.rglob("*.json.gz"))
    listing = tmp_path / "list.txt"
    listing.write_text("# from Athena\n" + "\n".join(files[:3]) + "\n")
    code, out, _ = run(["replay", "--format", "jsonl", "--files-from", str(listing)], capsys)
    assert code == 0
    assert {json.loads(line)["source"].rsplit(":", 1)[0] for line in out.splitlines()} == set(files[:3])
    window = ["--since", "2026-11-18T00:05:00Z", "--until", "2026-11-18T00:10:00Z"]
    code, out, _ = run(["replay", "--format", "jsonl", *window, str(archive)], capsys)
    assert code == 0
    times = [json.loads(line)["eventTime"] for line in out.splitlines()]
    assert len(times) == 300 and min(times) == "2026-11-18T00:05:00Z" and max(times) == "2026-11-18T00:09:59Z"
    code, out, _ = run(["replay", *window, str(archive)], capsys)
    assert "records: 300 " in out
    # Files delivered before --since were never opened; the rest of the records were read and dropped.
    skipped = re.search(r"; ([0-9,]+) records outside the filters \(since 2026-11-18T00:05:00Z; until", out)
    assert skipped and 0 < int(skipped[1].replace(",", "")) < 900


@pytest.mark.parametrize("argv", [["--jobs", "0"], ["--since", "soon", "--jobs", "1"], ["--account", "12"]])
def test_bad_options_are_usage_errors(
    argv: list[str], archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["replay", *argv, str(archive)], capsys)
    assert code == 2 and out == "" and err.startswith("replay: ")


def test_no_input_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["replay"], capsys)
    assert code == 2 and "no input" in err


def test_bounded_names_fold_the_rarest() -> None:
    from access_alerts.report import _Bounded

    b = _Bounded()
    for i in range(MAX_DISTINCT + 1):
        b.add(f"p{i:06d}", 2 if i < 10 else 1)
    assert len(b.counts) <= MAX_DISTINCT and b.folded
    assert b.top(3) == [("p000000", 2), ("p000001", 2), ("p000002", 2)]
    assert sum(b.counts.values()) + b.others == MAX_DISTINCT + 11
    s = Summary()
    s.principals = b
    assert any("more than 10,000 distinct names" in line for line in report_lines(s, (), ()))


def test_results_not_taken_are_cleaned_up() -> None:
    """A reader that stops early (replay ... | head) must not leave spilled output files behind."""
    from concurrent.futures import Future

    dropped: list[int] = []
    waiting: Future[int] = Future()  # still running when the reader stops: dropped once it completes
    waiting.set_running_or_notify_cancel()
    futures = [engine._done(0), engine._done(1), waiting, engine._done(3)]
    results = engine.ordered(range(4), lambda i: futures[i], 4, abandon=dropped.append)
    assert next(results) == 0
    results.close()
    assert dropped == [1, 3]
    waiting.set_result(2)
    assert dropped == [1, 3, 2]


# -- memory ------------------------------------------------------------------------------------------


class _Discard(io.TextIOBase):
    def write(self, s: str) -> int:
        return len(s)


def _peak(inputs: list[str], fmt: str, traced: bool = True) -> int:
    options = engine.Options(
        settings=PolicySettings(tables=TABLES, allowed=ALLOWED), output=fmt, selection=engine.Selection()
    )
    Policy(options.settings)  # warm the imports outside the measurement
    if traced:
        tracemalloc.start()
    try:
        outcome = engine.run(
            inputs, options, jobs=1, out=_Discard(), err=_Discard(), allowed=ALLOWED, allowed_management=()
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if traced:
            tracemalloc.stop()
    assert outcome.summary.records > 0
    return peak


@pytest.fixture(scope="module")
def sized_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The same kinds of input at two sizes: log files of 75 records, and one JSON Lines file."""
    root = tmp_path_factory.mktemp("sized")
    out = {}
    for n in (150, 1_500):
        write_archive(root / f"files{n}", n, per_file=75, seed=1, sessions=20)
        out[f"files{n}"] = str(root / f"files{n}")
        lines = root / f"lines{n}.jsonl.gz"
        with gzip.open(lines, "wt", encoding="utf-8") as fh:
            for rec in records(n, seed=2, sessions=20):
                fh.write(json.dumps(rec) + "\n")
        out[f"lines{n}"] = str(lines)
    return out


@pytest.mark.parametrize("fmt", ["jsonl", "text"])
def test_memory_does_not_grow_with_the_number_of_records(
    sized_inputs: dict[str, str], fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten times the records (in more files of the same size, or in one JSON Lines file ten times as
    long): the peak must stay put. Holding each decision (about 4 KB) would add over 5 MB here.

    The decision code memoises per principal in caches of a fixed size (identity, allow-list); the
    records come from a few sessions so those stay small, and an untraced run fills them first: any growth
    left is per record. A file's
    output goes to a temporary file beyond a size, scaled down here to the size of these inputs."""
    monkeypatch.setattr(engine, "SPILL_CHARS", 64 * 1024)
    _peak([sized_inputs["files1500"], sized_inputs["lines1500"]], fmt, traced=False)  # fill those caches
    for kind in ("files", "lines"):
        few, many = _peak([sized_inputs[f"{kind}150"]], fmt), _peak([sized_inputs[f"{kind}1500"]], fmt)
        assert many < few * 1.3 + 300_000, (kind, few, many)
