"""The outbox relay: publishes a service's committed events to Kafka, in commit-safe order.

The ``events`` table is the outbox. The relay

1. runs while it holds a PostgreSQL advisory lock (``xuncha_shared.leadership``), so only one
   relay per service database is active: the relay of another copy of the service stands by and
   takes over within about a second when the holder's session dies, and a relay whose lock
   session was lost (PostgreSQL restarted) stops publishing and stands by again;
2. reads events after its stored position (``relay_positions``) in the commit-safe order;
3. sends each to ``topic_for(stream_type)`` with key = stream_id through an idempotent producer
   (acks=all), and goes on reading while Kafka acknowledges the batch (:class:`Completions`);
4. stores the new position only once Kafka acknowledged the whole batch and every batch before
   it.

Killed at any moment it loses nothing: at worst the last unacknowledged batch is sent again, and
consumers drop the duplicates by event_id (their inbox).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from xuncha_shared import event_loop
from xuncha_shared.commit_signal import CommitSignal
from xuncha_shared.contracts.topics import topic_for
from xuncha_shared.db import SESSION_LOST, create_pool
from xuncha_shared.envelope import EventEnvelope
from xuncha_shared.eventstore.base import START, Position
from xuncha_shared.eventstore.postgres import COMMITTED, SNAPSHOT_XMIN, PostgresEventStore
from xuncha_shared.kafka import make_producer
from xuncha_shared.leadership import LeaderState, advisory_key, run_as_leader
from xuncha_shared.logs import configure_logging
from xuncha_shared.metrics import RELAY_LATENCY, RELAY_PUBLISHED
from xuncha_shared.relay_completions import Completions, InFlight
from xuncha_shared.runtime_gc import tune_gc
from xuncha_shared.settings import Settings
from xuncha_shared.telemetry import (
    current_traceparent,
    setup_telemetry,
    span_from_traceparent,
    tracer_provider,
)

log = logging.getLogger("xuncha.relay")


__all__ = ["OutboxRelay", "advisory_key", "run_relay"]


#: The relay's read: the next batch in the commit-safe order of ``read_all``, with the Kafka
#: value assembled by PostgreSQL itself (``wire``, UTF-8 bytes): the server builds the JSON from
#: the stored columns (the jsonb ``actor``/``payload`` as their text, strings escaped by
#: ``to_json``), so the relay neither decodes nor re-encodes anything per event. The result
#: parses to the same envelope as ``EventEnvelope.to_wire()`` (only the key order inside
#: ``actor``/``payload``, whitespace and the timestamp notation may differ):
#: tests/integration/test_relay_wire.py.
_RELAY_READ_SQL = """
SELECT tx_id, global_position, event_id::text AS event_id, event_type,
       schema_version::text AS schema_version, stream_type, stream_id, jurisdiction,
       traceparent, extract(epoch FROM recorded_at)::float8 AS recorded_epoch,
       convert_to(
           '{"event_id":"' || event_id::text
           || '","event_type":' || to_json(event_type)::text
           || ',"schema_version":' || schema_version::text
           || ',"stream_type":' || to_json(stream_type)::text
           || ',"stream_id":' || to_json(stream_id)::text
           || ',"stream_version":' || stream_version::text
           || ',"global_position":' || global_position::text
           || ',"tx_id":' || tx_id::text
           || ',"occurred_at":"'
           || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
           || '","recorded_at":"'
           || to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
           || '","jurisdiction":' || to_json(jurisdiction)::text
           || ',"actor":' || actor::text
           || ',"correlation_id":"' || correlation_id::text
           || '","causation_id":' || coalesce('"' || causation_id::text || '"', 'null')
           || ',"traceparent":' || coalesce(to_json(traceparent)::text, 'null')
           || ',"payload":' || payload::text
           || ',"prev_hash":' || to_json(prev_hash)::text
           || ',"hash":' || to_json(hash)::text
           || '}',
           'UTF8') AS wire
FROM events
WHERE (tx_id, global_position) > ($1::bigint, $2::bigint)
  AND {COMMITTED}
