"""Keep the live projection's tables at the version of the running code.

A release that adds projection tables (version 2 added the rectification ledger) finds a live
projection whose new tables are empty although the history holds their facts: the consumer has
long since passed those events. At start-up the reporting service therefore compares the live
projection's ``projection_version`` (meta table) with ``PROJECTION_VERSION``:

* no version and no data (a new deployment): stamp the current version, nothing to rebuild;
* no version but data (a projection from before versions were kept, i.e. version 1), or an older
  version: rebuild it from every service's history (``rebuild.rebuild_projections`` with
  ``swap``: a fresh schema, the history read as the read-only auditor role, the live tables
  swapped atomically, events the live consumer applied meanwhile caught up) — the rebuilt
  schema carries the current version;
* a newer version (older code started on a newer projection): left alone, logged as an error.

Several reporting processes may start at once: a PostgreSQL advisory lock lets one upgrade while
the others wait, then find the version current. A failed rebuild is logged and the service still
starts (serving the old projection); ``xuncha projections rebuild --swap`` is the manual path.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg
from xuncha_shared.audit.access import url_connector
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.adapters.schema import LIVE_SCHEMA, check_schema
from xuncha_reporting.rebuild import rebuild_projections
from xuncha_reporting.settings import PROJECTION_VERSION, PROJECTION_VERSION_KEY

log = logging.getLogger("xuncha.reporting.upgrade")

#: pg_advisory_lock key of the upgrade ("xuncha" + 0x0002)
_UPGRADE_LOCK = 0x78756E6368610002


@dataclass(frozen=True)
class UpgradeOutcome:
    found: int | None  # the live projection's version (None: not stamped)
    action: str  # "current" | "stamped" | "rebuilt" | "newer" | "failed"
    rebuilt_events: int = 0


async def _live_state(conn: asyncpg.Connection, schema: str) -> tuple[int | None, bool]:
    """The live projection's stamped version (None if unstamped) and whether it holds data."""
    meta = await ProjectionTables(schema).meta(conn)
    has_data = bool(meta.get("version", 0)) or bool(
        await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {check_schema(schema)}.facts)")
    )
    return meta.get(PROJECTION_VERSION_KEY), has_data


async def ensure_projection_current(
    ctx: ServiceContext, *, schema: str = LIVE_SCHEMA
) -> UpgradeOutcome:
    """Bring the live projection to ``PROJECTION_VERSION`` (see the module docstring)."""
    settings = ctx.settings
    async with ctx.pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _UPGRADE_LOCK)
        try:
            found, has_data = await _live_state(conn, schema)
            if found == PROJECTION_VERSION:
                return UpgradeOutcome(found, "current")
            if found is not None and found > PROJECTION_VERSION:
                log.error(
                    "the live projection is of version %s, newer than this code's %s: left "
                    "alone (run the newer release, or `xuncha projections rebuild --swap`)",
                    found,
                    PROJECTION_VERSION,
                )
                return UpgradeOutcome(found, "newer")
            if not has_data:
                await ProjectionTables(schema).set_meta(
                    conn, PROJECTION_VERSION_KEY, PROJECTION_VERSION
                )
                return UpgradeOutcome(found, "stamped")
            log.warning(
                "the live projection is of version %s, this code's is %s: rebuilding it from "
                "the history",
                found or 1,
                PROJECTION_VERSION,
            )
            try:
                report = await rebuild_projections(
                    settings, swap=True, connector=url_connector(settings.audit_database_url)
                )
            except (OSError, asyncpg.PostgresError) as exc:
                log.error(
                    "rebuilding the projection failed (%s); serving the old one: run "
                    "`xuncha projections rebuild --swap`",
                    exc,
                )
                return UpgradeOutcome(found, "failed")
            events = report.applied
            log.warning(
                "projection rebuilt to version %s from %s events (%s caught up at the swap)",
                PROJECTION_VERSION,
                events,
                report.caught_up,
            )
            return UpgradeOutcome(found, "rebuilt", events)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _UPGRADE_LOCK)


async def on_start(ctx: ServiceContext) -> None:
    """The reporting service's start-up hook."""
    await ensure_projection_current(ctx)
