"""The generation the views are kept under (``ProjectionTables.generation``): it moves with
every version bump, with the demo flag, and when another ``meta`` table takes the schema's name
(a rebuild swapped in, an upgrade), even with the very same rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.adapters.schema import ddl


@pytest.fixture
async def conn(infra: Any) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(infra.pg_admin_url)
    try:
        yield connection
    finally:
        await connection.close()


async def test_the_generation_moves_with_the_version_the_flags_and_a_swapped_in_table(
    conn: asyncpg.Connection,
) -> None:
    prefix = f"gen_{uuid.uuid4().hex[:8]}"
    live, rebuilt, replaced = f"{prefix}_live", f"{prefix}_rebuilt", f"{prefix}_old"
    try:
        await conn.execute(ddl(live))
        tables = ProjectionTables(live)
        empty = await tables.generation(conn)
        assert empty.values == {}

        await tables.bump_version(conn)
        first = await tables.generation(conn)
        assert first.values == {"version": 1} and first != empty
        assert await tables.generation(conn) == first  # nothing written: the same generation

        await tables.bump_version(conn)
        second = await tables.generation(conn)
        assert second.values == {"version": 2} and second != first

        await tables.set_meta(conn, "demo", 1)
        flagged = await tables.generation(conn)
        assert flagged.values == {"version": 2, "demo": 1} and flagged != second

        # another table with the same rows takes the name (as rebuild.swap_in renames)
        await conn.execute(ddl(rebuilt))
        await ProjectionTables(rebuilt).set_meta(conn, "version", 2)
        await ProjectionTables(rebuilt).set_meta(conn, "demo", 1)
        async with conn.transaction():
            await conn.execute(f"ALTER SCHEMA {live} RENAME TO {replaced}")
            await conn.execute(f"ALTER SCHEMA {rebuilt} RENAME TO {live}")
        swapped = await tables.generation(conn)
        assert swapped.values == flagged.values
        assert swapped != flagged
    finally:
        for schema in (live, rebuilt, replaced):
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
