"""Two copies of one consumer (one group, e.g. during a rebalance) handling the same event at the
same moment, against the real PostgreSQL: the inbox claim is the only thing between them.

Deterministic, not lucky: copy A claims the event and stops inside its transaction; copy B is
started on the same event and the test waits until PostgreSQL shows B's claim blocked on A's
uncommitted inbox row (``pg_stat_activity.wait_event_type = 'Lock'``); only then does A finish.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from xuncha_shared.consumer import Delivery, InboxConsumer
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.envelope import GENESIS_HASH, EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import seal_events

from tests.support.events import petition
from tests.support.inbox import EFFECTS_DDL

pytestmark = pytest.mark.integration

TOPIC = "race.intake.petition.v1"
NAME = "test.race"


def _delivery() -> tuple[EventEnvelope, Delivery]:
    [sealed] = seal_events(
        "petition", str(uuid.uuid4()), 1, GENESIS_HASH, [petition()], datetime.now(UTC)
    )
    envelope = sealed.model_copy(update={"global_position": 1, "tx_id": 1})
    return envelope, Delivery(
        topic=TOPIC, partition=0, offset=0, key=None, value=envelope.to_wire()
    )


async def _dead_letter(**_: Any) -> None:
    raise AssertionError("nothing here may be dead-lettered")


class HeldHandler:
    """Writes the effect, then waits (inside the claiming transaction) until released; fails
    once on release when told to, which rolls its transaction back."""

    def __init__(self, *, fail_once: bool = False) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.fail_once = fail_once
        self.calls = 0

    async def __call__(
        self, conn: asyncpg.Connection, envelope: EventEnvelope, _: EventPayload
    ) -> None:
        self.calls += 1
        await conn.execute("INSERT INTO effects (event_id) VALUES ($1)", envelope.event_id)
        if self.calls == 1:
            self.entered.set()
            await self.release.wait()
            if self.fail_once:
                raise RuntimeError("the first copy fails after the second one queued behind it")


async def _plain(conn: asyncpg.Connection, envelope: EventEnvelope, _: EventPayload) -> None:
    await conn.execute("INSERT INTO effects (event_id) VALUES ($1)", envelope.event_id)


async def _blocked_on_a_lock(pool: asyncpg.Pool, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = await pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the second copy's claim never waited on the first one's row")


def _copy(pool: asyncpg.Pool, handler: Any) -> InboxConsumer:
    return InboxConsumer(
        name=NAME,  # two copies of one consumer: one group, one inbox key
        pool=pool,
        registry=REGISTRY,
        handler=handler,
        dead_letter=_dead_letter,
        max_attempts=3,
        retry_delay=0.0,
    )


@pytest.mark.parametrize("first_copy", ["commits", "rolls back"])
async def test_two_copies_racing_on_one_event_take_effect_once(fresh_db, first_copy: str) -> None:
    await fresh_db.pool.execute(EFFECTS_DDL)
    envelope, delivery = _delivery()
    held = HeldHandler(fail_once=first_copy == "rolls back")
    a, b = _copy(fresh_db.pool, held), _copy(fresh_db.pool, _plain)

    a_task = asyncio.create_task(a.handle(delivery))
    await asyncio.wait_for(held.entered.wait(), 30)  # A holds the claim, uncommitted
    b_task = asyncio.create_task(b.handle(delivery))
    await _blocked_on_a_lock(fresh_db.pool)  # B's claim waits on A's inbox row
    held.release.set()
    outcomes = await asyncio.wait_for(asyncio.gather(a_task, b_task), 30)

    effects = await fresh_db.pool.fetch("SELECT event_id FROM effects")
    assert [r["event_id"] for r in effects] == [envelope.event_id]  # exactly once
    claims = await fresh_db.pool.fetchval(
        "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2",
        NAME,
        envelope.event_id,
    )
    assert claims == 1
    if first_copy == "commits":
        # B waited for A's commit, then found the event taken
        assert outcomes == ["processed", "duplicate"]
    else:
        # A rolled back (its first try's effect went with its transaction). Then either B, which
        # was waiting, claims the event and A's immediate retry finds it taken, or A's retry
        # claims it again before B's queued claim is re-checked and B finds it taken: which of
        # the two is up to the scheduler; that exactly one copy applies it is not
        assert sorted(outcomes) == ["duplicate", "processed"]
        assert held.calls == (1 if outcomes == ["duplicate", "processed"] else 2)
    assert (a.processed + b.processed, a.duplicates + b.duplicates) == (1, 1)
