"""``xuncha backup create`` under load, the data destroyed, ``xuncha backup restore``: the
restored stores hold exactly the backed-up events, ``xuncha audit verify`` passes, the relays
republish nothing Kafka already holds, and a restore onto an empty topic prefix rebuilds the
topics from the stores. Real PostgreSQL and Kafka; the four services run as processes.

"The linked view at backup time" is, precisely, the reporting projection of exactly the events
the backup holds: the events of the live stores whose version is at most their stream's head in
the backup's ``<service>.streams.json``. It is computed before the data is destroyed, with the
live consumer's projection code, and compared with the projection of the restored stores.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.adapters.schema import ddl
from xuncha_reporting.domain.views import counters_from_rows, linked_view
from xuncha_reporting.rebuild import ProjectionRun, apply_events, merge_order, new_schema_name
from xuncha_shared import provision
from xuncha_shared.audit.checkpoints import read_kafka_checkpoints
from xuncha_shared.contracts.topics import service_topics
from xuncha_shared.db import connect, create_pool
from xuncha_shared.envelope import EventEnvelope
from xuncha_shared.eventstore.base import Position
from xuncha_shared.eventstore.postgres import ENVELOPE_COLUMNS, envelope_from_record
from xuncha_shared.kafka import client_options, topic_partitions
from xuncha_shared.relay import OutboxRelay
from xuncha_shared.settings import SERVICES, database_url_for

from tests.e2e.stack import LINCHUAN, Running, service_stack

pytestmark = pytest.mark.timeout(600)

XUNCHA = str(Path(sys.executable).parent / "xuncha")


# ---- helpers ----------------------------------------------------------------------------------


def cli_env(running: Running, topic_prefix: str | None = None) -> dict[str, str]:
    """The CLI's environment for the stack's deployment (superuser URLs, no service URL)."""
    env = dict(running.envs["reporting"])
    env.pop("XUNCHA_DATABASE_URL", None)
    env.pop("XUNCHA_SERVICE", None)
    # an operator's tool: the admin's Kafka login from the deployment's secrets, not reporting's
    # (a service principal may not create topics)
    for key in ("XUNCHA_KAFKA_USERNAME", "XUNCHA_KAFKA_PASSWORD"):
        env.pop(key, None)
    if topic_prefix is not None:
        env["XUNCHA_TOPIC_PREFIX"] = topic_prefix
    return env


async def xuncha(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI; its output's lines are joined (the console wraps long messages)."""
    done = await asyncio.to_thread(
        subprocess.run, [XUNCHA, *args], env=env, capture_output=True, text=True, timeout=300
    )
    done.stdout = " ".join(done.stdout.split())
    done.stderr = " ".join(done.stderr.split())
    return done


async def post_petition(client: httpx.AsyncClient, token: str, n: int) -> None:
    resp = await client.post(
        "/api/v1/petitions",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "jurisdiction": LINCHUAN,
            "unit": f"临川区第{n % 7}局",
            "channel": "letter",
            "summary": f"反映违规发放津补贴问题 {n}",
            "informant": {"name": "刘桂兰", "phone": "13979461234"},
        },
    )
    assert resp.status_code in (200, 201, 202), resp.text


#: seconds between two petitions of the load: at most 400 a minute, under the per-principal
#: limit of 600 (posted back to back, a quiet machine reached it while the backup ran)
LOAD_PAUSE = 0.15


async def load(running: Running, stop: asyncio.Event, counter: list[int]) -> None:
    """Post petitions one after another until ``stop``."""
    token = running.tokens["linchuan"]
    async with httpx.AsyncClient(base_url=running.urls["intake"], timeout=30) as client:
        while not stop.is_set():
            counter[0] += 1
            await post_petition(client, token, counter[0])
            await asyncio.sleep(LOAD_PAUSE)


