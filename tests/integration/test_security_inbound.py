"""Consumers check what they receive (xuncha_shared.inbound_checks), against the real reporting
service: a forged event that got onto a topic changes no view and lands in the DLQ with the
reason. (Today any process holding a service's Kafka credentials could publish; the ACLs keep
the others out, these checks make what gets through harmless.)
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.topics import dlq_topic, topic_for
from xuncha_shared.envelope import EventEnvelope
from xuncha_shared.kafka import client_options, header

from tests.integration import test_reporting_service as reporting
from tests.integration.test_reporting_service import (
    LINCHUAN,
    Stack,
    feed,
    linked,
    seed_case,
    wait_consumed,
    wait_for,
)
from tests.support.kafka_read import read_topic

#: the reporting service's module-scoped stack (its own databases and topics), reused
stack = reporting.stack

pytestmark = pytest.mark.timeout(240)


async def publish(stack: Stack, topic: str, envelope: EventEnvelope) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.settings.kafka_bootstrap, **client_options(stack.settings)
    )
    await producer.start()
    try:
        await producer.send_and_wait(topic, envelope.to_wire(), key=envelope.stream_id.encode())
    finally:
        await producer.stop()


async def views(stack: Stack) -> dict[str, Any]:
    city = await linked(stack)
    city.pop("generated_at")
    return {
        "linked": city,
        "organisation": (await feed(stack, "organisation", "organisation"))["items"],
        "discipline": (await feed(stack, "discipline_commission", "discipline"))["items"],
    }


async def rejected(stack: Stack, topic: str, event: EventEnvelope) -> str:
    """Publish ``event`` on ``topic``; wait until the consumer dead-lettered it; its reason."""
    before = stack.consumer.dead_lettered
    await publish(stack, topic, event)

    async def dead_lettered() -> bool:
        return bool(stack.consumer.dead_lettered > before)

    await wait_for(dead_lettered, "the forged event to be dead-lettered")
    letters = await read_topic(stack.settings.kafka_bootstrap, dlq_topic(topic))
    reasons = [header(r.headers, "dlq_reason") or "" for r in letters if r.value == event.to_wire()]
    assert len(reasons) == 1, reasons
    return reasons[0]


async def stored(stack: Stack, service: str, event_type: str) -> EventEnvelope:
    events = await stack.store(service).read_all(limit=100_000)
    return next(e for e in events if e.event_type == event_type)


async def test_a_forged_clue_transfer_with_a_wrong_hash_changes_no_view(stack: Stack):
    await seed_case(stack, LINCHUAN)
    await wait_consumed(stack)
    before = await views(stack)
    real = await stored(stack, "clues", "clues.ClueTransferred")
    # well-formed, a new event to the organisation department, but its hash is the original's
    forged = real.model_copy(
        update={
            "event_id": uuid.uuid4(),
            "stream_version": real.stream_version + 1,
            "prev_hash": real.hash,
            "payload": {**real.payload, "department": Department.ORGANISATION.value},
        }
    )
    assert forged.compute_hash() != forged.hash
    reason = await rejected(stack, topic_for("clue", stack.settings.topic_prefix), forged)
    assert "rejected: hash mismatch" in reason
    assert await views(stack) == before
    inbox = await stack.pools["reporting"].fetchval(
        "SELECT count(*) FROM inbox WHERE event_id = $1", forged.event_id
    )
    assert inbox == 0


async def test_an_event_of_another_service_on_a_topic_is_refused(stack: Stack):
    await seed_case(stack, LINCHUAN)
    await wait_consumed(stack)
    before = await views(stack)
    petition = await stored(stack, "intake", "intake.PetitionReceived")
    # correctly sealed (its hash matches), but intake's event on clues' topic
    moved = petition.model_copy(update={"event_id": uuid.uuid4()})
    moved = moved.model_copy(update={"hash": moved.compute_hash()})
    reason = await rejected(stack, topic_for("clue", stack.settings.topic_prefix), moved)
    assert "not owned by clues" in reason
    assert await views(stack) == before
