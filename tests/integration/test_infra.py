"""The infrastructure itself: a real broker with the session's topics, one private database and
role per service, the core schema in each, and the fixtures other tests rely on."""

from __future__ import annotations

import contextlib

import asyncpg
import pytest
from xuncha_shared import provision
from xuncha_shared.contracts.topics import all_topics
from xuncha_shared.db import create_pool
from xuncha_shared.settings import SERVICES

from tests.infra import FreshDb, Infra


async def test_broker_answers(infra: Infra) -> None:
    cluster = await provision.wait_for_kafka(infra.kafka_bootstrap, 10)
    assert cluster["brokers"], cluster
    assert cluster["cluster_id"]


async def test_session_topics_exist_with_infinite_retention(infra: Infra) -> None:
    names = all_topics(infra.topic_prefix)
    async with provision.kafka_admin(infra.kafka_bootstrap) as admin:
        existing = set(await admin.list_topics())
        assert set(names) <= existing
        described = await admin.describe_topics(names)
    assert {t["topic"] for t in described} == set(names)
    for topic in described:
        assert topic["error_code"] == 0, topic
        assert len(topic["partitions"]) == provision.TOPIC_PARTITIONS, topic["topic"]
        assert all(len(p["replicas"]) == 1 and p["leader"] >= 0 for p in topic["partitions"])
    configs = await provision.describe_topic_configs(infra.kafka_bootstrap, names)
    for name in names:
        assert configs[name]["retention.ms"] == "-1", name
        assert configs[name]["retention.bytes"] == "-1", name


async def test_auto_topic_creation_is_off(infra: Infra) -> None:
    """Every topic is created explicitly; a typo must not silently create a new one."""
    async with provision.kafka_admin(infra.kafka_bootstrap) as admin:
        missing = f"{infra.topic_prefix}no.such.topic.v1"
        described = await admin.describe_topics([missing])
        assert described[0]["error_code"] != 0
        assert missing not in await admin.list_topics()


async def test_topics_provisioning_is_idempotent(infra: Infra) -> None:
    created = await provision.create_topics(infra.kafka_bootstrap, all_topics(infra.topic_prefix))
    assert created == []


@pytest.mark.parametrize("service", SERVICES)
async def test_service_database_and_role(infra: Infra, service: str) -> None:
    conn = await asyncpg.connect(infra.database_url(service))
    try:
        assert await conn.fetchval("SELECT current_user") == f"{infra.db_prefix}{service}"
        assert await conn.fetchval("SELECT current_database()") == f"{infra.db_prefix}{service}"
        for table in ("events", "relay_positions", "inbox"):
            assert await conn.fetchval("SELECT to_regclass($1)::text", f"public.{table}") == table
        owner = await conn.fetchval(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        )
        assert owner == f"{infra.db_prefix}{service}"
        # the service role may write its own tables (rolled back: nothing is left behind)
        tr = conn.transaction()
        await tr.start()
        await conn.execute(
            "INSERT INTO relay_positions (relay, tx_id, global_position) VALUES ('t', 1, 1)"
        )
        assert await conn.fetchval("SELECT count(*) FROM relay_positions") == 1
        await tr.rollback()
    finally:
        await conn.close()


@pytest.mark.parametrize("service", SERVICES)
async def test_service_role_cannot_open_another_services_database(
    infra: Infra, service: str
) -> None:
    other = next(s for s in SERVICES if s != service)
    mine = provision.service_database(infra.pg_admin_url, service, infra.db_prefix)
    url = provision.role_url(
        infra.pg_admin_url, mine.role, mine.password, f"{infra.db_prefix}{other}"
    )
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(url)


async def test_service_role_needs_its_password(infra: Infra) -> None:
    role = f"{infra.db_prefix}intake"
    url = provision.role_url(infra.pg_admin_url, role, "wrong-password", role)
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(url)


async def test_databases_provisioning_is_idempotent(infra: Infra) -> None:
    again = await provision.create_service_databases(infra.pg_admin_url, infra.db_prefix)
    assert set(again) == set(SERVICES)
    conn = await asyncpg.connect(infra.database_url("clues"))
    try:
        assert await conn.fetchval("SELECT to_regclass('public.events')::text") == "events"
    finally:
        await conn.close()


