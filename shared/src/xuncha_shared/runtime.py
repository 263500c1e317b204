"""The composition root every service process shares.

A service describes itself with a ``ServiceSpec`` (its schema, its HTTP routes, its consumers);
``run_service`` wires the rest the same way for all four: settings, logging, telemetry, the
database pool and migrations, the event store, authentication, the FastStream broker, the
outbox relay and the HTTP server, then runs until SIGTERM.

``xuncha-<svc>`` runs everything in one process; ``xuncha-<svc> api|relay|consumers`` runs
one part (to scale HTTP copies separately from the single-active relay, say).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from xuncha_shared import auth, crypto, production
from xuncha_shared.audit.checkpoints import run_checkpointer
from xuncha_shared.contracts import REGISTRY, EventRegistry
from xuncha_shared.db import create_pool, migrate
from xuncha_shared.eventstore.postgres import PostgresEventStore
from xuncha_shared.http import create_app, run_uvicorn
from xuncha_shared.kafka import client_security
from xuncha_shared.logs import configure_logging
from xuncha_shared.relay import OutboxRelay
from xuncha_shared.runtime_gc import tune_gc
from xuncha_shared.settings import Settings
from xuncha_shared.telemetry import kafka_telemetry_middleware, setup_telemetry

log = logging.getLogger("xuncha.runtime")


@dataclass
class ServiceContext:
    """What handlers and routes of a service get from the composition root."""

    settings: Settings
    pool: asyncpg.Pool
    store: PostgresEventStore
    registry: EventRegistry
    broker: KafkaBroker
    authenticator: auth.Authenticator
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def service(self) -> str:
        return self.settings.service


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    title: str
    schema: Sequence[str] = ()
    #: adds the service's routers to the app
    build_api: Callable[[FastAPI, ServiceContext], None] | None = None
    #: registers the service's subscribers on the broker
    build_consumers: Callable[[KafkaBroker, ServiceContext], None] | None = None
    #: extra start-up work once the context exists (e.g. a vault in ctx.extras)
    on_start: Callable[[ServiceContext], Awaitable[None]] | None = None


def make_broker(settings: Settings, *, client_id: str) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap,
        security=client_security(settings).faststream(),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        middlewares=[kafka_telemetry_middleware()],
        logger=logging.getLogger(f"xuncha.{client_id}.broker"),
        log_level=logging.DEBUG,
    )


def make_authenticator(settings: Settings, pool: asyncpg.Pool) -> auth.Authenticator:
    if settings.auth_mode == "oidc":
        if not (settings.oidc_jwks_url and settings.oidc_issuer and settings.oidc_audience):
            raise SystemExit(
                "XUNCHA_AUTH_MODE=oidc needs XUNCHA_OIDC_JWKS_URL, XUNCHA_OIDC_ISSUER and "
                "XUNCHA_OIDC_AUDIENCE"
            )
        return auth.OidcAuthenticator(
            auth.OidcVerifier(settings.oidc_jwks_url, settings.oidc_issuer, settings.oidc_audience)
        )
    return auth.TokenAuthenticator(auth.TokenStore(pool))


@contextlib.asynccontextmanager
async def service_context(spec: ServiceSpec, settings: Settings) -> AsyncIterator[ServiceContext]:
    production.refuse_unsafe_settings(settings)  # XUNCHA_ENV=production: no development secrets
    pool = await create_pool(settings.service_database_url(), min_size=2, max_size=20)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, [auth.SCHEMA, crypto.SCHEMA, *spec.schema])
        await production.check_start(settings, pool)  # demo tokens; warnings in development
        ctx = ServiceContext(
            settings=settings,
            pool=pool,
            store=PostgresEventStore(pool),
            registry=REGISTRY,
            broker=make_broker(settings, client_id=spec.name),
            authenticator=make_authenticator(settings, pool),
        )
        if spec.on_start:
            await spec.on_start(ctx)
        yield ctx
    finally:
        await pool.close()


async def run_service(spec: ServiceSpec, settings: Settings, parts: Sequence[str]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async with service_context(spec, settings) as ctx:
        relay = OutboxRelay(
            ctx.pool,
            bootstrap=settings.kafka_bootstrap,
            service=spec.name,
            topic_prefix=settings.topic_prefix,
            poll_interval=settings.relay_poll_ms / 1000,
        )
        if "consumers" in parts and spec.build_consumers:
            spec.build_consumers(ctx.broker, ctx)
        await ctx.broker.start()  # also the publisher of dead letters

        async def readiness() -> dict[str, bool]:
            checks = {"database": False, "kafka": False}
            with contextlib.suppress(Exception):
                checks["database"] = await ctx.pool.fetchval("SELECT 1") == 1
            with contextlib.suppress(Exception):
                checks["kafka"] = bool(await ctx.broker.ping(timeout=2.0))
            if "relay" in parts:
                checks["relay"] = relay.ready.is_set()
            return checks

        tasks: list[asyncio.Task[None]] = []
        if "relay" in parts:
            tasks.append(asyncio.create_task(relay.run(stop), name="relay"))
            tasks.append(
                asyncio.create_task(
                    run_checkpointer(ctx.pool, spec.name, settings, stop), name="checkpointer"
                )
            )
        if "api" in parts:
            app = create_app(spec.name, title=spec.title, readiness=readiness)
            app.state.ctx = ctx
            if spec.build_api:
                spec.build_api(app, ctx)
            tasks.append(
                asyncio.create_task(
                    run_uvicorn(app, settings.http_host, settings.port(), stop=stop), name="api"
                )
            )
        log.info("%s started: parts=%s port=%s", spec.name, ",".join(parts), settings.port())
        try:
            waiter = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not waiter and task.exception():
                    raise task.exception()  # type: ignore[misc]
        finally:
            stop.set()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, 10)
            await ctx.broker.stop()


def main(spec: ServiceSpec, argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"xuncha-{spec.name}", description=spec.title)
    parser.add_argument(
        "parts",
        nargs="*",
        metavar="PART",
        help="what to run in this process: all (default), api, relay, consumers",
    )
    args = parser.parse_args(argv)
    unknown = set(args.parts) - {"all", "api", "relay", "consumers"}
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    everything = not args.parts or "all" in args.parts
    parts = {"api", "relay", "consumers"} if everything else set(args.parts)
    settings = Settings(service=spec.name)
    configure_logging(spec.name)
    setup_telemetry(spec.name)
    tune_gc()
    asyncio.run(run_service(spec, settings, sorted(parts)))
