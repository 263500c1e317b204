"""Idempotent event consumers on FastStream, with an inbox and a dead-letter path.

Each consumer has a name that is both its Kafka consumer group id (``<service>.<purpose>``) and
its key in the ``inbox`` table. For every message it

1. decodes the envelope and upcasts it to the current schema; a message that cannot be decoded,
   or whose type or version is unknown, goes to ``<topic>.dlq`` at once;
2. opens one database transaction, skips the event if the inbox already holds its event_id,
   runs the handler's effect and records the event_id in the inbox, then commits;
3. returns, and only then FastStream commits the Kafka offset (ack policy NACK_ON_ERROR), once
   for a batch of records (:func:`subscribe`).

The records of one fetch share steps 2 and 3: one transaction claims all their inbox rows and
runs their handlers in order (:meth:`InboxConsumer.handle_batch`); a batch that fails is
rolled back and its records are handled again one transaction each.

A crash before the commit means redelivery, and the inbox makes the effect happen once.
Failures of the infrastructure (database or broker down) are retried without limit and never
dead-lettered; any other failure is retried ``max_attempts`` times and then dead-lettered with
its reason, and the consumer moves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from itertools import chain
from typing import Any, Protocol

import asyncpg
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage, KafkaRouter, Topic
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from xuncha_shared.contracts.registry import EventRegistry, UnknownEventError
from xuncha_shared.contracts.topics import dlq_topic
from xuncha_shared.domain.commands import Meta
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload
from xuncha_shared.failures import redeliverable
from xuncha_shared.inbound_checks import RejectedEvent, checked_envelope
from xuncha_shared.metrics import (
    CONSUMER_HANDLED,
    CONSUMER_REDELIVERIES,
    DEAD_LETTERS,
    counting_appends,
)
from xuncha_shared.telemetry import current_traceparent, extract_from_kafka_headers, tracer

log = logging.getLogger("xuncha.consumer")

#: the effect of one consumed event, run in the consumer's transaction (``conn``, with the inbox
#: row; ``None`` with the in-memory fakes of the unit tests)
EventHandler = Callable[[Any, EventEnvelope, EventPayload], Awaitable[None]]


def consumer_meta(envelope: EventEnvelope, actor: Actor) -> Meta:
    """The metadata of events appended in reaction to ``envelope``: same correlation, caused by
    it, and the current (consumer) span's trace context, else the consumed event's."""
    return Meta.caused_by(envelope, actor, current_traceparent())


class DeadLetterSink(Protocol):
    async def __call__(
        self, *, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]
    ) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """What the consumer needs of a Kafka message (kept independent of FastStream)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


