"""Run ``terraform test`` one test file per process, a few at a time, and print each file's output in order.

Why: terraform 1.11 runs a module's test files one after another, and every run block loads the AWS provider's
schema again, so the stage is CPU-bound on one core while the others idle (``make test``'s longest stage
after e2e). The files share nothing but the initialised data directory (``TF_DATA_DIR``), which test runs
only read; each run keeps its state in memory.

Usage: ``python tools/tf_test.py [--jobs N] [--chdir DIR]`` (after ``terraform init`` in DIR); exit status 1
when any file fails, with every file's output shown.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TF = Path(__file__).resolve().parent / "tf.py"


def run_file(chdir: Path, test_file: str) -> tuple[int, str, float]:
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(TF), f"-chdir={chdir}", "test", "-no-color", f"-filter={test_file}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    jobs = os.cpu_count() or 1
    parser.add_argument("--jobs", type=int, default=jobs, help="files at a time (default: the cores)")
    parser.add_argument("--chdir", type=Path, default=Path("."), help="the module whose tests/ to run")
    args = parser.parse_args(argv)
    files = sorted(p.relative_to(args.chdir).as_posix() for p in (args.chdir / "tests").glob("*.tftest.hcl"))
    if not files:
        print(f"tf_test: no tests/*.tftest.hcl in {args.chdir}", file=sys.stderr)
        return 1
    # Longest first would pack better, but the order printed is the files' order, and results print as
    # they come in that order, so a failure early in the list shows early.
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = pool.map(lambda f: run_file(args.chdir, f), files)
        failed = []
        for test_file, (code, output, seconds) in zip(files, results, strict=True):
            print(output.rstrip())
            print(f"tf_test: {test_file} {'passed' if code == 0 else 'FAILED'} in {seconds:.0f}s", flush=True)
            if code != 0:
                failed.append(test_file)
    if failed:
        print(f"tf_test: {len(failed)} of {len(files)} test files failed: {', '.join(failed)}")
        return 1
    print(f"tf_test: all {len(files)} test files passed ({args.jobs} at a time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
