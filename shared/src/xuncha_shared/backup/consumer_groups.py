"""Rewinding the deployment's consumer groups after a restore.

A consumer group's committed offsets live in Kafka; after a restore they may point past
messages whose effects the restored databases no longer hold (applied after the backup). The
restore moves every committed offset of the deployment's groups (``<topic prefix><service>.*``)
back to the start of its partition: the consumers then read their topics again and their inbox
(restored with the database) skips every event whose effect the backup already holds, and
applies the others exactly once. The services must be stopped (an active group refuses the
commit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from xuncha_shared.kafka import client_options
from xuncha_shared.provision import kafka_admin
from xuncha_shared.settings import SERVICES


@dataclass(frozen=True)
class Rewound:
    group: str
    partitions: int


def deployment_groups(all_groups: Sequence[str], topic_prefix: str) -> list[str]:
    """The groups of the deployment with ``topic_prefix``: ``<prefix><service>.<purpose>``."""
    heads = tuple(f"{topic_prefix}{service}." for service in SERVICES)
    return sorted(g for g in all_groups if g.startswith(heads))


async def rewind_consumer_groups(bootstrap: str, topic_prefix: str) -> list[Rewound]:
    async with kafka_admin(bootstrap) as admin:
        listed = await admin.list_consumer_groups()
        groups = deployment_groups([str(entry[0]) for entry in listed], topic_prefix)
        offsets = {g: await admin.list_consumer_group_offsets(g) for g in groups}
    rewound: list[Rewound] = []
    for group in groups:
        partitions: list[TopicPartition] = sorted(offsets[group])
        if not partitions:
            continue
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group,
            enable_auto_commit=False,
            **client_options(),
        )
        await consumer.start()
        try:
            consumer.assign(partitions)
            begins = await consumer.beginning_offsets(partitions)
            await consumer.commit({tp: OffsetAndMetadata(begins[tp], "") for tp in partitions})
        finally:
            await consumer.stop()
        rewound.append(Rewound(group, len(partitions)))
    return rewound
