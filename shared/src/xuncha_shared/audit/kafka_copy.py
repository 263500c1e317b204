"""Kafka's copy of a service's history: every message of its topics, read from the start.

The relay publishes each event as the full envelope JSON (``EventEnvelope.to_wire``: it carries
``global_position``, ``tx_id`` and ``hash``) with the header ``event_id``. At-least-once
delivery means duplicates are normal; two copies of one event with different hashes are not.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from aiokafka import AIOKafkaConsumer, TopicPartition

from xuncha_shared.audit.chain import json_row_hash
from xuncha_shared.envelope import format_ts
from xuncha_shared.kafka import client_options, topic_partitions

#: ``on_record(topic, partition, offset, value, headers)``
RecordHandler = Callable[[str, int, int, bytes | None, Any], None]


@dataclass
class ScanResult:
    missing_topics: list[str] = field(default_factory=list)
    #: partitions whose first offset is not 0: messages were deleted (retention not infinite)
    truncated: list[str] = field(default_factory=list)
    messages: int = 0


async def scan_topics(
    bootstrap: str,
    topics: Sequence[str],
    on_record: RecordHandler,
    *,
    request_timeout_ms: int = 15_000,
) -> ScanResult:
    """Call ``on_record`` for every message of ``topics``, from the first offset up to the end
    offsets as of the start of the scan."""
    result = ScanResult()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        **client_options(),
        enable_auto_commit=False,
        request_timeout_ms=request_timeout_ms,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    try:
        await consumer.start()
    except BaseException:
        await consumer.stop()
        raise
    try:
        partitions: list[TopicPartition] = []
        for topic in topics:
            found = await topic_partitions(consumer, topic)
            if not found:
                result.missing_topics.append(topic)
            partitions.extend(found)
        if not partitions:
            return result
        consumer.assign(partitions)
        # offsets first: asked after a seek_to_beginning they wait for the pending reset
        begins = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, begins[tp])
        result.truncated = [f"{tp.topic}[{tp.partition}]" for tp in partitions if begins[tp] > 0]
        remaining = {tp for tp in partitions if ends[tp] > begins[tp]}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batch.items():
                for record in records:
                    if record.offset < ends[tp]:
                        result.messages += 1
                        on_record(
                            record.topic,
                            record.partition,
                            record.offset,
                            record.value,
                            record.headers,
                        )
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return result
    finally:
        await consumer.stop()


@dataclass(slots=True)
class KafkaEvent:
    event_hash: str
    global_position: int | None
    tx_id: int | None
    stream_id: str
    stream_version: int | None
    where: str  # topic[partition]@offset of the first copy
    consistent: bool  # the copy's content gives its hash


@dataclass
class KafkaCopy:
    """Every event id found on a service's topics, with its first copy."""

    events: dict[UUID, KafkaEvent] = field(default_factory=dict)
    messages: int = 0
    duplicates: int = 0
    #: (event_id, first copy, other copy's hash, other copy's place)
    conflicts: list[tuple[UUID, KafkaEvent, str, str]] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    scan: ScanResult = field(default_factory=ScanResult)

    def add_record(
        self, topic: str, partition: int, offset: int, value: bytes | None, headers: Any
    ) -> None:
        self.messages += 1
        where = f"{topic}[{partition}]@{offset}"
        try:
            doc = json.loads(value or b"")
            event_id = UUID(str(doc["event_id"]))
            event_hash = str(doc["hash"])
            stream_id = str(doc["stream_id"])
        except (ValueError, KeyError, TypeError):
            self.unreadable.append(where)
            return
        known = self.events.get(event_id)
        if known is not None:
            if known.event_hash == event_hash:
                self.duplicates += 1
            else:
                self.conflicts.append((event_id, known, event_hash, where))
            return
        self.events[event_id] = KafkaEvent(
            event_hash=event_hash,
            global_position=_int(doc.get("global_position")),
            tx_id=_int(doc.get("tx_id")),
            stream_id=stream_id,
            stream_version=_int(doc.get("stream_version")),
            where=where,
            consistent=_consistent(doc, event_hash),
        )


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _consistent(doc: dict[str, Any], event_hash: str) -> bool:
    """Whether the copy's content gives its stated hash (timestamps made canonical first: the
    wire form may drop zero microseconds)."""
    try:
        row = dict(doc)
        for name in ("occurred_at", "recorded_at"):
            row[name] = format_ts(datetime.fromisoformat(str(row[name])))
        return json_row_hash(row) == event_hash
    except (ValueError, KeyError, TypeError):
        return False
