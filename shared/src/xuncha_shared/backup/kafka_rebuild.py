"""``xuncha backup reconcile``: Kafka lost (or replaced), the stores intact.

The stores are the source of truth: with the services stopped, every topic is created if
missing, each relay's position is set from what Kafka holds (``relay_reconcile``), and the
consumer groups are rewound. When the services start, the relays publish what Kafka lacks (on an
empty Kafka: everything) and the consumers' inbox drops what they had applied already.
Stored checkpoints whose copy Kafka lost are published again. Nothing is written to the stores
but the relay positions and the checkpoints' ``published_at``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import asyncpg

from xuncha_shared import provision
from xuncha_shared.audit.checkpoints import publish_pending, read_kafka_checkpoints
from xuncha_shared.audit.checkpoints.table import table_exists
from xuncha_shared.backup.consumer_groups import Rewound, rewind_consumer_groups
from xuncha_shared.db import connect
from xuncha_shared.relay_reconcile import Reconciliation, reconcile_relay
from xuncha_shared.settings import SERVICES, Settings

Progress = Callable[[str, str], None]


@dataclass
class KafkaRebuild:
    topics: list[str] = field(default_factory=list)
    relays: list[Reconciliation] = field(default_factory=list)
    rewound: list[Rewound] = field(default_factory=list)
    #: service -> checkpoints published again (they were stored but not on Kafka)
    checkpoints: dict[str, int] = field(default_factory=dict)


async def republish_checkpoints(
    conn: asyncpg.Connection, settings: Settings, on_kafka: set[str]
) -> int:
    """Publish again every stored checkpoint whose signature Kafka does not hold (marked
    published, but the copy is gone); returns how many were published."""
    if not await table_exists(conn):
        return 0
    rows = await conn.fetch("SELECT signature FROM checkpoints WHERE published_at IS NOT NULL")
    gone = [r["signature"] for r in rows if r["signature"] not in on_kafka]
    if gone:
        await conn.execute(
            "UPDATE checkpoints SET published_at = NULL WHERE signature = ANY($1::text[])", gone
        )
    return await publish_pending(conn, settings.kafka_bootstrap, settings.topic_prefix)


async def reconcile_deployment(
    settings: Settings, services: Sequence[str] = SERVICES, progress: Progress | None = None
) -> KafkaRebuild:
    result = KafkaRebuild()
    if progress:
        progress("kafka", "topics")
    result.topics = await provision.provision_topics(
        settings.kafka_bootstrap, settings.topic_prefix
    )
    found, _unreadable = await read_kafka_checkpoints(
        settings.kafka_bootstrap, settings.topic_prefix
    )
    on_kafka = {checkpoint.signature for checkpoint, _ in found}
    for service in services:
        if progress:
            progress(service, "reconcile")
        conn = await connect(settings.service_database_url(service))
        try:
            result.relays.append(
                await reconcile_relay(
                    conn,
                    service,
                    kafka_bootstrap=settings.kafka_bootstrap,
                    topic_prefix=settings.topic_prefix,
                )
            )
            result.checkpoints[service] = await republish_checkpoints(conn, settings, on_kafka)
        finally:
            await conn.close()
    if progress:
        progress("kafka", "rewind")
    result.rewound = await rewind_consumer_groups(settings.kafka_bootstrap, settings.topic_prefix)
    return result
