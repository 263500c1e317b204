"""Set a relay's stored position from what Kafka actually holds.

The relay publishes the events after its stored position (``relay_positions``) in the
commit-safe order ``(tx_id, global_position)``. After a restore that position can be wrong both
ways:

- *behind* Kafka: the backup was taken while the relay kept publishing, so Kafka already holds
  events of the restored store that came after the stored position; publishing them again would
  duplicate them;
- *ahead of* Kafka: the restore goes onto an empty Kafka (or Kafka was lost); everything must be
  published again, the stores being the source of truth.

``reconcile_relay`` reads every event id on the service's topics, walks the store in the
commit-safe order and sets the position to the end of the longest run, from the start, of events
that Kafka holds. The relay publishes exactly what follows. The events the relay had published
form a prefix of that order (it only publishes transactions below every reader's snapshot
xmin), so within a restored store the events on Kafka are such a prefix too; should an event
after the first gap be on Kafka nevertheless, it is counted (``republished_anyway``): the relay
sends it once more and the consumers' inbox drops the duplicate.

Events on Kafka that the store does not have (appended after the backup's snapshot) are
returned (``not_in_store``) for the restore record (``xuncha_shared.restore_record``).

The relay must not run meanwhile: the relay's advisory lock is held while the position is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from xuncha_shared.audit.kafka_copy import scan_topics
from xuncha_shared.contracts.topics import service_topics
from xuncha_shared.eventstore.base import START, Position
from xuncha_shared.kafka import header
from xuncha_shared.relay import advisory_key

_COMMIT_ORDER_SQL = (
    "SELECT tx_id, global_position, event_id FROM events ORDER BY tx_id, global_position"
)


class RelayRunningError(RuntimeError):
    """The service's relay holds its lock: stop the service before reconciling."""


@dataclass(frozen=True)
class KafkaOnlyEvent:
    """An event on Kafka that the store does not hold."""

    event_id: str
    stream_id: str | None
    stream_version: int | None
    global_position: int | None
    tx_id: int | None
    hash: str | None
    where: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "stream_id": self.stream_id,
            "stream_version": self.stream_version,
            "global_position": self.global_position,
            "tx_id": self.tx_id,
            "hash": self.hash,
            "where": self.where,
        }


@dataclass
class Reconciliation:
    service: str
    relay: str
    topics: list[str]
    previous: Position | None = None
    position: Position = START
    kafka_messages: int = 0
    kafka_events: int = 0
    store_events: int = 0
    already_published: int = 0
    to_publish: int = 0
    republished_anyway: int = 0
    missing_topics: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    not_in_store: list[KafkaOnlyEvent] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "relay": self.relay,
            "topics": self.topics,
            "previous_position": _position_dict(self.previous),
            "position": _position_dict(self.position),
            "kafka_messages": self.kafka_messages,
            "kafka_events": self.kafka_events,
            "store_events": self.store_events,
            "already_published": self.already_published,
            "to_publish": self.to_publish,
            "republished_anyway": self.republished_anyway,
            "missing_topics": self.missing_topics,
            "unreadable": self.unreadable,
            "kafka_not_in_store": len(self.not_in_store),
        }


def _position_dict(position: Position | None) -> dict[str, int] | None:
    if position is None:
        return None
    return {"tx_id": position.tx_id, "global_position": position.global_position}


@dataclass
class _KafkaIds:
    """Every event id on a service's topics, with what is needed to report one (the first
    copy's place and its envelope's stream, version, position and hash)."""

    copies: dict[UUID, KafkaOnlyEvent] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)
    messages: int = 0

    def add(
        self, topic: str, partition: int, offset: int, value: bytes | None, headers: Any
    ) -> None:
        self.messages += 1
        where = f"{topic}[{partition}]@{offset}"
        try:
            doc = orjson.loads(value or b"")
            event_id = UUID(header(headers, "event_id") or str(doc["event_id"]))
        except (ValueError, KeyError, TypeError):
            self.unreadable.append(where)
            return
        if event_id not in self.copies:
            self.copies[event_id] = KafkaOnlyEvent(
                event_id=str(event_id),
                stream_id=_str(doc.get("stream_id")),
                stream_version=_int(doc.get("stream_version")),
                global_position=_int(doc.get("global_position")),
                tx_id=_int(doc.get("tx_id")),
                hash=_str(doc.get("hash")),
                where=where,
            )


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


async def reconcile_relay(
    conn: asyncpg.Connection,
    service: str,
    *,
    kafka_bootstrap: str,
    topic_prefix: str = "",
    apply: bool = True,
) -> Reconciliation:
    """Compare ``service``'s store (``conn``) with its topics and, with ``apply``, store the
    relay position that publishes exactly what Kafka lacks (see the module docstring)."""
    relay = f"{service}.relay"
    topics = service_topics(service, topic_prefix)
    result = Reconciliation(service=service, relay=relay, topics=topics)
    key = advisory_key(relay)
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
        raise RelayRunningError(f"the relay {relay} is running: stop {service} first")
    try:
        row = await conn.fetchrow(
            "SELECT tx_id, global_position FROM relay_positions WHERE relay = $1", relay
        )
        result.previous = Position(row["tx_id"], row["global_position"]) if row else None

        kafka = _KafkaIds()
        scan = await scan_topics(kafka_bootstrap, topics, kafka.add)
        result.missing_topics = scan.missing_topics
        result.kafka_messages = kafka.messages
        result.kafka_events = len(kafka.copies)
        result.unreadable = kafka.unreadable

        position = START
        unbroken = True
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            async for r in conn.cursor(_COMMIT_ORDER_SQL, prefetch=5000):
                result.store_events += 1
                on_kafka = kafka.copies.pop(r["event_id"], None) is not None
                if on_kafka and unbroken:
                    position = Position(r["tx_id"], r["global_position"])
                    result.already_published += 1
                    continue
                unbroken = False
                result.to_publish += 1
                if on_kafka:
                    result.republished_anyway += 1
        result.position = position
        result.not_in_store = sorted(
            kafka.copies.values(),
            key=lambda e: (e.tx_id or 0, e.global_position or 0, e.event_id),
        )
        if apply:
            if position == START:
                await conn.execute("DELETE FROM relay_positions WHERE relay = $1", relay)
            else:
                await conn.execute(
                    "INSERT INTO relay_positions (relay, tx_id, global_position) "
                    "VALUES ($1, $2, $3) ON CONFLICT (relay) DO UPDATE SET "
                    "tx_id = EXCLUDED.tx_id, global_position = EXCLUDED.global_position, "
                    "updated_at = now()",
                    relay,
                    position.tx_id,
                    position.global_position,
                )
        return result
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", key)
