"""One active copy at a time (xuncha_shared.leadership) against the real PostgreSQL: two copies
of a service compete for the relay's lock, the standby takes over when the active copy's session
ends, and a copy whose lock session is cut stops before it could run beside the new holder."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from typing import ClassVar

import asyncpg
import pytest
from xuncha_shared.contracts import topic_for
from xuncha_shared.db import create_pool
from xuncha_shared.eventstore import NO_STREAM, PostgresEventStore
from xuncha_shared.kafka import header
from xuncha_shared.leadership import LeaderState, run_as_leader
from xuncha_shared.relay import OutboxRelay

from tests.support.events import petition
from tests.support.kafka_read import read_topic

pytestmark = pytest.mark.integration


async def _until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Copy:
    """One copy's body: records when it runs, and whether it ever overlapped another."""

    running: ClassVar[set[str]] = set()

    def __init__(self, name: str, log: list[tuple[str, str]]) -> None:
        self.name = name
        self.log = log
        self.state = LeaderState()

    async def body(self, stop: asyncio.Event) -> None:
        others = self.running - {self.name}
        self.log.append((self.name, "start" if not others else f"overlap with {others}"))
        self.running.add(self.name)
        try:
            await stop.wait()
        finally:
            self.running.discard(self.name)
            self.log.append((self.name, "end"))


async def test_one_copy_active_the_other_takes_over_when_its_session_ends(fresh_db) -> None:
    name = f"leadership-test-{uuid.uuid4().hex[:6]}"
    log: list[tuple[str, str]] = []
    Copy.running = set()
    a, b = Copy("a", log), Copy("b", log)
    pool_a = await create_pool(fresh_db.url, min_size=1, max_size=3)
    pool_b = await create_pool(fresh_db.url, min_size=1, max_size=3)
    stop_a, stop_b = asyncio.Event(), asyncio.Event()
    task_a = asyncio.create_task(
        run_as_leader(pool_a, name, a.body, stop_a, state=a.state, interval=0.2)
    )
    await _until(lambda: a.state.leading, 10, "copy a active")
    task_b = asyncio.create_task(
        run_as_leader(pool_b, name, b.body, stop_b, state=b.state, interval=0.2)
    )
    try:
        await _until(lambda: b.state.standing_by, 10, "copy b standing by")
        assert Copy.running == {"a"}

        # a's process "dies": its sessions end (as when the kernel closes a killed process's
        # sockets); b takes over, a notices its lost lock and stands by instead of running on
        await pool_a.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND datname = current_database() "
            "AND application_name = '' AND pid IN (SELECT pid FROM pg_locks "
            "WHERE locktype = 'advisory' AND granted)"
        )
        await _until(lambda: b.state.leading, 10, "copy b active")
        await _until(lambda: a.state.standing_by, 10, "copy a standing by again")
        assert Copy.running == {"b"}
        assert a.state.terms == 1 and b.state.terms == 1
    finally:
        stop_a.set()
        stop_b.set()
        for task in (task_a, task_b):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 10)
        await pool_a.close()
        await pool_b.close()
    # never two at once: every start happened while the other was not running
    assert [entry for entry in log if entry[1] not in ("start", "end")] == []
    assert [entry for entry in log if entry[1] == "start"] == [("a", "start"), ("b", "start")]


async def test_a_standby_relay_takes_over_and_nothing_is_lost(infra, fresh_db, fresh_topics):
    """Two relays of one service: one publishes; when its database session is cut the other
    publishes from the stored position (every event on Kafka, none lost)."""
    store = PostgresEventStore(fresh_db.pool)
    ids: set[uuid.UUID] = set()
    for i in range(5):
        stored = await store.append("petition", f"lead-{i}", NO_STREAM, [petition()])
        ids.update(e.event_id for e in stored)
    pools = [await create_pool(fresh_db.url, min_size=1, max_size=3) for _ in range(2)]
    relays = [
        OutboxRelay(p, bootstrap=infra.kafka_bootstrap, service="intake", topic_prefix=fresh_topics)
        for p in pools
    ]
    stops = [asyncio.Event(), asyncio.Event()]
    tasks = [asyncio.create_task(r.run(s)) for r, s in zip(relays, stops, strict=True)]
    try:
        await _until(lambda: any(r.leadership.leading for r in relays), 20, "an active relay")
        await _until(lambda: any(r.standing_by for r in relays), 20, "a standby relay")
        active = next(i for i, r in enumerate(relays) if r.leadership.leading)
        standby = 1 - active
        await _until(lambda: relays[active].published >= 5, 30, "the first 5 published")
        assert relays[standby].published == 0

        # cut the active relay's sessions; append more meanwhile
        with contextlib.suppress(asyncpg.PostgresError):
            await fresh_db.pool.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)"
            )
        for i in range(5, 10):
            stored = await store.append("petition", f"lead-{i}", NO_STREAM, [petition()])
            ids.update(e.event_id for e in stored)
        await _until(lambda: relays[standby].leadership.leading, 20, "the standby taking over")
        await _until(
            lambda: relays[active].published + relays[standby].published >= 10,
            30,
            "all 10 published",
        )
    finally:
        for s in stops:
            s.set()
        for t in tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(t, 15)
        for p in pools:
            await p.close()
    seen = await read_topic(infra.kafka_bootstrap, topic_for("petition", fresh_topics))
    assert ids <= {uuid.UUID(header(m.headers, "event_id") or "") for m in seen}
