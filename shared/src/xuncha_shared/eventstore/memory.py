"""In-memory event store: a fake for unit tests of domain and handlers (never integration)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from xuncha_shared.envelope import GENESIS_HASH, EventEnvelope
from xuncha_shared.eventstore.base import (
    ANY_VERSION,
    START,
    ConcurrencyError,
    NewEvent,
    Position,
    seal_events,
)


class InMemoryEventStore:
    def __init__(self) -> None:
        self._all: list[EventEnvelope] = []
        self._streams: dict[str, list[EventEnvelope]] = {}
        self._lock = asyncio.Lock()

    async def append(
        self,
        stream_type: str,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        conn: Any = None,
    ) -> list[EventEnvelope]:
        if not events:
            return []
        async with self._lock:
            stream = self._streams.setdefault(stream_id, [])
            head = len(stream)
            if expected_version != ANY_VERSION and head != expected_version:
                raise ConcurrencyError(stream_id, expected_version, head)
            prev = stream[-1].hash if stream else GENESIS_HASH
            sealed = seal_events(stream_type, stream_id, head + 1, prev, events, datetime.now(UTC))
            tx_id = len(self._all) + 1
            stored = [
                e.model_copy(update={"global_position": len(self._all) + i + 1, "tx_id": tx_id})
                for i, e in enumerate(sealed)
            ]
            stream.extend(stored)
            self._all.extend(stored)
            return stored

    async def stream_version(self, stream_id: str) -> int:
        return len(self._streams.get(stream_id, []))

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[EventEnvelope]:
        return [e for e in self._streams.get(stream_id, []) if e.stream_version >= from_version]

    async def read_all(self, after: Position = START, limit: int = 1000) -> list[EventEnvelope]:
        return [e for e in self._all if Position.of(e) > after][:limit]

    async def follow(
        self, after: Position = START, batch: int = 1000, poll_interval: float = 0.02
    ) -> AsyncIterator[list[EventEnvelope]]:
        position = after
        while True:
            events = await self.read_all(position, batch)
            if events:
                position = Position.of(events[-1])
                yield events
            else:
                await asyncio.sleep(poll_interval)
