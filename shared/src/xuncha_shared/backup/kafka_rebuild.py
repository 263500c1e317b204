"""``xuncha backup reconcile``: Kafka lost (or replaced), the stores intact.

The stores are the source of truth: with the services stopped, every topic is created if
missing, each relay's position is set from what Kafka holds (``relay_reconcile``), and the
consumer groups are rewound. When the services start, the relays publish what Kafka lacks (on an
empty Kafka: everything) and the consumers' inbox drops what they had applied already.
Nothing is written to the stores but the relay positions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xuncha_shared import provision
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


async def reconcile_deployment(
    settings: Settings, services: Sequence[str] = SERVICES, progress: Progress | None = None
) -> KafkaRebuild:
    result = KafkaRebuild()
    if progress:
        progress("kafka", "topics")
    result.topics = await provision.provision_topics(
        settings.kafka_bootstrap, settings.topic_prefix
    )
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
        finally:
            await conn.close()
    if progress:
        progress("kafka", "rewind")
    result.rewound = await rewind_consumer_groups(settings.kafka_bootstrap, settings.topic_prefix)
    return result
