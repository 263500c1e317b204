"""Versioned schema migrations against the real PostgreSQL: each numbered migration runs once
(also when several processes start at once) and is recorded in ``schema_migrations``; an edited
migration stops the start-up; broken numbering is refused before anything runs; a database that
knows more migrations than the code (a rollback) still starts."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
import pytest
from xuncha_shared.db import migrate
from xuncha_shared.migrations import CORE_MIGRATIONS, Migration, MigrationError

pytestmark = pytest.mark.timeout(120)

V1 = Migration("probe", 1, "notes", "CREATE TABLE probe_notes (id int PRIMARY KEY, body text)")
V2 = Migration("probe", 2, "notes_author", "ALTER TABLE probe_notes ADD COLUMN author text")


async def recorded(pool: asyncpg.Pool) -> list[tuple[str, int, str]]:
    rows = await pool.fetch(
        "SELECT component, version, name FROM schema_migrations ORDER BY component, version"
    )
    return [(r["component"], r["version"], r["name"]) for r in rows]


async def run_migrate(pool: asyncpg.Pool, migrations: list[Migration]) -> list[Migration]:
    async with pool.acquire() as conn:
        return await migrate(conn, [], migrations)


async def test_each_migration_runs_once_and_is_recorded(fresh_db: Any) -> None:
    pool = fresh_db.pool
    # the fresh database was migrated with the core's migrations already
    assert await recorded(pool) == [("core", m.version, m.name) for m in CORE_MIGRATIONS]

    # three processes start at once with a new migration: it runs once
    results = await asyncio.gather(*(run_migrate(pool, [V1]) for _ in range(3)))
    assert sorted(len(r) for r in results) == [0, 0, 1]
    await pool.execute("INSERT INTO probe_notes (id, body) VALUES (1, '整改台账')")

    # the next release adds version 2; version 1 does not run again (its table keeps its row)
    assert await run_migrate(pool, [V1, V2]) == [V2]
    assert await run_migrate(pool, [V1, V2]) == []
    assert await pool.fetchval("SELECT count(*) FROM probe_notes") == 1
    assert await pool.fetchval(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'probe_notes' AND column_name = 'author'"
    )
    assert [r for r in await recorded(pool) if r[0] == "probe"] == [
        ("probe", 1, "notes"),
        ("probe", 2, "notes_author"),
    ]


async def test_an_edited_migration_stops_the_start(fresh_db: Any) -> None:
    pool = fresh_db.pool
    await run_migrate(pool, [V1])
    edited = Migration("probe", 1, "notes", V1.sql + ", extra text")
    with pytest.raises(MigrationError, match="changed after it ran"):
        await run_migrate(pool, [edited, V2])
    # nothing of that start was applied (one transaction)
    assert [r for r in await recorded(pool) if r[0] == "probe"] == [("probe", 1, "notes")]


async def test_broken_numbering_is_refused_before_anything_runs(fresh_db: Any) -> None:
    pool = fresh_db.pool
    gap = Migration("probe", 3, "later", "CREATE TABLE probe_later (id int)")
    with pytest.raises(MigrationError, match="version 3 where 1 was expected"):
        await run_migrate(pool, [gap])
    with pytest.raises(MigrationError, match="version 1 where 2 was expected"):
        await run_migrate(pool, [V1, V1])
    assert await pool.fetchval("SELECT to_regclass('probe_later')") is None


async def test_a_rolled_back_release_still_starts(
    fresh_db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    pool = fresh_db.pool
    await run_migrate(pool, [V1, V2])
    with caplog.at_level(logging.WARNING, logger="xuncha.migrations"):
        assert await run_migrate(pool, [V1]) == []
    assert "probe 0002 notes_author" in caplog.text
