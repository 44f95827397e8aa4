"""Find and fetch CloudTrail log files in S3 for ``replay s3://BUCKET/PREFIX``.

The walk lists one "directory" (``Delimiter="/"``) at a time, so the ``--account``/``--region``/
``--since``/``--until`` filters skip whole subtrees of CloudTrail's layout without listing them (see
:mod:`access_alerts.selection`), and lists the next sibling directories ahead in a few threads, because
a walk is mostly waiting for S3. Keys come out in a fixed order (files before subdirectories, each in
S3's key order), so a replay's output does not depend on timing.

boto3 is imported only here, and only for an ``s3://`` input: it uses the standard credential chain and
Region, and ``AWS_ENDPOINT_URL`` (e.g. a local emulator) like every other boto3 client.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

from access_alerts.selection import Selection

SCHEME: Final = "s3://"
LIST_THREADS: Final = 8
LOOKAHEAD: Final = 8  # sibling directories listed ahead of the one being walked
# A CloudTrail log file is a few MB at most; a larger object is refused rather than held in memory
# (copy it with `aws s3 cp` and replay the local file, which is read as a stream).
MAX_OBJECT_BYTES: Final = 256 * 1024 * 1024


class S3SourceError(Exception):
    """Listing or fetching failed; ``str(err)`` is a one-line reason without secrets."""


@dataclass(frozen=True, slots=True)
class S3Location:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        if not uri.startswith(SCHEME):
            raise ValueError(f"{uri!r} is not an s3:// URI")
        bucket, _, prefix = uri[len(SCHEME) :].partition("/")
        if not bucket or "*" in uri:
            raise ValueError(f"{uri!r}: expected s3://BUCKET or s3://BUCKET/PREFIX (no wildcards)")
        return cls(bucket=bucket, prefix=prefix)

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.prefix}"


@dataclass(frozen=True, slots=True)
class S3Object:
    bucket: str
    key: str
    size: int

    @property
    def uri(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}"


def is_s3_uri(text: str) -> bool:
    return text.startswith(SCHEME)


_FILE_SUFFIXES: Final = (".json.gz", ".json", ".jsonl", ".jsonl.gz", ".gz")


def names_one_object(location: S3Location) -> bool:
    """A location that names a log file (e.g. a key from Athena's ``"$path"``): fetched without listing."""
    return location.prefix.endswith(_FILE_SUFFIXES)


def make_client(max_connections: int = LIST_THREADS) -> Any:
    """An S3 client from the standard chain (credentials, Region, AWS_ENDPOINT_URL). A client may be used
    from many threads; each call makes its own session, because creating clients from boto3's shared
    default session is not safe from several threads at once."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3", config=Config(max_pool_connections=max_connections, retries={"mode": "standard"})
    )


def describe_error(exc: BaseException) -> str:
    """The error code or type of a boto3 failure (never a credential or a response body)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__


@dataclass(slots=True)
class _Listing:
    files: list[S3Object] = field(default_factory=list)
    directories: list[str] = field(default_factory=list)


@dataclass(slots=True)
class WalkCounts:
    """What the walk saw, to explain an empty selection."""

    selected: int = 0
    objects_skipped: int = 0
    directories_skipped: int = 0


class S3Walk:
    """The log files under one ``s3://`` location that the selection may need, in a fixed order."""

    def __init__(self, client: Any, location: S3Location, selection: Selection) -> None:
        self._client = client
        self.location = location
        self.selection = selection
        self.counts = WalkCounts()

    def __iter__(self) -> Iterator[S3Object]:
        with ThreadPoolExecutor(max_workers=LIST_THREADS, thread_name_prefix="s3-list") as pool:
            yield from self._walk_start(pool.submit)

    def _walk_start(self, submit: Callable[..., Future[_Listing]]) -> Iterator[S3Object]:
        prefix = self.location.prefix
        listing = self._list(prefix)
        if prefix and not prefix.endswith("/"):
            # s3://b/name is the object "name" or the directory "name/" (not "name-other/"), like
            # `aws s3 cp --recursive` reads it.
            listing.files = [f for f in listing.files if f.key == prefix]
            listing.directories = [d for d in listing.directories if d == prefix + "/"]
        yield from self._walk_listing(listing, submit)

    def _walk_listing(self, listing: _Listing, submit: Callable[..., Future[_Listing]]) -> Iterator[S3Object]:
        for obj in listing.files:
            if self.selection.file_may_match(obj.key):
                self.counts.selected += 1
                yield obj
            else:
                self.counts.objects_skipped += 1
        kept = []
        for directory in listing.directories:
            if self.selection.directory_may_match(directory):
                kept.append(directory)
            else:
                self.counts.directories_skipped += 1
        ahead: deque[Future[_Listing]] = deque()
        upcoming = iter(kept)
        for directory in upcoming:
            ahead.append(submit(self._list, directory))
            if len(ahead) >= LOOKAHEAD:
                break
        while ahead:
            sub = ahead.popleft().result()
            nxt = next(upcoming, None)
            if nxt is not None:
                ahead.append(submit(self._list, nxt))
            yield from self._walk_listing(sub, submit)

    def _list(self, prefix: str) -> _Listing:
        out = _Listing()
        try:
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix, Delimiter="/"):
                for item in page.get("Contents", ()):
                    out.files.append(S3Object(self.location.bucket, item["Key"], int(item.get("Size", 0))))
                out.directories.extend(cp["Prefix"] for cp in page.get("CommonPrefixes", ()))
        except Exception as exc:
            raise S3SourceError(
                f"cannot list {SCHEME}{self.location.bucket}/{prefix} ({describe_error(exc)})"
            ) from None
        out.files.sort(key=lambda o: o.key)
        out.directories.sort()
        return out

    def empty_reason(self) -> str:
        """Why nothing was selected (call after the walk found nothing)."""
        c = self.counts
        if c.objects_skipped or c.directories_skipped:
            return (
                f"no CloudTrail log file under {self.location} matches the filters "
                f"({self.selection.describe()}; {c.directories_skipped} director(ies) and "
                f"{c.objects_skipped} object(s) skipped)"
            )
        return f"nothing found under {self.location}"


def fetch(client: Any, obj: S3Object) -> bytes:
    """The object's bytes (``obj.size`` -1: not listed). Raises S3SourceError with a one-line reason."""
    if obj.size > MAX_OBJECT_BYTES:
        raise S3SourceError(
            f"object is larger than {MAX_OBJECT_BYTES // (1024 * 1024)} MiB; copy it with "
            "`aws s3 cp` and replay the local file"
        )
    try:
        response = client.get_object(Bucket=obj.bucket, Key=obj.key)
        body = response["Body"]
        try:
            data: bytes = body.read(MAX_OBJECT_BYTES + 1)
        finally:
            body.close()
    except Exception as exc:
        raise S3SourceError(f"cannot download ({describe_error(exc)})") from None
    if len(data) > MAX_OBJECT_BYTES:
        raise S3SourceError(f"object is larger than {MAX_OBJECT_BYTES // (1024 * 1024)} MiB")
    return data
