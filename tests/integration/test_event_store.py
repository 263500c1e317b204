"""The event store against the real PostgreSQL: concurrency, commit-safe read-all, upcasting."""

from __future__ import annotations

import asyncio
import json
import random
import uuid

import pytest
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts.intake import PetitionReceived, PetitionReceivedV1
from xuncha_shared.db import _decode_jsonb
from xuncha_shared.envelope import GENESIS_HASH
from xuncha_shared.eventstore import (
    NO_STREAM,
    START,
    ConcurrencyError,
    NewEvent,
    Position,
    PostgresEventStore,
)

from tests.support.events import ACTOR, petition, read_all_settled


async def test_append_chains_hashes_and_reads_back(fresh_db):
    store = PostgresEventStore(fresh_db.pool)
    first = await store.append("petition", "s-1", NO_STREAM, [petition(), petition()])
    second = await store.append("petition", "s-1", 2, [petition()])
    stream = await store.read_stream("s-1")
    assert [e.stream_version for e in stream] == [1, 2, 3]
    assert stream[0].prev_hash == GENESIS_HASH
    assert stream[1].prev_hash == stream[0].hash
    assert stream[2].prev_hash == stream[1].hash
    assert [e.event_id for e in stream] == [e.event_id for e in first + second]
    for e in stream:
        assert e.compute_hash() == e.hash  # the stored form hashes to the stored hash
    assert await store.stream_version("s-1") == 3


async def test_twenty_concurrent_writers_on_one_stream_one_wins_each_version(fresh_db):
    store = PostgresEventStore(fresh_db.pool)
    start = asyncio.Event()

    async def writer(version: int) -> bool:
        await start.wait()
        try:
            await store.append("petition", "contended", version, [petition()])
            return True
        except ConcurrencyError:
            return False

    for version in range(5):
        tasks = [asyncio.create_task(writer(version)) for _ in range(20)]
        await asyncio.sleep(0)
        start.set()
        results = await asyncio.gather(*tasks)
        start.clear()
        assert results.count(True) == 1, f"version {version + 1}: {results.count(True)} winners"
        assert results.count(False) == 19
    stream = await store.read_stream("contended")
    assert [e.stream_version for e in stream] == [1, 2, 3, 4, 5]


async def test_reader_waits_for_an_open_transaction_with_a_lower_position(fresh_db):
    """Deterministic form of the gap problem: position 1 is still uncommitted while position 2
    is committed. A reader must not hand out 2 (it would move past 1 for ever)."""
    store = PostgresEventStore(fresh_db.pool)
    async with fresh_db.pool.acquire() as slow:
        tx = slow.transaction()
        await tx.start()
        low = await store.append("petition", "slow", NO_STREAM, [petition()], conn=slow)
        high = await store.append("petition", "fast", NO_STREAM, [petition()])
        assert low[0].global_position < high[0].global_position
        assert await store.read_all(START) == []  # nothing handed out past the open one
        await tx.commit()
    seen = await read_all_settled(store, 2)
    assert [e.event_id for e in seen] == [low[0].event_id, high[0].event_id]


async def test_twenty_writers_while_a_reader_follows_every_event_exactly_once(fresh_db):
    store = PostgresEventStore(fresh_db.pool)
    per_writer, writers = 30, 20
    rng = random.Random(7)
    written: list[uuid.UUID] = []
    done = asyncio.Event()

    async def writer(w: int) -> None:
        for i in range(per_writer):
            async with fresh_db.pool.acquire() as conn, conn.transaction():
                stored = await store.append("petition", f"w{w}", i, [petition()], conn=conn)
                # hold the transaction open a little: later positions commit first
                await asyncio.sleep(rng.random() * 0.01)
            written.extend(e.event_id for e in stored)

    read: list[uuid.UUID] = []

    async def reader() -> None:
        position = START
        while True:
            batch = await store.read_all(position, 37)
            for e in batch:
                read.append(e.event_id)
                assert Position.of(e) > position
                position = Position.of(e)
            if not batch:
                if done.is_set() and len(read) >= len(written):
                    return
                await asyncio.sleep(0.002)

    reader_task = asyncio.create_task(reader())
    await asyncio.gather(*(writer(w) for w in range(writers)))
    done.set()
    await asyncio.wait_for(reader_task, 30)
    assert len(read) == writers * per_writer
    assert len(set(read)) == len(read), "an event was read twice"
    assert set(read) == set(written), "an event was skipped"


async def test_stream_order_is_kept_in_the_global_order(fresh_db):
    store = PostgresEventStore(fresh_db.pool)
    for v in range(10):
        await store.append("petition", "ordered", v, [petition()])
    settled = await read_all_settled(store, 10)
    versions = [e.stream_version for e in settled if e.stream_id == "ordered"]
    assert versions == list(range(1, 11))


async def test_v1_event_stored_is_read_as_v3(fresh_db):
    store = PostgresEventStore(fresh_db.pool)
    pid = uuid.uuid4()
    legacy = PetitionReceivedV1(
        petition_id=pid,
        jurisdiction="361002",
        unit="临川区某局",
        channel="call",
        content="反映村干部优亲厚友问题",
        receipt_code_hash="a" * 64,
    )
    await store.append("petition", str(pid), NO_STREAM, [NewEvent(legacy, "361002", ACTOR)])
    (stored,) = await store.read_stream(str(pid))
    assert stored.schema_version == 1
    assert "content" in stored.payload
    upgraded = REGISTRY.upcast(stored)
    assert upgraded.schema_version == PetitionReceived.schema_version
    typed = REGISTRY.decode(stored)
    assert isinstance(typed, PetitionReceived)
    assert typed.summary == "反映村干部优亲厚友问题"
    assert typed.round_id is None
    assert stored.compute_hash() == stored.hash  # history untouched: hash is of the v1 form


@pytest.mark.parametrize("expected", [NO_STREAM, 5])
async def test_wrong_expected_version_is_a_typed_conflict(fresh_db, expected):
    store = PostgresEventStore(fresh_db.pool)
    await store.append("petition", "x", NO_STREAM, [petition()])
    with pytest.raises(ConcurrencyError) as err:
        await store.append("petition", "x", expected, [petition()])
    assert err.value.stream_id == "x"
    assert await store.stream_version("x") == 1


async def test_json_documents_travel_in_binary_form_unchanged(fresh_db):
    """The pools' JSON codecs (jsonb and json in PostgreSQL's binary wire format): a document
    written is the document read, non-ASCII text and nesting included, and PostgreSQL stores
    the same JSON value it would have parsed from text."""
    document = {"摘要": "反映问题（测试）", "n": [1, 2, {"深": None, "ok": True}], "e": ""}
    text = json.dumps(document, ensure_ascii=False)
    async with fresh_db.pool.acquire() as conn:
        assert await conn.fetchval("SELECT $1::jsonb", document) == document
        assert await conn.fetchval("SELECT $1::json", document) == document
        assert await conn.fetchval("SELECT $1::jsonb = $2::text::jsonb", document, text)
        assert await conn.fetchval("SELECT ($1::jsonb) ->> '摘要'", document) == "反映问题（测试）"
        assert await conn.fetchval("SELECT $1::text::jsonb", text) == document
        assert await conn.fetchval("SELECT $1::text::json", text) == document


def test_an_unknown_jsonb_binary_version_is_refused() -> None:
    with pytest.raises(ValueError, match="jsonb binary version"):
        _decode_jsonb(b"\x02{}")
    assert _decode_jsonb(b"\x01" + '{"a": "中"}'.encode()) == {"a": "中"}
