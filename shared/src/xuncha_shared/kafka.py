"""Kafka client settings shared by the relay, the consumers and the tools.

Every Kafka client of the code (relay producer, FastStream brokers, the audit's Kafka copy, the
DLQ tools, provisioning, benchmarks, tests) authenticates with what :func:`client_security`
derives from the settings: ``XUNCHA_KAFKA_SECURITY_PROTOCOL``, ``XUNCHA_KAFKA_USERNAME``,
``XUNCHA_KAFKA_PASSWORD``, ``XUNCHA_KAFKA_SASL_MECHANISM`` (locally: the generated secrets).
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from xuncha_shared.settings import Settings


@dataclass(frozen=True)
class KafkaSecurity:
    """How a client authenticates: ``protocol`` PLAINTEXT, SASL_PLAINTEXT or SASL_SSL."""

    protocol: str = "PLAINTEXT"
    mechanism: str = "SCRAM-SHA-512"
    username: str | None = None
    password: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.protocol.startswith("SASL")

    def aiokafka(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaProducer/Consumer/AdminClient."""
        if not self.authenticated:
            return {"security_protocol": self.protocol}
        options: dict[str, Any] = {
            "security_protocol": self.protocol,
            "sasl_mechanism": self.mechanism,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password,
        }
        if self.protocol == "SASL_SSL":
            options["ssl_context"] = ssl.create_default_context()
        return options

    def faststream(self) -> Any:
        """The ``security=`` object of a FastStream ``KafkaBroker`` (None: no authentication)."""
        if not self.authenticated:
            return None
        from faststream.security import SASLPlaintext, SASLScram256, SASLScram512

        kinds = {
            "SCRAM-SHA-512": SASLScram512,
            "SCRAM-SHA-256": SASLScram256,
            "PLAIN": SASLPlaintext,
        }
        kind = kinds[self.mechanism]
        context = ssl.create_default_context() if self.protocol == "SASL_SSL" else None
        return kind(
            username=self.username or "",
            password=self.password or "",
            ssl_context=context,
            use_ssl=context is not None,
        )


def client_security(settings: Settings | None = None) -> KafkaSecurity:
    """The one place that decides how this process authenticates to Kafka: SASL (SCRAM-SHA-512
    by default) as soon as a user name is configured, unless the protocol says otherwise."""
    cfg = settings or Settings()
    protocol = cfg.kafka_security_protocol or (
        "SASL_PLAINTEXT" if cfg.kafka_username else "PLAINTEXT"
    )
    protocol = protocol.upper()
    if protocol not in ("PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"):
        raise ValueError(f"XUNCHA_KAFKA_SECURITY_PROTOCOL {protocol!r} is not supported")
    if protocol.startswith("SASL") and not (cfg.kafka_username and cfg.kafka_password):
        raise ValueError(f"{protocol} needs XUNCHA_KAFKA_USERNAME and XUNCHA_KAFKA_PASSWORD")
    return KafkaSecurity(
        protocol=protocol,
        mechanism=cfg.kafka_sasl_mechanism.upper(),
        username=cfg.kafka_username,
        password=cfg.kafka_password,
    )


def client_options(settings: Settings | None = None) -> dict[str, Any]:
    """``client_security(settings).aiokafka()``: splat into any aiokafka client."""
    return client_security(settings).aiokafka()


def producer_config(
    bootstrap: str, *, client_id: str, security: KafkaSecurity | None = None
) -> dict[str, Any]:
    """Idempotent producer, acks from all in-sync replicas: a retry never duplicates or reorders
    within a partition, and an acknowledged message survives a broker failure."""
    return {
        **(security or client_security()).aiokafka(),
        "bootstrap_servers": bootstrap,
        "client_id": client_id,
        "enable_idempotence": True,
        "acks": "all",
        "linger_ms": 2,
        "max_batch_size": 512 * 1024,
        "request_timeout_ms": 30_000,
        "retry_backoff_ms": 200,
    }


def make_producer(
    bootstrap: str, *, client_id: str, security: KafkaSecurity | None = None
) -> AIOKafkaProducer:
    return AIOKafkaProducer(**producer_config(bootstrap, client_id=client_id, security=security))


def header(headers: Any, name: str) -> str | None:
    """A Kafka header's value as text (headers as aiokafka gives them: a list of pairs)."""
    for key, value in headers or ():
        if key == name:
            return value.decode("utf-8") if isinstance(value, bytes | bytearray) else str(value)
    return None


async def topic_partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """The partitions of ``topic`` as the broker knows them now (empty if it does not exist).

    A consumer that is not subscribed to a topic has no metadata for it; ask for it."""
    return (await topics_partitions(consumer, [topic]))[topic]


async def topics_partitions(
    consumer: AIOKafkaConsumer, topics: Iterable[str]
) -> dict[str, list[TopicPartition]]:
    """:func:`topic_partitions` of several topics with one metadata request for all of them."""
    topics = list(topics)
    client = consumer._client  # aiokafka exposes no public metadata request on the consumer
    for topic in topics:
        client.add_topic(topic)
    with contextlib.suppress(Exception):
        await client.force_metadata_update()
    return {
        topic: [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        for topic in topics
    }
