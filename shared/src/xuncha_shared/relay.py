"""The outbox relay: publishes a service's committed events to Kafka, in commit-safe order.

The ``events`` table is the outbox. The relay

1. holds a PostgreSQL advisory lock for its whole life, so only one relay per service database
   is active (a standby waits and takes over when the holder's session dies);
2. reads events after its stored position (``relay_positions``) in the commit-safe order;
3. sends each to ``topic_for(stream_type)`` with key = stream_id through an idempotent producer
   (acks=all), then waits until Kafka acknowledged the whole batch;
4. only then stores the new position.

Killed at any moment it loses nothing: at worst the last unacknowledged batch is sent again, and
consumers drop the duplicates by event_id (their inbox).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import logging
import signal
from collections.abc import Sequence

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from xuncha_shared.contracts.topics import topic_for
from xuncha_shared.db import create_pool
from xuncha_shared.envelope import EventEnvelope
from xuncha_shared.eventstore.base import START, Position
from xuncha_shared.eventstore.postgres import PostgresEventStore
from xuncha_shared.kafka import make_producer
from xuncha_shared.logs import configure_logging
from xuncha_shared.settings import Settings
from xuncha_shared.telemetry import current_traceparent, setup_telemetry, span_from_traceparent

log = logging.getLogger("xuncha.relay")


def advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def kafka_headers(envelope: EventEnvelope, traceparent: str | None) -> list[tuple[str, bytes]]:
    headers = [
        ("event_id", str(envelope.event_id).encode()),
        ("event_type", envelope.event_type.encode()),
        ("schema_version", str(envelope.schema_version).encode()),
        ("stream_id", envelope.stream_id.encode()),
        ("jurisdiction", envelope.jurisdiction.encode()),
    ]
    if traceparent:
        headers.append(("traceparent", traceparent.encode()))
    return headers


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        bootstrap: str,
        service: str,
        topic_prefix: str = "",
        batch_size: int = 1000,
        poll_interval: float = 0.02,
        producer: AIOKafkaProducer | None = None,
    ) -> None:
        self.pool = pool
        self.store = PostgresEventStore(pool)
        self.bootstrap = bootstrap
        self.service = service
        self.name = f"{service}.relay"
        self.topic_prefix = topic_prefix
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self._producer = producer
        self._tracer = trace.get_tracer("xuncha.relay")
        self.published = 0
        self.ready = asyncio.Event()

    async def position(self) -> Position:
        row = await self.pool.fetchrow(
            "SELECT tx_id, global_position FROM relay_positions WHERE relay = $1", self.name
        )
        return Position(row["tx_id"], row["global_position"]) if row else START

    async def _save(self, position: Position) -> None:
        await self.pool.execute(
            "INSERT INTO relay_positions (relay, tx_id, global_position) VALUES ($1, $2, $3) "
            "ON CONFLICT (relay) DO UPDATE SET tx_id = EXCLUDED.tx_id, "
            "global_position = EXCLUDED.global_position, updated_at = now()",
            self.name,
            position.tx_id,
            position.global_position,
        )

    async def publish(self, producer: AIOKafkaProducer, events: Sequence[EventEnvelope]) -> None:
        """Send a batch and return once Kafka acknowledged every message of it.

        Each send runs in a PRODUCER span whose parent is the trace context stored in the
        envelope at append time, and the span's context travels on in the ``traceparent``
        header (docs: telemetry.py)."""
        pending = []
        for envelope in events:
            topic = topic_for(envelope.stream_type, self.topic_prefix)
            with span_from_traceparent(
                f"{topic} publish",
                envelope.traceparent,
                SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": topic,
                    "messaging.message.id": str(envelope.event_id),
                    "xuncha.event_type": envelope.event_type,
                },
                tracer_=self._tracer,
            ):
                pending.append(
                    await producer.send(
                        topic,
                        value=envelope.to_wire(),
                        key=envelope.stream_id.encode(),
                        headers=kafka_headers(envelope, current_traceparent()),
                    )
                )
        await asyncio.gather(*pending)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Run until ``stop`` is set (or cancelled); reconnects to Kafka after failures."""
        stop = stop or asyncio.Event()
        # the lock lives as long as this connection (held out of the pool for the relay's life)
        lock_conn = await self.pool.acquire()
        try:
            key = advisory_key(self.name)
            while not await lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
                log.info("relay %s: another relay is active, standing by", self.name)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
                if stop.is_set():
                    return
            backoff = 0.5
            while not stop.is_set():
                try:
                    await self._run_with_producer(stop)
                    backoff = 0.5
                except (asyncpg.PostgresError, OSError) as exc:
                    log.warning("relay %s: database error: %s; retrying", self.name, exc)
                except Exception as exc:
                    log.warning("relay %s: kafka error: %r; retrying", self.name, exc)
                if not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), backoff)
                    backoff = min(backoff * 2, 5.0)
        finally:
            with contextlib.suppress(Exception):
                await lock_conn.execute("SELECT pg_advisory_unlock_all()")
            await self.pool.release(lock_conn)

    async def _run_with_producer(self, stop: asyncio.Event) -> None:
        producer = self._producer or make_producer(self.bootstrap, client_id=self.name)
        own = self._producer is None
        if own:
            await producer.start()
        try:
            position = await self.position()
            self.ready.set()
            while not stop.is_set():
                events = await self.store.read_all(position, self.batch_size)
                if not events:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.poll_interval)
                    continue
                await self.publish(producer, events)
                position = Position.of(events[-1])
                await self._save(position)
                self.published += len(events)
        finally:
            if own:
                await producer.stop()


async def run_relay(settings: Settings) -> None:
    pool = await create_pool(settings.service_database_url(), max_size=3)
    relay = OutboxRelay(
        pool,
        bootstrap=settings.kafka_bootstrap,
        service=settings.service,
        topic_prefix=settings.topic_prefix,
        poll_interval=settings.relay_poll_ms / 1000,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await relay.run(stop)
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run one service's outbox relay.")
    parser.add_argument("--service", help="service whose events to publish (XUNCHA_SERVICE)")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.service:
        settings = settings.model_copy(update={"service": args.service})
    configure_logging(f"{settings.service}.relay")
    setup_telemetry(settings.service)
    asyncio.run(run_relay(settings))


if __name__ == "__main__":
    main()
