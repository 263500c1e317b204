"""``xuncha keys``: the informants' key-encryption key (docs/security.md)."""

from __future__ import annotations

import os

import typer

from xuncha_shared import kek_rotation, secrets
from xuncha_shared.cli.common import console, fail, run, settings

app = typer.Typer(help="Key management: rotate the informants' KEK.", no_args_is_help=True)


@app.command("rotate-kek")
def rotate_kek(
    new_kek_env: str = typer.Option(
        "XUNCHA_NEW_KEK",
        "--new-kek-env",
        help="production: the environment variable holding the new KEK (base64 of 32 bytes)",
    ),
) -> None:
    """Re-wrap every informant data key under a new KEK (one transaction of the intake
    database; each row records the new KEK id). Locally the new KEK is generated into
    .xuncha/secrets/kek; in production (XUNCHA_ENV=production) it comes from $XUNCHA_NEW_KEK and
    the current one from $XUNCHA_KEK. Restart intake afterwards."""
    cfg = settings()
    if not cfg.kek:
        raise fail("no current KEK: XUNCHA_KEK is unset and the local secrets hold none")
    url = cfg.service_database_url("intake")
    try:
        if cfg.production:
            new_value = os.environ.get(new_kek_env)
            if not new_value:
                raise fail(f"production: put the new KEK in ${new_kek_env}")
            result = run(kek_rotation.rotate_to(url, cfg.kek, new_value))
        else:
            folder = secrets.secrets_dir(cfg.state_dir)
            result = run(kek_rotation.rotate_local(url, cfg.kek, folder))
    except (kek_rotation.RotationError, ValueError) as exc:
        raise fail(str(exc)) from None
    console.print(
        f"KEK rotated: {result.old_kek_id} -> {result.new_kek_id}; "
        f"{result.rewrapped} data key(s) re-wrapped, {result.already_new} already under the new "
        f"KEK, {result.erased} erased (left erased). Restart intake to use the new KEK."
    )