async def read_events(url: str) -> list[EventEnvelope]:
    conn = await connect(url)
    try:
        rows = await conn.fetch(
            f"SELECT {ENVELOPE_COLUMNS} FROM events ORDER BY tx_id, global_position"
        )
        return [envelope_from_record(r) for r in rows]
    finally:
        await conn.close()


async def heads_and_relay(url: str, service: str) -> tuple[int, Position | None, Position | None]:
    conn = await connect(url)
    try:
        count = int(await conn.fetchval("SELECT count(*) FROM events"))
        last = await conn.fetchrow(
            "SELECT tx_id, global_position FROM events "
            "ORDER BY tx_id DESC, global_position DESC LIMIT 1"
        )
        relay = await conn.fetchrow(
            "SELECT tx_id, global_position FROM relay_positions WHERE relay = $1",
            f"{service}.relay",
        )
    finally:
        await conn.close()
    return count, _position(last), _position(relay)


def _position(row: Any) -> Position | None:
    return Position(row["tx_id"], row["global_position"]) if row else None


async def wait_quiet(running: Running, *, seconds: float = 120) -> None:
    """Until every relay has published its whole store and no store grew for two seconds (the
    consumers have derived everything)."""
    urls = {s: running.admin_database_url(s) for s in SERVICES}
    deadline = asyncio.get_running_loop().time() + seconds
    previous: dict[str, int] | None = None
    while True:
        state = {s: await heads_and_relay(u, s) for s, u in urls.items()}
        counts = {s: c for s, (c, _, _) in state.items()}
        published = all(last is None or last == relay for _, last, relay in state.values())
        if published and counts == previous:
            return
        previous = counts
        assert asyncio.get_running_loop().time() < deadline, f"not quiet: {state}"
        await asyncio.sleep(2)


async def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **client_options()
    )
    await consumer.start()
    try:
        partitions: list[TopicPartition] = []
        for topic in topics:
            partitions += await topic_partitions(consumer, topic)
        return dict(await consumer.end_offsets(partitions)) if partitions else {}
    finally:
        await consumer.stop()


async def kafka_event_ids(bootstrap: str, topics: Iterable[str]) -> list[str]:
    """Every message's ``event_id`` header on ``topics`` (duplicates kept)."""
    from xuncha_shared.audit.kafka_copy import scan_topics
    from xuncha_shared.kafka import header

    ids: list[str] = []
    await scan_topics(
        bootstrap, list(topics), lambda t, p, o, v, h: ids.append(header(h, "event_id") or "")
    )
    return ids


async def run_relays_until_idle(
    admin_url: str, db_prefix: str, bootstrap: str, prefix: str
) -> None:
    """Each service's real relay, in this process, until its position is its store's head."""
    for service in SERVICES:
        url = database_url_for(admin_url, f"{db_prefix}{service}")
        pool = await create_pool(url, max_size=3)
        relay = OutboxRelay(pool, bootstrap=bootstrap, service=service, topic_prefix=prefix)
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        try:
            _, last, _ = await heads_and_relay(url, service)
            for _ in range(600):
                if last is None or await relay.position() == last:
                    break
                await asyncio.sleep(0.1)
            assert last is None or await relay.position() == last, f"{service} relay stuck"
        finally:
            stop.set()
            await task
            await pool.close()


async def projected_view(scratch_url: str, events: list[EventEnvelope]) -> dict[str, Any]:
    """The linked view that the reporting projection gives for exactly ``events``."""
    conn = await connect(scratch_url)
    try:
        schema = new_schema_name()
        await conn.execute(ddl(schema))
        tables = ProjectionTables(schema)
        await apply_events(conn, tables, merge_order(events), ProjectionRun(schema=schema, read={}))
        view = linked_view(counters_from_rows(await tables.counter_rows(conn)))
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        return view
    finally:
        await conn.close()


def backed_up(directory: Path, service: str, events: list[EventEnvelope]) -> list[EventEnvelope]:
    doc = json.loads((directory / f"{service}.streams.json").read_text("utf-8"))
    heads = {s: v for s, v, _ in doc["streams"]}
    return [e for e in events if e.stream_version <= heads.get(e.stream_id, 0)]


