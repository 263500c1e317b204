"""The relay wakes on commit (core migration 2's NOTIFY, xuncha_shared.commit_signal): idle, it
does not poll the events table, yet an appended event is published without waiting out the
idle interval; an append inside a caller's transaction wakes it only once that commits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import asyncpg
from xuncha_shared.eventstore import NO_STREAM, PostgresEventStore
from xuncha_shared.relay import OutboxRelay
from xuncha_shared.settings import database_url_for

from tests.support.events import petition

IDLE = 600.0  # idle poll far beyond any wait below: only a notification can wake the relay


async def _until(predicate: Callable[[], Awaitable[bool]], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_idle_relay_sleeps_and_a_commit_wakes_it(fresh_db, fresh_topics, infra) -> None:
    relay = OutboxRelay(
        fresh_db.pool,
        bootstrap=infra.kafka_bootstrap,
        service="intake",
        topic_prefix=fresh_topics,
        idle_poll_interval=IDLE,
    )
    reads = 0
    read_rows = relay.read_rows

    async def counted(after):  # type: ignore[no-untyped-def]
        nonlocal reads
        reads += 1
        return await read_rows(after)

    relay.read_rows = counted  # type: ignore[method-assign]
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await asyncio.wait_for(relay.ready.wait(), 60)
        assert relay.commits is not None

        async def listening() -> bool:
            return relay.commits is not None and relay.commits.listening

        await _until(listening, "the relay to listen")
        await asyncio.sleep(2.5)  # past the short-poll window after start
        before = reads
        await asyncio.sleep(3)
        assert reads - before <= 1, "the idle relay kept polling"

        store = PostgresEventStore(fresh_db.pool)
        await store.append("petition", "wake-1", NO_STREAM, [petition()])

        async def published(n: int) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                return relay.published >= n

            return check

        await _until(await published(1), "the first event to be published", IDLE / 4)
        assert relay.commits.notified >= 1

        # inside a caller's transaction: nothing to see (or notified) before the commit
        await asyncio.sleep(2.5)
        conn: asyncpg.Connection = await asyncpg.connect(fresh_db.url)
        try:
            tx = conn.transaction()
            await tx.start()
            await store.append("petition", "wake-2", NO_STREAM, [petition()], conn=conn)
            notified = relay.commits.notified
            await asyncio.sleep(1)
            assert relay.commits.notified == notified and relay.published == 1
            await tx.commit()
        finally:
            await conn.close()
        await _until(await published(2), "the second event to be published", IDLE / 4)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_a_notified_commit_held_back_past_the_fast_window_is_not_left_to_the_idle_poll(
    fresh_db, fresh_topics, infra
) -> None:
    """A commit notified while an older transaction of the cluster is open stays owed: the
    relay polls every second until it is out, not only at its (here 600 s) idle interval."""
    relay = OutboxRelay(
        fresh_db.pool,
        bootstrap=infra.kafka_bootstrap,
        service="intake",
        topic_prefix=fresh_topics,
        idle_poll_interval=IDLE,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    blocker: asyncpg.Connection = await asyncpg.connect(
        database_url_for(infra.pg_admin_url, "postgres")
    )
    try:
        await asyncio.wait_for(relay.ready.wait(), 60)

        async def listening() -> bool:
            return relay.commits is not None and relay.commits.listening

        await _until(listening, "the relay to listen")
        tx = blocker.transaction()
        await tx.start()
        await blocker.fetchval("SELECT txid_current()")  # holds back every later commit
        await PostgresEventStore(fresh_db.pool).append(
            "petition", "owed-1", NO_STREAM, [petition()]
        )
        await asyncio.sleep(3.5)  # past the short-poll window: the event is still held back
        assert relay.commits is not None
        assert relay.published == 0 and relay.commits.notified >= 1
        assert relay.commits.owed
        await tx.rollback()

        async def published() -> bool:
            return relay.published >= 1

        await _until(published, "the held-back event to be published", IDLE / 4)
    finally:
        await blocker.close()
        stop.set()
        await asyncio.wait_for(task, 30)
