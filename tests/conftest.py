"""Shared pytest fixtures and markers.

- tests/unit -> ``unit`` (no infrastructure: never requests the fixtures below),
  tests/integration -> ``integration``, tests/e2e -> ``e2e`` (marked by folder, automatically).
- ``infra`` (session): real PostgreSQL + Kafka (testcontainers when a Docker engine answers,
  otherwise deploy/local, started if needed), with this session's prefixed per-service roles,
  databases (core schema) and topics; all dropped at the end. Started lazily: only when an
  integration or e2e test asks for it.
- ``fresh_db`` (function): a brand-new migrated database with ``.url`` and ``.pool``.
- ``fresh_topics`` (function): every topic under a new unique prefix; yields the prefix.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from xuncha_shared import provision
from xuncha_shared.contracts.topics import all_topics

from tests.infra import FreshDb, Infra, create_fresh_db, drop_fresh_db, start_infra, stop_infra

TESTS_DIR = Path(__file__).resolve().parent
FOLDER_MARKERS = {"unit": "unit", "integration": "integration", "e2e": "e2e"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        try:
            folder = item.path.resolve().relative_to(TESTS_DIR).parts[0]
        except ValueError:
            continue
        marker = FOLDER_MARKERS.get(folder)
        if marker and not item.get_closest_marker(marker):
            item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture(scope="session")
async def infra(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Infra]:
    state_dir = str(tmp_path_factory.mktemp("xuncha-state"))
    session, backend = await start_infra(state_dir)
    try:
        yield session
    finally:
        await stop_infra(session, backend)


@pytest.fixture
async def fresh_db(infra: Infra) -> AsyncIterator[FreshDb]:
    db = await create_fresh_db(infra)
    try:
        yield db
    finally:
        await drop_fresh_db(infra, db)


@pytest.fixture
async def fresh_topics(infra: Infra) -> AsyncIterator[str]:
    prefix = f"{infra.topic_prefix}{uuid.uuid4().hex[:6]}."
    names = all_topics(prefix)
    await provision.create_topics(infra.kafka_bootstrap, names)
    try:
        yield prefix
    finally:
        await provision.delete_topics(infra.kafka_bootstrap, names)
