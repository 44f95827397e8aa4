"""``python -m access_alerts replay``: output formats, inputs, errors, webhook, and parity with the Lambda."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from access_alerts import cli, handler, redrive
from access_alerts.config import check_webhook_url
from access_alerts.decode import decode_subscription
from access_alerts.model import PolicySettings
from access_alerts.policy import Policy
from access_alerts.text import encodable
from access_alerts.webhook import PostResult
from tests.fakes import pool
from tests.generators import config_document
from tools.payloads import encode_subscription

REPO = Path(__file__).resolve().parent.parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "records"
A = "111122223333"
TABLES = (f"arn:aws:dynamodb:us-east-1:{A}:table/Orders", "Music", "Customers")
ALLOW = (
    f"arn:aws:iam::{A}:role/service/orders-writer",
    f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_ReadOnly_*",
    "dynamodb.amazonaws.com",
    f"arn:aws:iam::{A}:user/ci-*",
)
ALLOW_MGMT = (f"arn:aws:iam::{A}:role/deployer",)


def fixture_records() -> list[dict[str, Any]]:
    out = []
    for p in sorted(FIXTURES.glob("*.json")):
        rec = json.loads(p.read_text(encoding="utf-8"))
        rec.pop("_expect")
        out.append(rec)
    return out


def policy_args() -> list[str]:
    args: list[str] = []
    for t in TABLES:
        args += ["--table", t]
    for a in ALLOW:
        args += ["--allow", a]
    for a in ALLOW_MGMT:
        args += ["--allow-management", a]
    return args


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def trail_file(tmp_path: Path) -> Path:
    p = tmp_path / "111122223333_CloudTrail_us-east-1_20261118T0915Z_abc.json.gz"
    p.write_bytes(gzip.compress(json.dumps({"Records": fixture_records()}).encode("utf-8")))
    return p


def test_jsonl_has_the_documented_fields(trail_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["replay", "--format", "jsonl", *policy_args(), str(trail_file)], capsys)
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(fixture_records())
    for row in rows:
        for field in (
            "eventID",
            "eventName",
            "decision",
            "principal",
            "tables",
            "access",
            "reason",
            "matched",
            "alert_kind",
            "source",
        ):
            assert field in row
        assert row["decision"] in ("alert", "allowed", "ignored")
        assert isinstance(row["tables"], list)
        assert (row["matched"] is not None) == (row["decision"] == "allowed")
        assert (row["alert_kind"] is not None) == (row["decision"] == "alert")
    sso = [r for r in rows if (r["principal"] or "").endswith("AWSReservedSSO_ReadOnly_0f1e2d3c4b5a6978")]
    assert sso[0]["decision"] == "allowed"
    assert sso[0]["matched"] == ALLOW[1]
    assert sso[0]["tables"] == ["Music"] and sso[0]["access"] == "read"


def test_replay_gives_the_same_decisions_as_the_lambda_policy(
    trail_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["replay", "--format", "jsonl", *policy_args(), str(trail_file)], capsys)
    assert code == 0
    replayed = [
        (r["eventID"], r["decision"], r["matched"], r["alert_kind"], r["reason"])
        for r in map(json.loads, out.splitlines())
    ]
    policy = Policy(PolicySettings(tables=TABLES, allowed=ALLOW, allowed_management=ALLOW_MGMT))
    payload = decode_subscription(encode_subscription(fixture_records()))
    lambda_side = [  # replay's output is always encodable: a lone surrogate is shown as U+FFFD
        (d.event_id, d.kind, d.matched, d.alert_kind, encodable(d.reason))
        for d in policy.evaluate_payload(payload)
    ]
    assert replayed == lambda_side
    assert {r[1] for r in replayed} == {"alert", "allowed", "ignored"}


def test_replay_and_handler_count_the_same(trail_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["replay", "--format", "jsonl", *policy_args(), str(trail_file)], capsys)
    assert code == 0
    counts = Counter(json.loads(line)["decision"] for line in out.splitlines())
    document = config_document(
        "http://127.0.0.1:9/hook",
        name="parity",
        tables=list(TABLES),
        allowed=list(ALLOW),
        allowed_management=list(ALLOW_MGMT),
        watch_pipeline=False,  # replay knows no pipeline resources
    )
    state = handler.build_state({"ACCESS_ALERTS_CONFIG": json.dumps(document)})
    state.senders = pool(
        state.senders.routing,
        {"default": lambda payload, deadline: PostResult(ok=True, status=200, attempts=1)},
    )
    summary, _ = handler.process_event(encode_subscription(fixture_records()), state)
    assert (summary.alert, summary.allowed, summary.ignored) == (
        counts["alert"],
        counts["allowed"],
        counts["ignored"],
    )


def test_text_output_lists_alerts_and_counts(trail_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["replay", *policy_args(), str(trail_file)], capsys)
    assert code == 0
    lines = out.splitlines()
    summary = next(line for line in lines if line.startswith("records:"))
    policy = Policy(PolicySettings(tables=TABLES, allowed=ALLOW, allowed_management=ALLOW_MGMT))
    kinds = Counter(policy.evaluate(r).kind for r in fixture_records())
    assert summary == (
        f"records: {sum(kinds.values())}  alert: {kinds['alert']}  allowed: {kinds['allowed']}  "
        f"ignored: {kinds['ignored']}"
    )
    assert sum(1 for line in lines if line.startswith("ALERT [")) == kinds["alert"]
    assert f"  {3:>9,}  {ALLOW[0]}" in lines
    assert any(line.startswith("ALERT [tamper]") for line in lines) is False  # replay watches no pipeline
    assert any(line.startswith("ALERT [control_plane]") and "DeleteTable" in line for line in lines)


def test_text_output_escapes_control_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec = {
        "eventName": "PutItem",
        "eventSource": "dynamodb.amazonaws.com",
        "eventTime": "t\x1b[31m",
        "requestParameters": {"tableName": "T"},
        "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::{A}:user/x\x1b]0;pwn\x07"},
    }
    p = tmp_path / "r.jsonl"
    p.write_text(json.dumps(rec) + "\n")
    code, out, _ = run(["replay", str(p)], capsys)
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b" in out


def test_without_table_every_table_is_monitored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "r.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in fixture_records()))
    code, out, _ = run(["replay", "--format", "jsonl", str(p)], capsys)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    ignored = [r for r in rows if r["decision"] == "ignored" and r["category"] == "data"]
    assert all("not a DynamoDB event" in r["reason"] for r in ignored)
    inventory = [r for r in rows if r["tables"] == ["Inventory"] and r["category"] == "data"]
    assert inventory and all(r["decision"] == "alert" for r in inventory)


def test_subscription_event_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = fixture_records()[:5]
    plain = tmp_path / "event.json"
    plain.write_text(json.dumps(encode_subscription(records)))
    gz = tmp_path / "event.gz"
    gz.write_bytes(gzip.compress(json.dumps(encode_subscription(records[:2])).encode()))
    code, out, _ = run(["replay", "--format", "jsonl", str(plain), str(gz)], capsys)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["eventID"] for r in rows] == [r["eventID"] for r in records + records[:2]]
    assert rows[0]["source"].startswith(f"{plain}:")


def test_unreadable_file_reports_one_line_and_keeps_going(
    tmp_path: Path, trail_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.json.gz"
    bad.write_bytes(gzip.compress(b'{"Records": []}')[:12])
    missing = tmp_path / "missing.json"
    later = tmp_path / "later.jsonl"
    later.write_text(json.dumps(fixture_records()[0]) + "\n")
    code, out, err = run(
        ["replay", "--format", "jsonl", str(trail_file), str(bad), str(missing), str(later)], capsys
    )
    assert code == 2
    err_lines = err.strip().splitlines()
    assert len(err_lines) == 2
    assert err_lines[0].startswith(f"replay: {bad}: ") and "gzip" in err_lines[0]
    assert err_lines[1] == f"replay: {missing}: no such file"
    rows = out.splitlines()
    assert len(rows) == len(fixture_records()) + 1  # records before and after the bad files are reported


def test_unparseable_lines_alert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "r.jsonl"
    p.write_text(json.dumps(fixture_records()[0]) + "\nnot json\n[1]\n")
    code, out, _ = run(["replay", "--format", "jsonl", str(p)], capsys)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["decision"], r["alert_kind"]) for r in rows[1:]] == [("alert", "unparseable")] * 2


def test_bad_pattern_is_a_usage_error(trail_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["replay", "--allow", "role/app", str(trail_file)], capsys)
    assert code == 2
    assert "'role/app'" in err
    assert out == ""


def test_webhook_key_values_hash_hides_keys(
    small_file: Path, webhook_receiver: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        [
            "replay",
            *policy_args(),
            "--key-values",
            "hash",
            "--webhook",
            webhook_receiver.url,
            str(small_file),
        ],
        capsys,
    )
    assert code == 0, err
    bodies = " ".join(r.body.decode() for r in webhook_receiver.delivered())
    assert bodies and "o-1001" not in bodies


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "ftp://127.0.0.1/x",
        "http://10.0.0.1/x",
        "http://127.0.0.1.evil.example/x",
        "http://127.9.9.9/x",
        "https:///nohost",
        "not a url",
    ],
)
def test_webhook_url_rejected(url: str, trail_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["replay", "--webhook", url, str(trail_file)], capsys)
    assert code == 2
    assert "--webhook" in err
    assert out == ""


@pytest.mark.parametrize(
    "url",
    ["https://hooks.slack.com/services/T/B/x", "http://127.0.0.1:8080/x", "http://[::1]:80/x"],
)
def test_webhook_url_accepted_by_the_same_rule_as_the_function(url: str) -> None:
    assert check_webhook_url(url, "--webhook") == url


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    """Two alerts by one principal on one table (one grouped message) and one allowed record."""
    by_name = {p.stem: p for p in FIXTURES.glob("*.json")}
    recs = []
    for stem in ("putitem_assumed_role", "putitem_hostile_strings", "putitem_allowed_role_with_path"):
        rec = json.loads(by_name[stem].read_text(encoding="utf-8"))
        rec.pop("_expect")
        recs.append(rec)
    p = tmp_path / "small.json"
    p.write_text(json.dumps({"Records": recs}))
    return p


def test_webhook_delivery(
    small_file: Path, webhook_receiver: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["replay", *policy_args(), "--webhook", webhook_receiver.url, str(small_file)], capsys)
    assert code == 0, err
    delivered = webhook_receiver.delivered()
    assert 1 <= len(delivered) <= 2  # two alerts (grouped or not), the allowed one not sent
    bodies = " ".join(r.body.decode() for r in delivered)
    assert "o-1001" in bodies
    assert "<!channel>" not in bodies
    assert f"delivered {len(delivered)} message" in err


def test_webhook_delivery_failure_exits_1(
    small_file: Path, webhook_receiver: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    webhook_receiver.respond_with(400, body="invalid_payload")
    code, _, err = run(["replay", *policy_args(), "--webhook", webhook_receiver.url, str(small_file)], capsys)
    assert code == 1
    assert "delivery failed" in err
    assert webhook_receiver.url not in err


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert cli.main(["replay"]) == 2
    assert cli.main(["replay", "--format", "xml", "f"]) == 2
    assert cli.main(["bogus"]) == 2
    capsys.readouterr()


def test_help_says_every_table_is_monitored_without_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["replay", "--help"]) == 0
    out = capsys.readouterr().out
    assert "EVERY DynamoDB table" in out


def test_redrive_is_delegated(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        seen.append(argv)
        return 7

    monkeypatch.setattr(redrive, "main", fake_main)
    assert cli.main(["redrive", "--queue-url", "http://127.0.0.1/q"]) == 7
    assert seen == [["--queue-url", "http://127.0.0.1/q"]]


def test_module_entry_point_runs(trail_file: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO / "lambda_src"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "access_alerts",
            "replay",
            "--format",
            "jsonl",
            str(trail_file),
            str(trail_file.parent / "missing"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert len(proc.stdout.splitlines()) == len(fixture_records())
    assert proc.stderr.strip().count("\n") == 0 and "missing: no such file" in proc.stderr


def routing_file(tmp_path: Path, url: str, **extra: Any) -> Path:
    """Two Slack webhook destinations on the receiver: every alert goes to "team" by a route, and tamper
    alerts and alerts no route matches to "default"."""
    document = {
        "destinations": {
            "default": {"type": "slack_webhook", "url": url + "/default"},
            "team": {"type": "slack_webhook", "url": url + "/team"},
        },
        "routes": [{"name": "everything", "destinations": ["team"]}],
        "default_destinations": ["default"],
        **extra,
    }
    path = tmp_path / "routing.json"
    path.write_text(json.dumps(document))
    return path


def test_destinations_file_sends_through_the_routes(
    small_file: Path, tmp_path: Path, webhook_receiver: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = routing_file(tmp_path, webhook_receiver.url)
    code, _, err = run(["replay", *policy_args(), "--destinations", str(path), str(small_file)], capsys)
    assert code == 0, err
    paths = [r.path for r in webhook_receiver.delivered()]
    assert paths and all(p.endswith("/team") for p in paths)  # a data alert matched the route: not default
    assert f"delivered {len(paths)} message(s): team {len(paths)} sent" in err


def test_destinations_file_errors_exit_2_and_name_the_field(
    small_file: Path, tmp_path: Path, webhook_receiver: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = routing_file(tmp_path, webhook_receiver.url, routes=[{"name": "x", "destinations": ["nope"]}])
    code, _, err = run(["replay", "--destinations", str(path), str(small_file)], capsys)
    assert code == 2 and "routes[0] (x).destinations names 'nope'" in err
    code, _, err = run(["replay", "--destinations", str(tmp_path / "missing.json"), str(small_file)], capsys)
    assert code == 2 and "cannot read the routing file" in err
    both = ["--destinations", str(path), "--webhook", webhook_receiver.url]
    code, _, err = run(["replay", *both, str(small_file)], capsys)
    assert code == 2 and "not both" in err
    assert webhook_receiver.received() == []


def test_destinations_file_failure_names_the_destination(
    small_file: Path, tmp_path: Path, webhook_receiver: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    webhook_receiver.respond_with(400, body="no_active_hooks")
    path = routing_file(tmp_path, webhook_receiver.url)
    code, _, err = run(["replay", *policy_args(), "--destinations", str(path), str(small_file)], capsys)
    assert code == 1 and "team 0 sent, 2 failed" in err and "team: data message" in err
    assert webhook_receiver.url not in err
