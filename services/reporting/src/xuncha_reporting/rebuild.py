"""Rebuild the reporting projection from the event history (``xuncha projections rebuild``).

1. A fresh schema ``rebuild_<UTC timestamp>_<random>`` in reporting's database, with the same
   (empty) tables as the live ``projection`` schema, created as the database's owner, for a bulk
   load (``schema.bulk_ddl``: its indexes, primary keys included, built once the rows are in;
   unlogged unless it is to be kept or swapped in).
2. Every service's ``events`` table is read in one read-only snapshot per database, each
   sorted by PostgreSQL and the stores merged as they are read (``history_reads``); all events
   are applied in one deterministic merged order, ``(recorded_at, event_id)``, as they come,
   with the live consumer's own projection code (upcast, decode, ``project``, the same
   statements as ``apply_event``, a chunk at a time; a large history's chunks projected in
   worker processes started from a forkserver, ``projection_chunks.fold_rows``). The chunks'
   statements are folded in memory, in order, as the database would run them
   (``adapters.projection_bulk``), and the rows the whole history leaves are written once,
   with COPY. The projection is order-insensitive (facts are counted once per key,
   acknowledgements live apart from their items), so this gives the live result whatever
   order Kafka delivered the topics in.
3. The rebuilt tables are compared with the live ones, row by row.
4. With ``swap``: events the live consumer applied after the history was read (its inbox,
   which only ever grows) are applied too, most of them before the live tables are locked, the
   rest under an exclusive lock on them (``catch_up_under_lock``); then the two schemas are
   renamed in the same transaction: readers see either the old or the new tables, never a
   mix. Events the rebuild saw and the live consumer has not seen yet are harmless when they
   arrive: every change is idempotent.

Nothing is published to Kafka and nothing outside the new schema is written (except the swap).

Steps 1 and 2 are also what ``xuncha audit replay --as-of`` does (``xuncha_reporting.replay``),
with the history read only up to a moment: ``open_history(as_of=...)`` selects, in SQL, the
events whose ``recorded_at`` is at or before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
from xuncha_shared.audit.access import Connector, url_connector
from xuncha_shared.db import connect
from xuncha_shared.envelope import EventEnvelope
from xuncha_shared.eventstore.postgres import ENVELOPE_COLUMNS, envelope_from_record
from xuncha_shared.runtime_gc import gc_paused
from xuncha_shared.settings import SERVICES, Settings

from xuncha_reporting.adapters.deadline_rules import DeadlineRules
from xuncha_reporting.adapters.projection_bulk import BulkTables
from xuncha_reporting.adapters.projection_compare import TableDiff, compare
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.adapters.projection_writes import Statements
from xuncha_reporting.adapters.schema import (
    LIVE_SCHEMA,
    SHARE_CHANNEL,
    TABLE_KEYS,
    bulk_ddl,
    check_schema,
    ddl,
)
from xuncha_reporting.adapters.share_tables import QUEUE_UNPUBLISHED_SQL
from xuncha_reporting.adapters.share_tables import SCHEMA as SHARE_SCHEMA
from xuncha_reporting.history_reads import count_history, open_history
from xuncha_reporting.projection_chunks import (
    ProgressHook,
    ProjectionRun,
    applied_ids,
    fold_rows,
    project_chunk,
)
from xuncha_reporting.settings import (
    PROJECTION_CONSUMER,
    PROJECTION_VERSION,
    PROJECTION_VERSION_KEY,
    SERVICE,
)

APPLY_BATCH = 500

log = logging.getLogger(__name__)


@dataclass
class RebuildReport(ProjectionRun):
    diffs: list[TableDiff] = field(default_factory=list)
    meta_live: dict[str, int] = field(default_factory=dict)
    meta_rebuilt: dict[str, int] = field(default_factory=dict)
    caught_up: int = 0
    swapped: bool = False
    kept: bool = False
    replaced_schema: str | None = None

    @property
    def identical(self) -> bool:
        return all(d.equal for d in self.diffs) and self.meta_live.get(
            "demo", 0
        ) == self.meta_rebuilt.get("demo", 0)


def new_schema_name(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
    return check_schema(f"rebuild_{stamp}_{secrets.token_hex(2)}")


def merge_order(events: Iterable[EventEnvelope]) -> list[EventEnvelope]:
    """The deterministic order of a rebuild: by ``recorded_at``, then ``event_id``."""
    return sorted(events, key=lambda e: (e.recorded_at, e.event_id))  # as ``row_order``


async def owner_connection(settings: Settings) -> asyncpg.Connection:
    """A connection to reporting's database acting as its owner (``act_as_owner``)."""
    conn = await connect(settings.service_database_url(SERVICE))
    try:
        await act_as_owner(conn)
    except BaseException:
        await conn.close()
        raise
    return conn


