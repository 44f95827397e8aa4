"""Run terraform with a CLI configuration that works here: offline mirror, the user's own, or online.

Decision, in order:
1. ``TF_CLI_CONFIG_FILE`` is set and the file exists: respected as it is.
2. ``TF_PROVIDER_MIRROR`` is set: ``.build/terraformrc`` is written with a ``filesystem_mirror`` for
   ``registry.terraform.io/hashicorp/*`` at that path (and ``direct`` for everything else) and used.
3. Otherwise terraform goes to the registry (a ``TF_CLI_CONFIG_FILE`` naming a missing file is dropped so
   terraform does not warn about it).

A provider plugin cache under ``.build`` lets repeated ``init`` runs link the provider instead of copying it.

Usage: ``python tools/tf.py [terraform arguments...]`` (same arguments as terraform), or import
:func:`terraform_env` / :func:`find_terraform` from tests and the demo.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / ".build"

NO_PROVIDER_HELP = """\
terraform init failed. If the error above is about installing providers, neither a provider mirror nor
the Terraform registry could be used:
  - Offline: point TF_PROVIDER_MIRROR at a filesystem mirror that holds hashicorp/aws, e.g.
        export TF_PROVIDER_MIRROR=/path/to/mirror   # contains registry.terraform.io/hashicorp/aws/...
    (or set TF_CLI_CONFIG_FILE to an existing CLI configuration of your own).
  - Online: unset TF_PROVIDER_MIRROR and make sure registry.terraform.io is reachable.
  Current: TF_PROVIDER_MIRROR={mirror!r}, TF_CLI_CONFIG_FILE={config!r}"""


class TerraformSetupError(RuntimeError):
    """terraform or its provider source cannot be used; the message says what to do."""


def find_terraform(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    found = shutil.which(env.get("TERRAFORM", "terraform"), path=env.get("PATH"))
    if not found:
        raise TerraformSetupError(
            "terraform was not found on PATH (install Terraform >= 1.7, or set TERRAFORM to its path)"
        )
    return found


def _cli_config_text(mirror: Path) -> str:
    path = str(mirror).replace("\\", "\\\\").replace('"', '\\"')
    return (
        "# Written by tools/tf.py from TF_PROVIDER_MIRROR; do not edit.\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{path}"\n'
        '    include = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        "  direct {\n"
        '    exclude = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        "}\n"
    )


def terraform_env(environ: Mapping[str, str] | None = None, build_dir: Path = BUILD) -> dict[str, str]:
    """The environment terraform should run with (a copy; ``environ`` is not changed)."""
    env = dict(os.environ if environ is None else environ)
    config = env.get("TF_CLI_CONFIG_FILE", "")
    mirror = env.get("TF_PROVIDER_MIRROR", "")
    build_dir.mkdir(parents=True, exist_ok=True)
    if config and Path(config).is_file():
        pass
    elif mirror:
        mirror_path = Path(mirror).resolve()
        if not mirror_path.is_dir():
            raise TerraformSetupError(
                f"TF_PROVIDER_MIRROR={mirror!r} is not a directory. Point it at a filesystem mirror "
                "(registry.terraform.io/hashicorp/aws/... inside), or unset it to use the registry."
            )
        rc = build_dir / "terraformrc"
        text = _cli_config_text(mirror_path)
        if not rc.is_file() or rc.read_text() != text:
            rc.write_text(text)
        env["TF_CLI_CONFIG_FILE"] = str(rc)
    else:
        env.pop("TF_CLI_CONFIG_FILE", None)
    if "TF_PLUGIN_CACHE_DIR" not in env:
        cache = build_dir / "plugin-cache"
        cache.mkdir(parents=True, exist_ok=True)
        env["TF_PLUGIN_CACHE_DIR"] = str(cache)
        # Lock files are not committed (examples run against an emulator), so let init use the cache.
        env.setdefault("TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE", "true")
    env.setdefault("TF_IN_AUTOMATION", "1")
    env.setdefault("CHECKPOINT_DISABLE", "1")
    return env


def init_failure_help(env: Mapping[str, str]) -> str:
    return NO_PROVIDER_HELP.format(
        mirror=env.get("TF_PROVIDER_MIRROR", ""), config=env.get("TF_CLI_CONFIG_FILE", "")
    )


def _is_init(args: Sequence[str]) -> bool:
    commands = [a for a in args if not a.startswith("-")]
    return bool(commands) and commands[0] == "init"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        env = terraform_env()
        terraform = find_terraform(env)
    except TerraformSetupError as exc:
        print(f"tools/tf.py: {exc}", file=sys.stderr)
        return 2
    rc = subprocess.call([terraform, *args], env=env)
    if rc != 0 and _is_init(args):
        print(init_failure_help(env), file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
