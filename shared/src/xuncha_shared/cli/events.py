"""``xuncha events``: look at a service's event store."""

from __future__ import annotations

import asyncio
import json

import typer

from xuncha_shared.cli.common import console, fail, run, services_option, settings
from xuncha_shared.db import create_pool
from xuncha_shared.envelope import EventEnvelope
from xuncha_shared.eventstore.base import START, Position
from xuncha_shared.eventstore.postgres import PostgresEventStore

app = typer.Typer(help="Read the event stores.", no_args_is_help=True)


def _line(service: str, e: EventEnvelope, as_json: bool) -> str:
    if as_json:
        doc = json.loads(e.model_dump_json())
        doc["service"] = service
        return json.dumps(doc, ensure_ascii=False)
    return (
        f"{service:<13} #{e.global_position:<8} {e.recorded_at:%Y-%m-%d %H:%M:%S} "
        f"{e.event_type:<36} {e.stream_id}@{e.stream_version} {e.jurisdiction} "
        f"by {e.actor.principal_id}({e.actor.role})"
    )


@app.command()
def tail(
    service: list[str] = typer.Option(None, "--service", "-s", help="service(s); default all"),
    lines: int = typer.Option(20, "-n", min=0, help="how many past events to show per service"),
    follow: bool = typer.Option(False, "--follow", "-f", help="keep printing new events"),
    as_json: bool = typer.Option(False, "--json", help="one JSON envelope per line"),
) -> None:
    """Show the latest events of each service (in commit-safe order), optionally following."""
    chosen = services_option(service)
    cfg = settings()

    async def main() -> None:
        pools = {s: await create_pool(cfg.service_database_url(s), max_size=2) for s in chosen}
        try:
            positions: dict[str, Position] = {}
            for s, pool in pools.items():
                row = await pool.fetchrow(
                    "SELECT tx_id, global_position FROM events ORDER BY tx_id DESC, "
                    "global_position DESC OFFSET $1 LIMIT 1",
                    lines,
                )
                positions[s] = Position(row["tx_id"], row["global_position"]) if row else START
            while True:
                quiet = True
                for s, pool in pools.items():
                    batch = await PostgresEventStore(pool).read_all(positions[s], 500)
                    for e in batch:
                        console.print(_line(s, e, as_json), markup=False, highlight=False)
                    if batch:
                        quiet = False
                        positions[s] = Position.of(batch[-1])
                if not follow and quiet:
                    return
                if quiet:
                    await asyncio.sleep(0.5)
        finally:
            for pool in pools.values():
                await pool.close()

    try:
        run(main())
    except KeyboardInterrupt:
        raise fail("interrupted", 130) from None