async def act_as_owner(conn: asyncpg.Connection) -> None:
    """Create and swap tables as the database's owner (the service role), so the running
    service can still write them after a swap even when the CLI connected as superuser."""
    owner = await conn.fetchval(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
    )
    if owner and owner != await conn.fetchval("SELECT current_user"):
        is_super = await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if is_super:
            await conn.execute(f'SET ROLE "{owner}"')


def _project_chunk(
    tables: ProjectionTables, chunk: Sequence[EventEnvelope], report: ProjectionRun
) -> tuple[Statements, int, list[UUID]]:
    """The statements of ``chunk``'s changes, how many of its events changed something, and
    the ids of the events it applies (the CPU part of ``apply_events``)."""
    statements, changed, skipped = project_chunk(tables, chunk)
    report.skipped.extend(skipped)
    return statements, changed, applied_ids((e.event_id for e in chunk), skipped)


async def _write_chunk(
    conn: asyncpg.Connection,
    tables: ProjectionTables,
    statements: Statements,
    changed: int,
    count: int,
    report: ProjectionRun,
    progress: ProgressHook | None,
) -> None:
    """One chunk's statements in one transaction."""
    async with conn.transaction():
        await tables.write(conn, statements)
        if changed:
            # the live consumer bumps the version once per event that changed something
            await tables.bump_version(conn, changed)
    report.changed += changed
    report.applied += count
    if progress:
        progress("apply", count)


async def apply_events(
    conn: asyncpg.Connection,
    tables: ProjectionTables,
    events: Sequence[EventEnvelope],
    report: ProjectionRun,
    progress: ProgressHook | None = None,
) -> set[UUID]:
    """Apply ``events`` in the given order, a chunk per transaction; returns the ids of the
    events applied. While the database writes one chunk, the next one is projected (decode,
    ``project``, due dates): the two run on different cores, and the chunks are still written
    one after the other, in order."""
    applied: set[UUID] = set()
    writing: asyncio.Task[None] | None = None
    try:
        for start in range(0, len(events), APPLY_BATCH):
            chunk = events[start : start + APPLY_BATCH]
            # in a thread: the event loop keeps feeding the database the previous chunk
            statements, changed, ids = await asyncio.to_thread(
                _project_chunk, tables, chunk, report
            )
            applied.update(ids)
            if writing is not None:
                await writing
            writing = asyncio.create_task(
                _write_chunk(conn, tables, statements, changed, len(chunk), report, progress)
            )
        if writing is not None:
            await writing
    except BaseException:
        if writing is not None and not writing.done():
            writing.cancel()
            with contextlib.suppress(BaseException):
                await writing
        raise
    return applied


async def project_history(
    conn: asyncpg.Connection,
    settings: Settings,
    report: ProjectionRun,
    services: Sequence[str] = SERVICES,
    progress: ProgressHook | None = None,
    *,
    as_of: datetime | None = None,
    connector: Connector | None = None,
    logged: bool = False,
    beside: asyncpg.Connection | None = None,
) -> tuple[set[UUID], dict[str, int]]:
    """Steps 1 and 2: create ``report.schema``'s (empty) tables and project the history into
    them (up to ``as_of`` when given). Writes nothing else: no live table, no inbox, no Kafka.
    The history is read through ``connector`` when given (see ``open_history``). The tables
    are unlogged unless ``logged`` (a schema that stays must be crash-safe); with ``beside``
    (a second connection to the database) they are loaded on both (``BulkTables.load``).

    Returns the ids of the events applied and, per service, how many events its store held
    when it was read."""
    # a schema of its own, filled in bulk: its indexes built at the end
    await conn.execute(bulk_ddl(report.schema, logged=logged))
    expected = await count_history(settings, services, as_of=as_of, connector=connector)
    if progress:
        progress("total", expected)
    # what is read is projected as it comes (a page per store held, never the history);
    # the fold is acyclic and kept to the end: no collection walks it
    with gc_paused():
        async with open_history(
            settings, services, progress, as_of=as_of, connector=connector
        ) as history:
            # one calendar for the whole run (no directory listing per event); the deadline
            # rows closed by other rows are written once all the history is in (``close_all``)
            tables = ProjectionTables(report.schema, rules=DeadlineRules().pinned(), bulk=True)
            # the rows the whole history leaves, folded in memory, then written at once
            bulk = BulkTables(tables.writes)
            applied = await fold_rows(
                tables, history.chunks, bulk, report, progress, expected=expected
            )
        report.read = history.read
        # built by this code: its tables are those of PROJECTION_VERSION
        bulk.meta[PROJECTION_VERSION_KEY] = PROJECTION_VERSION
        await bulk.load(conn, beside)
    return applied, history.total


