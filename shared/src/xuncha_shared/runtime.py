"""The composition root every service process shares.

A service describes itself with a ``ServiceSpec`` (its schema, its HTTP routes, its consumers);
``run_service`` wires the rest the same way for all four: settings, logging, telemetry, the
database pool and migrations, the event store, authentication, the FastStream broker, the
outbox relay and the HTTP server, then runs until SIGTERM.

``xuncha-<svc>`` runs everything in one process; ``xuncha-<svc> api|relay|consumers`` runs
one part (to scale HTTP copies separately from the single-active relay, say). Several copies of
a service may run at once: the relay and the checkpointer are active in one copy at a time
(``xuncha_shared.leadership``), the consumers share their groups, the deadline workers claim with
``FOR UPDATE SKIP LOCKED``, and any copy serves any HTTP request.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import asyncpg
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from xuncha_shared import crypto, event_loop, metrics, metrics_sampling, production
from xuncha_shared.aggregates import Aggregates, NoReadModel, Reaction, ReadModel
from xuncha_shared.audit.checkpoints import run_checkpointer
from xuncha_shared.auth import tokens
from xuncha_shared.auth.authenticators import (
    Authenticator,
    TokenAuthenticator,
    authenticator_from_settings,
)
from xuncha_shared.clocks import Clocks, DeadlineKind, run_deadline_worker
from xuncha_shared.clocks.clock import Now, system_now
from xuncha_shared.consumer import EventHandler, InboxConsumer, broker_dead_letter_sink, subscribe
from xuncha_shared.contracts import REGISTRY, EventRegistry
from xuncha_shared.contracts.topics import topic_for
from xuncha_shared.db import migrate, prepared_pool_when_ready
from xuncha_shared.domain.aggregates import AggregateKind, State
from xuncha_shared.eventstore.postgres import PostgresEventStore
from xuncha_shared.http.app import create_app
from xuncha_shared.http.server import run_uvicorn
from xuncha_shared.kafka import client_security
from xuncha_shared.leadership import run_as_leader
from xuncha_shared.logs import configure_logging
from xuncha_shared.migrations import Migration
from xuncha_shared.relay import OutboxRelay
from xuncha_shared.runtime_gc import tune_gc
from xuncha_shared.settings import Settings
from xuncha_shared.telemetry import kafka_telemetry_middleware, setup_telemetry
from xuncha_shared.unit_of_work import pg_unit_of_work

log = logging.getLogger("xuncha.runtime")

T = TypeVar("T")
S = TypeVar("S", bound=State)


@dataclass(frozen=True)
class Component(Generic[T]):
    """A typed slot for a component of one service (intake's informant vault, say): the
    service declares ``VAULT = Component[InformantVault]("vault")`` and gets it back typed."""

    name: str


@dataclass
class ServiceContext:
    """What handlers and routes of a service get from the composition root."""

    settings: Settings
    pool: asyncpg.Pool
    store: PostgresEventStore
    registry: EventRegistry
    broker: KafkaBroker
    authenticator: Authenticator
    #: the inbox consumers wired by :func:`inbox_subscriber`, by name (the consumer group)
    consumers: dict[str, InboxConsumer] = field(default_factory=dict)
    _components: dict[Component[Any], Any] = field(default_factory=dict, repr=False)
    #: untyped slots, kept for the reporting service until it moves to ``Component`` keys
    extras: dict[str, Any] = field(default_factory=dict)
    #: the service's clock (its deadlines, the moment its commands take effect); tests replace
    #: it with a ``ManualClock`` and move it instead of sleeping
    now: Now = system_now

    @property
    def service(self) -> str:
        return self.settings.service

    def aggregates(
        self,
        kind: AggregateKind[S],
        read_model: ReadModel[S] | None = None,
        reactions: Sequence[Reaction[S]] = (),
    ) -> Aggregates[S]:
        """The command loop of ``kind`` on this service's event store, one transaction of the
        pool per command, updating ``read_model`` and running ``reactions``; its events occur
        at the service's clock."""
        return Aggregates(
            kind,
            self.store,
            pg_unit_of_work(self.pool),
            read_model or NoReadModel(),
            self.registry,
            reactions,
            clock=lambda: self.now(),
        )

    def clocks(self) -> Clocks:
        """The service's deadlines handle, reading :attr:`now` at each call (so a test's clock
        set after start-up is the one used)."""
        return Clocks(self.service, now=lambda: self.now())

    def component(self, key: Component[T], make: Callable[[], T]) -> T:
        """The service's component ``key``, made by ``make`` the first time it is asked for."""
        if key not in self._components:
            self._components[key] = make()
        value: T = self._components[key]
        return value


def inbox_subscriber(
    ctx: ServiceContext, name: str, aggregates: Sequence[str], handler: EventHandler
) -> InboxConsumer:
    """Wire one inbox consumer: ``handler`` runs for each event of the topics of ``aggregates``
    (``petition``, ``clue``, …, under the deployment's topic prefix), in one transaction with the
    inbox row, in consumer group ``<prefix><name>``; undecodable or failing events go to the
    dead-letter topic. The consumer is kept in ``ctx.consumers[name]``."""
    consumer = InboxConsumer(
        name=name,
        pool=ctx.pool,
        registry=ctx.registry,
        handler=handler,
        dead_letter=broker_dead_letter_sink(ctx.broker),
    )
    prefix = ctx.settings.topic_prefix
    subscribe(
        ctx.broker,
        [topic_for(aggregate, prefix) for aggregate in aggregates],
        consumer,
        group_prefix=prefix,
    )
    ctx.consumers[name] = consumer
    return consumer


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    title: str
    schema: Sequence[str] = ()
    #: adds the service's routers to the app
    build_api: Callable[[FastAPI, ServiceContext], None] | None = None
    #: registers the service's subscribers on the broker
    build_consumers: Callable[[KafkaBroker, ServiceContext], None] | None = None
    #: extra start-up work once the context exists (e.g. making a component early)
    on_start: Callable[[ServiceContext], Awaitable[None]] | None = None
    #: deadline kinds the service's worker fires (xuncha_shared.clocks), run with the relay
    deadline_kinds: Sequence[DeadlineKind] = ()
    #: its /metrics also serves the operator tools' metric files (``xuncha audit verify
    #: --metrics-file``) in ``Settings.metrics_textfiles()``: one service does (reporting)
    serves_tool_metrics: bool = False
    #: the service's numbered schema migrations (xuncha_shared.migrations), after its baseline
    #: ``schema``: component = the service's name, versions 1, 2, 3 …
    migrations: Sequence[Migration] = ()
    #: further outbound loops run with the relay until ``stop`` is set (reporting's share topics)
    background: Sequence[Callable[[ServiceContext, asyncio.Event], Coroutine[Any, Any, None]]] = ()


def make_broker(settings: Settings, *, client_id: str) -> KafkaBroker:
    return KafkaBroker(
        # FastStream takes one host per list item (aiokafka itself splits a string at commas)
        [host.strip() for host in settings.kafka_bootstrap.split(",") if host.strip()],
        security=client_security(settings).faststream(),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        middlewares=[kafka_telemetry_middleware()],
        logger=logging.getLogger(f"xuncha.{client_id}.broker"),
        log_level=logging.DEBUG,
    )


def make_authenticator(settings: Settings, pool: asyncpg.Pool) -> Authenticator:
    """The configured authenticator; a configuration error stops the process."""
    try:
        return authenticator_from_settings(pool, settings)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None


@contextlib.asynccontextmanager
async def service_context(spec: ServiceSpec, settings: Settings) -> AsyncIterator[ServiceContext]:
    production.refuse_unsafe_settings(settings)  # XUNCHA_ENV=production: no development secrets

    async def prepare(pool: asyncpg.Pool) -> ServiceContext:
        async with pool.acquire() as conn:
            await migrate(conn, [tokens.SCHEMA, crypto.SCHEMA, *spec.schema], spec.migrations)
        await production.check_start(settings, pool)  # demo tokens; warnings in development
        ctx = ServiceContext(
            settings=settings,
            pool=pool,
            store=PostgresEventStore(pool, service=spec.name),
            registry=REGISTRY,
            broker=make_broker(settings, client_id=spec.name),
            authenticator=make_authenticator(settings, pool),
        )
        if spec.on_start:
            await spec.on_start(ctx)
        return ctx

    # a copy started while PostgreSQL restarts, or whose start-up PostgreSQL's restart cuts
    # short, waits for it rather than exiting at once
    pool, ctx = await prepared_pool_when_ready(
        settings.service_database_url(), prepare, min_size=2, max_size=20
    )
    try:
        metrics.watch_pool(spec.name, pool)
        yield ctx
    finally:
        metrics.watch_pool(spec.name, None)
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
            idle_poll_interval=settings.relay_idle_poll_ms / 1000,
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
                # active and publishing, or standing by while another copy's relay is active
                checks["relay"] = relay.ready.is_set() or relay.standing_by
            return checks

        tasks: list[asyncio.Task[None]] = []
        if "relay" in parts:
            tasks.append(asyncio.create_task(relay.run(stop), name="relay"))
            # one checkpointer per service at a time, like the relay (xuncha_shared.leadership)
            tasks.append(
                asyncio.create_task(
                    run_as_leader(
                        ctx.pool,
                        f"{spec.name}.checkpointer",
                        lambda own_stop: run_checkpointer(ctx.pool, spec.name, settings, own_stop),
                        stop,
                    ),
                    name="checkpointer",
                )
            )
            for loop_of in spec.background:
                tasks.append(asyncio.create_task(loop_of(ctx, stop), name=loop_of.__name__))
            if spec.deadline_kinds:
                tasks.append(
                    asyncio.create_task(
                        run_deadline_worker(
                            ctx.pool, ctx.store, ctx.clocks(), spec.deadline_kinds, stop
                        ),
                        name="deadlines",
                    )
                )
        tasks.append(
            asyncio.create_task(metrics_sampler(ctx, parts).run(stop), name="metrics-sampler")
        )
        if "api" in parts:
            token_cache = (
                ctx.authenticator.store.cache
                if isinstance(ctx.authenticator, TokenAuthenticator)
                else None
            )
            if token_cache is not None:
                tasks.append(
                    asyncio.create_task(
                        token_cache.listen(ctx.pool, stop),
                        name="token-revocations",
                    )
                )
            textfiles = settings.metrics_textfiles() if spec.serves_tool_metrics else None
            app = create_app(
                spec.name, title=spec.title, readiness=readiness, metrics_textfiles=textfiles
            )
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


def metrics_sampler(ctx: ServiceContext, parts: Sequence[str]) -> metrics.Sampler:
    """The sampled gauges of this process: relay lag and deadlines due where the relay runs,
    the lag of this process's consumer groups where the consumers run."""
    sampler = metrics.Sampler(ctx.settings.metrics_interval_seconds)
    service = ctx.service
    if "relay" in parts:

        async def relay() -> None:
            await metrics_sampling.relay_lag(ctx.pool, service)

        async def deadlines() -> None:
            await metrics_sampling.deadlines_due(ctx.pool, service, ctx.now())

        sampler.add(relay)
        sampler.add(deadlines)
    if "consumers" in parts and ctx.consumers:
        # its Kafka clients stay open between samples (closed when the sampler stops)
        lag = metrics_sampling.ConsumerLag(
            ctx.settings.kafka_bootstrap, client_security(ctx.settings)
        )

        async def consumers() -> None:
            groups = [(c.name, c.group_id, c.topics) for c in ctx.consumers.values()]
            await lag.sample(groups)

        sampler.add(consumers)
        sampler.closers.append(lag.close)
    return sampler


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
    configure_logging(
        spec.name,
        settings.log_level,
        log_file=settings.log_file,
        max_bytes=settings.log_max_bytes,
        backups=settings.log_backups,
    )
    setup_telemetry(spec.name)
    metrics.setup_metrics(spec.name)
    tune_gc()
    event_loop.run(run_service(spec, settings, sorted(parts)), settings.event_loop)
