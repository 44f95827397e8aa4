"""The replay engine: decide the records of many log files, in order, on every core, in flat memory.

Inputs are local files, directories (walked in name order) and ``s3://`` locations (see
:mod:`access_alerts.s3source`). Each file is one unit of work: a worker process decides its records with
the same :class:`~access_alerts.policy.Policy` the Lambda uses and returns the file's output text and a
:class:`~access_alerts.report.Summary`. The main process fetches S3 objects ahead (threads: the work is
waiting for S3), hands files to the workers, and writes their results strictly in input order, so the
output is the same for any ``--jobs``. At most a few files per worker are in flight, and only bounded
summaries outlive a file, so memory does not grow with the number of records.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final, TextIO, TypeVar

from access_alerts.model import Decision, PolicySettings
from access_alerts.policy import Policy
from access_alerts.report import CsvRows, Summary, alert_line, decision_record
from access_alerts.s3source import (
    S3Location,
    S3Object,
    S3SourceError,
    S3Walk,
    fetch,
    is_s3_uri,
    make_client,
    names_one_object,
)
from access_alerts.selection import Selection
from access_alerts.sources import SourceError, iter_blob_records, iter_file_records
from access_alerts.text import encodable, json_line

T = TypeVar("T")
R = TypeVar("R")

SPILL_CHARS = 4 * 1024 * 1024  # output of one file kept in memory; beyond it goes to a temporary file
IN_FLIGHT_PER_JOB: Final = 3  # files queued per worker: enough to keep it busy, few enough to stay small
FETCH_THREADS: Final = 8
PROGRESS_EVERY: Final = 0.5  # seconds between progress lines


def default_jobs() -> int:
    """The CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class Options:
    """Everything a worker needs (sent to each worker process once)."""

    settings: PolicySettings
    monitor_all_tables: bool = False
    output: str = "text"  # text | jsonl | csv
    selection: Selection = field(default_factory=Selection)
    keep_alerts: bool = False  # return alert decisions (for --webhook)


@dataclass(frozen=True, slots=True)
class Unit:
    """One file to decide: a local path, or an S3 object's bytes, or the reason it cannot be read."""

    name: str
    path: str | None = None
    blob: bytes | None = None
    error: str | None = None
    size: int = 0


@dataclass(slots=True)
class UnitResult:
    name: str
    output: str  # the file's output, or "" when it was spilled to ``spill``
    summary: Summary
    alerts: list[Decision]
    error: str | None
    size: int
    spill: str | None = None  # a temporary file holding the output; the main process copies and removes it

    def write_to(self, out: TextIO) -> None:
        if self.spill is None:
            out.write(self.output)
            return
        try:
            with open(self.spill, encoding="utf-8") as fh:
                shutil.copyfileobj(fh, out, 64 * 1024)
        finally:
            os.unlink(self.spill)