async def stop_services(running: Running) -> None:
    for proc in running.procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in running.procs.values():
        await asyncio.to_thread(proc.wait, 30)


# ---- the test ---------------------------------------------------------------------------------


async def test_backup_under_load_restore_verify_and_rebuild(
    infra: Any, tmp_path: Path, fresh_db: Any
) -> None:
    backup_dir = tmp_path / "backup"
    async with service_stack(infra, tmp_path) as running:
        topic_prefix = running.envs["intake"]["XUNCHA_TOPIC_PREFIX"]
        env = cli_env(running)
        admin = infra.pg_admin_url
        bootstrap = infra.kafka_bootstrap

        # history before the backup (signed by a checkpoint), then the backup taken while
        # petitions keep coming
        stop, counter = asyncio.Event(), [0]
        loader = asyncio.create_task(load(running, stop, counter))
        await asyncio.sleep(2)
        signed = await xuncha(env, "audit", "checkpoint", "--service", "intake")
        assert signed.returncode == 0, signed.stderr + signed.stdout
        before = counter[0]
        created = await xuncha(env, "backup", "create", str(backup_dir))
        during = counter[0] - before
        await asyncio.sleep(1)  # and a little after it
        stop.set()
        await loader
        assert created.returncode == 0, created.stderr + created.stdout
        assert "backup written" in created.stdout
        assert during > 0, "no petition was posted while the backup ran"
        await wait_quiet(running)
        # a checkpoint of a history the backup does not reach
        signed = await xuncha(env, "audit", "checkpoint", "--service", "intake")
        assert signed.returncode == 0, signed.stderr + signed.stdout

        manifest = json.loads((backup_dir / "manifest.json").read_text("utf-8"))
        assert set(manifest["stores"]) == set(SERVICES)
        listed = {f["path"] for f in manifest["files"]}
        assert {f"{s}.dump" for s in SERVICES} <= listed
        assert not any(p.endswith(".ed25519") for p in listed)  # no private key, no KEK

        live = {s: await read_events(running.admin_database_url(s)) for s in SERVICES}
        expected = {s: backed_up(backup_dir, s, live[s]) for s in SERVICES}
        for s in SERVICES:
            assert len(expected[s]) == manifest["stores"][s]["heads"]["events"]
        # events appended after the backup exist (and the relay has published them)
        assert len(live["intake"]) > len(expected["intake"])
        view_at_backup = await projected_view(
            fresh_db.url, [e for s in SERVICES for e in expected[s]]
        )
        topics = [t for s in SERVICES for t in service_topics(s, topic_prefix)]
        offsets_before = await end_offsets(bootstrap, topics)

        # a tampered copy is refused before anything is touched
        tampered = tmp_path / "tampered"
        shutil.copytree(backup_dir, tampered)
        with (tampered / "clues.dump").open("r+b") as f:
            f.seek(100)
            byte = f.read(1)
            f.seek(100)
            f.write(bytes([byte[0] ^ 0xFF]))
        refused = await xuncha(env, "backup", "restore", str(tampered))
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "clues.dump: SHA-256 differs" in refused.stderr
        # and so is a deployment that holds data
        refused = await xuncha(env, "backup", "restore", str(backup_dir))
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "not empty" in refused.stderr
        assert len(await read_events(running.admin_database_url("intake"))) == len(live["intake"])

        # destroy the data
        await stop_services(running)
        await provision.drop_prefixed_databases(admin, running.db_prefix)

        # restore onto the same Kafka, which holds events the backup does not
        restored = await xuncha(env, "backup", "restore", str(backup_dir))
        assert restored.returncode == 0, restored.stderr + restored.stdout
        assert "appended after the backup" in restored.stdout
        assert "1 checkpoint(s) on Kafka beyond the restored history" in restored.stdout
        for s in SERVICES:
            events = await read_events(running.admin_database_url(s))
            assert [e.event_id for e in events] == [e.event_id for e in expected[s]]
        verified = await xuncha(env, "audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "Kafka's copy matches" in verified.stdout
        # the read-only auditor role (reporting's audit API) reads the record and the history
        audit_settings = infra.settings("reporting", db_name_prefix=running.db_prefix)
        auditor = await connect(audit_settings.audit_database_url("intake"))
        try:
            assert await auditor.fetchval("SELECT count(*) FROM restore_records") == 1
            assert await auditor.fetchval("SELECT count(*) FROM events") == len(expected["intake"])
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await auditor.fetchval("SELECT count(*) FROM informant_keys")
        finally:
            await auditor.close()
        # the consumer groups start again from the beginning (their inbox skips what is done)
        async with provision.kafka_admin(bootstrap) as kafka:
            group = f"{topic_prefix}reporting.projections"
            committed = await kafka.list_consumer_group_offsets(group)
        assert committed and all(o.offset == 0 for o in committed.values()), committed
        assert "appended after the" in verified.stdout  # explained, not silent

        # the relays republish nothing already on Kafka
        await run_relays_until_idle(admin, running.db_prefix, bootstrap, topic_prefix)
        assert await end_offsets(bootstrap, topics) == offsets_before

        restored_events = [
            e for s in SERVICES for e in await read_events(running.admin_database_url(s))
        ]
        assert await projected_view(fresh_db.url, restored_events) == view_at_backup

        # a lost Kafka: restore onto an empty topic prefix rebuilds the topics from the stores
        empty_prefix = f"{infra.topic_prefix}rb{uuid.uuid4().hex[:6]}."
        env_empty = cli_env(running, empty_prefix)
        lost_prefix = f"{infra.topic_prefix}lk{uuid.uuid4().hex[:6]}."
        try:
            refused = await xuncha(env_empty, "backup", "restore", str(backup_dir))
            assert refused.returncode == 2  # the restored deployment holds data now
            rebuilt = await xuncha(env_empty, "backup", "restore", "--force", str(backup_dir))
            assert rebuilt.returncode == 0, rebuilt.stderr + rebuilt.stdout
            assert "appended after the backup" not in rebuilt.stdout
            await run_relays_until_idle(admin, running.db_prefix, bootstrap, empty_prefix)
            for s in SERVICES:
                ids = await kafka_event_ids(bootstrap, service_topics(s, empty_prefix))
                assert sorted(ids) == sorted(str(e.event_id) for e in expected[s]), s
            # the backed-up checkpoint is on the rebuilt audit topic again
            on_kafka, _ = await read_kafka_checkpoints(bootstrap, empty_prefix)
            assert [c.service for c, _ in on_kafka] == ["intake"]
            verified = await xuncha(env_empty, "audit", "verify")
            assert verified.returncode == 0, verified.stdout + verified.stderr
            assert "appended after the" not in verified.stdout
            assert "1 checkpoint(s) verified" in verified.stdout

            # Kafka lost again, the stores intact: `backup reconcile` and the relays rebuild it
            env_lost = cli_env(running, lost_prefix)
            reconciled = await xuncha(env_lost, "backup", "reconcile")
            assert reconciled.returncode == 0, reconciled.stderr + reconciled.stdout
            await run_relays_until_idle(admin, running.db_prefix, bootstrap, lost_prefix)
            for s in SERVICES:
                ids = await kafka_event_ids(bootstrap, service_topics(s, lost_prefix))
                assert sorted(ids) == sorted(str(e.event_id) for e in expected[s]), s
            on_kafka, _ = await read_kafka_checkpoints(bootstrap, lost_prefix)
            assert [c.service for c, _ in on_kafka] == ["intake"]
            verified = await xuncha(env_lost, "audit", "verify")
            assert verified.returncode == 0, verified.stdout + verified.stderr
        finally:
            await provision.delete_prefixed_topics(bootstrap, empty_prefix)
            await provision.delete_prefixed_topics(bootstrap, lost_prefix)