async def _fetch_events_by_id(
    settings: Settings,
    ids: Sequence[UUID],
    services: Sequence[str],
    connector: Connector | None = None,
) -> list[EventEnvelope]:
    connector = connector or url_connector(settings.service_database_url)
    found: list[EventEnvelope] = []
    for service in services:
        async with connector(service) as conn:
            rows = await conn.fetch(
                f"SELECT {ENVELOPE_COLUMNS} FROM events WHERE event_id = ANY($1::uuid[])", list(ids)
            )
        found.extend(envelope_from_record(r) for r in rows)
    return found


@dataclass
class Consumed:
    """What the live projection consumer had processed at one moment (its inbox, which only
    ever grows): how many events, how many of them since ``since``."""

    at: datetime  # the snapshot's moment (the database's clock)
    since: datetime  # ``at`` less ``CONSUMED_WINDOW``
    total: int
    recent: int


#: how far back the inbox is read again under the swap's lock: a consumer's transaction that
#: began longer ago than this and committed after the first read sends the swap back to reading
#: the whole inbox (still exact, only slower)
CONSUMED_WINDOW = timedelta(minutes=10)

_CONSUMED_SQL = "SELECT event_id, processed_at FROM inbox WHERE consumer = $1"
_CONSUMED_SINCE_SQL = "SELECT event_id FROM inbox WHERE consumer = $1 AND processed_at >= $2"
_CONSUMED_COUNT_SQL = "SELECT count(*) FROM inbox WHERE consumer = $1"


@dataclass
class CatchUp:
    """What a swap needs to apply the events the live consumer processed and the rebuild did
    not (``catch_up_before_lock``, ``catch_up_under_lock``)."""

    conn: asyncpg.Connection
    settings: Settings
    tables: ProjectionTables
    applied: set[UUID]
    report: RebuildReport
    services: Sequence[str]
    connector: Connector | None = None

    async def apply(self, ids: Iterable[UUID]) -> None:
        """Apply the events of ``ids`` that the rebuild has not applied."""
        missing = [i for i in ids if i not in self.applied]
        if missing:
            found = await _fetch_events_by_id(self.settings, missing, self.services, self.connector)
            before = self.report.applied
            self.applied |= await apply_events(
                self.conn, self.tables, merge_order(found), self.report
            )
            self.report.caught_up += self.report.applied - before


async def catch_up_before_lock(catch_up: CatchUp) -> Consumed:
    """What the live consumer processed while the history was read and projected, applied
    without holding the live tables (the whole inbox read once, in one snapshot)."""
    conn = catch_up.conn
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        at: datetime = await conn.fetchval("SELECT now()")
        rows = await conn.fetch(_CONSUMED_SQL, PROJECTION_CONSUMER)
    since = at - CONSUMED_WINDOW
    consumed = Consumed(
        at=at,
        since=since,
        total=len(rows),
        recent=sum(1 for r in rows if r["processed_at"] >= since),
    )
    ids = [r["event_id"] for r in rows]
    del rows
    await catch_up.apply(ids)
    return consumed


async def catch_up_under_lock(catch_up: CatchUp, consumed: Consumed) -> None:
    """What the live consumer processed since ``catch_up_before_lock`` (the live tables held,
    so it processes nothing more): the inbox since ``consumed.since``, exact when the growth of
    the whole inbox equals that window's; else the whole inbox read again."""
    conn = catch_up.conn
    total = int(await conn.fetchval(_CONSUMED_COUNT_SQL, PROJECTION_CONSUMER))
    if total == consumed.total:
        return
    ids = [
        r["event_id"]
        for r in await conn.fetch(_CONSUMED_SINCE_SQL, PROJECTION_CONSUMER, consumed.since)
    ]
    if total - consumed.total != len(ids) - consumed.recent:
        # a transaction that began before the window committed since: read the whole inbox
        log.info("rebuild: the inbox grew outside its last %s: read whole", CONSUMED_WINDOW)
        ids = [r["event_id"] for r in await conn.fetch(_CONSUMED_SQL, PROJECTION_CONSUMER)]
    await catch_up.apply(ids)


