"""Kafka authentication and ACLs against the real broker (docs/security.md).

The broker requires SASL/SCRAM-SHA-512; each service is its own principal with ACLs for exactly
its own topics (write) and the topics it consumes (read). These tests write bytes that are no
event into the topics, so they get topics of their own (a prefix under the session's) with the
service principals' ACLs for that prefix, created the way ``provision acls`` does for the
deployment's topics and removed at the end: the session's topics stay a history of real events,
which other tests verify whole (``xuncha audit verify``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAuthorizationFailedError
from xuncha_shared import provision
from xuncha_shared.contracts.topics import dlq_topic, topic_for
from xuncha_shared.kafka import KafkaSecurity, client_options

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
async def prefix(infra) -> AsyncIterator[str]:
    """Topics of this module's own, with every service principal's ACLs for them."""
    own = f"{infra.topic_prefix}sec{uuid.uuid4().hex[:6]}."
    await provision.provision_topics(infra.kafka_bootstrap, own)
    if infra.kafka_users:
        await provision.ensure_service_acls(infra.kafka_bootstrap, own)
    try:
        yield own
    finally:
        if infra.kafka_users:
            await provision.remove_acls(infra.kafka_bootstrap, provision.all_service_acls(own))
        await provision.delete_prefixed_topics(infra.kafka_bootstrap, own)


@pytest.fixture
def sasl(infra) -> None:
    if not infra.kafka_users:
        pytest.skip("this backend's broker runs without authentication")


def principal(infra, name: str) -> KafkaSecurity:
    return KafkaSecurity("SASL_PLAINTEXT", "SCRAM-SHA-512", name, infra.kafka_users[name])


async def produce(infra, security: KafkaSecurity, topic: str) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka_bootstrap, request_timeout_ms=10_000, **security.aiokafka()
    )
    try:
        await asyncio.wait_for(producer.start(), 20)
        await asyncio.wait_for(producer.send_and_wait(topic, b"{}", key=b"k"), 20)
    finally:
        await producer.stop()


async def consume_one(infra, security: KafkaSecurity, topic: str, group: str) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=infra.kafka_bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        request_timeout_ms=10_000,
        **security.aiokafka(),
    )
    try:
        await asyncio.wait_for(consumer.start(), 20)
        await asyncio.wait_for(consumer.getone(), 20)
    finally:
        await consumer.stop()


async def test_an_unauthenticated_client_is_refused(infra, sasl, prefix) -> None:
    topic = topic_for("petition", prefix)
    with pytest.raises(KafkaConnectionError):
        await produce(infra, KafkaSecurity("PLAINTEXT"), topic)


async def test_a_wrong_password_is_refused(infra, sasl, prefix) -> None:
    wrong = KafkaSecurity("SASL_PLAINTEXT", "SCRAM-SHA-512", "intake", "not-the-password")
    with pytest.raises(KafkaConnectionError):
        await produce(infra, wrong, topic_for("petition", prefix))


async def test_the_intake_principal_cannot_produce_to_the_clue_topic(infra, sasl, prefix) -> None:
    intake = principal(infra, "intake")
    await produce(infra, intake, topic_for("petition", prefix))  # its own: allowed
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(infra, intake, topic_for("clue", prefix))
    # ... nor into the views: reporting's topic, or the dead letters of a topic it does not read
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(infra, intake, topic_for("share", prefix))
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(infra, intake, dlq_topic(topic_for("petition", prefix)))


async def test_no_service_but_clues_may_forge_a_clue_transfer(infra, sasl, prefix) -> None:
    clue_topic = topic_for("clue", prefix)
    for name in ("intake", "rectification", "reporting"):
        with pytest.raises(TopicAuthorizationFailedError):
            await produce(infra, principal(infra, name), clue_topic)
    await produce(infra, principal(infra, "clues"), clue_topic)


async def test_a_service_reads_only_what_it_consumes(infra, sasl, prefix) -> None:
    issue_topic = topic_for("issue", prefix)
    await produce(infra, principal(infra, "rectification"), issue_topic)
    # reporting consumes the issue topic, with a group of its own prefix
    await consume_one(infra, principal(infra, "reporting"), issue_topic, f"{prefix}reporting.t")
    # intake does not consume it
    with pytest.raises((TopicAuthorizationFailedError, KafkaError)):
        await consume_one(infra, principal(infra, "intake"), issue_topic, f"{prefix}intake.t")
    # nor may clues use a consumer group that is not its own
    petition_topic = topic_for("petition", prefix)
    with pytest.raises(KafkaError):
        await consume_one(
            infra, principal(infra, "clues"), petition_topic, f"{prefix}x.{uuid.uuid4()}"
        )


async def test_the_code_s_clients_authenticate_from_the_settings(infra, sasl) -> None:
    options = client_options(infra.settings("intake"))
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "admin"
