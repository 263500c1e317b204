"""Fixtures of the shared-core integration tests (the run-wide infra fixtures live in
tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.kafka_broker import PrivateKafka


@pytest.fixture
async def private_kafka(infra) -> AsyncIterator[PrivateKafka]:  # infra: the jars are resolved
    broker = PrivateKafka()
    broker.start()
    try:
        await broker.wait_ready()
        yield broker
    finally:
        broker.cleanup()
