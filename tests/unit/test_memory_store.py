"""The in-memory store behaves like the real one for unit tests of handlers."""

from __future__ import annotations

import pytest
from xuncha_shared.eventstore import NO_STREAM, START, ConcurrencyError

from tests.support.events import petition
from tests.support.fakes import InMemoryEventStore


async def test_memory_store_appends_reads_and_conflicts():
    store = InMemoryEventStore()
    await store.append("petition", "a", NO_STREAM, [petition(), petition()])
    await store.append("petition", "b", NO_STREAM, [petition()])
    with pytest.raises(ConcurrencyError):
        await store.append("petition", "a", 1, [petition()])
    assert await store.stream_version("a") == 2
    events = await store.read_all(START)
    assert [e.stream_id for e in events] == ["a", "a", "b"]
    assert events[1].prev_hash == events[0].hash
    assert await store.read_all(START, limit=1) == events[:1]
