"""One transaction left open anywhere in the PostgreSQL cluster holds back the commit-safe order
of every relay (the snapshot's xmin). The relay keeps the guarantee (never skips a late commit),
says which session holds it back, and carries on once that transaction ends; the deployment's
``idle_in_transaction_session_timeout`` bounds how long an idle one can last."""

from __future__ import annotations

import asyncpg
import pytest
from xuncha_shared.db import create_pool
from xuncha_shared.eventstore import NO_STREAM, PostgresEventStore
from xuncha_shared.eventstore.base import START
from xuncha_shared.relay import OutboxRelay
from xuncha_shared.settings import database_url_for

from tests.support.events import petition

pytestmark = pytest.mark.integration


async def test_an_open_transaction_elsewhere_is_named_and_nothing_is_skipped(infra) -> None:
    # the relay as the service sees it: its own role on its own database
    pool = await create_pool(infra.database_url("intake"), min_size=1, max_size=3)
    blocker = await asyncpg.connect(database_url_for(infra.pg_admin_url, "postgres"))
    relay = OutboxRelay(pool, bootstrap=infra.kafka_bootstrap, service="intake")
    try:
        # checked from outside: a write transaction left open in the `postgres` database
        await blocker.execute("SET application_name = 'left-open-by-test'")
        tx = blocker.transaction()
        await tx.start()
        await blocker.fetchval("SELECT txid_current()")
        blocker_pid = await blocker.fetchval("SELECT pg_backend_pid()")

        stored = await PostgresEventStore(pool).append(
            "petition", f"held-{blocker_pid}", NO_STREAM, [petition()]
        )
        event_id = str(stored[0].event_id)
        assert event_id not in {r["event_id"] for r in await _read_all(relay)}

        held = await relay.check_held_back(START)
        assert held is not None and held.waiting >= 1
        # named, though the service role cannot read other sessions in pg_stat_activity
        assert held.pid == blocker_pid
        assert held.database == "postgres"
        assert held.application == "left-open-by-test"
        assert held.state == "idle in transaction"
        assert f"session pid {blocker_pid}" in held.describe()

        await tx.rollback()
        assert event_id in {r["event_id"] for r in await _read_all(relay)}
        assert await relay.check_held_back(START) is None or relay.held_back is None
    finally:
        await blocker.close()
        await pool.close()


async def _read_all(relay: OutboxRelay) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = []
    after = START
    while True:
        batch = await relay.read_rows(after)
        if not batch:
            return rows
        rows.extend(batch)
        last = batch[-1]
        after = type(after)(last["tx_id"], last["global_position"])


async def test_the_local_cluster_ends_idle_transactions_after_a_minute(infra) -> None:
    if infra.backend != "local":
        pytest.skip("the setting of deploy/local/pg.sh")
    conn = await asyncpg.connect(infra.pg_admin_url)
    try:
        assert await conn.fetchval("SHOW idle_in_transaction_session_timeout") == "1min"
    finally:
        await conn.close()
