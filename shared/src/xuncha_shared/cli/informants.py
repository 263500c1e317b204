"""``xuncha informants``: the informant custodian's erasure of a reporter's identity (R23).

It goes through intake's API with the custodian's own token, so the same checks apply as in the
workbench (role, jurisdiction, reason and legal basis) and the erasure is recorded as
``intake.InformantIdentityErased`` with the custodian as its actor."""

from __future__ import annotations

import json
from uuid import UUID

import httpx
import typer

from xuncha_shared.cli.common import console, fail
from xuncha_shared.settings import DEFAULT_PORTS

app = typer.Typer(
    help="The informant custodian's commands: erase a reporter's identity.", no_args_is_help=True
)


@app.command()
def erase(
    petition_id: UUID = typer.Argument(..., help="the petition whose reporter identity to erase"),
    reason: str = typer.Option(..., "--reason", "-r", help="why (4–500 characters)"),
    legal_basis: str = typer.Option(
        ..., "--legal-basis", "-b", help="the rule, e.g. 《个人信息保护法》第四十七条"
    ),
    token: str = typer.Option(
        ..., "--token", envvar="XUNCHA_TOKEN", help="the custodian's token (or $XUNCHA_TOKEN)"
    ),
    url: str = typer.Option(
        f"http://127.0.0.1:{DEFAULT_PORTS['intake']}",
        "--url",
        envvar="XUNCHA_INTAKE_URL",
        help="intake's base URL (or $XUNCHA_INTAKE_URL)",
    ),
    as_json: bool = typer.Option(False, "--json", help="print intake's answer as JSON"),
) -> None:
    """Crypto-shred a petition's reporter identity: its data key is destroyed and the erasure
    recorded (who, when, why, legal basis). Irreversible: reads answer 410 afterwards."""
    try:
        resp = httpx.post(
            f"{url.rstrip('/')}/api/v1/petitions/{petition_id}/informant/erasure",
            json={"reason": reason, "legal_basis": legal_basis},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        raise fail(f"cannot reach intake at {url}: {exc}") from None
    body = resp.json() if resp.headers.get("content-type", "").endswith("json") else {}
    if resp.status_code != 200:
        raise fail(f"{resp.status_code}: {body.get('detail') or resp.text}")
    if as_json:
        typer.echo(json.dumps(body, ensure_ascii=False))
        return
    console.print(
        f"erased the reporter identity of petition {petition_id} "
        f"(event {body['erasure_event_id']}, {body['erased_at']})"
    )