class InboxConsumer:
    def __init__(
        self,
        *,
        name: str,
        pool: asyncpg.Pool,
        registry: EventRegistry,
        handler: EventHandler,
        dead_letter: DeadLetterSink,
        max_attempts: int = 3,
        retry_delay: float = 0.2,
    ) -> None:
        self.name = name
        self.pool = pool
        self.registry = registry
        self.handler = handler
        self.dead_letter = dead_letter
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.processed = 0
        self.duplicates = 0
        self.dead_lettered = 0
        #: the topics and the Kafka group id it is subscribed with (set by :func:`subscribe`)
        self.topics: list[str] = []
        self.group_id = name

    async def handle(self, delivery: Delivery) -> str:
        """Process one delivery; returns "processed", "duplicate" or "dead-lettered".

        Raises only for a failure that is :func:`redeliverable`, which makes FastStream
        redeliver the message (counted as a redelivery: nacked, Kafka delivers it again).
        """
        return await self._counted(delivery, self._handle(delivery))

    async def handle_batch(
        self,
        deliveries: Sequence[Delivery],
        span: Callable[[Delivery], AbstractContextManager[Any]] | None = None,
    ) -> list[str]:
        """Process the deliveries of one fetch in order, in ONE transaction: one statement
        claims their inbox rows, each handler runs in turn (in ``span(delivery)`` when given),
        one commit. Returns each one's outcome, as :meth:`handle` would.

        A batch that fails in any way is rolled back whole and its records are handled again
        one transaction each (:meth:`handle`: retries, dead letters, a redeliverable failure
        raised); so one bad record costs its batch one rollback and is then dead-lettered
        alone, never taking the others with it."""
        outcomes: dict[int, str] = {}
        decoded: list[tuple[int, Delivery, EventEnvelope, EventPayload]] = []
        for i, delivery in enumerate(deliveries):
            event = await self._decode(delivery)
            if event is None:
                outcomes[i] = "dead-lettered"
            else:
                decoded.append((i, delivery, *event))
        if len(decoded) == 1:  # nothing to share a transaction with
            i, delivery, envelope, payload = decoded[0]
            with span(delivery) if span else contextlib.nullcontext():
                outcomes[i] = await self._counted(
                    delivery, self._resolve(delivery, envelope, payload)
                )
        elif decoded:
            try:
                with counting_appends():
                    outcomes.update(await self._apply_batch(decoded, span))
            except Exception as exc:
                # the record whose handler failed has had its first attempt
                failed = exc.index if isinstance(exc, _HandlerFailed) else None
                log.info(
                    "%s: a batch of %d failed (%r); handling its records one by one",
                    self.name,
                    len(decoded),
                    exc.__cause__ if isinstance(exc, _HandlerFailed) else exc,
                )
                for i, delivery, envelope, payload in decoded:
                    with span(delivery) if span else contextlib.nullcontext():
                        outcomes[i] = await self._counted(
                            delivery,
                            self._resolve(delivery, envelope, payload, tried=int(i == failed)),
                        )
            else:
                for i, delivery, _, _ in decoded:
                    self._count(delivery, outcomes[i])
        handled = {i for i, _, _, _ in decoded}  # counted above
        for i, outcome in outcomes.items():
            if i not in handled:  # dead-lettered as undecodable
                self._count(deliveries[i], outcome)
        return [outcomes[i] for i in range(len(deliveries))]

    async def _apply_batch(
        self,
        decoded: Sequence[tuple[int, Delivery, EventEnvelope, EventPayload]],
        span: Callable[[Delivery], AbstractContextManager[Any]] | None,
    ) -> dict[int, str]:
        outcomes: dict[int, str] = {}
        async with self.pool.acquire() as conn, conn.transaction():
            claimed = {
                r["event_id"]
                for r in await conn.fetch(
                    "INSERT INTO inbox (consumer, event_id, topic) "
                    "SELECT $1, e, t FROM unnest($2::uuid[], $3::text[]) AS u(e, t) "
                    "ON CONFLICT DO NOTHING RETURNING event_id",
                    self.name,
                    [envelope.event_id for _, _, envelope, _ in decoded],
                    [delivery.topic for _, delivery, _, _ in decoded],
                )
            }
            for i, delivery, envelope, payload in decoded:
                if envelope.event_id not in claimed:  # processed before (or twice in the batch)
                    outcomes[i] = "duplicate"
                    continue
                claimed.discard(envelope.event_id)
                with span(delivery) if span else contextlib.nullcontext():
                    try:
                        await self.handler(conn, envelope, payload)
                    except Exception as exc:
                        log.warning(
                            "%s: handler failed on %s in a batch (attempt 1/%d): %r",
                            self.name,
                            envelope.event_id,
                            self.max_attempts,
                            exc,
                        )
                        raise _HandlerFailed(i) from exc
                outcomes[i] = "processed"
        self.processed += sum(1 for o in outcomes.values() if o == "processed")
        self.duplicates += sum(1 for o in outcomes.values() if o == "duplicate")
        return outcomes

    def _count(self, delivery: Delivery, outcome: str) -> None:
        labels = {"group": self.name, "topic": delivery.topic}
        CONSUMER_HANDLED.add(1, {**labels, "outcome": outcome})
        if outcome == "duplicate":
            CONSUMER_REDELIVERIES.add(1, labels)

    async def _counted(self, delivery: Delivery, outcome: Awaitable[str]) -> str:
        try:
            result = await outcome
        except BaseException:
            CONSUMER_REDELIVERIES.add(1, {"group": self.name, "topic": delivery.topic})
            raise
        self._count(delivery, result)
        return result

    async def _decode(self, delivery: Delivery) -> tuple[EventEnvelope, EventPayload] | None:
        """The checked, upcast envelope and its payload; ``None`` once dead-lettered."""
        try:
            envelope = self.registry.upcast(checked_envelope(delivery.value, delivery.topic))
            return envelope, self.registry.decode(envelope)
        except RejectedEvent as exc:  # xuncha_shared.inbound_checks: hash, owner, stream type
            await self._dead_letter(delivery, f"rejected: {exc}", event_id=None)
        except (ValidationError, UnknownEventError, ValueError) as exc:
            await self._dead_letter(delivery, f"undecodable: {exc}", event_id=None)
        return None

    async def _handle(self, delivery: Delivery) -> str:
        event = await self._decode(delivery)
        if event is None:
            return "dead-lettered"
        return await self._resolve(delivery, *event)

    async def _resolve(
        self, delivery: Delivery, envelope: EventEnvelope, payload: EventPayload, tried: int = 0
    ) -> str:
        """One decoded event in a transaction of its own: retried, then dead-lettered (or, for
        a redeliverable failure, raised so that Kafka delivers it again). ``tried``: attempts made
        already (its batch's)."""
        attempt = tried
        while True:
            attempt += 1
            try:
                return await self._apply(envelope, payload, delivery.topic)
            except _AlreadyProcessed:
                self.duplicates += 1
                return "duplicate"
            except Exception as exc:
                if not redeliverable(exc):
                    if await self._failed(delivery, envelope, exc, attempt):
                        return "dead-lettered"
                    continue
                log.warning(
                    "%s: transient failure on %s (attempt %d): %r",
                    self.name,
                    envelope.event_id,
                    attempt,
                    exc,
                )
                await asyncio.sleep(min(self.retry_delay * attempt, 5.0))
                if attempt >= self.max_attempts:
                    raise  # FastStream nacks: the message is delivered again, never dropped

    async def _failed(
        self, delivery: Delivery, envelope: EventEnvelope, exc: Exception, attempt: int
    ) -> bool:
        """A handler's own failure at ``attempt``: dead-lettered (True) after the last attempt,
        else a pause before the next."""
        log.warning(
            "%s: handler failed on %s (attempt %d/%d): %r",
            self.name,
            envelope.event_id,
            attempt,
            self.max_attempts,
            exc,
        )
        if attempt >= self.max_attempts:
            await self._dead_letter(
                delivery,
                f"handler failed: {type(exc).__name__}: {exc}",
                event_id=str(envelope.event_id),
            )
            return True
        await asyncio.sleep(self.retry_delay * attempt)
        return False

    async def _apply(self, envelope: EventEnvelope, payload: EventPayload, topic: str) -> str:
        with counting_appends():
            return await self._apply_once(envelope, payload, topic)

    async def _apply_once(self, envelope: EventEnvelope, payload: EventPayload, topic: str) -> str:
        async with self.pool.acquire() as conn, conn.transaction():
            # claim the event first: one round trip for the check and the record; a copy
            # processing the same event at this moment holds the row, and this waits for its
            # commit and then finds it taken (or claims it, if that copy rolled back)
            claimed = await conn.fetchval(
                "INSERT INTO inbox (consumer, event_id, topic) VALUES ($1, $2, $3) "
                "ON CONFLICT DO NOTHING RETURNING true",
                self.name,
                envelope.event_id,
                topic,
            )
            if not claimed:
                raise _AlreadyProcessed()
            await self.handler(conn, envelope, payload)
        self.processed += 1
        return "processed"

    async def _dead_letter(self, delivery: Delivery, reason: str, *, event_id: str | None) -> None:
        headers = {
            "dlq_reason": reason[:2000],
            "dlq_consumer": self.name,
            "original_topic": delivery.topic,
            "original_partition": str(delivery.partition),
            "original_offset": str(delivery.offset),
        }
        if event_id:
            headers["event_id"] = event_id
        await self.dead_letter(
            topic=dlq_topic(delivery.topic),
            key=delivery.key,
            value=delivery.value,
            headers=headers,
        )
        self.dead_lettered += 1
        DEAD_LETTERS.add(1, {"group": self.name, "topic": delivery.topic})
        log.error(
            "%s: dead-lettered %s[%d]@%d: %s",
            self.name,
            delivery.topic,
            delivery.partition,
            delivery.offset,
            reason,
        )


