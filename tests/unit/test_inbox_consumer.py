"""``InboxConsumer`` wired by ``subscribe`` on FastStream's in-memory ``TestKafkaBroker``: each
event's effect runs once (the inbox drops a redelivery), an undecodable message and a handler
that keeps failing go to the dead-letter topic with their reason. (Against the real Kafka and
PostgreSQL: tests/integration/test_relay_and_consumers.py.)"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker
from xuncha_shared.consumer import InboxConsumer, broker_dead_letter_sink, subscribe
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.envelope import GENESIS_HASH, EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import seal_events

from tests.support.events import petition
from tests.support.fakes import FakeInboxPool

pytestmark = pytest.mark.unit

TOPIC = "unit.intake.petition.v1"


def _wire(envelope: EventEnvelope) -> bytes:
    return envelope.to_wire()


def _envelope() -> EventEnvelope:
    [sealed] = seal_events(
        "petition", str(uuid.uuid4()), 1, GENESIS_HASH, [petition()], datetime.now(UTC)
    )
    return sealed.model_copy(update={"global_position": 1, "tx_id": 1})


async def test_inbox_consumer_on_the_test_broker() -> None:
    broker = KafkaBroker()
    pool = FakeInboxPool()
    effects: list[uuid.UUID] = []
    failing: set[uuid.UUID] = set()
    dead: list[dict[str, Any]] = []

    async def handler(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        if envelope.event_id in failing:
            raise RuntimeError("the handler cannot take this one")
        effects.append(envelope.event_id)

    consumer = InboxConsumer(
        name="unit.effects",
        pool=pool,  # type: ignore[arg-type]
        registry=REGISTRY,
        handler=handler,
        dead_letter=broker_dead_letter_sink(broker),
        max_attempts=2,
        retry_delay=0.0,
    )
    subscribe(broker, [TOPIC], consumer)

    @broker.subscriber(f"{TOPIC}.dlq")
    async def on_dead_letter(message: KafkaMessage) -> None:
        dead.append(dict(message.headers))

    first, bad = _envelope(), _envelope()
    failing.add(bad.event_id)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(_wire(first), topic=TOPIC)
        await test_broker.publish(_wire(first), topic=TOPIC)  # redelivered
        await test_broker.publish(b"{not an envelope", topic=TOPIC)
        await test_broker.publish(_wire(bad), topic=TOPIC)

    assert effects == [first.event_id]
    assert ("unit.effects", first.event_id) in pool.inbox
    assert ("unit.effects", bad.event_id) not in pool.inbox
    assert (consumer.processed, consumer.duplicates, consumer.dead_lettered) == (1, 1, 2)
    assert [h["dlq_consumer"] for h in dead] == ["unit.effects", "unit.effects"]
    assert dead[0]["dlq_reason"].startswith("undecodable")
    assert dead[1]["dlq_reason"].startswith("handler failed: RuntimeError")
    assert dead[1]["event_id"] == str(bad.event_id)
    assert {h["original_topic"] for h in dead} == {TOPIC}
