"""Upgrading a running system from one event version to the next, with traffic flowing, loses
nothing (docs/operations.md, "A new event version").

``intake.PetitionReceived`` went from schema 1 (``content``) to schema 2 (``summary``, an upcaster
between them). Against the real PostgreSQL, relay and Kafka, while a producer appends petitions
all along, two consumer groups are upgraded:

* group R in the documented order, consumers before producers: the old consumer (its registry
  knows schema 1 only) is replaced by the new one while schema 1 still flows (read through the
  upcaster), then the producer moves to schema 2: nothing is dead-lettered;
* group W in the wrong order: the producer moves to schema 2 while W's old consumer still runs;
  it meets an unknown version and dead-letters each such event, moving on; W is upgraded, then
  ``xuncha dlq replay`` sends the dead letters back and the new consumer handles them (group R
  receives the replayed copies too and drops them by event id, its inbox).

Each group then has exactly one effect per appended event, decoded by the new consumers as the
newest schema (schema 3 added the round and unit; the step tested here is 1 to newer)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import time
import uuid
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from xuncha_shared.consumer import InboxConsumer, broker_dead_letter_sink, subscribe
from xuncha_shared.contracts import REGISTRY, EventRegistry, topic_for
from xuncha_shared.contracts.intake import PetitionReceived, PetitionReceivedV1
from xuncha_shared.eventstore import NO_STREAM, NewEvent, PostgresEventStore
from xuncha_shared.kafka import client_security
from xuncha_shared.relay import OutboxRelay

from tests.support.events import ACTOR

pytestmark = pytest.mark.timeout(480)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EFFECTS = """
CREATE TABLE upgrade_effects (
    grp text NOT NULL, event_id uuid NOT NULL, consumer text NOT NULL,
    schema_version int NOT NULL, text text, PRIMARY KEY (grp, event_id)
)
"""


def petition(version: int, n: int) -> NewEvent:
    pid = uuid.uuid4()
    common: dict[str, Any] = {
        "petition_id": pid,
        "jurisdiction": "361002",
        "unit": "临川区某局",
        "channel": "letter",
        "receipt_code_hash": hashlib.sha256(pid.bytes).hexdigest(),
    }
    text = f"反映某局违规发放津补贴问题 第{n}件"
    payload = (
        PetitionReceivedV1(content=text, **common)
        if version == 1
        else PetitionReceived(summary=text, **common)
    )
    return NewEvent(payload, "361002", ACTOR)


class Producer:
    """Appends one petition after another at schema ``version`` until stopped."""

    def __init__(self, store: PostgresEventStore) -> None:
        self.store = store
        self.version = 1
        self.ids: dict[uuid.UUID, int] = {}
        self.stop = asyncio.Event()

    async def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            version = self.version
            [stored] = await self.store.append(
                "petition", f"upgrade-{uuid.uuid4()}", NO_STREAM, [petition(version, n)]
            )
            self.ids[stored.event_id] = version
            await asyncio.sleep(0.05)


def effect(group: str, label: str):  # type: ignore[no-untyped-def]
    async def handle(conn: Any, envelope: Any, payload: Any) -> None:
        text = getattr(payload, "summary", None) or getattr(payload, "content", None)
        await conn.execute(
            "INSERT INTO upgrade_effects VALUES ($1, $2, $3, $4, $5)",
            group,
            envelope.event_id,
            label,
            envelope.schema_version,
            text,
        )

    return handle


async def wait_for(predicate: Any, timeout: float, what: str) -> None:
    start = time.monotonic()
    deadline = start + timeout
    while time.monotonic() < deadline:
        if await predicate():
            print(f"{what}: {time.monotonic() - start:.1f} s")
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def start_consumer(
    infra: Any, pool: Any, topic: str, name: str, registry: EventRegistry, label: str
) -> tuple[KafkaBroker, InboxConsumer]:
    broker = KafkaBroker(infra.kafka_bootstrap, security=client_security().faststream())
    consumer = InboxConsumer(
        name=name,
        pool=pool,
        registry=registry,
        handler=effect(name, label),
        dead_letter=broker_dead_letter_sink(broker),
    )
    subscribe(broker, [topic], consumer)
    await broker.start()
    return broker, consumer


async def test_upgrade_with_traffic_flowing_loses_nothing(
    fresh_db: Any, fresh_topics: str, infra: Any
) -> None:
    pool = fresh_db.pool
    await pool.execute(EFFECTS)
    topic = topic_for("petition", fresh_topics)
    run = uuid.uuid4().hex[:6]
    right, wrong = f"upgrade.right{run}", f"upgrade.wrong{run}"
    old_registry = EventRegistry()
    old_registry.register(PetitionReceivedV1)  # the release before schema 2

    stop_relay = asyncio.Event()
    relay = OutboxRelay(
        pool,
        bootstrap=infra.kafka_bootstrap,
        service="intake",
        topic_prefix=fresh_topics,
        poll_interval=0.01,
    )
    relay_task = asyncio.create_task(relay.run(stop_relay))
    producer = Producer(PostgresEventStore(pool))
    producing = asyncio.create_task(producer.run())
    brokers: list[KafkaBroker] = []

    async def consumer(name: str, registry: EventRegistry, label: str) -> InboxConsumer:
        broker, started = await start_consumer(infra, pool, topic, name, registry, label)
        brokers.append(broker)
        return started

    async def stop(c: InboxConsumer) -> None:
        broker = brokers[consumers.index(c)]
        await broker.stop()

    def until(check: Any) -> Any:
        async def predicate() -> bool:
            return bool(check())

        return predicate

    consumers: list[InboxConsumer] = []
    try:
        old_r = await consumer(right, old_registry, "old")
        old_w = await consumer(wrong, old_registry, "old")
        consumers += [old_r, old_w]
        await wait_for(
            until(lambda: old_r.processed >= 10 and old_w.processed >= 10),
            90,
            "both old consumers to handle schema-1 events",
        )
        # R, the documented order: the consumer first, while schema 1 still flows
        await stop(old_r)
        new_r = await consumer(right, REGISTRY, "new")
        consumers.append(new_r)
        await wait_for(until(lambda: new_r.processed >= 5), 90, "R's new consumer (schema 1)")
        # then the producer; W's old consumer still runs (the wrong order for W)
        producer.version = 2
        await wait_for(
            until(lambda: old_w.dead_lettered >= 5), 60, "W's old consumer to dead-letter"
        )
        await stop(old_w)
        new_w = await consumer(wrong, REGISTRY, "new")
        consumers.append(new_w)
        await wait_for(until(lambda: new_w.processed >= 5), 90, "W's new consumer")
        producer.stop.set()
        await producing

        # the dead letters go back to the topic; W's new consumer handles them
        env = {
            **os.environ,
            "XUNCHA_TOPIC_PREFIX": fresh_topics,
            "XUNCHA_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        }
        replay = subprocess.run(
            [sys.executable, "-m", "xuncha_shared.cli", "dlq", "replay", "-t", topic],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
            cwd=REPO,
        )
        assert replay.returncode == 0, replay.stderr
        assert f"replayed {old_w.dead_lettered} dead letter(s)" in replay.stdout

        total = len(producer.ids)

        async def all_effects() -> bool:
            count = await pool.fetchval("SELECT count(*) FROM upgrade_effects")
            return bool(count >= 2 * total)

        await wait_for(all_effects, 120, f"an effect in each group for each of {total} events")
    finally:
        producer.stop.set()
        await asyncio.gather(producing, return_exceptions=True)
        for broker in brokers:
            await broker.stop()
        stop_relay.set()
        await asyncio.wait_for(relay_task, 30)

    assert set(producer.ids.values()) == {1, 2}
    assert old_r.dead_lettered == new_r.dead_lettered == new_w.dead_lettered == 0
    assert old_w.dead_lettered >= 5
    rows = await pool.fetch("SELECT * FROM upgrade_effects")
    for group in (right, wrong):
        mine = {r["event_id"]: r for r in rows if r["grp"] == group}
        assert set(mine) == set(producer.ids), group  # nothing lost, nothing extra
        inbox = await pool.fetch("SELECT event_id FROM inbox WHERE consumer = $1", group)
        assert sorted(r["event_id"] for r in inbox) == sorted(producer.ids), group
        for event_id, version in producer.ids.items():
            row = mine[event_id]
            assert row["text"].startswith("反映某局违规发放津补贴问题"), row
            if row["consumer"] == "new":
                # schema 1 arrives upcast, to the newest schema the registry knows
                assert row["schema_version"] == PetitionReceived.schema_version
            else:
                assert version == 1 and row["schema_version"] == 1
    # R's new consumer read schema-1 events through the upcaster; W's handled every schema 2
    upcast = [
        r
        for r in rows
        if r["grp"] == right and r["consumer"] == "new" and producer.ids[r["event_id"]] == 1
    ]
    assert upcast
    assert all(
        r["consumer"] == "new"
        for r in rows
        if r["grp"] == wrong and producer.ids[r["event_id"]] == 2
    )
