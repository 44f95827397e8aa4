"""Where a replay's tables and allow-lists come from.

- ``--config FILE``: the configuration document the module gives the function (``terraform output -json
  lambda_configuration``), read by the function's own parser (:func:`access_alerts.config.read_document`).
  Nothing is fetched: the document names its secrets, and replay needs none of them.
- ``--function NAME``: the document of a deployed function, found the way the function finds it (its
  environment names the SSM parameter; the parameter is checked against ``ACCESS_ALERTS_CONFIG_SHA256``).
- Neither: the flags alone; without ``--table`` every table counts as monitored.

``--table``, ``--allow`` and ``--allow-management`` add to a document's lists, to try an entry before
deploying it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from access_alerts import config
from access_alerts.model import KeyValues, PolicySettings

MAX_CONFIG_FILE_CHARS: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReplayPolicy:
    settings: PolicySettings
    monitor_all_tables: bool
    key_values: KeyValues | None = None  # the document's mode: the default for --webhook


def resolve(
    *,
    config_file: str | None,
    function: str | None,
    tables: tuple[str, ...],
    allowed: tuple[str, ...],
    allowed_management: tuple[str, ...],
) -> ReplayPolicy:
    """The settings to decide with. Raises ConfigError with a one-line reason."""
    if config_file is None and function is None:
        settings = PolicySettings(
            tables=tables,
            allowed=allowed,
            allowed_management=allowed_management,
            watch_pipeline=False,  # no pipeline is known without a document
            watch_table_management=True,
        )
        return ReplayPolicy(settings=settings, monitor_all_tables=not tables)
    document = _from_file(config_file) if config_file is not None else _from_function(str(function))
    base = document.policy
    settings = replace(
        base,
        tables=base.tables + tables,
        allowed=base.allowed + allowed,
        allowed_management=base.allowed_management + allowed_management,
    )
    return ReplayPolicy(settings=settings, monitor_all_tables=False, key_values=document.delivery.key_values)


def _from_file(path: str) -> config.Config:
    try:
        with open(path, encoding="utf-8") as fh:
            raw = fh.read(MAX_CONFIG_FILE_CHARS + 1)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise config.ConfigError(f"--config {path}: {reason}") from None
    if len(raw) > MAX_CONFIG_FILE_CHARS:
        raise config.ConfigError(f"--config {path}: larger than {MAX_CONFIG_FILE_CHARS} characters")
    if not raw.strip():
        raise config.ConfigError(f"--config {path}: the file is empty")
    return config.read_document(raw, f"--config {path}", local=True)


def _from_function(name: str) -> config.Config:
    try:
        import boto3

        response = boto3.client("lambda").get_function_configuration(FunctionName=name)
    except Exception as exc:  # no credentials, no such function, no permission, ...
        from access_alerts.s3source import describe_error

        raise config.ConfigError(
            f"--function {name}: cannot read the function's configuration ({describe_error(exc)}); "
            "replay needs lambda:GetFunctionConfiguration, ssm:GetParameter and kms:Decrypt"
        ) from None
    environment = response.get("Environment", {}).get("Variables", {})
    if not any(variable in environment for variable in config.KNOWN_VARIABLES):
        raise config.ConfigError(
            f"--function {name}: its environment names no configuration document "
            f"({config.ENV_PARAMETER}); is it a function of this module?"
        )
    try:
        return config.load_config(environment)
    except config.ConfigError as exc:
        raise config.ConfigError(f"--function {name}: {exc}") from None
