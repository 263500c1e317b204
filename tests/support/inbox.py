"""The tests' inbox consumers: an InboxConsumer subscribed on a FastStream broker, and the
effect most of them record (one row in ``effects`` per handled event)."""

from __future__ import annotations

from typing import Any

import asyncpg
from faststream.kafka import KafkaBroker
from xuncha_shared.consumer import EventHandler, InboxConsumer, broker_dead_letter_sink, subscribe
from xuncha_shared.contracts import REGISTRY

#: the table of :func:`record_effect`, with when the handling transaction began
EFFECTS_DDL = (
    "CREATE TABLE IF NOT EXISTS effects (event_id uuid NOT NULL, at timestamptz DEFAULT now())"
)


async def record_effect(conn: Any, envelope: Any, payload: Any) -> None:
    """The test consumers' effect: one row per handled event (a doubled one shows twice)."""
    await conn.execute("INSERT INTO effects (event_id) VALUES ($1)", envelope.event_id)


async def start_consumer(
    broker: KafkaBroker,
    topic: str,
    name: str,
    pool: asyncpg.Pool,
    handler: EventHandler = record_effect,
    **options: Any,
) -> InboxConsumer:
    """An InboxConsumer named ``name`` (its group and inbox key) on ``topic``, dead letters
    published by ``broker``, subscribed as the services subscribe theirs; ``broker`` started."""
    consumer = InboxConsumer(
        name=name,
        pool=pool,
        registry=REGISTRY,
        handler=handler,
        dead_letter=broker_dead_letter_sink(broker),
        **options,
    )
    subscribe(broker, [topic], consumer)
    await broker.start()
    return consumer
