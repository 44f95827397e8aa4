"""replay s3://BUCKET/PREFIX on the emulator: CloudTrail's layouts, filters that choose keys before any
download, missing prefixes, and AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from access_alerts import cli
from access_alerts.s3source import S3Location, S3Walk
from access_alerts.selection import Selection
from tests.trail_archive import gzip_log, log_file_key, records

REPO = Path(__file__).resolve().parent.parent.parent
BUCKET = "trail-bucket"
A = "111122223333"
B = "444455556666"
ORG = "o-abcdef1234"
DAY = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


def _objects() -> dict[str, bytes]:
    """A single-account trail under "single/" and an organization trail under "org/"."""
    objs: dict[str, bytes] = {}
    n = 0
    for prefix, org in (("single/", None), ("org/", ORG)):
        for account in (A, B) if org else (A,):
            for region in ("eu-west-1", "us-east-1"):
                for day in (17, 18, 19):
                    delivered = DAY.replace(day=day)
                    start = delivered.replace(minute=0)
                    recs = list(records(3, seed=n, account=account, region=region, start=start))
                    key = prefix + log_file_key(delivered, account=account, region=region, org=org, n=n)
                    objs[key] = gzip_log(recs)
                    n += 1
    # What else lives in a trail bucket, and must not be read as logs.
    objs[f"single/AWSLogs/{A}/CloudTrail-Digest/eu-west-1/2026/11/18/digest.json.gz"] = b"not a log"
    objs[f"single/AWSLogs/{A}/CloudTrail-Insight/eu-west-1/2026/11/18/insight.json.gz"] = b"not a log"
    objs["single-other/AWSLogs/x.json.gz"] = b"a sibling prefix, not under single/"
    return objs


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    """One emulated bucket for the module (the tests only read it)."""
    import boto3
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            mp.setenv(name, "testing")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        mp.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            client = boto3.client("s3", region_name="us-east-1")
            client.create_bucket(Bucket=BUCKET)
            for key, body in _objects().items():
                client.put_object(Bucket=BUCKET, Key=key, Body=body)
            yield client


def walk(client: Any, uri: str, **filters: Any) -> list[str]:
    return [o.key for o in S3Walk(client, S3Location.parse(uri), Selection.from_options(**filters))]


def test_single_account_layout(s3: Any) -> None:
    keys = walk(s3, f"s3://{BUCKET}/single")
    assert len(keys) == 6  # 2 Regions x 3 days; no digest, no Insights, nothing from single-other/
    assert all(f"/AWSLogs/{A}/CloudTrail/" in k for k in keys)
    assert keys == sorted(keys, key=lambda k: (k.split("/")[4], k))  # Region by Region, in key order
    assert walk(s3, f"s3://{BUCKET}/single/") == keys
    assert walk(s3, f"s3://{BUCKET}/single/AWSLogs/{A}/CloudTrail/eu-west-1/2026/11/18/") == [
        k for k in keys if "/eu-west-1/2026/11/18/" in k
    ]


def test_organization_layout_and_filters(s3: Any) -> None:
    everything = walk(s3, f"s3://{BUCKET}/org")
    assert len(everything) == 12
    assert all(f"/AWSLogs/{ORG}/" in k for k in everything)
    chosen = walk(s3, f"s3://{BUCKET}/org", accounts=[B], regions=["us-east-1"], since="2026-11-18")
    assert chosen == [k for k in everything if f"/{B}/CloudTrail/us-east-1/" in k and "/11/17/" not in k]
    assert len(chosen) == 2
    one_day = walk(s3, f"s3://{BUCKET}", since="2026-11-18", until="2026-11-18")
    assert len(one_day) == 6 and all("/2026/11/18/" in k for k in one_day)


def test_filters_choose_keys_before_downloading(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    listed: list[str] = []
    real = S3Walk._list

    def spy(self: S3Walk, prefix: str) -> Any:
        listed.append(prefix)
        return real(self, prefix)

    monkeypatch.setattr(S3Walk, "_list", spy)
    walk(s3, f"s3://{BUCKET}/org", accounts=[A], regions=["eu-west-1"], since="2026-11-19")
    assert not any(f"/{B}/" in p for p in listed)  # the other account was never listed
    assert not any("/us-east-1/" in p for p in listed)
    assert not any(p.endswith(("/11/17/", "/11/18/")) for p in listed)


def test_replay_from_s3_gives_the_same_decisions_as_local_files(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = tmp_path / "copy"
    for key, body in _objects().items():
        if key.startswith("single/") and "/CloudTrail/" in key:
            (local / key).parent.mkdir(parents=True, exist_ok=True)
            (local / key).write_bytes(body)
    args = ["replay", "--format", "jsonl", "--jobs", "2", "--table", "Orders"]
    assert cli.main([*args, f"s3://{BUCKET}/single"]) == 0
    from_s3 = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert cli.main([*args, str(local / "single")]) == 0
    from_disk = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(from_s3) == 18
    strip = [{k: v for k, v in r.items() if k != "source"} for r in from_s3]
    assert strip == [{k: v for k, v in r.items() if k != "source"} for r in from_disk]
    assert from_s3[0]["source"].startswith(f"s3://{BUCKET}/single/AWSLogs/{A}/CloudTrail/eu-west-1/")


def test_missing_prefix_and_empty_selection_fail(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["replay", f"s3://{BUCKET}/no-such-trail"]) == 2
    err = capsys.readouterr().err
    assert f"s3://{BUCKET}/no-such-trail: nothing found under s3://{BUCKET}/no-such-trail" in err
    assert cli.main(["replay", "--region", "ap-south-1", f"s3://{BUCKET}/single/"]) == 2
    err = capsys.readouterr().err
    assert "matches the filters" in err and "Regions ap-south-1" in err
    assert cli.main(["replay", "s3://no-such-bucket/x"]) == 2
    assert "NoSuchBucket" in capsys.readouterr().err


def test_a_key_is_fetched_without_listing(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Keys from Athena's "$path" name single objects: one GET each, and a missing one is an error."""
    key = next(k for k in _objects() if k.startswith("single/") and "/CloudTrail/" in k)
    missing = key.replace(".json.gz", "-gone.json.gz")
    code = cli.main(["replay", "--format", "jsonl", f"s3://{BUCKET}/{key}", f"s3://{BUCKET}/{missing}"])
    out, err = capsys.readouterr()
    assert code == 2
    assert len(out.splitlines()) == 3
    assert err.strip() == f"replay: s3://{BUCKET}/{missing}: cannot download (NoSuchKey)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_aws_endpoint_url_reaches_the_emulator(tmp_path: Path) -> None:
    """The command as a user runs it, against moto's server through AWS_ENDPOINT_URL."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONPATH": str(REPO / "lambda_src"),
        }
        client = boto3.client(
            "s3",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        client.create_bucket(Bucket=BUCKET)
        for key, body in _objects().items():
            client.put_object(Bucket=BUCKET, Key=key, Body=body)
        proc = subprocess.run(
            [sys.executable, "-m", "access_alerts", "replay", "--account", B, f"s3://{BUCKET}/org/"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr
    assert "records: 18 " in proc.stdout  # 2 Regions x 3 days x 3 records of account B
    assert "files: 6 read, 0 unreadable" in proc.stdout