ORDER BY tx_id, global_position
LIMIT $3
""".replace("{COMMITTED}", COMMITTED)


def row_headers(row: Mapping[str, Any], traceparent: str | None) -> list[tuple[str, bytes]]:
    """The Kafka headers of a row of ``_RELAY_READ_SQL`` (text columns): event id, type,
    schema version, stream id, jurisdiction and, when there is one, the trace context."""
    headers = [
        ("event_id", row["event_id"].encode()),
        ("event_type", row["event_type"].encode()),
        ("schema_version", row["schema_version"].encode()),
        ("stream_id", row["stream_id"].encode()),
        ("jurisdiction", row["jurisdiction"].encode()),
    ]
    if traceparent:
        headers.append(("traceparent", traceparent.encode()))
    return headers


def kafka_headers(envelope: EventEnvelope, traceparent: str | None) -> list[tuple[str, bytes]]:
    """:func:`row_headers` of an envelope (what the relay sends for it)."""
    row = {
        "event_id": str(envelope.event_id),
        "event_type": envelope.event_type,
        "schema_version": str(envelope.schema_version),
        "stream_id": envelope.stream_id,
        "jurisdiction": envelope.jurisdiction,
    }
    return row_headers(row, traceparent)


#: events already committed but not yet commit-safe: a transaction older than them is still
#: open somewhere in the cluster (the snapshot's xmin), and which session holds it
_HELD_BACK_SQL = f"""
WITH x AS (SELECT {SNAPSHOT_XMIN} AS xmin)
SELECT (SELECT count(*) FROM events, x
        WHERE (tx_id, global_position) > ($1::bigint, $2::bigint) AND tx_id >= x.xmin) AS waiting,
       x.xmin
