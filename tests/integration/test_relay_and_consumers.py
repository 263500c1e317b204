"""Outbox relay and inbox consumers against the real broker and database, with real crashes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker
from xuncha_shared.consumer import InboxConsumer
from xuncha_shared.contracts import dlq_topic, topic_for
from xuncha_shared.eventstore import NO_STREAM, PostgresEventStore
from xuncha_shared.kafka import (
    client_options,
    client_security,
    header,
    make_producer,
    topic_partitions,
)
from xuncha_shared.relay import OutboxRelay

from tests.support.events import SteadyWriter, petition
from tests.support.inbox import EFFECTS_DDL, record_effect, start_consumer
from tests.support.kafka_read import read_topic
from tests.support.waiting import wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


async def _append_many(pool, n: int, per_call: int = 100) -> set[uuid.UUID]:
    store = PostgresEventStore(pool)
    ids: set[uuid.UUID] = set()
    for i in range(0, n, per_call):
        stored = await store.append(
            "petition",
            f"bulk-{i // per_call}",
            NO_STREAM,
            [petition() for _ in range(min(per_call, n - i))],
        )
        ids.update(e.event_id for e in stored)
    return ids


async def consume_until(
    infra,
    pool,
    topic: str,
    name: str,
    handler,
    done,
    timeout: float,
    what: str,
    *,
    exact_name: bool = False,
    **options,
) -> InboxConsumer:
    """Run an InboxConsumer on ``topic`` until ``done(consumer)`` holds (or fail after
    ``timeout``), then stop it. Its name (group and inbox key) is ``name`` plus a random suffix,
    or ``name`` itself with ``exact_name``."""
    broker = KafkaBroker(infra.kafka_bootstrap.split(","), security=client_security().faststream())
    full_name = name if exact_name else f"{name}.{uuid.uuid4().hex[:6]}"
    consumer = await start_consumer(broker, topic, full_name, pool, handler, **options)
    try:

        async def finished() -> bool:
            return bool(done(consumer))

        await wait_for(finished, timeout, what)
    finally:
        await broker.stop()
    return consumer


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # output goes to the test's captured stderr stream of this process
    return subprocess.Popen(
        [sys.executable, *args],
        env={**os.environ, **env},
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=None,
    )


async def _relay_position(pool) -> int:
    return int(
        await pool.fetchval(
            "SELECT coalesce(max(global_position), 0) FROM relay_positions "
            "WHERE relay = 'intake.relay'"
        )
    )


@pytest.mark.timeout(600)
async def test_relay_killed_mid_batch_loses_nothing_and_effects_happen_once(
    fresh_db, fresh_topics, infra
):
    total = 3_000  # three batches of the relay's 1,000: killed after the first, before the last
    ids = await _append_many(fresh_db.pool, total)
    env = {
        "XUNCHA_SERVICE": "intake",
        "XUNCHA_DATABASE_URL": fresh_db.url,
        "XUNCHA_TOPIC_PREFIX": fresh_topics,
        "XUNCHA_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
    }
    relay = _spawn(["-m", "xuncha_shared.relay", "--service", "intake"], env)
    try:

        async def some_published() -> bool:
            return 0 < await _relay_position(fresh_db.pool) < total

        await wait_for(some_published, 60, "the relay to publish a first batch", every=0.005)
        relay.send_signal(signal.SIGKILL)  # mid-stream: batches are in flight
        await asyncio.to_thread(relay.wait, 10)
    finally:
        if relay.poll() is None:
            relay.kill()
    killed_at = await _relay_position(fresh_db.pool)
    assert killed_at < total
    # the crash between Kafka's acknowledgement and the position's commit, made certain: the
    # position written for what was published is lost, so the restarted relay sends it again
    published_before = len(
        await read_topic(infra.kafka_bootstrap, topic_for("petition", fresh_topics))
    )
    assert published_before > 0
    await fresh_db.pool.execute("DELETE FROM relay_positions WHERE relay = 'intake.relay'")

    relay = _spawn(["-m", "xuncha_shared.relay", "--service", "intake"], env)
    try:

        async def all_published() -> bool:
            return await _relay_position(fresh_db.pool) >= max(
                await fresh_db.pool.fetchval("SELECT max(global_position) FROM events"), 1
            )

        await wait_for(all_published, 120, "the restarted relay to catch up")
    finally:
        relay.terminate()
        await asyncio.to_thread(relay.wait, 20)

    topic = topic_for("petition", fresh_topics)
    records = await read_topic(infra.kafka_bootstrap, topic)
    published = [uuid.UUID(header(r.headers, "event_id")) for r in records]
    assert set(published) == ids, "an event never reached Kafka"
    # duplicates are allowed, losses are not; and duplicates did arrive: everything published
    # before the lost position went out twice
    assert len(published) >= total + published_before

    # the consumer's effect happens exactly once despite the duplicates
    await fresh_db.pool.execute(EFFECTS_DDL)
    consumer = await consume_until(
        infra,
        fresh_db.pool,
        topic,
        "test.effects",
        record_effect,
        lambda c: c.processed + c.duplicates >= len(published),
        360,  # one transaction per message: minutes on a loaded 2-core machine
        "the consumer to read every message",
    )
    rows = await fresh_db.pool.fetchval("SELECT count(*) FROM effects")
    distinct = await fresh_db.pool.fetchval("SELECT count(DISTINCT event_id) FROM effects")
    assert rows == distinct == total
    assert consumer.duplicates == len(published) - total >= published_before > 0


async def test_consumer_killed_before_commit_is_redelivered_and_effect_happens_once(
    fresh_db, fresh_topics, infra
):
    n = 20
    ids = await _append_many(fresh_db.pool, n, per_call=1)
    relay = OutboxRelay(
        fresh_db.pool,
        bootstrap=infra.kafka_bootstrap,
        service="intake",
        topic_prefix=fresh_topics,
    )
    stop = asyncio.Event()
    relay_task = asyncio.create_task(relay.run(stop))
    topic = topic_for("petition", fresh_topics)
    group = f"test.crash.{uuid.uuid4().hex[:6]}"
    args = [
        "-m",
        "tests.support.consumer_proc",
        "--dsn",
        fresh_db.url,
        "--bootstrap",
        infra.kafka_bootstrap,
        "--topic",
        topic,
        "--group",
        group,
    ]
    try:
        crashing = _spawn([*args, "--crash-at", "5"], {})
        rc = await asyncio.to_thread(crashing.wait, 90)
        assert rc == -signal.SIGKILL, rc
        effects = await fresh_db.pool.fetchval("SELECT count(*) FROM effects")
        claimed = await fresh_db.pool.fetchval(
            "SELECT count(*) FROM inbox WHERE consumer = $1", group
        )
        # the fifth effect died with its transaction, and with it the rest of its batch (the
        # records of one fetch share a transaction): what committed, committed with its inbox
        # row
        assert effects == claimed < 5

        healthy = _spawn(args, {})
        try:

            async def all_done() -> bool:
                return await fresh_db.pool.fetchval("SELECT count(*) FROM effects") >= n

            await wait_for(all_done, 90, "the restarted consumer")
            await asyncio.sleep(1.0)  # any stray redelivery would land now
        finally:
            healthy.terminate()
            await asyncio.to_thread(healthy.wait, 20)
    finally:
        stop.set()
        await relay_task
    rows = await fresh_db.pool.fetch("SELECT event_id FROM effects")
    assert len(rows) == n
    assert {r["event_id"] for r in rows} == ids


async def _rewind_group(bootstrap: str, group_id: str, topic: str) -> None:
    """Commit offset 0 on every partition of ``topic`` for the (stopped) group ``group_id``."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False, **client_options()
    )
    await consumer.start()
    try:
        partitions = await topic_partitions(consumer, topic)
        consumer.assign(partitions)
        await consumer.commit(dict.fromkeys(partitions, 0))
    finally:
        await consumer.stop()


