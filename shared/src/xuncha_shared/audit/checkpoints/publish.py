"""Publishing stored checkpoints to ``audit.checkpoints`` (outbox style: a row is marked
published once Kafka acknowledged it)."""

from __future__ import annotations

import asyncio

import asyncpg

from xuncha_shared.audit.checkpoints.table import table_exists
from xuncha_shared.contracts.topics import AUDIT_CHECKPOINTS
from xuncha_shared.kafka import make_producer


async def publish_pending(
    pool: asyncpg.Pool | asyncpg.Connection,
    bootstrap: str,
    topic_prefix: str = "",
    *,
    client_id: str = "xuncha.checkpoints",
) -> int:
    """Publish every stored checkpoint not yet on ``audit.checkpoints`` (key = service) and mark
    it published once Kafka acknowledged it. Returns how many were published."""
    if isinstance(pool, asyncpg.Connection):
        return await _publish_pending(pool, bootstrap, topic_prefix, client_id)
    async with pool.acquire() as conn:
        return await _publish_pending(conn, bootstrap, topic_prefix, client_id)


async def _publish_pending(
    conn: asyncpg.Connection, bootstrap: str, topic_prefix: str, client_id: str
) -> int:
    if not await table_exists(conn):
        return 0
    rows = await conn.fetch(
        "SELECT id, service, document FROM checkpoints WHERE published_at IS NULL ORDER BY id"
    )
    if not rows:
        return 0
    producer = make_producer(bootstrap, client_id=client_id)
    await producer.start()
    try:
        futures = [
            await producer.send(
                topic_prefix + AUDIT_CHECKPOINTS,
                value=row["document"].encode("utf-8"),
                key=row["service"].encode("utf-8"),
            )
            for row in rows
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    await conn.execute(
        "UPDATE checkpoints SET published_at = now() WHERE id = ANY($1::bigint[])",
        [row["id"] for row in rows],
    )
    return len(rows)
