"""Kafka client settings shared by the relay, the consumers and the tools."""

from __future__ import annotations

import contextlib
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition


def producer_config(bootstrap: str, *, client_id: str) -> dict[str, Any]:
    """Idempotent producer, acks from all in-sync replicas: a retry never duplicates or reorders
    within a partition, and an acknowledged message survives a broker failure."""
    return {
        "bootstrap_servers": bootstrap,
        "client_id": client_id,
        "enable_idempotence": True,
        "acks": "all",
        "linger_ms": 2,
        "max_batch_size": 512 * 1024,
        "request_timeout_ms": 30_000,
        "retry_backoff_ms": 200,
    }


def make_producer(bootstrap: str, *, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(**producer_config(bootstrap, client_id=client_id))


def header(headers: Any, name: str) -> str | None:
    """A Kafka header's value as text (headers as aiokafka gives them: a list of pairs)."""
    for key, value in headers or ():
        if key == name:
            return value.decode("utf-8") if isinstance(value, bytes | bytearray) else str(value)
    return None


async def topic_partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """The partitions of ``topic`` as the broker knows them now (empty if it does not exist).

    A consumer that is not subscribed to a topic has no metadata for it; ask for it."""
    client = consumer._client  # aiokafka exposes no public metadata request on the consumer
    client.add_topic(topic)
    with contextlib.suppress(Exception):
        await client.force_metadata_update()
    return [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
