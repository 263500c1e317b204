"""Read a whole topic (from the start up to its current end) for assertions."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from xuncha_shared.kafka import client_options, topic_partitions


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord]:  # type: ignore[type-arg]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **client_options()
    )
    await consumer.start()
    try:
        partitions = await topic_partitions(consumer, topic)
        assert partitions, f"topic {topic} not found"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        out = []
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for records in batch.values():
                out.extend(records)
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return out
    finally:
        await consumer.stop()
