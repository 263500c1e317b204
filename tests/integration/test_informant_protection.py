"""Informant protection end to end: a petition with a reporter's identity goes through the real
intake composition, the relay and Kafka. The raw bytes of the events table's heap file and of
the Kafka topic hold no plaintext; erasing the person's key makes the identity unreadable while
every hash still verifies."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from xuncha_intake.bootstrap import SPEC, vault_from_context
from xuncha_shared import provision
from xuncha_shared.audit import verify_database
from xuncha_shared.auth.tokens import TokenStore
from xuncha_shared.contracts import REGISTRY, topic_for
from xuncha_shared.contracts.intake import PetitionReceived
from xuncha_shared.crypto import KeyErasedError
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http.app import create_app
from xuncha_shared.relay import OutboxRelay
from xuncha_shared.runtime import service_context
from xuncha_shared.settings import Settings, database_url_for

from tests.support.events import read_all_settled
from tests.support.kafka_read import read_topic

pytestmark = pytest.mark.timeout(120)

NAME, PHONE = "欧阳春花", "13979412345"
SECRETS = [NAME, PHONE, "36250219880315002X"]


def _forms(secret: str) -> list[bytes]:
    """The ways a secret could sit in raw bytes: UTF-8, and JSON's \\u escapes."""
    escaped = secret.encode("ascii", "backslashreplace").decode().replace("\\u", "\\\\u")
    return [secret.encode(), escaped.encode(), secret.encode("utf-16-le")]


async def test_no_plaintext_in_raw_storage_or_kafka_and_erasure_keeps_hashes(
    infra: Any, fresh_topics: str
) -> None:
    prefix = f"{infra.db_prefix}ip{uuid.uuid4().hex[:6]}_"
    dbs = await provision.create_service_databases(infra.pg_admin_url, prefix, ["intake"])
    settings = Settings(
        service="intake",
        database_url=dbs["intake"].url,
        pg_admin_url=infra.pg_admin_url,
        db_name_prefix=prefix,
        kafka_bootstrap=infra.kafka_bootstrap,
        topic_prefix=fresh_topics,
        state_dir=infra.state_dir,
    )
    try:
        async with service_context(SPEC, settings) as ctx:
            app = create_app("intake", title=SPEC.title)
            assert SPEC.build_api is not None
            SPEC.build_api(app, ctx)
            group = Principal(id="g3", role=Role.GROUP_MEMBER, jurisdiction="361002")
            token = await TokenStore(ctx.pool).create(group, label="test")
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://intake"
            ) as client:
                resp = await client.post(
                    "/api/v1/petitions",
                    headers={"Authorization": f"Bearer {token}"},
                    json={
                        "jurisdiction": "361002",
                        "unit": "临川区某局",
                        "channel": "visit",
                        "summary": "反映某局违规发放津补贴问题",
                        "informant": {"name": NAME, "phone": PHONE, "id_number": SECRETS[2]},
                    },
                )
            assert resp.status_code == 201, resp.text

            relay = OutboxRelay(
                ctx.pool,
                bootstrap=infra.kafka_bootstrap,
                service="intake",
                topic_prefix=fresh_topics,
            )
            stop = asyncio.Event()
            task = asyncio.create_task(relay.run(stop))
            for _ in range(300):
                if relay.published >= 1:
                    break
                await asyncio.sleep(0.05)
            stop.set()
            await task
            assert relay.published == 1

            # raw bytes of the events table's heap file (after a checkpoint flushed it)
            su = await asyncpg.connect(database_url_for(infra.pg_admin_url, dbs["intake"].database))
            try:
                await su.execute("CHECKPOINT")
                path = await su.fetchval("SELECT pg_relation_filepath('events')")
                heap = await su.fetchval("SELECT pg_read_binary_file($1)", path)
                toast = await su.fetchval(
                    "SELECT pg_relation_filepath(reltoastrelid) FROM pg_class "
                    "WHERE relname = 'events' AND reltoastrelid <> 0"
                )
                if toast:
                    heap += await su.fetchval("SELECT pg_read_binary_file($1)", toast)
            finally:
                await su.close()
            assert b"intake.PetitionReceived" in heap  # we are looking at the right bytes
            records = await read_topic(infra.kafka_bootstrap, topic_for("petition", fresh_topics))
            assert len(records) == 1
            kafka_bytes = records[0].value + b"".join(v for _, v in records[0].headers)
            for secret in SECRETS:
                for form in _forms(secret):
                    assert form not in heap, f"{secret!r} in the events table's raw bytes"
                    assert form not in kafka_bytes, f"{secret!r} on Kafka"

            # the custodian can open it; after erasure nobody can, and hashes still verify
            (stored,) = await read_all_settled(ctx.store, 1)
            payload = REGISTRY.decode(stored)
            assert isinstance(payload, PetitionReceived)
            assert payload.informant is not None
            vault = vault_from_context(ctx)
            assert (await vault.open(payload.informant)).name == NAME
            assert await vault.erase(payload.informant.person_id)
            with pytest.raises(KeyErasedError):
                await vault.open(payload.informant)
            async with ctx.pool.acquire() as conn:
                report = await verify_database(conn, "intake")
            assert report.intact
            assert report.events == 1
    finally:
        await provision.drop_prefixed_databases(infra.pg_admin_url, prefix)