async def test_messages_redelivered_after_their_commit_are_duplicates_with_one_effect(
    fresh_db, fresh_topics, infra
):
    """The consumer's crash between its database commit and Kafka's offset commit, made
    certain: once every message was handled, the group's offsets go back to the start, so each
    message arrives again. The inbox counts each as a duplicate; no effect happens twice."""
    n = 30
    ids = await _append_many(fresh_db.pool, n, per_call=10)
    relay = OutboxRelay(
        fresh_db.pool, bootstrap=infra.kafka_bootstrap, service="intake", topic_prefix=fresh_topics
    )
    stop = asyncio.Event()
    relay_task = asyncio.create_task(relay.run(stop))
    try:
        await wait_for(lambda: _gt(relay, n - 1), 60, "the relay to publish")
    finally:
        stop.set()
        await relay_task
    await fresh_db.pool.execute(EFFECTS_DDL)
    topic = topic_for("petition", fresh_topics)
    name = f"test.redelivery.{uuid.uuid4().hex[:6]}"
    first = await consume_until(
        infra,
        fresh_db.pool,
        topic,
        name,
        record_effect,
        lambda c: c.processed >= n,
        120,
        "the first delivery",
        exact_name=True,
    )
    assert (first.processed, first.duplicates) == (n, 0)

    await _rewind_group(infra.kafka_bootstrap, first.group_id, topic)
    again = await consume_until(
        infra,
        fresh_db.pool,
        topic,
        name,
        record_effect,
        lambda c: c.processed + c.duplicates >= n,
        120,
        "the redelivery",
        exact_name=True,
    )
    assert (again.processed, again.duplicates) == (0, n)  # every one arrived again
    rows = await fresh_db.pool.fetch("SELECT event_id FROM effects")
    assert len(rows) == n
    assert {r["event_id"] for r in rows} == ids


