"""The history a rebuild or an as-of replay projects (``xuncha_reporting.history_reads``): every
store's committed events, streamed in the merge order ``(recorded_at, event_id)`` a few pages
at a time, each store read in one snapshot.

Four stores are four schemas of one fresh database here (each connection's ``search_path``
names its store), filled with events whose moments collide within and across stores, so the
order rests on the event id too; pages are a few rows, so the merge crosses many page ends."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from xuncha_reporting import history_reads
from xuncha_reporting.history_reads import open_history
from xuncha_reporting.projection_chunks import ROW_NAMES, row_order
from xuncha_shared.audit.access import Connector
from xuncha_shared.settings import Settings

from tests.infra import FreshDb

STORES = {"intake": 37, "clues": 53, "rectification": 0, "reporting": 11}
START = datetime(2021, 1, 1, tzinfo=UTC)
EVENT_ID = ROW_NAMES.index("event_id")
RECORDED_AT = ROW_NAMES.index("recorded_at")

_INSERT = """
INSERT INTO events (event_id, event_type, schema_version, stream_type, stream_id,
                    stream_version, occurred_at, recorded_at, jurisdiction, actor,
                    correlation_id, payload, prev_hash, hash)
SELECT gen_random_uuid(), 'test.Happened', 1, 'test', $1 || '-' || g, 1, at, at, '361000',
       '{"principal_id": "p", "role": "auditor"}', gen_random_uuid(), '{"n": 1}',
       repeat('0', 64), repeat('0', 64)
FROM generate_series(1, $2) AS g,
     LATERAL (SELECT $3::timestamptz + (g % 5) * interval '1 hour' AS at) AS moment
"""


@contextlib.asynccontextmanager
async def _stores(fresh_db: FreshDb) -> AsyncIterator[Connector]:
    admin = await asyncpg.connect(fresh_db.url)
    try:
        for store, count in STORES.items():
            await admin.execute(f"CREATE SCHEMA {store}")
            await admin.execute(f"CREATE TABLE {store}.events (LIKE public.events INCLUDING ALL)")
            if count:
                await admin.execute(f"SET search_path = {store}")
                await admin.execute(_INSERT, store, count, START)
                await admin.execute("RESET search_path")
    finally:
        await admin.close()

    yield _connector(fresh_db, {})


def _connector(
    fresh_db: FreshDb,
    opened: dict[str, asyncpg.Connection],
    connection_class: type[asyncpg.Connection] = asyncpg.Connection,
) -> Connector:
    """Each store's connection (kept in ``opened``), its schema on the search path."""

    @contextlib.asynccontextmanager
    async def connector(service: str) -> AsyncIterator[asyncpg.Connection]:
        conn = await asyncpg.connect(
            fresh_db.url,
            server_settings={"search_path": service},
            connection_class=connection_class,
        )
        opened[service] = conn
        try:
            yield conn
        finally:
            await conn.close()

    return connector


async def _ids(fresh_db: FreshDb, store: str) -> set[uuid.UUID]:
    conn = await asyncpg.connect(fresh_db.url)
    try:
        return {r[0] for r in await conn.fetch(f"SELECT event_id FROM {store}.events")}
    finally:
        await conn.close()


async def test_the_stores_stream_merged_in_order_within_their_snapshots(
    fresh_db: FreshDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_reads, "READ_BATCH", 4)
    opened: dict[str, asyncpg.Connection] = {}
    async with _stores(fresh_db):
        connector = _connector(fresh_db, opened)
        expected = {s: await _ids(fresh_db, s) for s in STORES}
        reads: list[int] = []
        late = await asyncpg.connect(fresh_db.url, server_settings={"search_path": "intake"})
        try:
            # begun before the snapshots, committed after them: not in the history
            await late.execute("BEGIN")
            await late.execute(_INSERT, "late", 3, START - timedelta(days=1))
            async with open_history(
                Settings(),
                tuple(STORES),
                lambda phase, n: reads.append(n),
                connector=connector,
            ) as history:
                await late.execute("COMMIT")
                await late.execute(_INSERT, "after", 2, START)  # after them: not either
                chunks: list[list[tuple[Any, ...]]] = []
                async for chunk in history.chunks(10):
                    chunks.append(chunk)
                    # an empty store's snapshot and connection are let go at once
                    assert opened["rectification"].is_closed()
                    assert len(chunks) > 1 or not opened["clues"].is_closed()
            assert all(conn.is_closed() for conn in opened.values())
        finally:
            await late.close()
    rows = [row for chunk in chunks for row in chunk]
    assert [len(c) for c in chunks[:-1]] == [10] * (len(chunks) - 1) and 0 < len(chunks[-1]) <= 10
    assert rows == sorted(rows, key=row_order)
    # and the order of their ids as text (uuids order as their bytes and their text do)
    assert rows == sorted(rows, key=lambda r: (r[RECORDED_AT], str(r[EVENT_ID])))
    assert len({row_order(r)[0] for r in rows}) == 5  # the moments collide: the ids decide
    assert {row[EVENT_ID] for row in rows} == set().union(*expected.values())
    assert history.read == STORES and history.total == STORES
    assert list(history.read) == list(STORES)  # in the order of the services
    assert sum(reads) == len(rows) and max(reads) == 4  # page by page


async def test_as_of_reads_up_to_the_moment_and_counts_each_store_whole(
    fresh_db: FreshDb,
) -> None:
    class Interrupted(asyncpg.Connection):
        """Each store's count is followed by events committed elsewhere, moments 0–4: its
        snapshot sees neither in the count nor in the rows."""

        async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
            value = await super().fetchval(query, *args, **kwargs)
            if query.startswith("SELECT count(*)"):
                other = await asyncpg.connect(fresh_db.url)
                try:
                    await other.execute(f"SET search_path = {self._store}")  # type: ignore[attr-defined]
                    await other.execute(_INSERT, "between", 5, START)
                finally:
                    await other.close()
            return value

    opened: dict[str, asyncpg.Connection] = {}
    async with _stores(fresh_db):
        base = _connector(fresh_db, opened, Interrupted)

        @contextlib.asynccontextmanager
        async def connector(service: str) -> AsyncIterator[asyncpg.Connection]:
            async with base(service) as conn:
                conn._store = service  # type: ignore[attr-defined]
                yield conn

        as_of = START + timedelta(hours=2)  # moments 0, 1 and 2 of the five
        async with open_history(
            Settings(), tuple(STORES), as_of=as_of, connector=connector
        ) as history:
            rows = [row async for chunk in history.chunks(1000) for row in chunk]
    assert rows == sorted(rows, key=lambda r: (r[RECORDED_AT], str(r[EVENT_ID])))
    assert all(row_order(r)[0] <= as_of for r in rows)
    # g % 5 in 0..2 for g = 1..count
    assert history.read == {
        s: sum(1 for g in range(1, n + 1) if g % 5 <= 2) for s, n in STORES.items()
    }
    assert history.total == STORES
    connections = dict(opened)
    naive = open_history(Settings(), as_of=datetime(2021, 1, 1), connector=connector)
    with pytest.raises(ValueError, match="timezone"):
        await naive.__aenter__()
    assert opened == connections  # refused before any store was opened
