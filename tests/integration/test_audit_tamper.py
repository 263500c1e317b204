"""Tamper evidence against the real PostgreSQL and Kafka: hash chains, position holes, Kafka's
copy and signed checkpoints (``xuncha_shared.audit``), each test on its own database and topics."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
import pytest
from xuncha_shared.audit import verify_database
from xuncha_shared.audit.checkpoints import (
    Signer,
    create_checkpoint,
    load_trust,
    publish_pending,
    read_kafka_checkpoints,
    run_checkpointer,
)
from xuncha_shared.audit.history import ERASED, build_story, story_json, story_lines
from xuncha_shared.audit.verify import ServiceAudit, audit_service
from xuncha_shared.contracts import topic_for
from xuncha_shared.contracts.intake import PetitionReceived
from xuncha_shared.crypto import InformantVault, PostgresKeyStore
from xuncha_shared.db import connect
from xuncha_shared.domain.personal_data import InformantIdentity
from xuncha_shared.envelope import GENESIS_HASH, chain_hash, hashed_document
from xuncha_shared.eventstore import NO_STREAM, NewEvent, Position, PostgresEventStore
from xuncha_shared.kafka import make_producer
from xuncha_shared.relay import OutboxRelay, kafka_headers

from tests.infra import FreshDb, Infra
from tests.support.events import ACTOR, petition


async def seed(pool: asyncpg.Pool, streams: int = 3, per_stream: int = 4) -> None:
    store = PostgresEventStore(pool)
    for s in range(streams):
        for v in range(per_stream):
            await store.append("petition", f"case-{s}", v if v else NO_STREAM, [petition()])


async def aborted_append(pool: asyncpg.Pool) -> None:
    """An append whose transaction rolls back: it consumes an identity value (a hole)."""
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await PostgresEventStore(pool).append(
            "petition", "aborted", NO_STREAM, [petition()], conn=conn
        )
        await tx.rollback()


async def publish_all(pool: asyncpg.Pool, bootstrap: str, prefix: str) -> None:
    """Run the relay until everything stored is published."""
    head = await pool.fetchrow(
        "SELECT tx_id, global_position FROM events ORDER BY tx_id DESC, global_position DESC "
        "LIMIT 1"
    )
    relay = OutboxRelay(pool, bootstrap=bootstrap, service="intake", topic_prefix=prefix)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        deadline = time.monotonic() + 60
        while await relay.position() < Position(head["tx_id"], head["global_position"]):
            assert time.monotonic() < deadline, "relay did not publish in time"
            assert not task.done(), task
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task


async def audit(
    db: FreshDb,
    signer: Signer,
    *,
    prefix: str | None,
    bootstrap: str,
    extra: Sequence[Any] = (),
) -> ServiceAudit:
    conn = await connect(db.url)
    try:
        return await audit_service(
            conn,
            "intake",
            trust={signer.key_id: signer.trusted_key()},
            extra_checkpoints=extra,
            kafka_bootstrap=bootstrap if prefix is not None else None,
            topic_prefix=prefix or "",
        )
    finally:
        await conn.close()


def located(report: ServiceAudit, kind: str) -> set[tuple[str | None, int | None]]:
    return {(p.stream_id, p.stream_version) for p in report.problems if p.kind == kind}


async def rewrite_stream(pool: asyncpg.Pool, stream_id: str, from_version: int) -> None:
    """An administrator's rewrite: change the payloads from ``from_version`` on and recompute
    every hash, so the chain stays valid."""
    rows = await pool.fetch(
        "SELECT * FROM events WHERE stream_id = $1 ORDER BY stream_version", stream_id
    )
    prev = GENESIS_HASH
    for r in rows:
        payload = dict(r["payload"])
        if r["stream_version"] >= from_version:
            payload["unit"] = "被改写的单位"
        new_hash = chain_hash(
            hashed_document(
                event_id=r["event_id"],
                event_type=r["event_type"],
                schema_version=r["schema_version"],
                stream_type=r["stream_type"],
                stream_id=r["stream_id"],
                stream_version=r["stream_version"],
                occurred_at=r["occurred_at"],
                recorded_at=r["recorded_at"],
                jurisdiction=r["jurisdiction"],
                actor=r["actor"],
                correlation_id=r["correlation_id"],
                causation_id=r["causation_id"],
                payload=payload,
                prev_hash=prev,
            )
        )
        await pool.execute(
            "UPDATE events SET payload = $1, prev_hash = $2, hash = $3 WHERE event_id = $4",
            payload,
            prev,
            new_hash,
            r["event_id"],
        )
        prev = new_hash


# --------------------------------------------------------------------------------------------


async def test_clean_history_verifies_with_an_explained_hole(
    fresh_db: FreshDb, fresh_topics: str, infra: Infra
) -> None:
    await seed(fresh_db.pool)
    await aborted_append(fresh_db.pool)  # consumes position 13
    await PostgresEventStore(fresh_db.pool).append("petition", "late", NO_STREAM, [petition()])
    signer = Signer.generate("intake")
    await create_checkpoint(fresh_db.pool, "intake", signer)  # before publishing: fine
    await publish_all(fresh_db.pool, infra.kafka_bootstrap, fresh_topics)

    report = await audit(fresh_db, signer, prefix=fresh_topics, bootstrap=infra.kafka_bootstrap)
    assert report.intact, [str(p) for p in report.problems]
    assert (report.streams, report.events, report.max_position) == (4, 13, 14)
    assert report.kafka is not None and report.kafka.matched == 13
    assert [(h.first, h.last, h.explained) for h in report.holes] == [(13, 13, True)]
    assert "aborted" in report.holes[0].why
    (check,) = report.checkpoints
    assert check.status == "verified" and check.checkpoint.event_count == 13


SWAP_SQL = """
UPDATE events e SET payload = o.payload, hash = o.hash, prev_hash = o.prev_hash
FROM events o
WHERE e.stream_id = 'case-1' AND o.stream_id = 'case-1'
  AND ((e.stream_version = 2 AND o.stream_version = 3)
    OR (e.stream_version = 3 AND o.stream_version = 2))
