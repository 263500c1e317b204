"""A scratch schema of reporting's projection tables in the test PostgreSQL, for tests that
apply the real projection's changes and read them back (dropped afterwards)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
from xuncha_reporting.adapters.schema import ddl


@contextlib.asynccontextmanager
async def projection_schema(
    admin_url: str, prefix: str
) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    """A connection and a fresh schema ``<prefix>_<random>`` holding the projection's tables."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(ddl(schema))
        yield connection, schema
    finally:
        await connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await connection.close()
