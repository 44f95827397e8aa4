"""The harness's own tools: deterministic zip, terraform CLI configuration, local webhook receiver."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tools import build_zip, sandbox, tf
from tools.webhook_receiver import WebhookReceiver, render_slack


def _post(url: str, payload: object) -> tuple[int, str, str | None]:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode(), response.headers.get("Retry-After")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), err.headers.get("Retry-After")


# ------------------------------------------------------------------------------------------ build_zip
def _package(tmp_path: Path) -> Path:
    package = tmp_path / "access_alerts"
    (package / "__pycache__").mkdir(parents=True)
    (package / "b.py").write_text("B = 2\n")
    (package / "a.py").write_text("A = 1\n")
    (package / "rules.json").write_text("{}")
    (package / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"junk")
    (package / "notes.txt").write_text("not code")
    return package


def test_zip_is_deterministic_and_holds_only_sorted_code_and_data(tmp_path: Path) -> None:
    package = _package(tmp_path)
    first = build_zip.build(package)
    os.utime(package / "a.py", (1_900_000_000, 1_900_000_000))  # mtime must not matter
    (package / "a.py").chmod(0o755)  # nor the file mode on disk
    assert build_zip.build(package) == first
    out = tmp_path / "out.zip"
    out.write_bytes(first)
    with zipfile.ZipFile(out) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == [
        "access_alerts/a.py",
        "access_alerts/b.py",
        "access_alerts/rules.json",
    ]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}


def test_zip_changes_when_code_changes(tmp_path: Path) -> None:
    package = _package(tmp_path)
    before = build_zip.build(package)
    (package / "b.py").write_text("B = 3\n")
    assert build_zip.build(package) != before


def test_zip_check_fails_with_advice_and_passes_after_rebuild(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "access_alerts.zip"
    target.write_bytes(b"PK not the current build")
    assert build_zip.main(["--check", "--output", str(target)]) == 1
    assert "run `make zip` and commit" in capsys.readouterr().err
    assert build_zip.main(["--output", str(target)]) == 0
    assert build_zip.main(["--check", "--output", str(target)]) == 0


# -------------------------------------------------------------------------------------------- tf.py
def test_existing_cli_config_is_respected(tmp_path: Path) -> None:
    rc = tmp_path / "my.tfrc"
    rc.write_text("")
    env = tf.terraform_env({"TF_CLI_CONFIG_FILE": str(rc), "TF_PROVIDER_MIRROR": "/x"}, tmp_path / "b")
    assert env["TF_CLI_CONFIG_FILE"] == str(rc)


def test_mirror_generates_cli_config_when_config_file_is_missing(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    env = tf.terraform_env(
        {"TF_CLI_CONFIG_FILE": str(tmp_path / "missing"), "TF_PROVIDER_MIRROR": str(mirror)}, tmp_path / "b"
    )
    text = Path(env["TF_CLI_CONFIG_FILE"]).read_text()
    assert f'path    = "{mirror}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/*"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/*"]' in text
    assert env["TF_PLUGIN_CACHE_DIR"].startswith(str(tmp_path / "b"))


def test_no_mirror_goes_online_and_drops_a_missing_config(tmp_path: Path) -> None:
    env = tf.terraform_env({"TF_CLI_CONFIG_FILE": str(tmp_path / "missing")}, tmp_path / "b")
    assert "TF_CLI_CONFIG_FILE" not in env


def test_bad_mirror_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(tf.TerraformSetupError, match=r"TF_PROVIDER_MIRROR=.*not a directory"):
        tf.terraform_env({"TF_PROVIDER_MIRROR": str(tmp_path / "nope")}, tmp_path / "b")


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform not installed")
def test_failed_init_explains_mirror_and_registry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "main.tf").write_text(
        'terraform {\n  required_providers {\n    nope = { source = "example.invalid/x/nope" }\n  }\n}\n'
    )
    assert tf.main([f"-chdir={tmp_path}", "init", "-input=false", "-backend=false"]) != 0
    assert "TF_PROVIDER_MIRROR" in capsys.readouterr().err


# --------------------------------------------------------------------------------- webhook receiver
SLACK_MESSAGE = {
    "text": "DynamoDB access alert",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Unexpected write to orders"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*alice* updated 1 item"},
            "fields": [{"type": "mrkdwn", "text": "*Table*\norders"}],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "eventID 42"}]},
    ],
}


def test_receiver_records_and_scripts_responses(webhook_receiver: WebhookReceiver) -> None:
    assert _post(webhook_receiver.url, SLACK_MESSAGE) == (200, "ok", None)
    webhook_receiver.respond_with(429, times=1, retry_after=2)
    assert _post(webhook_receiver.url, SLACK_MESSAGE) == (429, "rate_limited", "2")
    assert _post(webhook_receiver.url, SLACK_MESSAGE)[0] == 200
    webhook_receiver.respond_with(500)
    assert [_post(webhook_receiver.url, SLACK_MESSAGE)[0] for _ in range(2)] == [500, 500]
    assert [r.status for r in webhook_receiver.received()] == [200, 429, 200, 500, 500]
    assert len(webhook_receiver.delivered()) == 2
    assert webhook_receiver.received()[0].json() == SLACK_MESSAGE


def test_render_slack_shows_header_fields_and_context() -> None:
    text = render_slack(SLACK_MESSAGE)
    assert "== Unexpected write to orders ==" in text
    assert "*alice* updated 1 item" in text
    assert "- *Table* orders" in text
    assert "(eventID 42)" in text


# ------------------------------------------------------------------------- deployed handler runner
def _code(tmp_path: Path, body: str) -> Path:
    package = tmp_path / "code" / "access_alerts"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text(body)
    return package.parent


FUNCTION = {
    "FunctionName": "demo-fn",
    "Handler": "access_alerts.handler.lambda_handler",
    "Timeout": 5,
    "Environment": {"Variables": {"ACCESS_ALERTS_CONFIG_PARAMETER": "/from-terraform"}},
}


def test_deployed_handler_runs_the_given_code_with_the_function_environment(tmp_path: Path) -> None:
    code = _code(
        tmp_path,
        "import os\n"
        "def lambda_handler(event, context):\n"
        "    name = os.environ['ACCESS_ALERTS_CONFIG_PARAMETER']\n"
        "    return {'file': __file__, 'name': name, 'event': event,\n"
        "            'fn': context.function_name, 'left': context.get_remaining_time_in_millis(),\n"
        "            'leaked': os.environ.get('PYTHONPATH')}\n",
    )
    run = sandbox.run_deployed_handler(
        code, FUNCTION, {"awslogs": {"data": "x"}}, {"AWS_REGION": "us-east-1"}
    )
    assert run.ok, run.stderr
    line = next(x for x in run.stdout.splitlines() if x.startswith("HANDLER_RESULT "))
    result = json.loads(line.removeprefix("HANDLER_RESULT "))
    assert Path(result["file"]).is_relative_to(code), "must import the extracted zip, not lambda_src"
    assert result["name"] == "/from-terraform" and result["fn"] == "demo-fn"
    assert result["event"] == {"awslogs": {"data": "x"}}
    assert 0 < result["left"] <= 5000
    assert result["leaked"] is None


def test_deployed_handler_exception_is_a_failed_invocation(tmp_path: Path) -> None:
    code = _code(tmp_path, "def lambda_handler(event, context):\n    raise RuntimeError('webhook down')\n")
    run = sandbox.run_deployed_handler(code, FUNCTION, {}, {})
    assert run.returncode == 1
    assert "RuntimeError: webhook down" in run.stderr


def test_missing_terraform_skips_locally_but_fails_the_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.e2e.deployment import require_or_skip

    monkeypatch.delenv("E2E_REQUIRED", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no terraform"):
        require_or_skip("no terraform")
    monkeypatch.setenv("E2E_REQUIRED", "1")  # what make e2e / make test set: a missing tool must not pass CI
    with pytest.raises(pytest.fail.Exception, match="no terraform"):
        require_or_skip("no terraform")
