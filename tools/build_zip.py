"""Build lambda_src/access_alerts.zip deterministically, or check that the committed one is current.

The zip holds only the package's ``*.py`` files and its data (``rules.json``, the rules it shares with
Terraform), as ``access_alerts/<name>``, in sorted order, each with the timestamp 1980-01-01 00:00:00, mode
0644 and DEFLATE at level 9. The same sources give the same bytes
on every machine and Python version that ship the same zlib, so Terraform's ``source_code_hash``
changes exactly when the code does.

    python tools/build_zip.py           # (re)write lambda_src/access_alerts.zip
    python tools/build_zip.py --check   # exit 1 if the committed zip differs from a fresh build
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "lambda_src" / "access_alerts"
ZIP_PATH = REPO / "lambda_src" / "access_alerts.zip"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
LEVEL = 9
PATTERNS = ("*.py", "*.json")  # code, and the data the code reads (rules.json)


def source_files(package: Path = PACKAGE) -> list[Path]:
    found = {
        p
        for pattern in PATTERNS
        for p in package.rglob(pattern)
        if "__pycache__" not in p.relative_to(package).parts
    }
    files = sorted(found, key=lambda p: p.relative_to(package).as_posix())
    if not any(p.suffix == ".py" for p in files):
        raise SystemExit(f"build_zip: no *.py files under {package}")
    return files


def build(package: Path = PACKAGE) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in source_files(package):
            info = zipfile.ZipInfo(f"{package.name}/{path.relative_to(package).as_posix()}", FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = FILE_MODE << 16
            info.create_system = 3  # Unix, so the mode above is honoured everywhere
            zf.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=LEVEL)
    return buf.getvalue()


def _show(path: Path) -> str:
    resolved = path.resolve()
    return str(resolved.relative_to(REPO)) if resolved.is_relative_to(REPO) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="compare with a fresh build, write nothing")
    parser.add_argument("--output", type=Path, default=ZIP_PATH, help="zip to write or check")
    args = parser.parse_args(argv)
    fresh = build()
    target: Path = args.output
    if args.check:
        current = target.read_bytes() if target.is_file() else None
        if current == fresh:
            print(f"build_zip: {_show(target)} is up to date ({len(fresh)} bytes)")
            return 0
        why = "is missing" if current is None else "differs from a fresh build of lambda_src/access_alerts"
        print(
            f"build_zip: {_show(target)} {why}.\n"
            "  The Lambda code changed but the committed zip was not rebuilt: run `make zip` and commit "
            "lambda_src/access_alerts.zip.",
            file=sys.stderr,
        )
        return 1
    if target.is_file() and target.read_bytes() == fresh:
        print(f"build_zip: {_show(target)} unchanged ({len(fresh)} bytes)")
        return 0
    target.write_bytes(fresh)
    print(f"build_zip: wrote {_show(target)} ({len(fresh)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