class _Output:
    """A file's output: in memory up to SPILL_CHARS, then in a temporary file, so one long JSON Lines
    file does not have to fit in memory."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0
        self._file: TextIO | None = None
        self.path: str | None = None

    def write(self, text: str) -> int:
        text = encodable(text)  # every format: a lone surrogate (legal JSON) cannot be written as UTF-8
        if self._file is not None:
            return self._file.write(text)
        self._parts.append(text)
        self._size += len(text)
        if self._size > SPILL_CHARS:
            fd, self.path = tempfile.mkstemp(prefix="access-alerts-replay-", suffix=".out")
            self._file = open(fd, "w", encoding="utf-8")  # noqa: SIM115  (closed by finish)
            self._file.write("".join(self._parts))
            self._parts = []
        return len(text)

    def finish(self) -> str:
        if self._file is not None:
            self._file.close()
            return ""
        return "".join(self._parts)


# -- inputs --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Ref:
    """A file found by a walk, not yet read: a local path, an S3 object, or an error to report."""

    name: str
    path: str | None = None
    s3: S3Object | None = None
    error: str | None = None
    size: int = 0


def _local_refs(arg: str, selection: Selection) -> Iterator[_Ref]:
    if not os.path.isdir(arg):
        yield _Ref(name=arg, path=arg, size=_size(arg))
        return
    found = skipped = 0
    for root, dirs, files in os.walk(arg):
        dirs.sort()
        kept = [
            d
            for d in dirs
            if not d.startswith(".") and selection.directory_may_match(os.path.join(root, d) + "/")
        ]
        skipped += len(dirs) - len(kept)
        dirs[:] = kept
        for name in sorted(f for f in files if not f.startswith(".")):  # .DS_Store and the like
            path = os.path.join(root, name)
            if selection.file_may_match(path):
                found += 1
                yield _Ref(name=path, path=path, size=_size(path))
            else:
                skipped += 1
    if not found:
        why = f" ({skipped} skipped by the filters: {selection.describe()})" if skipped else ""
        yield _Ref(name=arg, error=f"no files in the directory{why}")


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _s3_refs(arg: str, selection: Selection, client_box: list[Any]) -> Iterator[_Ref]:
    try:
        location = S3Location.parse(arg)
    except ValueError as exc:
        yield _Ref(name=arg, error=str(exc))
        return
    try:
        if not client_box:
            client_box.append(make_client(FETCH_THREADS * 2))
        if names_one_object(location):
            yield _Ref(name=arg, s3=S3Object(location.bucket, location.prefix, -1), size=0)
            return
        walk = S3Walk(client_box[0], location, selection)
        for obj in walk:
            yield _Ref(name=obj.uri, s3=obj, size=obj.size)
    except S3SourceError as exc:
        yield _Ref(name=arg, error=str(exc))
        return
    except Exception as exc:  # no credentials, no Region, an endpoint that does not answer, ...
        from access_alerts.s3source import describe_error

        yield _Ref(name=arg, error=f"cannot read S3 ({describe_error(exc)})")
        return
    if walk.counts.selected == 0:
        yield _Ref(name=arg, error=walk.empty_reason())


def find_inputs(args: Sequence[str], selection: Selection, client_box: list[Any]) -> Iterator[_Ref]:
    """Every file to decide, in order: arguments in the order given, each walk in name order."""
    for arg in args:
        if is_s3_uri(arg):
            yield from _s3_refs(arg, selection, client_box)
        else:
            yield from _local_refs(arg, selection)


def _load(ref: _Ref, client_box: list[Any]) -> Unit:
    if ref.error is not None:
        return Unit(name=ref.name, error=ref.error)
    if ref.s3 is not None:
        try:
            return Unit(name=ref.name, blob=fetch(client_box[0], ref.s3), size=ref.size)
        except S3SourceError as exc:
            return Unit(name=ref.name, error=str(exc))
    return Unit(name=ref.name, path=ref.path, size=ref.size)


# -- deciding one file (in a worker) ---------------------------------------------------------------


class _Decider:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.policy = Policy(options.settings, monitor_all_tables=options.monitor_all_tables)

    def decide(self, unit: Unit) -> UnitResult:
        summary = Summary()
        alerts: list[Decision] = []
        buf = _Output()
        if unit.error is not None:
            summary.files_unreadable = 1
            return UnitResult(unit.name, "", summary, alerts, unit.error, unit.size)
        output = self.options.output
        selection = self.options.selection
        filtering = selection.active
        keep_alerts = self.options.keep_alerts
        evaluate = self.policy.evaluate
        rows = CsvRows(buf) if output == "csv" else None  # type: ignore[arg-type]
        error = None
        try:
            records = (
                iter_blob_records(unit.blob, unit.name)
                if unit.blob is not None
                else iter_file_records(unit.path or unit.name)
            )
            for source_id, record in records:
                if filtering and not selection.keeps(record):
                    summary.filtered_out += 1
                    continue
                d = evaluate(record, source_id)
                summary.add(d)
                if output == "jsonl":
                    buf.write(json_line(decision_record(d)))
                    buf.write("\n")
                elif rows is not None:
                    rows.write(d)
                elif d.kind == "alert":
                    buf.write(alert_line(d))
                    buf.write("\n")
                if keep_alerts and d.kind == "alert":
                    alerts.append(d)
        except SourceError as exc:
            error = str(exc)
        if error is None:
            summary.files = 1
        else:
            summary.files_unreadable = 1
        text = buf.finish()
        return UnitResult(unit.name, text, summary, alerts, error, unit.size, spill=buf.path)


_WORKER: _Decider | None = None


def _init_worker(options: Options) -> None:
    global _WORKER
    _WORKER = _Decider(options)


def _decide_in_worker(unit: Unit) -> UnitResult:
    if _WORKER is None:
        raise RuntimeError("replay worker not initialised")
    return _WORKER.decide(unit)


# -- running many files ----------------------------------------------------------------------------


def ordered(
    items: Iterable[T],
    submit: Callable[[T], Future[R]],
    window: int,
    abandon: Callable[[R], None] | None = None,
) -> Iterator[R]:
    """Results of ``submit(item)`` in input order, with at most ``window`` submitted and not yet taken.

    When the caller stops early, results not taken are cancelled or, once they arrive, given to
    ``abandon`` (to remove a spilled output file).
    """
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(submit(item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            if not future.cancel() and abandon is not None:
                future.add_done_callback(lambda f: _abandoned(f, abandon))


def _abandoned(future: Future[R], abandon: Callable[[R], None]) -> None:
    if not future.cancelled() and future.exception() is None:
        abandon(future.result())


def _drop_spill(result: UnitResult) -> None:
    if result.spill is not None:
        with contextlib.suppress(OSError):
            os.unlink(result.spill)


def _done(value: R) -> Future[R]:
    future: Future[R] = Future()
    future.set_result(value)
    return future


def _process_pool(jobs: int, options: Options) -> Executor:
    import multiprocessing

    # forkserver, not fork: the main process runs threads (S3 listing and fetching), and forking a
    # process with threads can deadlock the child. Workers start from a clean interpreter instead.
    context: multiprocessing.context.BaseContext
    if "forkserver" in multiprocessing.get_all_start_methods():
        forkserver = multiprocessing.get_context("forkserver")
        forkserver.set_forkserver_preload(["access_alerts.replay"])  # each worker starts with it imported
        context = forkserver
    else:
        context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_init_worker, initargs=(options,)
    )


def decide_all(
    inputs: Sequence[str], options: Options, jobs: int, client_box: list[Any] | None = None
) -> Iterator[UnitResult]:
    """Decide every file of ``inputs``; results in input order."""
    box: list[Any] = [] if client_box is None else client_box
    refs = find_inputs(inputs, options.selection, box)
    with ThreadPoolExecutor(max_workers=FETCH_THREADS, thread_name_prefix="s3-get") as fetchers:

        def load(ref: _Ref) -> Future[Unit]:
            return fetchers.submit(_load, ref, box) if ref.s3 is not None else _done(_load(ref, box))

        units = ordered(refs, load, FETCH_THREADS * 2)
        first = list(itertools.islice(units, 2))
        units = itertools.chain(first, units)
        if jobs <= 1 or len(first) < 2:  # one file: starting worker processes would only cost time
            decider = _Decider(options)
            yield from map(decider.decide, units)
            return
        with _process_pool(jobs, options) as pool:

            def submit(unit: Unit) -> Future[UnitResult]:
                return pool.submit(_decide_in_worker, unit)

            yield from ordered(units, submit, jobs * IN_FLIGHT_PER_JOB, abandon=_drop_spill)


# -- progress -----------------------------------------------------------------------------------------


class Progress:
    """One line on stderr, rewritten in place: files, records, rate and (once the total is known) ETA."""

    def __init__(self, err: TextIO, inputs: Sequence[str], selection: Selection) -> None:
        self.err = err
        self.started = time.monotonic()
        self.last = 0.0
        self.files = 0
        self.records = 0
        self.bytes = 0
        self.total_files: int | None = None
        self.total_bytes = 0
        self._shown = False
        # The total comes from a second, listing-only walk in the background (a few extra LIST calls).
        threading.Thread(target=self._count, args=(inputs, selection), daemon=True).start()

    def _count(self, inputs: Sequence[str], selection: Selection) -> None:
        files = size = 0
        try:
            for ref in find_inputs(inputs, selection, []):
                if ref.error is None:
                    files += 1
                    size += ref.size
        except Exception:  # the count is only for the ETA
            return
        self.total_bytes = size
        self.total_files = files

    def update(self, result: UnitResult) -> None:
        self.files += 1
        self.records += result.summary.records + result.summary.filtered_out
        self.bytes += result.size
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY:
            self.last = now
            self._show(now)

    def _show(self, now: float) -> None:
        elapsed = max(now - self.started, 1e-6)
        rate = self.records / elapsed
        total = f"/{self.total_files:,}" if self.total_files is not None else ""
        eta = ""
        if self.total_files is not None and self.bytes and self.total_bytes:
            remaining = elapsed * (self.total_bytes - self.bytes) / self.bytes
            eta = f", ETA {_duration(max(remaining, 0.0))}"
        self.err.write(
            f"\r\x1b[Kreplay: {self.files:,}{total} files, {self.records:,} records, "
            f"{rate:,.0f} records/s{eta}"
        )
        self.err.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self._shown = False


def _duration(seconds: float) -> str:
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


def wants_progress(err: TextIO) -> bool:
    try:
        return err.isatty()
    except (AttributeError, ValueError):
        return False


def stdout_is(err: TextIO) -> bool:
    """True when stdout and ``err`` are the same terminal (progress must be cleared before output)."""
    try:
        return sys.stdout.isatty() and err.isatty()
    except (AttributeError, ValueError):
        return False


# -- the whole run ----------------------------------------------------------------------------------

DELIVERY_BATCH: Final = 2000  # alerts per delivery; the Lambda likewise groups per invocation


@dataclass(slots=True)
class Outcome:
    summary: Summary
    unreadable: int
    delivery_failed: bool


def run(
    inputs: Sequence[str],
    options: Options,
    *,
    jobs: int,
    out: TextIO,
    err: TextIO,
    allowed: Sequence[str],
    allowed_management: Sequence[str],
    deliver: Callable[[list[Decision]], bool] | None = None,
    progress: bool = False,
) -> Outcome:
    """Decide everything, write the output and (``text``) the report. ``deliver`` gets the alerts in
    batches and returns False when a batch could not be delivered."""
    from access_alerts.report import clean, csv_header, report_lines

    total = Summary()
    unreadable = 0
    delivery_failed = False
    batch: list[Decision] = []
    meter = Progress(err, inputs, options.selection) if progress else None
    shared_terminal = meter is not None and stdout_is(err)
    if options.output == "csv":
        out.write(csv_header())
    try:
        for result in decide_all(inputs, options, jobs):
            if result.output or result.spill:
                if shared_terminal and meter is not None:
                    meter.clear()
                result.write_to(out)
            total.merge(result.summary)
            if result.error is not None:
                unreadable += 1
                if meter is not None:
                    meter.clear()
                err.write(clean(f"replay: {result.name}: {result.error}") + "\n")
            if deliver is not None and result.alerts:
                batch.extend(result.alerts)
                if len(batch) >= DELIVERY_BATCH:
                    delivery_failed |= not deliver(batch)
                    batch = []
            if meter is not None:
                meter.update(result)
    finally:
        if meter is not None:
            meter.clear()
    if deliver is not None and batch:
        delivery_failed |= not deliver(batch)
    if options.output == "text":
        filters = options.selection.describe() if options.selection.active else None
        for line in report_lines(total, allowed, allowed_management, filters):
            out.write(line + "\n")
    out.flush()
    return Outcome(summary=total, unreadable=unreadable, delivery_failed=delivery_failed)
