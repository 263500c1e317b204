"""Reading the history for a rebuild or an as-of replay (``rebuild``, ``replay``): every
committed event of every service's store, as plain rows (``projection_chunks.ROW_COLUMNS``: the
payload stays JSON text, the actor's principal comes as text), streamed in the merge order
``(recorded_at, event_id)`` (``projection_chunks.row_order``); with ``as_of`` only the events
recorded at or before a moment, selected in SQL.

Each store is read through a cursor inside ONE read-only repeatable-read snapshot (the events
committed when it was taken: no page can miss a late commit, no running transaction cuts the
read short), sorted by PostgreSQL (each store's whole selection, before its first page: on
disk beyond ``work_mem``, about the store's size; the stores sorted side by side); the stores'
streams are merged here, a page of each at a time, and each store's snapshot ends as soon as
its rows are all out. So the reading process holds a page per store, never the whole
history (a term of two million events is gigabytes as rows), and the projecting starts with
the first chunk. A read-only snapshot holds no transaction id: no relay's commit-safe order
waits for it (docs/event-store.md). Like ``pg_dump``'s, it holds back what VACUUM may clean
while it runs.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from xuncha_shared.audit.access import Connector, url_connector
from xuncha_shared.settings import SERVICES, Settings

from xuncha_reporting.projection_chunks import ROW_COLUMNS, ProgressHook, Row, row_order

#: rows per page of a store's cursor
READ_BATCH = 2000
#: how long a store's snapshot may sit idle between two pages while the projecting catches up
#: (a store with few events in a long stretch of the history); the deployment's bound on idle
#: transactions (60 s) is raised for it, not lifted
READ_IDLE = "30min"

# One store's history in the merge order (``row_order``): sorted by PostgreSQL, which compares
# uuids byte by byte, as their text compares
_HISTORY_SQL = f"SELECT {ROW_COLUMNS} FROM events ORDER BY recorded_at, event_id"
_HISTORY_AS_OF_SQL = (
    f"SELECT {ROW_COLUMNS} FROM events WHERE recorded_at <= $1 ORDER BY recorded_at, event_id"
)


@dataclass
class History:
    """The history being read (``open_history``): its rows come from ``chunks``; ``read`` (and,
    without ``as_of``, ``total``) are complete once they are all out. Each store's snapshot
    and connection are let go as soon as its rows are all out."""

    streams: list[_StoreStream]
    read: dict[str, int]  # service -> events read, in the order of the services
    total: dict[str, int]  # service -> events in its store
    progress: ProgressHook | None = None
    as_of: datetime | None = None

    async def chunks(self, size: int) -> AsyncGenerator[list[Row], None]:
        """Every row of every store in the merge order, ``size`` rows at a time."""
        chunk: list[Row] = []
        async with contextlib.aclosing(self._runs()) as runs:
            async for run in runs:
                chunk.extend(run)
                while len(chunk) >= size:
                    yield chunk[:size]
                    del chunk[:size]
        if chunk:
            yield chunk

    async def _runs(self) -> AsyncGenerator[list[Row], None]:
        """Every row in the merge order, a run of rows at a time: the least of the last rows of
        the stores' pages bounds what may come next from any store (each store's rows come in
        order, every key is unique), so every row of every page up to it goes out at once,
        their pages' sorted runs merged by one sort; the page it ended is read again."""
        # each store's first page at once: PostgreSQL sorts them side by side
        filled = await asyncio.gather(*(s.fill(self.progress) for s in self.streams))
        active = []
        for stream, has_rows in zip(self.streams, filled, strict=True):
            if has_rows:
                active.append(stream)
            else:
                await self._done(stream)
        while active:
            bound = min(row_order(stream.page[-1]) for stream in active)
            run: list[Row] = []
            for stream in active:
                run.extend(stream.take_through(bound))
            run.sort(key=row_order)  # a few sorted runs: merged, not sorted anew
            yield run
            for stream in [s for s in active if not s.pending()]:
                if not await stream.fill(self.progress):
                    active.remove(stream)
                    await self._done(stream)

    async def _done(self, stream: _StoreStream) -> None:
        self.read[stream.service] = stream.read
        if self.as_of is None:
            self.total[stream.service] = stream.read
        await stream.close()