def test_settings_and_env_point_at_the_session(infra: Infra) -> None:
    settings = infra.settings("clues")
    assert settings.service == "clues"
    assert settings.db_name() == f"{infra.db_prefix}clues"
    assert settings.topic_prefix == infra.topic_prefix
    assert settings.kafka_bootstrap == infra.kafka_bootstrap
    assert settings.service_database_url() == infra.database_url("clues")
    env = infra.env("reporting", http_port=18123)
    assert env["XUNCHA_SERVICE"] == "reporting"
    assert env["XUNCHA_DATABASE_URL"] == infra.database_url("reporting")
    assert env["XUNCHA_DB_NAME_PREFIX"] == infra.db_prefix
    assert env["XUNCHA_TOPIC_PREFIX"] == infra.topic_prefix
    assert env["XUNCHA_PG_ADMIN_URL"] == infra.pg_admin_url
    assert env["XUNCHA_KAFKA_BOOTSTRAP"] == infra.kafka_bootstrap
    assert env["XUNCHA_HTTP_PORT"] == "18123"
    assert "PATH" in env


async def test_fresh_db_is_empty_and_migrated(fresh_db: FreshDb, infra: Infra) -> None:
    assert fresh_db.name.startswith(infra.db_prefix)
    async with fresh_db.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM events") == 0
        assert await conn.fetchval("SELECT count(*) FROM inbox") == 0
        await conn.execute(
            "INSERT INTO inbox (consumer, event_id, topic) VALUES ('c', gen_random_uuid(), 't')"
        )
        assert await conn.fetchval("SELECT count(*) FROM inbox") == 1


async def test_fresh_db_is_new_each_time(fresh_db: FreshDb) -> None:
    async with fresh_db.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM inbox") == 0


async def test_a_pooled_connection_is_reset_only_when_a_statement_may_have_left_state(
    fresh_db: FreshDb,
) -> None:
    """Giving a connection back to the pool costs no reset round trip after plain statements
    (its last statement stays the plain one), while session state a statement set (a setting,
    a session advisory lock) never reaches the next user of the connection."""
    pool = await create_pool(fresh_db.url, min_size=1, max_size=1)
    watcher = await asyncpg.connect(fresh_db.url)
    try:

        async def last_statement(pid: int) -> str:
            query = "SELECT query FROM pg_stat_activity WHERE pid = $1"
            return str(await watcher.fetchval(query, pid))

        async with pool.acquire() as conn:
            pid = conn.get_server_pid()
            await conn.fetchval("SELECT 'plain' AS marker")
            await conn.execute("INSERT INTO inbox VALUES ('c', gen_random_uuid(), 't')")
        assert await last_statement(pid) == (
            "INSERT INTO inbox VALUES ('c', gen_random_uuid(), 't')"
        ), "a reset ran after plain statements"

        async with pool.acquire() as conn:
            assert conn.get_server_pid() == pid
            await conn.execute("SET application_name = 'left behind'")
            assert await conn.fetchval("SELECT pg_try_advisory_lock(4242)")
        assert "RESET ALL" in await last_statement(pid)

        async with pool.acquire() as conn:
            assert conn.get_server_pid() == pid
            assert await conn.fetchval("SHOW application_name") != "left behind"
            await conn.fetchval("SELECT set_config('application_name', 'again', false)")
        assert await watcher.fetchval("SELECT pg_try_advisory_lock(4242)")
        async with pool.acquire() as conn:
            assert await conn.fetchval("SHOW application_name") != "again"

        # a failed statement gets the full reset too (a connection the server died under then
        # fails it and is terminated instead of going back: tests/integration/test_postgres_
        # restart.py); checked here with a plain error
        with contextlib.suppress(asyncpg.UndefinedTableError):
            async with pool.acquire() as conn:
                pid = conn.get_server_pid()
                await conn.fetchval("SELECT 1 FROM no_such_table")
        assert "RESET ALL" in await last_statement(pid)
    finally:
        await watcher.close()
        await pool.close()


async def test_fresh_topics(fresh_topics: str, infra: Infra) -> None:
    assert fresh_topics.startswith(infra.topic_prefix)
    assert fresh_topics != infra.topic_prefix
    names = all_topics(fresh_topics)
    async with provision.kafka_admin(infra.kafka_bootstrap) as admin:
        assert set(names) <= set(await admin.list_topics())
