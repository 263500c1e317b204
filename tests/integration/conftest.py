"""Fixtures of the shared-core integration tests (the run-wide infra fixtures live in
tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.infra import Infra
from tests.support.kafka_broker import PrivateKafka


async def _private(infra: Infra, nodes: int) -> AsyncIterator[PrivateKafka]:
    if infra.backend != "local":
        pytest.skip("a private Kafka runs the local deployment's jars, secrets and configuration")
    cluster = PrivateKafka(nodes)
    cluster.start()
    try:
        await cluster.wait_ready()
        yield cluster
    finally:
        cluster.cleanup()


@pytest.fixture
async def private_kafka(infra: Infra) -> AsyncIterator[PrivateKafka]:
    """One private broker (as `make up`)."""
    async for broker in _private(infra, 1):
        yield broker


@pytest.fixture
async def private_kafka_cluster(infra: Infra) -> AsyncIterator[PrivateKafka]:
    """Three private brokers (as `make up KAFKA_BROKERS=3`)."""
    async for cluster in _private(infra, 3):
        yield cluster