async def swap_in(
    conn: asyncpg.Connection,
    settings: Settings,
    schema: str,
    applied: set[UUID],
    report: RebuildReport,
    services: Sequence[str],
    connector: Connector | None = None,
) -> str:
    """Make ``schema`` the live projection (one transaction); returns the replaced schema.

    The events the live consumer processed meanwhile (its inbox) and the rebuild did not are
    applied too: most of them before the live tables are locked, what came after under the
    lock (so the views wait for little more than the rename, however long the inbox)."""
    replaced = check_schema(f"{LIVE_SCHEMA}_replaced_{schema.removeprefix('rebuild_')}")
    tables = ProjectionTables(schema)
    catch_up = CatchUp(conn, settings, tables, applied, report, services, connector)
    consumed = await catch_up_before_lock(catch_up)
    async with conn.transaction():
        # the live consumer waits here (its next projection write blocks until commit)
        live_tables = ", ".join(f"{LIVE_SCHEMA}.{t}" for t in (*TABLE_KEYS, "meta"))
        await conn.execute(f"LOCK TABLE {live_tables} IN ACCESS EXCLUSIVE MODE")
        await catch_up_under_lock(catch_up, consumed)
        live_version = await ProjectionTables(LIVE_SCHEMA).version(conn)
        rebuilt_version = await tables.version(conn)
        # the version only ever grows, so every open dashboard reloads after the swap
        await tables.set_meta(conn, "version", max(live_version, rebuilt_version) + 1)
        await conn.execute(f"ALTER SCHEMA {LIVE_SCHEMA} RENAME TO {replaced}")
        await conn.execute(f"ALTER SCHEMA {schema} RENAME TO {LIVE_SCHEMA}")
        # its items were written without the share queue (a rebuild's schema queues nothing);
        # the publisher hears of them at the commit
        await conn.execute(QUEUE_UNPUBLISHED_SQL)
        await conn.execute("SELECT pg_notify($1, '')", SHARE_CHANNEL)
    return replaced


async def rebuild_projections(
    settings: Settings | None = None,
    *,
    swap: bool = False,
    keep: bool = False,
    keep_old: bool = False,
    services: Sequence[str] = SERVICES,
    progress: ProgressHook | None = None,
    connector: Connector | None = None,
) -> RebuildReport:
    """Rebuild into a fresh schema, compare with the live tables, optionally swap it in.

    Without ``swap`` the rebuilt schema is dropped at the end unless ``keep``; after a swap
    the replaced schema is dropped unless ``keep_old``. The history is read through
    ``connector`` when given (see ``open_history``).
    """
    settings = settings or Settings()
    conn = await owner_connection(settings)
    schema = new_schema_name()
    report = RebuildReport(schema=schema, read={})
    beside: asyncpg.Connection | None = None
    try:
        # IF NOT EXISTS: a service that never ran (the swap queues unpublished feed items)
        await conn.execute(ddl(LIVE_SCHEMA))
        await conn.execute(SHARE_SCHEMA)
        beside = await owner_connection(settings)  # the load's and the comparison's second
        # a schema that stays is loaded logged (crash-safe), not rewritten so afterwards
        applied, _ = await project_history(
            conn, settings, report, services, progress, connector=connector,
            logged=swap or keep, beside=beside,
        )  # fmt: skip
        tables = ProjectionTables(schema)
        report.diffs = await compare(conn, LIVE_SCHEMA, schema, beside)
        report.meta_live = await ProjectionTables(LIVE_SCHEMA).meta(conn)
        report.meta_rebuilt = await tables.meta(conn)
        if swap:
            report.replaced_schema = await swap_in(
                conn, settings, schema, applied, report, services, connector
            )
            report.swapped = True
            if not keep_old:
                await conn.execute(f"DROP SCHEMA {report.replaced_schema} CASCADE")
        elif keep:
            report.kept = True
        else:
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        return report
    except BaseException:
        if beside is not None:  # never left holding a lock the drop would wait for
            beside.terminate()
        if not report.swapped and not keep:
            with contextlib.suppress(Exception):  # best effort
                await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        raise
    finally:
        if beside is not None:
            await beside.close()
        await conn.close()


def summary_rows(report: RebuildReport) -> list[dict[str, Any]]:
    return [
        {
            "table": d.table,
            "only_live": d.only_live,
            "only_rebuilt": d.only_rebuilt,
            "equal": d.equal,
            "samples_live": d.samples_live,
            "samples_rebuilt": d.samples_rebuilt,
        }
        for d in report.diffs
    ]
