"""The event store on PostgreSQL (asyncpg).

Append: one transaction per call; optimistic concurrency through the unique key
``(stream_id, stream_version)``; the hash chain continues from the stream's head; no table lock.

Read-all: events come in the commit-safe order ``(tx_id, global_position)`` and only when
``tx_id`` is below the reader's snapshot xmin, i.e. when every transaction that could still
commit an event has a larger ``tx_id`` than anything handed out. See docs/event-store.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import asyncpg
import orjson

from xuncha_shared.envelope import GENESIS_HASH, EventEnvelope, cached_actor, trusted_envelope
from xuncha_shared.eventstore.base import (
    ANY_VERSION,
    START,
    ConcurrencyError,
    NewEvent,
    Position,
    seal_batch,
)
from xuncha_shared.metrics import record_appended

#: the columns of a stored event as they are (the actor as its jsonb document): what the audit
#: export writes
COLUMNS = (
    "global_position, tx_id, event_id, event_type, schema_version, stream_type, stream_id, "
    "stream_version, occurred_at, recorded_at, jurisdiction, actor, correlation_id, "
    "causation_id, traceparent, payload, prev_hash, hash"
)

#: (name, expression) of each column an event reader selects, in ``envelope_from_record``'s
#: order: ``COLUMNS`` with the actor's two fields as text, taken out of its jsonb by PostgreSQL,
#: so no JSON document is parsed in Python for them (about 1.5 µs a row of read-all;
#: docs/performance.md, "The actor's fields from PostgreSQL")
ENVELOPE_SELECT: tuple[tuple[str, str], ...] = (
    ("global_position", "global_position"),
    ("tx_id", "tx_id"),
    ("event_id", "event_id"),
    ("event_type", "event_type"),
    ("schema_version", "schema_version"),
    ("stream_type", "stream_type"),
    ("stream_id", "stream_id"),
    ("stream_version", "stream_version"),
    ("occurred_at", "occurred_at"),
    ("recorded_at", "recorded_at"),
    ("jurisdiction", "jurisdiction"),
    ("principal_id", "actor->>'principal_id'"),
    ("role", "actor->>'role'"),
    ("correlation_id", "correlation_id"),
    ("causation_id", "causation_id"),
    ("traceparent", "traceparent"),
    ("payload", "payload"),
    ("prev_hash", "prev_hash"),
    ("hash", "hash"),
)
ENVELOPE_NAMES: tuple[str, ...] = tuple(name for name, _ in ENVELOPE_SELECT)


def envelope_columns(*, payload_as_text: bool = False) -> str:
    """The select list of ``ENVELOPE_SELECT``; ``payload_as_text``: the payload as JSON text
    whatever codec the connection has (``envelope_from_record`` parses it)."""
    return ", ".join(
        "payload::text AS payload"
        if payload_as_text and name == "payload"
        else expression
        if expression == name
        else f"{expression} AS {name}"
        for name, expression in ENVELOPE_SELECT
    )


#: what an event reader selects (``envelope_from_record`` turns a row into an envelope)
ENVELOPE_COLUMNS = envelope_columns()

_HEAD_SQL = (
    "SELECT stream_version, hash, tx_id FROM events WHERE stream_id = $1 "
    "ORDER BY stream_version DESC LIMIT 1"
)

_INSERT_SQL = """
INSERT INTO events (event_id, event_type, schema_version, stream_type, stream_id,
                    stream_version, occurred_at, recorded_at, jurisdiction, actor,
                    correlation_id, causation_id, traceparent, payload, prev_hash, hash)
SELECT u.event_id, u.event_type, u.schema_version, u.stream_type, u.stream_id,
       u.stream_version, u.occurred_at, u.recorded_at, u.jurisdiction, u.actor::jsonb,
       u.correlation_id, u.causation_id, u.traceparent, u.payload::jsonb, u.prev_hash, u.hash
FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[],
            $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::uuid[],
            $12::uuid[], $13::text[], $14::text[], $15::text[], $16::text[])
     AS u(event_id, event_type, schema_version, stream_type, stream_id, stream_version,
          occurred_at, recorded_at, jurisdiction, actor, correlation_id, causation_id,
          traceparent, payload, prev_hash, hash)
RETURNING event_id, global_position, tx_id
"""

#: the oldest transaction still running when the statement's snapshot was taken (xid8 as
#: bigint): every event of a smaller ``tx_id`` has committed or never will (docs/event-store.md)
SNAPSHOT_XMIN = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
#: the condition of every commit-safe read of ``events``: the one home of the snapshot rule
COMMITTED = f"tx_id < {SNAPSHOT_XMIN}"

#: the commit-safe read-all page ($1 tx_id, $2 global_position: after; $3 limit)
READ_ALL_SQL = f"""
SELECT {ENVELOPE_COLUMNS} FROM events
WHERE (tx_id, global_position) > ($1::bigint, $2::bigint)
  AND {COMMITTED}