FROM x
"""
#: the session holding the oldest open transaction: through ``xuncha_xmin_holder`` (provision
#: grants it to the service role), else pg_stat_activity directly (a superuser sees it all)
_HOLDER_SQL = "SELECT * FROM xuncha_xmin_holder($1::bigint)"
_HOLDER_DIRECT_SQL = """
SELECT pid, datname, usename, application_name, state, xact_start FROM pg_stat_activity
WHERE backend_xid::text::bigint = $1::bigint % 4294967296 ORDER BY xact_start LIMIT 1
"""

#: how long the relay finds nothing to send while events wait before it says why
HELD_BACK_REPORT_S = 5.0


@dataclass(frozen=True)
class HeldBack:
    """Committed events the relay may not send yet, and the session that holds them back."""

    waiting: int
    xmin: int
    pid: int | None
    database: str | None
    user: str | None
    application: str | None
    state: str | None
    open_s: float | None

    def describe(self) -> str:
        who = (
            f"session pid {self.pid} (database {self.database}, user {self.user}, "
            f"application {self.application!r}, {self.state}, open {self.open_s or 0:.0f} s)"
            if self.pid is not None
            else "a session this role cannot see (pg_stat_activity)"
        )
        return (
            f"{self.waiting} committed event(s) held back by transaction xmin {self.xmin} "
            f"of {who}; it blocks every relay of the cluster until it ends "
            f"(idle_in_transaction_session_timeout bounds an idle one)"
        )


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
        idle_poll_interval: float = 10.0,
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
        #: when idle and no commit was notified (commit_signal): the longest a commit can wait
        self.idle_poll_interval = idle_poll_interval
        self._producer = producer
        #: the producer it publishes with while active (None while standing by or between runs)
        self.producer: AIOKafkaProducer | None = None
        self._tracer = trace.get_tracer("xuncha.relay")
        self.published = 0
        self.ready = asyncio.Event()
        #: what holds committed events back right now (None: nothing), for logs and metrics
        self.held_back: HeldBack | None = None
        #: active or standing by (another copy of the service holds the relay's lock)
        self.leadership = LeaderState()
        #: how the relay waits while idle (set while it runs: commit_signal)
        self.commits: CommitSignal | None = None

    @property
    def standing_by(self) -> bool:
        return self.leadership.standing_by

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

    def _span(
        self, topic: str, traceparent: str | None, event_id: UUID | str, event_type: str
    ) -> AbstractContextManager[Any]:
        return span_from_traceparent(
            f"{topic} publish",
            traceparent,
            SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": topic,
                "messaging.message.id": str(event_id),
                "xuncha.event_type": event_type,
            },
            tracer_=self._tracer,
        )

    async def read_rows(self, after: Position) -> list[asyncpg.Record]:
        """The next batch after ``after`` in the commit-safe order of ``read_all``, JSON left
        as text (for :func:`wire_from_row`)."""
        rows: list[asyncpg.Record] = await self.pool.fetch(
            _RELAY_READ_SQL, after.tx_id, after.global_position, self.batch_size
        )
        return rows

    async def check_held_back(self, after: Position) -> HeldBack | None:
        """Committed events after ``after`` that the commit-safe order does not release yet
        (a transaction older than theirs is open somewhere in the cluster), with the session
        holding that transaction when this role can see it; None when nothing waits."""
        row = await self.pool.fetchrow(_HELD_BACK_SQL, after.tx_id, after.global_position)
        if row is None or not row["waiting"]:
            self.held_back = None
            return None
        xmin = int(row["xmin"])
        try:
            holder = await self.pool.fetchrow(_HOLDER_SQL, xmin)
        except asyncpg.UndefinedFunctionError:
            holder = await self.pool.fetchrow(_HOLDER_DIRECT_SQL, xmin)
        open_s = None
        if holder is not None and holder["xact_start"] is not None:
            open_s = (datetime.now(UTC) - holder["xact_start"]).total_seconds()
        self.held_back = HeldBack(
            waiting=int(row["waiting"]),
            xmin=xmin,
            pid=holder["pid"] if holder else None,
            database=holder["datname"] if holder else None,
            user=holder["usename"] if holder else None,
            application=holder["application_name"] if holder else None,
            state=holder["state"] if holder else None,
            open_s=open_s,
        )
        return self.held_back

    async def send_rows(
        self, producer: AIOKafkaProducer, rows: Sequence[Any]
    ) -> list[asyncio.Future[Any]]:
        """Hand every row of :meth:`read_rows` to the producer (in order) and return the
        acknowledgement futures without waiting for them: the relay reads the next batch while
        these are in flight.

        With an SDK tracer provider configured (``setup_telemetry``), each send runs in a
        PRODUCER span whose parent is the trace context stored in the row at append time, and
        the span's context travels on in the ``traceparent`` header (docs: telemetry.py).
        Without one no span is opened (it would be a no-op) and the stored ``traceparent`` is
        sent as it is."""
        traced = tracer_provider() is not None
        prefix = self.topic_prefix
        topics: dict[str, str] = {}
        pending: list[asyncio.Future[Any]] = []
        send = producer.send
        for row in rows:
            stream_type = row["stream_type"]
            topic = topics.get(stream_type)
            if topic is None:
                topic = topics[stream_type] = topic_for(stream_type, prefix)
            span = (
                self._span(topic, row["traceparent"], row["event_id"], row["event_type"])
                if traced
                else contextlib.nullcontext()
            )
            with span:
                traceparent = current_traceparent() if traced else row["traceparent"]
                pending.append(
                    await send(
                        topic,
                        value=row["wire"],
                        key=row["stream_id"].encode(),
                        headers=row_headers(row, traceparent),
                    )
                )
        return pending

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Run until ``stop`` is set (or cancelled): publish while this relay holds the
        service's relay lock, stand by while another copy does; reconnects to Kafka after
        failures."""
        stop = stop or asyncio.Event()
        await run_as_leader(self.pool, self.name, self._publish, stop, state=self.leadership)

    async def _publish(self, stop: asyncio.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                await self._run_with_producer(stop)
                backoff = 0.5
            except SESSION_LOST as exc:
                log.warning("relay %s: database error: %s; retrying", self.name, exc)
            except Exception as exc:
                log.warning("relay %s: kafka error: %r; retrying", self.name, exc)
            if not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
                backoff = min(backoff * 2, 5.0)

    async def _run_with_producer(self, stop: asyncio.Event) -> None:
        producer = self._producer or make_producer(self.bootstrap, client_id=self.name)
        own = self._producer is None
        if own:
            await producer.start()
        self.producer = producer
        # one batch may be in flight while the next is handed to the producer (the producer
        # keeps the order per partition); a batch's position is stored only once Kafka
        # acknowledged all of it, and after the position of the batch before it (Completions,
        # beside this loop). While a full batch is being sent, the next one is already read
        # (PostgreSQL assembles it meanwhile).
        ahead: asyncio.Task[list[asyncpg.Record]] | None = None
        loop = asyncio.get_running_loop()
        idle_since = 0.0
        reported_at = -1e9
        commits = self.commits = CommitSignal(
            self.pool, poll_interval=self.poll_interval, idle_interval=self.idle_poll_interval
        )
        completions = Completions(self._save, self._completed, commits.wake)
        try:
            read_from = await self.position()
            await commits.listen()
            self.ready.set()
            while not stop.is_set():
                completions.check()
                if ahead is not None:
                    rows, ahead = await ahead, None
                else:
                    commits.arm()  # a commit notified from here on is one this read may miss
                    rows = await self.read_rows(read_from)
                if not rows:
                    idle_since = idle_since or loop.time()
                    if commits.owed and await self.check_held_back(read_from) is None:
                        commits.settled()  # every notified commit is out: the long poll again
                    if loop.time() - idle_since >= HELD_BACK_REPORT_S:
                        idle_since = loop.time()
                        held = await self.check_held_back(read_from)
                        if held is not None and loop.time() - reported_at >= 30:
                            reported_at = loop.time()
                            log.warning("relay %s: %s", self.name, held.describe())
                    await commits.wait(stop)
                    continue
                idle_since = 0.0
                commits.stay_fast()
                if self.held_back is not None:
                    self.held_back = None
                    log.info("relay %s: no longer held back", self.name)
                read_from = Position(rows[-1]["tx_id"], rows[-1]["global_position"])
                full = len(rows) >= self.batch_size
                if full:  # probably more behind it: read on now
                    commits.arm()
                    ahead = asyncio.create_task(self.read_rows(read_from))
                await completions.room()
                pending = await self.send_rows(producer, rows)
                completions.add(
                    InFlight(pending, read_from, len(rows), [r["recorded_epoch"] for r in rows])
                )
                if not full:
                    # the read saw every commit notified before it: what commits next wakes
                    # the relay (one held back by an older transaction: the short poll)
                    await commits.wait(stop)
            await completions.drain()  # stopping: finish what was handed over
        finally:
            await commits.close()
            if ahead is not None:
                ahead.cancel()
                with contextlib.suppress(BaseException):
                    await ahead
            # failed or cancelled with batches in flight: sent again after a restart from the
            # stored position
            await completions.close()
            self.producer = None
            if own:
                await producer.stop()

    def _completed(self, batches: Sequence[InFlight], acked: float) -> None:
        """Batches acknowledged and their position stored: count them, record the latency."""
        labels = {"service": self.service}
        for batch in batches:
            self.published += batch.count
            RELAY_PUBLISHED.add(batch.count, labels)
            for recorded in batch.recorded:
                RELAY_LATENCY.record(max(acked - recorded, 0.0), labels)


async def run_relay(settings: Settings) -> None:
    # the leader's lock, the commit listener, a read ahead and a position being stored
    pool = await create_pool(settings.service_database_url(), max_size=5)
    relay = OutboxRelay(
        pool,
        bootstrap=settings.kafka_bootstrap,
        service=settings.service,
        topic_prefix=settings.topic_prefix,
        poll_interval=settings.relay_poll_ms / 1000,
        idle_poll_interval=settings.relay_idle_poll_ms / 1000,
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
    configure_logging(f"{settings.service}.relay", settings.log_level, log_file=settings.log_file)
    setup_telemetry(settings.service)
    tune_gc()
    event_loop.run(run_relay(settings), settings.event_loop)


if __name__ == "__main__":
    main()
