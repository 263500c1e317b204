"""``xuncha audit``: verify the stored history."""

from __future__ import annotations

import typer

from xuncha_shared.audit import VerifyReport, verify_database
from xuncha_shared.cli.common import console, err_console, run, services_option, settings
from xuncha_shared.db import connect

app = typer.Typer(help="Audit the event history.", no_args_is_help=True)


@app.command()
def verify(
    service: list[str] = typer.Option(None, "--service", "-s", help="service(s); default all"),
) -> None:
    """Recompute every stream's hash chain in every service database.

    Exit 0 when intact; exit 1 naming each broken stream and version otherwise.
    """
    chosen = services_option(service)
    cfg = settings()

    async def main() -> list[VerifyReport]:
        reports = []
        for s in chosen:
            conn = await connect(cfg.service_database_url(s))
            try:
                reports.append(await verify_database(conn, cfg.db_name(s)))
            finally:
                await conn.close()
        return reports

    reports = run(main())
    broken = False
    for r in reports:
        state = "[green]intact[/green]" if r.intact else f"[red]{len(r.breaks)} broken[/red]"
        console.print(f"{r.database:<20} {r.streams:>8} streams {r.events:>10} events  {state}")
        for b in r.breaks:
            broken = True
            err_console.print(f"  BROKEN {b}", markup=False, highlight=False)
    if broken:
        first = next(b for r in reports for b in r.breaks)
        err_console.print(
            f"first broken: stream {first.stream_id} version {first.stream_version} "
            f"in {first.database}",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)
    console.print("all hash chains intact")
