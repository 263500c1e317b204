"""The queries behind the sampled gauges of :mod:`xuncha_shared.metrics`.

* relay lag: committed events after the relay's stored position (what Kafka has not yet
  acknowledged), counted up to :data:`LAG_CAP`;
* deadlines due: deadline stages whose time has come and that have not fired;
* consumer lag: per partition, the end offset minus the consumer group's committed offset (the
  beginning offset where the group committed nothing yet), read from Kafka with the service's own
  credentials (its groups and topics only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from xuncha_shared.eventstore.postgres import COMMITTED
from xuncha_shared.kafka import KafkaSecurity, topic_partitions
from xuncha_shared.metrics import clear_gauge, set_gauge

__all__ = ["LAG_CAP", "consumer_lag", "deadlines_due", "relay_lag"]

#: counting stops here (a lag this large is an alert either way; counting on would be slow)
LAG_CAP = 1_000_000

_RELAY_LAG_SQL = f"""
WITH pos AS (
    SELECT coalesce(max(tx_id), 0) AS at_tx, coalesce(max(global_position), 0) AS at_gp
    FROM relay_positions WHERE relay = $1
)
SELECT count(*) FROM (
    SELECT 1 FROM events, pos
    WHERE (events.tx_id, events.global_position) > (pos.at_tx, pos.at_gp) AND {COMMITTED}
    LIMIT {LAG_CAP}
) AS behind
"""

_DEADLINES_DUE_SQL = """
SELECT count(*) FROM deadlines WHERE next_fire_at IS NOT NULL AND next_fire_at <= $1
"""


async def relay_lag(pool: asyncpg.Pool, service: str) -> int:
    """Sample the relay lag of ``service`` (its relay is ``<service>.relay``)."""
    lag = int(await pool.fetchval(_RELAY_LAG_SQL, f"{service}.relay") or 0)
    set_gauge("relay_lag", lag, service=service)
    return lag


async def deadlines_due(pool: asyncpg.Pool, service: str, now: datetime) -> int:
    """Sample the deadline stages due at ``now`` and not yet fired (0 without a deadlines
    table)."""
    exists = await pool.fetchval("SELECT to_regclass('deadlines') IS NOT NULL")
    due = int(await pool.fetchval(_DEADLINES_DUE_SQL, now) or 0) if exists else 0
    set_gauge("deadlines_due", due, service=service)
    return due


async def consumer_lag(
    bootstrap: str,
    security: KafkaSecurity,
    groups: Iterable[tuple[str, str, Sequence[str]]],
    *,
    admin_factory: Callable[..., Any] | None = None,
) -> dict[tuple[str, str, int], int]:
    """Sample the lag of each ``(label, group_id, topics)``; returns ``{(label, topic,
    partition): lag}``. ``label`` is the consumer's name (its group without the deployment's
    topic prefix)."""
    from xuncha_shared.provision.kafka import kafka_admin

    groups = list(groups)
    out: dict[tuple[str, str, int], int] = {}
    if not groups:
        return out
    factory = admin_factory or kafka_admin
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **security.aiokafka()
    )
    await consumer.start()
    try:
        async with factory(bootstrap, security=security) as admin:
            for label, group_id, topics in groups:
                committed = await admin.list_consumer_group_offsets(group_id)
                partitions: list[TopicPartition] = []
                for topic in topics:
                    partitions.extend(await topic_partitions(consumer, topic))
                if not partitions:
                    continue
                ends = await consumer.end_offsets(partitions)
                starts = await consumer.beginning_offsets(partitions)
                clear_gauge("consumer_lag", group=label)
                for tp in partitions:
                    meta = committed.get(tp)
                    at = meta.offset if meta is not None and meta.offset >= 0 else starts[tp]
                    lag = max(int(ends[tp]) - int(at), 0)
                    out[(label, tp.topic, tp.partition)] = lag
                    set_gauge(
                        "consumer_lag",
                        lag,
                        group=label,
                        topic=tp.topic,
                        partition=str(tp.partition),
                    )
    finally:
        await consumer.stop()
    return out