async def test_poison_message_goes_to_dlq_with_reason_and_next_is_processed(
    fresh_db, fresh_topics, infra
):
    topic = topic_for("petition", fresh_topics)
    await fresh_db.pool.execute(EFFECTS_DDL)
    good = (await _append_many(fresh_db.pool, 1, per_call=1)).pop()
    store = PostgresEventStore(fresh_db.pool)
    stored = await store.read_all()
    deadline = time.monotonic() + 30
    while not stored and time.monotonic() < deadline:  # waits out any older open transaction
        await asyncio.sleep(0.05)
        stored = await store.read_all()
    unknown = stored[0].model_copy(
        update={"event_type": "intake.SomethingNew", "event_id": uuid.uuid4()}
    )
    # sealed like a store would (a wrong hash is refused before the type is even looked at)
    unknown = unknown.model_copy(update={"hash": unknown.compute_hash()})
    producer = make_producer(infra.kafka_bootstrap, client_id="test")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"\x00not json at all", key=b"poison")
        await producer.send_and_wait(topic, unknown.to_wire(), key=b"poison")
        await producer.send_and_wait(topic, stored[0].to_wire(), key=b"poison")
    finally:
        await producer.stop()

    await consume_until(
        infra,
        fresh_db.pool,
        topic,
        "test.poison",
        record_effect,
        lambda c: c.processed == 1 and c.dead_lettered == 2,
        60,
        "poison to be dead-lettered and the next event processed",
    )
    assert await fresh_db.pool.fetchval("SELECT count(*) FROM effects") == 1
    assert await fresh_db.pool.fetchval("SELECT event_id FROM effects") == good

    letters = await read_topic(infra.kafka_bootstrap, dlq_topic(topic))
    reasons = sorted(header(r.headers, "dlq_reason") or "" for r in letters)
    assert len(letters) == 2
    assert any("undecodable" in r for r in reasons)
    assert any("intake.SomethingNew" in r for r in reasons)
    assert all(header(r.headers, "original_topic") == topic for r in letters)

    env = {
        **os.environ,
        "XUNCHA_TOPIC_PREFIX": fresh_topics,
        "XUNCHA_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
    }
    listed = subprocess.run(
        [sys.executable, "-m", "xuncha_shared.cli", "dlq", "list", "--topic", "intake.petition.v1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert listed.returncode == 0, listed.stderr
    assert "2 dead letter(s)" in listed.stdout
    assert "intake.SomethingNew" in listed.stdout
    replay = [
        sys.executable,
        "-m",
        "xuncha_shared.cli",
        "dlq",
        "replay",
        "--topic",
        "intake.petition.v1",
    ]
    first = subprocess.run(replay, env=env, capture_output=True, text=True, timeout=60, cwd=REPO)
    assert first.returncode == 0, first.stderr
    assert "replayed 2 dead letter(s)" in first.stdout
    again = subprocess.run(replay, env=env, capture_output=True, text=True, timeout=60, cwd=REPO)
    assert "replayed 0 dead letter(s)" in again.stdout
    after = await read_topic(infra.kafka_bootstrap, topic)
    assert len(after) == 5  # 3 originals + 2 replayed


async def test_handler_that_keeps_failing_is_dead_lettered_after_retries(
    fresh_db, fresh_topics, infra
):
    topic = topic_for("petition", fresh_topics)
    await _append_many(fresh_db.pool, 2, per_call=1)
    relay = OutboxRelay(
        fresh_db.pool, bootstrap=infra.kafka_bootstrap, service="intake", topic_prefix=fresh_topics
    )
    stop = asyncio.Event()
    relay_task = asyncio.create_task(relay.run(stop))
    calls: list[str] = []
    first_id: list[uuid.UUID] = []

    async def flaky(conn, envelope, payload) -> None:
        if not first_id:
            first_id.append(envelope.event_id)
        calls.append(str(envelope.event_id))
        if envelope.event_id == first_id[0]:
            raise ValueError("rule violated: unit unknown")

    try:
        consumer = await consume_until(
            infra,
            fresh_db.pool,
            topic,
            "test.flaky",
            flaky,
            lambda c: c.dead_lettered == 1 and c.processed == 1,
            60,
            "one dead letter and one processed event",
            retry_delay=0.01,
        )
    finally:
        stop.set()
        await relay_task
    assert calls.count(str(first_id[0])) == consumer.max_attempts
    (letter,) = await read_topic(infra.kafka_bootstrap, dlq_topic(topic))
    assert "rule violated: unit unknown" in (header(letter.headers, "dlq_reason") or "")


async def test_a_database_down_beyond_the_attempts_is_delivered_again_by_kafka(
    fresh_db, fresh_topics, infra
):
    """The database crashes under a consumer for longer than its attempts (each ends in 57P02,
    what a SIGKILLed PostgreSQL answers every session): the record is nacked, not dead-lettered,
    and Kafka delivers it again (the consumer's own loop stops at ``max_attempts``, so more calls
    than that are Kafka's redeliveries); when the database is back each effect happens once."""
    topic = topic_for("petition", fresh_topics)
    await fresh_db.pool.execute(EFFECTS_DDL)
    appended = await _append_many(fresh_db.pool, 2, per_call=1)
    relay = OutboxRelay(
        fresh_db.pool, bootstrap=infra.kafka_bootstrap, service="intake", topic_prefix=fresh_topics
    )
    stop = asyncio.Event()
    relay_task = asyncio.create_task(relay.run(stop))
    calls: dict[uuid.UUID, int] = {}
    crash_calls = 7  # more than two deliveries' worth of attempts (3 each)

    async def during_a_crash(conn, envelope, payload) -> None:
        calls[envelope.event_id] = calls.get(envelope.event_id, 0) + 1
        if sum(calls.values()) <= crash_calls:
            raise asyncpg.exceptions.CrashShutdownError(
                "terminating connection because of crash of another server process"
            )
        await record_effect(conn, envelope, payload)

    try:
        consumer = await consume_until(
            infra,
            fresh_db.pool,
            topic,
            "test.crashed",
            during_a_crash,
            lambda c: c.processed == 2,
            90,
            "both events handled once the database is back",
            retry_delay=0.01,
        )
    finally:
        stop.set()
        await relay_task
    assert consumer.dead_lettered == 0
    # the first event handled met the crash on more calls than one delivery's attempts: Kafka
    # delivered it again (the consumer's own loop stops at max_attempts)
    assert max(calls.values()) > consumer.max_attempts, calls
    effects = await fresh_db.pool.fetch("SELECT event_id FROM effects")
    assert sorted(r["event_id"] for r in effects) == sorted(appended)
    assert await read_topic(infra.kafka_bootstrap, dlq_topic(topic)) == []


@pytest.mark.timeout(240)
async def test_kafka_restarted_while_appending_loses_nothing(fresh_db, private_kafka):
    prefix = f"r{uuid.uuid4().hex[:6]}."
    topic = topic_for("petition", prefix)
    await private_kafka.create_topics([topic])
    relay = OutboxRelay(
        fresh_db.pool, bootstrap=private_kafka.bootstrap, service="intake", topic_prefix=prefix
    )
    stop = asyncio.Event()
    relay_task = asyncio.create_task(relay.run(stop))
    # a consumer group that lives through the broker's restart (never restarted itself)
    await fresh_db.pool.execute(EFFECTS_DDL)
    broker = KafkaBroker(
        private_kafka.bootstrap.split(","), security=client_security().faststream()
    )
    name = f"test.across-restart.{uuid.uuid4().hex[:6]}"
    await start_consumer(broker, topic, name, fresh_db.pool)
    writer = SteadyWriter(fresh_db.pool, every=0.01)
    writer.start()
    try:
        await wait_for(lambda: _gt(relay, 20), 60, "first events published")
        await asyncio.to_thread(private_kafka.stop, signal.SIGKILL)  # dies under load
        await asyncio.sleep(3)
        private_kafka.start()
        await private_kafka.wait_ready()
        await asyncio.sleep(2)
    finally:
        await writer.stop()
    appended = writer.appended
    try:

        async def caught_up() -> bool:
            head = await fresh_db.pool.fetchval("SELECT max(global_position) FROM events")
            return await _relay_position(fresh_db.pool) >= head

        await wait_for(caught_up, 120, "the relay to publish everything after the restart")

        async def consumed() -> bool:
            return await fresh_db.pool.fetchval("SELECT count(*) FROM effects") >= len(appended)

        await wait_for(consumed, 120, "the consumer to handle everything after the restart")
    finally:
        stop.set()
        await relay_task
        await broker.stop()
    records = await read_topic(private_kafka.bootstrap, topic)
    published = {uuid.UUID(header(r.headers, "event_id")) for r in records}
    assert appended <= published
    assert len(appended) > 100
    effects = [r["event_id"] for r in await fresh_db.pool.fetch("SELECT event_id FROM effects")]
    assert len(effects) == len(set(effects)) == len(appended)  # each once, none lost
    assert set(effects) == appended


async def _gt(relay: OutboxRelay, n: int) -> bool:
    return relay.published > n
