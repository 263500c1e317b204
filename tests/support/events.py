"""Event factories for tests, and a steady writer of them."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import datetime
from typing import Any

from xuncha_shared.consumer import EventHandler
from xuncha_shared.contracts.intake import PetitionReceived
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload
from xuncha_shared.eventstore import NO_STREAM, NewEvent, PostgresEventStore

ACTOR = Actor(principal_id="tester", role="city_admin")


def petition(jurisdiction: str = "361002", summary: str = "反映某局违规发放津补贴问题") -> NewEvent:
    pid = uuid.uuid4()
    return NewEvent(
        PetitionReceived(
            petition_id=pid,
            jurisdiction=jurisdiction,
            unit="临川区某局",
            channel="letter",
            summary=summary,
            receipt_code_hash=hashlib.sha256(pid.bytes).hexdigest(),
        ),
        jurisdiction,
        ACTOR,
    )


def envelope_of(
    payload: EventPayload,
    *,
    stream_type: str,
    stream_id: uuid.UUID | str,
    jurisdiction: str,
    at: datetime,
    stream_version: int = 1,
) -> EventEnvelope:
    """``payload`` as another service's event reaches a consumer (hashes not checked there)."""
    return EventEnvelope(
        event_id=uuid.uuid4(),
        event_type=payload.event_type,
        schema_version=payload.schema_version,
        stream_type=stream_type,
        stream_id=str(stream_id),
        stream_version=stream_version,
        occurred_at=at,
        recorded_at=at,
        jurisdiction=jurisdiction,
        actor=Actor(principal_id="office", role="county_admin"),
        correlation_id=uuid.uuid4(),
        payload=payload.model_dump(mode="json"),
        prev_hash="0" * 64,
        hash="0" * 64,
    )


async def consumed(
    pool: Any,
    handler: EventHandler,
    payload: EventPayload,
    *,
    stream_type: str,
    stream_id: uuid.UUID,
    jurisdiction: str,
    at: datetime,
) -> None:
    """``payload`` handled by a consumer's ``handler`` in a transaction of its own, as the inbox
    consumer runs it for an event of another service."""
    envelope = envelope_of(
        payload, stream_type=stream_type, stream_id=stream_id, jurisdiction=jurisdiction, at=at
    )
    async with pool.acquire() as conn, conn.transaction():
        await handler(conn, envelope, payload)


async def read_all_settled(store, expected: int, timeout: float = 30.0) -> list:  # type: ignore[no-untyped-def]
    """read_all from the start until ``expected`` events are handed out: the commit-safe
    watermark may trail while some other transaction of the cluster is still open."""
    import time

    from xuncha_shared.eventstore import START

    deadline = time.monotonic() + timeout
    events = await store.read_all(START, 100_000)
    while len(events) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        events = await store.read_all(START, 100_000)
    return events


class SteadyWriter:
    """Appends one petition every ``every`` seconds, each on a stream of its own (so they spread
    over a topic's partitions), from :meth:`start` until :meth:`stop`; ``appended`` holds the
    ids of the events appended."""

    def __init__(self, pool, every: float, stream_prefix: str = "steady") -> None:  # type: ignore[no-untyped-def]
        self.store = PostgresEventStore(pool)
        self.every = every
        self.stream_prefix = stream_prefix
        self.appended: set[uuid.UUID] = set()
        self._writing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._writing.set()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._writing.clear()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        i = 0
        while self._writing.is_set():
            stored = await self.store.append(
                "petition", f"{self.stream_prefix}-{i}", NO_STREAM, [petition()]
            )
            self.appended.update(e.event_id for e in stored)
            i += 1
            await asyncio.sleep(self.every)