"""


@pytest.mark.parametrize(
    ("sql", "stream", "version"),
    [
        pytest.param(
            "UPDATE events SET payload = jsonb_set(payload, '{unit}', '\"另一个单位\"') "
            "WHERE stream_id = 'case-1' AND stream_version = 3",
            "case-1",
            3,
            id="update-payload",
        ),
        pytest.param(
            "DELETE FROM events WHERE stream_id = 'case-2' AND stream_version = 2",
            "case-2",
            3,
            id="delete-event",
        ),
        pytest.param(SWAP_SQL, "case-1", 2, id="swap-two-events"),
    ],
)
async def test_tampering_is_detected_naming_stream_and_version(
    fresh_db: FreshDb, fresh_topics: str, infra: Infra, sql: str, stream: str, version: int
) -> None:
    await seed(fresh_db.pool)
    await publish_all(fresh_db.pool, infra.kafka_bootstrap, fresh_topics)
    signer = Signer.generate("intake")
    await create_checkpoint(fresh_db.pool, "intake", signer)
    await fresh_db.pool.execute(sql)

    report = await audit(fresh_db, signer, prefix=fresh_topics, bootstrap=infra.kafka_bootstrap)
    assert not report.intact
    assert located(report, "chain") == {(stream, version)}
    kafka = located(report, "kafka")
    if "DELETE" in sql:
        assert kafka == {("case-2", 2)}
        (hole,) = report.holes
        assert not hole.explained and "Kafka holds" in hole.why
        (check,) = report.checkpoints
        assert check.status == "failed" and check.stored_count == 11
    elif "jsonb_set" in sql:
        # the stored hash was left alone: Kafka's copy and the checkpoint digest (both over
        # hashes) agree with it; the recomputed hash of the chain check finds the change
        assert kafka == set()
        assert [c.status for c in report.checkpoints] == ["verified"]
    else:
        # Kafka's copy names the events whose stored hashes changed
        assert kafka == {("case-1", 2), ("case-1", 3)}
        (check,) = report.checkpoints
        assert check.status == "failed" and check.kafka_copy_matches is True


async def test_rewritten_chain_passes_the_chain_check_but_not_the_checkpoint(
    fresh_db: FreshDb, fresh_topics: str, infra: Infra
) -> None:
    await seed(fresh_db.pool)
    await publish_all(fresh_db.pool, infra.kafka_bootstrap, fresh_topics)
    signer = Signer.generate("intake")
    before = await create_checkpoint(fresh_db.pool, "intake", signer)
    await rewrite_stream(fresh_db.pool, "case-1", 2)

    async with fresh_db.pool.acquire() as conn:
        assert (await verify_database(conn, "t")).intact  # every hash recomputed: valid chain

    # the checkpoint alone (no Kafka): it proves that history changed
    alone = await audit(fresh_db, signer, prefix=None, bootstrap=infra.kafka_bootstrap)
    assert not alone.intact
    assert [p.kind for p in alone.problems] == ["checkpoint"]
    (check,) = alone.checkpoints
    assert check.status == "failed"
    assert check.stored_count == before.event_count == 12
    assert check.stored_digest != before.digest

    # with Kafka's copy: where it changed, and that the store (not Kafka) was changed
    full = await audit(fresh_db, signer, prefix=fresh_topics, bootstrap=infra.kafka_bootstrap)
    assert located(full, "kafka") == {("case-1", 2), ("case-1", 3), ("case-1", 4)}
    assert full.checkpoints[0].kafka_copy_matches is True
    assert "Kafka's copy still matches" in full.checkpoints[0].detail

    # a checkpoint signed after the rewrite verifies (it signs what it saw); the earlier one
    # still fails: checkpoints never launder an earlier change
    await create_checkpoint(fresh_db.pool, "intake", signer)
    again = await audit(fresh_db, signer, prefix=None, bootstrap=infra.kafka_bootstrap)
    assert sorted(c.status for c in again.checkpoints) == ["failed", "verified"]

    # a forged checkpoint (re-signed by another key) is not trusted
    forger = Signer.generate("intake")
    forged = await create_checkpoint(fresh_db.pool, "intake", forger)
    late = await audit(fresh_db, signer, prefix=None, bootstrap=infra.kafka_bootstrap)
    bad = [c for c in late.checkpoints if c.checkpoint == forged]
    assert bad[0].status == "failed" and "not trusted" in bad[0].detail


async def test_kafka_and_store_mismatches_are_named(
    fresh_db: FreshDb, fresh_topics: str, infra: Infra
) -> None:
    await seed(fresh_db.pool, streams=2, per_stream=2)
    await publish_all(fresh_db.pool, infra.kafka_bootstrap, fresh_topics)
    store = PostgresEventStore(fresh_db.pool)
    # 1. an event stored and "published" by the relay's position, but not on Kafka
    (lost,) = await store.append("petition", "lost", NO_STREAM, [petition()])
    await fresh_db.pool.execute(
        "UPDATE relay_positions SET tx_id = $1, global_position = $2 WHERE relay = 'intake.relay'",
        lost.tx_id,
        lost.global_position,
    )
    # 2. not yet published: not an error
    (pending,) = await store.append("petition", "pending", NO_STREAM, [petition()])
    # 3. an event on Kafka that the store never had, and 4. a second, different copy of a
    #    stored event (same event id)
    original = (await store.read_stream("case-0"))[0]
    ghost = original.model_copy(
        update={"event_id": uuid.uuid4(), "stream_id": "ghost", "global_position": 999}
    )
    ghost = ghost.model_copy(update={"hash": ghost.compute_hash()})
    changed = original.model_copy(update={"payload": {**original.payload, "unit": "别的单位"}})
    changed = changed.model_copy(update={"hash": changed.compute_hash()})
    producer = make_producer(infra.kafka_bootstrap, client_id="test")
    await producer.start()
    try:
        for envelope in (ghost, changed):
            await producer.send_and_wait(
                topic_for("petition", fresh_topics),
                envelope.to_wire(),
                key=envelope.stream_id.encode(),
                headers=kafka_headers(envelope, None),
            )
    finally:
        await producer.stop()

    signer = Signer.generate("intake")
    report = await audit(fresh_db, signer, prefix=fresh_topics, bootstrap=infra.kafka_bootstrap)
    messages = {(p.stream_id, p.stream_version): p.message for p in report.problems}
    assert "but not on Kafka" in messages[("lost", 1)]
    assert "not in the store" in messages[("ghost", 1)]
    assert "two different copies" in messages[("case-0", 1)]
    assert ("pending", 1) not in messages
    assert report.kafka is not None and report.kafka.unpublished == 1
    assert located(report, "chain") == set()
    assert str(pending.event_id) not in json.dumps([p.to_dict() for p in report.problems])


async def test_crypto_shredding_leaves_verify_passing(
    fresh_db: FreshDb, fresh_topics: str, infra: Infra, tmp_path: Any
) -> None:
    keys = PostgresKeyStore(fresh_db.pool)
    await keys.ensure_schema()
    vault = InformantVault(keys, os.urandom(32))
    sealed = await vault.seal(InformantIdentity(name="张三丰", phone="13912345678"))
    store = PostgresEventStore(fresh_db.pool)
    (received,) = await store.append(
        "petition",
        "p-secret",
        NO_STREAM,
        [
            NewEvent(
                PetitionReceived(
                    petition_id=uuid.uuid4(),
                    jurisdiction="361002",
                    unit="临川区某局",
                    channel="letter",
                    summary="实名举报",
                    informant=sealed,
                    receipt_code_hash="0" * 64,
                ),
                "361002",
                ACTOR,
            )
        ],
    )
    await seed(fresh_db.pool, streams=1, per_stream=2)
    await publish_all(fresh_db.pool, infra.kafka_bootstrap, fresh_topics)
    signer = Signer.generate("intake")
    await create_checkpoint(fresh_db.pool, "intake", signer)

    assert await vault.erase(sealed.person_id)
    report = await audit(fresh_db, signer, prefix=fresh_topics, bootstrap=infra.kafka_bootstrap)
    assert report.intact, [str(p) for p in report.problems]
    assert [c.status for c in report.checkpoints] == ["verified"]

    settings = infra.settings("intake", database_url=fresh_db.url, state_dir=str(tmp_path))
    story = await build_story(settings, "p-secret", services=["intake"], search=["intake"])
    text = "\n".join(story_lines(story)) + story_json(story)
    assert ERASED in text
    assert sealed.ciphertext not in text and sealed.nonce not in text
    assert "张三丰" not in text
    assert received.event_id in {e.envelope.event_id for e in story.events}


async def test_periodic_checkpointer_signs_stores_and_publishes(
    fresh_db: FreshDb, fresh_topics: str, infra: Infra, tmp_path: Any
) -> None:
    settings = infra.settings(
        "intake", database_url=fresh_db.url, topic_prefix=fresh_topics, state_dir=str(tmp_path)
    )
    await seed(fresh_db.pool, streams=1, per_stream=2)
    stop = asyncio.Event()
    task = asyncio.create_task(run_checkpointer(fresh_db.pool, "intake", settings, stop, 0.1))

    async def published() -> list[int]:
        found, _ = await read_kafka_checkpoints(infra.kafka_bootstrap, fresh_topics)
        return [c.event_count for c, _ in found]

    try:
        deadline = time.monotonic() + 30
        while await published() != [2]:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        await PostgresEventStore(fresh_db.pool).append("petition", "more", NO_STREAM, [petition()])
        while await published() != [2, 3]:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.4)  # several ticks without new events: no new checkpoint
        assert await published() == [2, 3]
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    rows = await fresh_db.pool.fetch("SELECT published_at FROM checkpoints ORDER BY id")
    assert len(rows) == 2 and all(r["published_at"] is not None for r in rows)
    assert await publish_pending(fresh_db.pool, infra.kafka_bootstrap, fresh_topics) == 0

    # the development key it generated is trusted by default and verifies both
    trust = load_trust(None, settings)
    conn = await connect(fresh_db.url)
    try:
        report = await audit_service(
            conn,
            "intake",
            trust=trust,
            kafka_bootstrap=infra.kafka_bootstrap,
            topic_prefix=fresh_topics,
            extra_checkpoints=(await read_kafka_checkpoints(infra.kafka_bootstrap, fresh_topics))[
                0
            ],
        )
    finally:
        await conn.close()
    assert report.intact, [str(p) for p in report.problems]
    assert [c.status for c in report.checkpoints] == ["verified", "verified"]
    assert all(set(c.sources) == {"table", "kafka"} for c in report.checkpoints)
