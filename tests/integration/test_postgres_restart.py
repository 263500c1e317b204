"""PostgreSQL SIGKILLed under a running relay and a running consumer, at a known point of a
steady stream (not at a lucky moment): while it is down the writer's appends fail, the relay
and the consumer wait; when its supervisor has it back, every event committed is published and
handled exactly once and nothing is dead-lettered. (That a record whose every attempt meets
the crash's ``57P02`` is redelivered, not dead-lettered, is shown deterministically by
tests/unit/test_inbox_consumer.py and test_relay_and_consumers.py: here the restart takes about
a second and the attempts mostly meet a refused connection.) On a cluster of the test's own
(tests/support/private_pg.py), so the session's PostgreSQL is never disturbed."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from pathlib import Path

import asyncpg
import pytest
from faststream.kafka import KafkaBroker
from xuncha_shared.contracts import dlq_topic, topic_for
from xuncha_shared.db import create_pool, migrate
from xuncha_shared.eventstore import NO_STREAM, PostgresEventStore
from xuncha_shared.failures import dependency_unavailable
from xuncha_shared.kafka import client_security
from xuncha_shared.relay import OutboxRelay

from tests.infra import Infra
from tests.support.events import petition
from tests.support.inbox import EFFECTS_DDL, start_consumer
from tests.support.kafka_read import read_topic
from tests.support.private_pg import PrivatePostgres, private_postgres
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.timeout(300)]


class Writer:
    """Appends a petition every 50 ms, each on a stream of its own; an append that fails (the
    database down) is counted and tried again 0.2 s later. ``acked``: the appends that returned."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.store = PostgresEventStore(pool)
        self.acked: list[uuid.UUID] = []
        self.failed = 0
        self.stop = asyncio.Event()

    async def run(self) -> None:
        while not self.stop.is_set():
            try:
                [stored] = await self.store.append(
                    "petition", f"pgkill-{uuid.uuid4()}", NO_STREAM, [petition()]
                )
            except Exception as exc:
                if not dependency_unavailable(exc):
                    raise
                self.failed += 1  # not acknowledged (it may have committed: counted below)
                await asyncio.sleep(0.2)
                continue
            self.acked.append(stored.event_id)
            await asyncio.sleep(0.05)


async def _back(pg: PrivatePostgres, killed: int) -> bool:
    status = pg.supervisor()
    if status.get("restarts", 0) < 1 or status.get("child_pid") in (None, killed):
        return False
    try:
        conn = await asyncpg.connect(pg.url())
    except (OSError, asyncpg.PostgresError):
        return False  # starting, or replaying its WAL
    await conn.close()
    return True


async def test_postgres_killed_under_a_relay_and_a_consumer_loses_and_doubles_nothing(
    infra: Infra, fresh_topics: str, tmp_path: Path
) -> None:
    if infra.backend != "local":
        pytest.skip("the local deployment's PostgreSQL (deploy/local/pg.sh)")
    topic = topic_for("petition", fresh_topics)
    with private_postgres(tmp_path) as pg:
        admin = await asyncpg.connect(pg.url())
        try:
            await admin.execute("CREATE DATABASE restarted")
        finally:
            await admin.close()
        url = pg.url("restarted")
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
            await conn.execute(EFFECTS_DDL)
        finally:
            await conn.close()
        pool = await create_pool(url, max_size=4)
        relay = OutboxRelay(
            pool, bootstrap=infra.kafka_bootstrap, service="intake", topic_prefix=fresh_topics
        )
        stop = asyncio.Event()
        relay_task = asyncio.create_task(relay.run(stop))
        broker = KafkaBroker(
            infra.kafka_bootstrap.split(","), security=client_security().faststream()
        )
        consumer = await start_consumer(
            broker, topic, f"test.pgkill.{uuid.uuid4().hex[:6]}", pool, retry_delay=0.05
        )
        writer = Writer(pool)
        writing = asyncio.create_task(writer.run())
        try:

            async def handled(n: int) -> bool:
                return consumer.processed >= n

            await wait_for(lambda: handled(20), 60, "20 events handled before the kill")
            killed = pg.postmaster_pid()
            acked_before = len(writer.acked)
            os.kill(killed, signal.SIGKILL)
            down = time.monotonic()
            await wait_for(lambda: _back(pg, killed), 120, "PostgreSQL back under its supervisor")
            print(f"\nPostgreSQL back {time.monotonic() - down:.1f} s after the SIGKILL")

            async def written_after() -> bool:
                return len(writer.acked) >= acked_before + 40

            await wait_for(written_after, 60, "40 appends acknowledged after the kill")
        finally:
            writer.stop.set()
            await writing

        async def committed() -> list[uuid.UUID]:
            return [r[0] for r in await pool.fetch("SELECT event_id FROM events")]

        async def all_handled() -> bool:
            stored = await committed()
            done = await pool.fetchval("SELECT count(*) FROM effects")
            return len(stored) == done

        try:
            await wait_for(all_handled, 120, "every committed event handled")
        finally:
            await broker.stop()
            stop.set()
            await relay_task
        stored = await committed()
        effects = [r[0] for r in await pool.fetch("SELECT event_id FROM effects")]
        await pool.close()
    assert writer.failed > 0  # the writer met the outage
    assert set(writer.acked) <= set(stored)  # nothing acknowledged was lost
    assert sorted(effects) == sorted(stored)  # each committed event handled exactly once
    assert consumer.dead_lettered == 0
    assert await read_topic(infra.kafka_bootstrap, dlq_topic(topic)) == []