class _AlreadyProcessed(Exception):
    pass


class _HandlerFailed(Exception):
    """The handler of the batch's ``index``-th delivery raised (the ``__cause__``)."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def broker_dead_letter_sink(broker: KafkaBroker) -> DeadLetterSink:
    async def sink(*, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]) -> None:
        await broker.publish(value, topic=topic, key=key, headers=headers)

    return sink


#: the most records handled between two offset commits (a failure redelivers at most these,
#: and the inbox skips the ones already processed)
MAX_BATCH = 200
#: how long an idle subscriber's fetch waits for records before it asks again: a record that
#: arrives meanwhile is returned at once (aiokafka's ``getmany`` wakes on the fetch), so this
#: bounds the idle wake-ups, not the latency (:func:`_wait_for_records`); stopping cancels the
#: wait, so it does not delay a shutdown either
BATCH_WAIT_MS = 5000
#: how long the broker holds an idle consumer's fetch (it answers as soon as a record is there,
#: so this too bounds idle requests, not latency; aiokafka's default is 500 ms). Not longer: a
#: broker answers a connection's requests one at a time, so after a rebalance the first
#: requests of the new assignment can wait behind a held fetch for up to this long
FETCH_WAIT_MS = 5000
#: how long aiokafka's fetch routine sleeps when nothing wakes it (default 200 ms: five idle
#: wake-ups a second per consumer). All it acts on wakes it at once (a fetch's answer, records
#: consumed, an assignment given or revoked, a seek, a resume, a metadata update it asked for)
FETCHER_IDLE_MS = 5000


def subscribe(
    router: KafkaRouter | KafkaBroker,
    topics: Sequence[str],
    consumer: InboxConsumer,
    *,
    group_prefix: str = "",
    **options: Any,
) -> Any:
    """Register ``consumer`` on ``topics`` with group id = ``group_prefix`` + consumer name
    (the prefix is the deployment's topic prefix, so isolated runs never share a group), offsets
    from the beginning of history, and acknowledgement only after the handler's transaction
    committed. The inbox key stays the bare consumer name.

    Records arrive in batches of what the broker has ready (one record when the flow is calm, up
    to :data:`MAX_BATCH` when the consumer is behind); each is handled in its own transaction
    and traced in its own span, whose parent is the trace its headers carry, and the offset is
    committed once for the batch. Committing after every record was a broker round trip per
    event, which capped a consumer near the rate it had to keep up with; a failure nacks the
    batch, and the redelivered records already in the inbox are skipped."""
    for topic in topics:
        # each series exists at 0 from the start: a counter first seen at 1 has no increase for
        # Prometheus, and the dead-letter alert would miss a process's first dead letter
        labels = {"group": consumer.name, "topic": topic}
        DEAD_LETTERS.add(0, labels)
        CONSUMER_REDELIVERIES.add(0, labels)
        CONSUMER_HANDLED.add(0, {**labels, "outcome": "processed"})
    consumer.topics = list(topics)
    consumer.group_id = group_prefix + consumer.name
    options = {
        "max_records": MAX_BATCH,
        "batch_timeout_ms": BATCH_WAIT_MS,
        "fetch_max_wait_ms": FETCH_WAIT_MS,
        "consumer_timeout_ms": FETCHER_IDLE_MS,
        **options,
    }

    subscriber = router.subscriber(
        # provisioned with their partitions, replication and ACLs (``xuncha_shared.provision``):
        # never declared here, where FastStream would create a missing one with one partition
        # and one replica (and, for a service's principal, log its refusal at every start)
        *(Topic(topic, declare=False) for topic in topics),
        group_id=group_prefix + consumer.name,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        batch=True,
        **options,
    )
    _wait_for_records(subscriber)

    @subscriber  # type: ignore[untyped-decorator]
    async def _on_messages(msg: KafkaMessage) -> None:
        raw_message: Any = msg.raw_message  # a tuple of records (TestKafkaBroker: a list)
        batch = raw_message if isinstance(raw_message, tuple | list) else (raw_message,)
        deliveries: list[Delivery] = []
        raws: dict[int, ConsumerRecord[bytes, bytes]] = {}
        for raw in batch:
            delivery = Delivery(
                topic=raw.topic,
                partition=raw.partition,
                offset=raw.offset,
                key=raw.key,
                value=raw.value if raw.value is not None else b"",
            )
            deliveries.append(delivery)
            raws[id(delivery)] = raw
        await consumer.handle_batch(deliveries, lambda d: _record_span(consumer, raws[id(d)]))

    return _on_messages


def _wait_for_records(subscriber: Any) -> None:
    """Let an idle batch subscriber sleep in its fetch, not beside it.

    FastStream's batch subscriber asks ``getmany(timeout_ms=batch_timeout_ms)`` and, when that
    comes back empty, sleeps ``batch_timeout_ms`` before asking again: a record arriving during
    the sleep waits for it, so the timeout had to be short (25 ms), and every idle consumer woke
    40 times a second (an idle stack spent about 40 % of a core, most of it there). Here the
    empty answer is returned without the sleep: ``getmany`` itself waits up to the timeout and
    returns as soon as a fetch brings records, so a long timeout costs no latency. (Replaces
    the subscriber's ``get_msg``; ``tests/unit/test_inbox_consumer.py`` checks it is still
    there and still used, so a FastStream upgrade that renames it fails a test, not silently.)
    """
    if not callable(getattr(subscriber, "get_msg", None)) or not hasattr(
        subscriber, "batch_timeout_ms"
    ):
        raise TypeError(f"not a FastStream batch subscriber: {type(subscriber).__name__}")

    async def get_msg(consumer: Any) -> tuple[ConsumerRecord[bytes, bytes], ...]:
        records = await consumer.getmany(
            timeout_ms=subscriber.batch_timeout_ms, max_records=subscriber.max_records
        )
        return tuple(chain.from_iterable(records.values()))

    subscriber.get_msg = get_msg


def _record_span(consumer: InboxConsumer, raw: ConsumerRecord[bytes, bytes]) -> Any:
    """The span of one record's handling, a child of the trace its headers carry (the batch's
    own span belongs to its first record only)."""
    return tracer("xuncha.consumer").start_as_current_span(
        f"{raw.topic} process",
        context=extract_from_kafka_headers(raw.headers),
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": raw.topic,
            "messaging.consumer.group.name": consumer.group_id,
            "messaging.kafka.offset": raw.offset,
            "messaging.destination.partition.id": str(raw.partition),
        },
    )