@dataclass
class _StoreStream:
    """One store's rows, a page at a time, from its cursor (inside its snapshot, which
    ``close`` ends, giving back its connection)."""

    service: str
    cursor: Any  # asyncpg.cursor.Cursor
    opened: contextlib.AsyncExitStack
    page: list[Row] = field(default_factory=list)
    at: int = 0
    read: int = 0

    async def fill(self, progress: ProgressHook | None) -> bool:
        """The next page; False when the store has no more rows."""
        records = await self.cursor.fetch(READ_BATCH)
        self.page, self.at = list(map(tuple, records)), 0
        self.read += len(self.page)
        if progress and self.page:
            progress("read", len(self.page))
        return bool(self.page)

    def pending(self) -> bool:
        return self.at < len(self.page)

    def take_through(self, bound: tuple[datetime, UUID]) -> list[Row]:
        """The page's rows not yet taken whose merge order is at or before ``bound``."""
        start, self.at = self.at, bisect.bisect_right(self.page, bound, self.at, key=row_order)
        return self.page[start : self.at]

    async def close(self) -> None:
        await self.opened.aclose()


def _check_as_of(as_of: datetime | None) -> None:
    if as_of is not None and (as_of.tzinfo is None or as_of.utcoffset() is None):
        raise ValueError(f"as_of must carry a timezone offset, not {as_of.isoformat()}")


@contextlib.asynccontextmanager
async def open_history(
    settings: Settings,
    services: Sequence[str] = SERVICES,
    progress: ProgressHook | None = None,
    *,
    as_of: datetime | None = None,
    connector: Connector | None = None,
) -> AsyncIterator[History]:
    """Every committed event of every service in the merge order (``History.chunks``); with
    ``as_of`` only those whose ``recorded_at`` is at or before it (filtered in SQL), and each
    store's ``total`` counted in the same snapshot.

    Each database is reached through ``connector`` (the reporting service's auditor pools, say),
    by default with a connection of its own to ``settings.service_database_url(service)``; the
    connections and their snapshots are held until the block ends."""
    _check_as_of(as_of)
    connector = connector or url_connector(settings.service_database_url)
    history = History(
        streams=[],
        read=dict.fromkeys(services, 0),
        total=dict.fromkeys(services, 0),
        progress=progress,
        as_of=as_of,
    )
    try:
        for service in services:
            opened = contextlib.AsyncExitStack()
            try:
                conn = await opened.enter_async_context(connector(service))
                await opened.enter_async_context(
                    conn.transaction(isolation="repeatable_read", readonly=True)
                )
                await conn.execute(f"SET LOCAL idle_in_transaction_session_timeout = '{READ_IDLE}'")
                if as_of is None:
                    cursor = await conn.cursor(_HISTORY_SQL)
                else:
                    history.total[service] = int(await conn.fetchval("SELECT count(*) FROM events"))
                    cursor = await conn.cursor(_HISTORY_AS_OF_SQL, as_of)
            except BaseException:
                await opened.aclose()
                raise
            history.streams.append(_StoreStream(service, cursor, opened))
        yield history
    finally:
        for stream in history.streams:  # those not read to their end
            await stream.close()


async def count_history(
    settings: Settings,
    services: Sequence[str] = SERVICES,
    *,
    as_of: datetime | None = None,
    connector: Connector | None = None,
) -> int:
    """How many events ``open_history`` will read (for progress bars and to choose how to
    project them; not exact under load)."""
    _check_as_of(as_of)
    connector = connector or url_connector(settings.service_database_url)
    total = 0
    for service in services:
        async with connector(service) as conn:
            if as_of is None:
                value = await conn.fetchval("SELECT count(*) FROM events")
            else:
                value = await conn.fetchval(
                    "SELECT count(*) FROM events WHERE recorded_at <= $1", as_of
                )
        total += int(value)
    return total