ORDER BY tx_id, global_position
LIMIT $3
"""

_READ_STREAM_SQL = (
    f"SELECT {ENVELOPE_COLUMNS} FROM events WHERE stream_id = $1 AND stream_version >= $2 "
    "ORDER BY stream_version"
)


def envelope_from_record(row: asyncpg.Record) -> EventEnvelope:
    """An envelope from a row of ``SELECT {ENVELOPE_COLUMNS}`` (trusted: the store's own data).
    The columns are taken by position (in ``ENVELOPE_SELECT``'s order): faster than by name."""
    (
        global_position, tx_id, event_id, event_type, schema_version, stream_type, stream_id,
        stream_version, occurred_at, recorded_at, jurisdiction, principal_id, role,
        correlation_id, causation_id, traceparent, payload, prev_hash, event_hash,
    ) = row  # fmt: skip
    if type(payload) is str:  # a connection without the pools' JSON codec, or payload::text
        payload = orjson.loads(payload)
    return trusted_envelope(
        {
            "event_id": event_id,
            "event_type": event_type,
            "schema_version": schema_version,
            "stream_type": stream_type,
            "stream_id": stream_id,
            "stream_version": stream_version,
            "global_position": global_position,
            "tx_id": tx_id,
            "occurred_at": occurred_at,
            "recorded_at": recorded_at,
            "jurisdiction": jurisdiction,
            "actor": cached_actor(principal_id, role),
            "correlation_id": correlation_id,
            "causation_id": causation_id,
            "traceparent": traceparent,
            "payload": payload,
            "prev_hash": prev_hash,
            "hash": event_hash,
        }
    )


class PostgresEventStore:
    """An asyncpg-backed event store on one service database."""

    def __init__(self, pool: asyncpg.Pool, *, service: str = "") -> None:
        self.pool = pool
        #: the ``service`` label of the appended-events metric
        self.service = service

    async def append(
        self,
        stream_type: str,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        conn: asyncpg.Connection | None = None,
    ) -> list[EventEnvelope]:
        """Append ``events`` to ``stream_id`` if its head is ``expected_version``.

        With ``conn`` the append joins the caller's open transaction (a consumer's inbox
        record, say). Otherwise it needs no explicit transaction: the head is read, then all
        events go in with ONE ``INSERT`` statement, which is atomic on its own (two round trips
        instead of four). A concurrent append of the same versions fails that statement on the
        unique ``(stream_id, stream_version)``, and its transaction id (assigned by the INSERT,
        after the head's transaction committed) is always larger than the head's.
        """
        if not events:
            return []
        if conn is not None:
            return await self._append(conn, stream_type, stream_id, expected_version, events)
        async with self.pool.acquire() as own:
            return await self._append(own, stream_type, stream_id, expected_version, events)

    async def _append(
        self,
        conn: asyncpg.Connection,
        stream_type: str,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
    ) -> list[EventEnvelope]:
        head = await conn.fetchrow(_HEAD_SQL, stream_id)
        head_version = head["stream_version"] if head else 0
        if expected_version != ANY_VERSION and head_version != expected_version:
            raise ConcurrencyError(stream_id, expected_version, head_version)
        prev_hash = head["hash"] if head else GENESIS_HASH
        batch = seal_batch(
            stream_type, stream_id, head_version + 1, prev_hash, events, datetime.now(UTC)
        )
        values = batch.values
        try:
            rows = await conn.fetch(
                _INSERT_SQL,
                [v["event_id"] for v in values],
                [v["event_type"] for v in values],
                [v["schema_version"] for v in values],
                [stream_type] * len(values),
                [stream_id] * len(values),
                [v["stream_version"] for v in values],
                [v["occurred_at"] for v in values],
                [v["recorded_at"] for v in values],
                [v["jurisdiction"] for v in values],
                batch.actor_json,
                [v["correlation_id"] for v in values],
                [v["causation_id"] for v in values],
                [v["traceparent"] for v in values],
                batch.payload_json,
                [v["prev_hash"] for v in values],
                [v["hash"] for v in values],
            )
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "events_stream_version_key":
                raise ConcurrencyError(stream_id, expected_version, None) from exc
            raise
        positions = {r["event_id"]: (r["global_position"], r["tx_id"]) for r in rows}
        tx_id = rows[0]["tx_id"]
        if head is not None and head["tx_id"] > tx_id:
            # Only possible inside a caller's transaction that got its id before the one that
            # wrote the head committed: its events would sort before the head in the
            # commit-safe order. Refuse (the caller's transaction rolls back); a retry runs in
            # a new transaction with a larger id.
            raise ConcurrencyError(stream_id, expected_version, head_version)
        for v in values:
            v["global_position"], v["tx_id"] = positions[v["event_id"]]
        record_appended(self.service, [v["event_type"] for v in values])
        return batch.envelopes()

    async def stream_version(self, stream_id: str) -> int:
        value = await self.pool.fetchval(
            "SELECT max(stream_version) FROM events WHERE stream_id = $1", stream_id
        )
        return int(value or 0)

    async def read_stream(
        self, stream_id: str, from_version: int = 1, *, conn: asyncpg.Connection | None = None
    ) -> list[EventEnvelope]:
        rows = await (conn or self.pool).fetch(_READ_STREAM_SQL, stream_id, from_version)
        return [envelope_from_record(r) for r in rows]

    async def read_all(self, after: Position = START, limit: int = 1000) -> list[EventEnvelope]:
        rows = await self.pool.fetch(READ_ALL_SQL, after.tx_id, after.global_position, limit)
        return [envelope_from_record(r) for r in rows]

    async def follow(
        self, after: Position = START, batch: int = 1000, poll_interval: float = 0.02
    ) -> AsyncIterator[list[EventEnvelope]]:
        """Yield batches for ever, in commit-safe order; sleeps ``poll_interval`` when idle."""
        position = after
        while True:
            events = await self.read_all(position, batch)
            if events:
                position = Position.of(events[-1])
                yield events
            else:
                await asyncio.sleep(poll_interval)
