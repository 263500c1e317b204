"""A service copy whose start-up work (migrations, start-up reads) loses its database - killed
or restarted just then - starts again on a new pool once the database answers, instead of
exiting with an error for its supervisor to restart (a chaos run saw intake exit so once, a
PostgreSQL kill falling between its pool and its migrations). Here the backend doing the work
is really ended, so the exception is the one asyncpg raises."""

from __future__ import annotations

import asyncpg
import pytest
from xuncha_shared import db

pytestmark = pytest.mark.integration


async def test_a_backend_ended_during_the_start_up_work_is_started_again(
    fresh_db: object, caplog: pytest.LogCaptureFixture
) -> None:
    url: str = fresh_db.url  # type: ignore[attr-defined]
    backends: list[int] = []

    async def prepare(pool: asyncpg.Pool) -> int:
        async with pool.acquire() as conn:
            backends.append(conn.get_server_pid())
            if len(backends) == 1:  # the first start-up's backend ends under it
                await conn.fetchval("SELECT pg_terminate_backend(pg_backend_pid())")
            return int(await conn.fetchval("SELECT count(*) FROM events"))

    pool, events = await db.prepared_pool_when_ready(url, prepare, wait=20)
    try:
        assert events == 0
        assert len(backends) == 2 and backends[0] != backends[1]
        assert "went away while starting" in caplog.text
        assert await pool.fetchval("SELECT 1") == 1
    finally:
        await pool.close()
