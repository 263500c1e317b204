"""Resolved tokens kept by a process (xuncha_shared.auth.token_cache) on the real PostgreSQL:
kept only while the process listens for revocations, dropped by a revocation from another
connection (as ``xuncha tokens revoke`` does it), by the listener's connection dying, and
after the cache's ttl for what no notification announces (a hand edit)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest
from xuncha_shared.auth.token_cache import TokenCache
from xuncha_shared.auth.tokens import TokenStore, hash_token, revoke_token_in
from xuncha_shared.domain.principals import Principal, Role

from tests.infra import FreshDb

pytestmark = pytest.mark.integration

ADMIN = Principal(id="county-1", role=Role.COUNTY_ADMIN, jurisdiction="361002")


async def until(condition: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        await asyncio.sleep(0.02)


@pytest.fixture
async def listening(fresh_db: FreshDb) -> AsyncIterator[tuple[TokenStore, TokenCache]]:
    cache = TokenCache(ttl=60.0, ping_every=30.0, retry_after=0.1)
    store = TokenStore(fresh_db.pool, cache)
    await store.ensure_schema()
    stop = asyncio.Event()
    task = asyncio.create_task(cache.listen(fresh_db.pool, stop))
    await until(lambda: cache.listening)
    try:
        yield store, cache
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert not cache.listening


async def test_a_revocation_from_another_connection_drops_the_kept_token(
    listening: tuple[TokenStore, TokenCache], fresh_db: FreshDb
) -> None:
    store, cache = listening
    token, other = await store.create(ADMIN), await store.create(ADMIN)
    assert await store.resolve(token) == ADMIN
    assert await store.resolve(other) == ADMIN
    assert len(cache) == 2
    assert cache.get(hash_token(token)) == ADMIN

    assert await revoke_token_in([fresh_db.url], token) == 1  # its own connection, like the CLI
    await until(lambda: cache.get(hash_token(token)) is None, within=5.0)
    assert await store.resolve(token) is None
    assert await store.resolve(other) == ADMIN  # the other token stays kept
    assert cache.get(hash_token(other)) == ADMIN


async def test_kept_tokens_are_served_without_the_table_until_the_ttl(fresh_db: FreshDb) -> None:
    """A hand edit of ``auth_tokens`` notifies nothing: the kept row is served until the ttl,
    which is what makes the cache save the lookup (and bounds how long a hand edit waits)."""
    cache = TokenCache(ttl=1.0, ping_every=30.0, retry_after=0.1)
    store = TokenStore(fresh_db.pool, cache)
    await store.ensure_schema()
    stop = asyncio.Event()
    task = asyncio.create_task(cache.listen(fresh_db.pool, stop))
    try:
        await until(lambda: cache.listening)
        token = await store.create(ADMIN)
        assert await store.resolve(token) == ADMIN
        await fresh_db.pool.execute("UPDATE auth_tokens SET revoked_at = now()")
        assert await store.resolve(token) == ADMIN  # kept
        await asyncio.sleep(1.05)
        assert await store.resolve(token) is None  # the ttl passed: read again
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def test_without_the_listener_every_request_reads_the_table(fresh_db: FreshDb) -> None:
    cache = TokenCache()
    store = TokenStore(fresh_db.pool, cache)
    await store.ensure_schema()
    token = await store.create(ADMIN)
    assert await store.resolve(token) == ADMIN
    assert len(cache) == 0
    await fresh_db.pool.execute("UPDATE auth_tokens SET revoked_at = now()")
    assert await store.resolve(token) is None


async def _listener_pid(admin: asyncpg.Connection, db: str) -> int:
    pid = await admin.fetchval(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN %'", db
    )
    assert pid is not None, "no session listens"
    return int(pid)


async def test_a_dead_listener_keeps_nothing_and_listens_again(
    listening: tuple[TokenStore, TokenCache], fresh_db: FreshDb
) -> None:
    store, cache = listening
    token = await store.create(ADMIN)
    assert await store.resolve(token) == ADMIN
    assert len(cache) == 1
    cache.retry_after = 1.5  # it stays away long enough to be looked at
    admin = await asyncpg.connect(fresh_db.url)
    try:
        pid = await _listener_pid(admin, fresh_db.name)
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        await until(lambda: not cache.listening, within=5.0)
        assert len(cache) == 0
        # while it is away nothing is kept: what it cannot hear is read from the table
        assert await store.resolve(token) == ADMIN
        assert len(cache) == 0
        await fresh_db.pool.execute("UPDATE auth_tokens SET revoked_at = now()")
        assert await store.resolve(token) is None
        await fresh_db.pool.execute("UPDATE auth_tokens SET revoked_at = NULL")
        # it connects again by itself and keeps again
        await until(lambda: cache.listening, within=10.0)
        assert await _listener_pid(admin, fresh_db.name) != pid
        assert await store.resolve(token) == ADMIN
        assert len(cache) == 1
        assert await revoke_token_in([fresh_db.url], token) == 1
        await until(lambda: len(cache) == 0, within=5.0)
        assert await store.resolve(token) is None
    finally:
        await admin.close()
