"""The deadline worker yields to a user's command on the same stream instead of deadlocking with
it (against the real PostgreSQL).

A command appends to its case's stream, then ends the case's deadline; a worker's batch holds
the deadline's row (claimed), then appends to the same stream: the opposite order. Deterministic,
not lucky: the worker is held after its claim (inside its overdue effect), the command appends and
then waits on the claimed row (seen in ``pg_stat_activity``), well before the worker goes on to
append and waits on the command's new stream row. Left to PostgreSQL's deadlock detector, the
command - which started waiting first, so checks first - would be aborted (a user's 503 after
the retries run out); the worker's ``lock_timeout`` makes it give up first, roll back and run
again, so the command commits and the deadline it ended never fires.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import datetime

import asyncpg
import pytest
from xuncha_shared.clocks import SCHEMA, DeadlineWorker, ManualClock
from xuncha_shared.clocks.clock import CST
from xuncha_shared.clocks.deadlines import Deadline, DeadlineState
from xuncha_shared.clocks.worker import LOCK_WAIT_MS
from xuncha_shared.contracts import rectification
from xuncha_shared.eventstore import NewEvent, PostgresEventStore

from tests.integration.test_deadlines import (
    ACTOR,
    FORMAL_REPORT,
    JURISDICTION,
    events_of,
    feed_back,
    get,
    make_clocks,
)

pytestmark = pytest.mark.integration


async def _waiting_on_a_lock(pool: asyncpg.Pool, pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await pool.fetchval(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid
        ):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"backend {pid} never waited on a lock")


@pytest.fixture
async def db(fresh_db):
    async with fresh_db.pool.acquire() as conn:
        await conn.execute(SCHEMA)
    return fresh_db


async def test_a_command_ending_a_claimed_deadline_wins_over_the_worker(db, tmp_path):
    clock = ManualClock(datetime(2026, 9, 30, 10, tzinfo=CST))
    clocks = make_clocks("rectification", clock, tmp_path)
    issue_id, deadline = await feed_back(db, clocks)
    clock.set(datetime(2026, 12, 5, tzinfo=CST))  # past its overdue moment

    claimed, release = asyncio.Event(), asyncio.Event()
    held_once: list[Deadline] = []

    async def hold(_: asyncpg.Connection, d: Deadline) -> None:
        if not held_once:  # the first try only: the worker holds the row it claimed
            held_once.append(d)
            claimed.set()
            await release.wait()

    kind = dataclasses.replace(FORMAL_REPORT, effect=hold)
    store = PostgresEventStore(db.pool)
    worker = DeadlineWorker(db.pool, store, clocks, [kind], concurrency=1)
    firing = asyncio.create_task(worker.fire_due())
    await asyncio.wait_for(claimed.wait(), 30)

    # the command: its stream first, then the deadline (waits on the worker's claimed row)
    report = rectification.RectificationReported(
        issue_id=issue_id,
        kind=rectification.ReportKind.FORMAL,
        progress_percent=100,
        completed=True,
        note="整改报告",
        leader_report="主要负责人组织落实情况报告",
    )
    async with db.pool.acquire() as conn:
        pid = conn.get_server_pid()
        async with conn.transaction():
            [reported] = await store.append(
                "issue", str(issue_id), 1, [NewEvent(report, JURISDICTION, ACTOR)], conn=conn
            )
            ending = asyncio.create_task(
                clocks.satisfy(conn, FORMAL_REPORT.name, str(issue_id), by=reported.event_id)
            )
            await _waiting_on_a_lock(db.pool, pid)
            # the command's deadlock check (after deadlock_timeout, 1 s by default) would now
            # come first; the worker goes on to append to the command's stream
            await asyncio.sleep(0.3)
            release.set()
            ended = await asyncio.wait_for(ending, 30)  # a deadlock would raise here
        assert ended is not None

    fired = await asyncio.wait_for(firing, 30)
    assert fired == []  # it yielded, then found the deadline ended
    assert [d.deadline_id for d in held_once] == [deadline.deadline_id]
    assert await events_of(db, "rectification.RectificationOverdue") == []
    after = await get(db, clocks, FORMAL_REPORT.name, str(issue_id))
    assert after.state is DeadlineState.MET_LATE
    assert after.ended_by == reported.event_id
    assert LOCK_WAIT_MS < 1000  # below PostgreSQL's deadlock_timeout: the worker gives up first
