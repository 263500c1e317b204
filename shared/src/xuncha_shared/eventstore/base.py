"""Event store interface shared by the PostgreSQL store and the in-memory fake."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from xuncha_shared.envelope import (
    Actor,
    EventEnvelope,
    EventPayload,
    format_ts,
    trusted_envelope,
)
from xuncha_shared.ids import uuid7

#: ``expected_version`` for a stream that must not exist yet.
NO_STREAM = 0
#: ``expected_version`` that skips the concurrency check (appends to whatever the head is).
ANY_VERSION = -1


class ConcurrencyError(Exception):
    """Another writer appended to the stream first; the HTTP layer maps it to 409."""

    def __init__(self, stream_id: str, expected: int, actual: int | None) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream_id!r}: expected version {expected}, found "
            f"{'a concurrent append' if actual is None else actual}"
        )


@dataclass(frozen=True, order=True)
class Position:
    """A reader's place in the commit-safe global order ``(tx_id, global_position)``.

    ``tx_id`` is the 64-bit id (xid8) of the transaction that appended the event. Events are
    handed out in ``(tx_id, global_position)`` order and only once their transaction is older
    than every transaction still running, so an event that commits later can never land behind
    a reader's position (docs/event-store.md).
    """

    tx_id: int = 0
    global_position: int = 0

    @classmethod
    def of(cls, envelope: EventEnvelope) -> Position:
        if envelope.tx_id is None or envelope.global_position is None:
            raise ValueError("the event has not been stored yet")
        return cls(envelope.tx_id, envelope.global_position)


START = Position(0, 0)


@dataclass(frozen=True)
class NewEvent:
    """What a command handler asks the store to append."""

    payload: EventPayload
    jurisdiction: str
    actor: Actor
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    occurred_at: datetime | None = None
    traceparent: str | None = None
    event_id: UUID = field(default_factory=uuid7)


#: canonical JSON of each event type (a handful of distinct values)
_TYPE_JSON: dict[str, str] = {}
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")

_canonical = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


@dataclass(slots=True)
class SealedBatch:
    """Sealed events before they are stored: the envelope values (every field, in declaration
    order; ``global_position``/``tx_id`` still ``None``) and the canonical JSON text of each
    event's actor and payload (reused as the ``jsonb`` input of the INSERT)."""

    values: list[dict[str, Any]]
    actor_json: list[str]
    payload_json: list[str]

    def envelopes(self) -> list[EventEnvelope]:
        return [trusted_envelope(v) for v in self.values]


def seal_batch(
    stream_type: str,
    stream_id: str,
    first_version: int,
    prev_hash: str,
    events: Sequence[NewEvent],
    recorded_at: datetime,
) -> SealedBatch:
    """Chain ``events`` onto ``prev_hash``.

    The hash is ``chain_hash(hashed_document(...))`` byte for byte, but the canonical JSON is
    assembled directly: the top-level keys of ``HASHED_FIELDS`` in sorted order, each value
    encoded with the same encoder settings as ``canonical_json``; ``recorded_at`` is formatted
    once per call and each distinct actor encoded once (tests/unit/test_envelope.py compares
    both computations).
    """
    recorded_ts = format_ts(recorded_at)
    stream_type_json = _canonical(stream_type)
    stream_id_json = _canonical(stream_id)
    actors: dict[int, str] = {}
    values: list[dict[str, Any]] = []
    actor_json: list[str] = []
    payload_json: list[str] = []
    for offset, new in enumerate(events):
        payload_model = new.payload
        payload = payload_model.model_dump(mode="json")
        payload_text = _canonical(payload)
        actor = new.actor
        actor_text = actors.get(id(actor))
        if actor_text is None:
            doc = actor.model_dump() if isinstance(actor, Actor) else dict(actor)
            actor_text = actors[id(actor)] = _canonical(doc)
        correlation_id = new.correlation_id or new.event_id
        causation_id = new.causation_id
        if new.occurred_at is None or new.occurred_at is recorded_at:
            occurred_at, occurred_ts = recorded_at, recorded_ts
        else:
            occurred_at, occurred_ts = new.occurred_at, format_ts(new.occurred_at)
        version = first_version + offset
        event_type = payload_model.event_type
        schema_version = payload_model.schema_version
        event_type_json = _TYPE_JSON.get(event_type)
        if event_type_json is None:
            event_type_json = _TYPE_JSON[event_type] = _canonical(event_type)
        # UUIDs print as plain ASCII (no escaping needed); a stored hash is 64 hex digits
        causation_json = f'"{causation_id}"' if causation_id else "null"
        prev_hash_json = f'"{prev_hash}"' if _HEX64.match(prev_hash) else _canonical(prev_hash)
        canonical = (
            f'{{"actor":{actor_text},'
            f'"causation_id":{causation_json},'
            f'"correlation_id":"{correlation_id}",'
            f'"event_id":"{new.event_id}",'
            f'"event_type":{event_type_json},'
            f'"jurisdiction":{_canonical(new.jurisdiction)},'
            f'"occurred_at":"{occurred_ts}",'
            f'"payload":{payload_text},'
            f'"prev_hash":{prev_hash_json},'
            f'"recorded_at":"{recorded_ts}",'
            f'"schema_version":{int(schema_version)},'
            f'"stream_id":{stream_id_json},'
            f'"stream_type":{stream_type_json},'
            f'"stream_version":{int(version)}}}'
        )
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        values.append(
            {
                "event_id": new.event_id,
                "event_type": event_type,
                "schema_version": schema_version,
                "stream_type": stream_type,
                "stream_id": stream_id,
                "stream_version": version,
                "global_position": None,
                "tx_id": None,
                "occurred_at": occurred_at,
                "recorded_at": recorded_at,
                "jurisdiction": new.jurisdiction,
                "actor": actor,
                "correlation_id": correlation_id,
                "causation_id": causation_id,
                "traceparent": new.traceparent,
                "payload": payload,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        actor_json.append(actor_text)
        payload_json.append(payload_text)
        prev_hash = digest
    return SealedBatch(values, actor_json, payload_json)


def seal_events(
    stream_type: str,
    stream_id: str,
    first_version: int,
    prev_hash: str,
    events: Sequence[NewEvent],
    recorded_at: datetime,
) -> list[EventEnvelope]:
    """Turn new events into envelopes chained onto ``prev_hash`` (positions not yet known)."""
    return seal_batch(
        stream_type, stream_id, first_version, prev_hash, events, recorded_at
    ).envelopes()


class EventStore(Protocol):
    """What command handlers need of an event store (PostgreSQL or in-memory). With ``conn``,
    ``append`` joins the caller's open transaction."""

    async def append(
        self,
        stream_type: str,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        conn: Any = None,
    ) -> list[EventEnvelope]: ...

    async def read_stream(
        self, stream_id: str, from_version: int = 1, *, conn: Any = None
    ) -> list[EventEnvelope]:
        """The stream from ``from_version``; on the caller's connection ``conn`` when given (a
        read inside a transaction that holds a lock)."""
        ...

    async def stream_version(self, stream_id: str) -> int: ...

    async def read_all(self, after: Position = START, limit: int = 1000) -> list[EventEnvelope]: ...

    def follow(
        self, after: Position = START, batch: int = 1000, poll_interval: float = 0.02
    ) -> AsyncIterator[list[EventEnvelope]]: ...
