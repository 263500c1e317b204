"""Event store interface shared by the PostgreSQL store and the in-memory fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from xuncha_shared.envelope import (
    Actor,
    EventEnvelope,
    EventPayload,
    chain_hash,
    hashed_document,
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


def seal_events(
    stream_type: str,
    stream_id: str,
    first_version: int,
    prev_hash: str,
    events: Sequence[NewEvent],
    recorded_at: datetime,
) -> list[EventEnvelope]:
    """Turn new events into envelopes chained onto ``prev_hash`` (positions not yet known)."""
    sealed: list[EventEnvelope] = []
    for offset, new in enumerate(events):
        payload = new.payload.model_dump(mode="json")
        correlation_id = new.correlation_id or new.event_id
        occurred_at = new.occurred_at or recorded_at
        version = first_version + offset
        doc = hashed_document(
            event_id=new.event_id,
            event_type=new.payload.event_type,
            schema_version=new.payload.schema_version,
            stream_type=stream_type,
            stream_id=stream_id,
            stream_version=version,
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            jurisdiction=new.jurisdiction,
            actor=new.actor,
            correlation_id=correlation_id,
            causation_id=new.causation_id,
            payload=payload,
            prev_hash=prev_hash,
        )
        digest = chain_hash(doc)
        sealed.append(
            EventEnvelope.model_construct(
                event_id=new.event_id,
                event_type=new.payload.event_type,
                schema_version=new.payload.schema_version,
                stream_type=stream_type,
                stream_id=stream_id,
                stream_version=version,
                global_position=None,
                tx_id=None,
                occurred_at=occurred_at,
                recorded_at=recorded_at,
                jurisdiction=new.jurisdiction,
                actor=new.actor,
                correlation_id=correlation_id,
                causation_id=new.causation_id,
                traceparent=new.traceparent,
                payload=payload,
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        prev_hash = digest
    return sealed


class EventStore(Protocol):
    async def append(
        self,
        stream_type: str,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
    ) -> list[EventEnvelope]: ...

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[EventEnvelope]: ...

    async def stream_version(self, stream_id: str) -> int: ...

    async def read_all(self, after: Position = START, limit: int = 1000) -> list[EventEnvelope]: ...

    def follow(
        self, after: Position = START, batch: int = 1000, poll_interval: float = 0.02
    ) -> AsyncIterator[list[EventEnvelope]]: ...
