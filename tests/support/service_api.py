"""One service's real composition (schema, routes, extras) in the test process, reached over
HTTP through an ``httpx.ASGITransport`` with real bearer tokens, on databases and topics of its
own (prefixed with the session's, so the session's clean-up drops them too)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from xuncha_shared import provision
from xuncha_shared.auth.tokens import TokenStore
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.app import create_app
from xuncha_shared.relay import OutboxRelay
from xuncha_shared.runtime import ServiceContext, ServiceSpec, service_context
from xuncha_shared.settings import Settings


@dataclass
class InProcessService:
    client: httpx.AsyncClient
    ctx: ServiceContext
    tokens: dict[str, str]
    settings: Settings
    databases: dict[str, Any]  # service -> provision.ServiceDatabase

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def service_settings(
    service: str,
    infra: Any,
    databases: Mapping[str, Any],
    prefix: str,
    topics: str,
    **overrides: Any,
) -> Settings:
    """The settings of ``service`` on the prefixed databases and topics of a test."""
    values: dict[str, Any] = {
        "service": service,
        "database_url": databases[service].url,
        "pg_admin_url": infra.pg_admin_url,
        "db_name_prefix": prefix,
        "kafka_bootstrap": infra.kafka_bootstrap,
        "topic_prefix": topics,
        "state_dir": infra.state_dir,
    }
    values.update(overrides)
    return Settings(**values)


@contextlib.asynccontextmanager
async def in_process_service(
    infra: Any,
    spec: ServiceSpec,
    principals: Mapping[str, Principal],
    *,
    label: str,
    services: Sequence[str] | None = None,
    own_topics: bool = False,
    relay: bool = False,
) -> AsyncIterator[InProcessService]:
    """``spec``'s API on fresh databases (``services``, default the spec's own) with a token per
    principal; with ``own_topics`` on topics of its own (else the session's), with ``relay`` its
    outbox relay running. Databases and topics of its own are dropped afterwards."""
    run = uuid.uuid4().hex[:6]
    prefix = f"{infra.db_prefix}{label}{run}_"
    topics = f"{infra.topic_prefix}{label}{run}." if own_topics else infra.topic_prefix
    dbs = await provision.create_service_databases(
        infra.pg_admin_url, prefix, list(services or [spec.name])
    )
    if own_topics:
        await provision.provision_topics(infra.kafka_bootstrap, topics)
    settings = service_settings(spec.name, infra, dbs, prefix, topics)
    stop = asyncio.Event()
    try:
        async with service_context(spec, settings) as ctx:
            task = None
            if relay:
                outbox = OutboxRelay(
                    ctx.pool,
                    bootstrap=infra.kafka_bootstrap,
                    service=spec.name,
                    topic_prefix=topics,
                    poll_interval=0.01,
                )
                task = asyncio.create_task(outbox.run(stop))
            try:
                app = create_app(spec.name, title=spec.title)
                assert spec.build_api is not None
                spec.build_api(app, ctx)
                store = TokenStore(ctx.pool)
                tokens = {n: await store.create(p, label="test") for n, p in principals.items()}
                transport = httpx.ASGITransport(app=app)
                base_url = f"http://{spec.name}"
                async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
                    yield InProcessService(client, ctx, tokens, settings, dict(dbs))
            finally:
                stop.set()
                if task is not None:
                    await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 30)
    finally:
        await provision.drop_prefixed_databases(infra.pg_admin_url, prefix)
        if own_topics:
            await provision.delete_prefixed_topics(infra.kafka_bootstrap, topics)
