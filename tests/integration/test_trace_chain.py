"""One trace from an HTTP request through the append, the relay, Kafka and the consuming
handler, against the real database and broker."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from faststream.kafka import KafkaBroker
from opentelemetry.trace import SpanKind
from xuncha_shared import telemetry
from xuncha_shared.consumer import InboxConsumer, broker_dead_letter_sink, subscribe
from xuncha_shared.contracts import REGISTRY, topic_for
from xuncha_shared.eventstore import NO_STREAM, NewEvent, PostgresEventStore
from xuncha_shared.http.app import create_app
from xuncha_shared.kafka import client_security
from xuncha_shared.relay import OutboxRelay

from tests.support.events import petition


@pytest.fixture
def spans() -> Iterator[object]:
    telemetry.reset_for_tests()
    telemetry.setup_telemetry("intake", exporter="memory")
    yield telemetry.memory_exporter()
    telemetry.reset_for_tests()


async def test_http_append_relay_kafka_handler_share_one_trace(
    spans, fresh_db, fresh_topics, infra
):
    store = PostgresEventStore(fresh_db.pool)
    app = create_app("intake", title="trace test")

    @app.post("/petitions", status_code=201)
    async def post() -> dict[str, str]:
        base = petition()
        new = NewEvent(
            base.payload,
            base.jurisdiction,
            base.actor,
            traceparent=telemetry.current_traceparent(),
        )
        (stored,) = await store.append("petition", str(uuid.uuid4()), NO_STREAM, [new])
        return {"event_id": str(stored.event_id)}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.post("/petitions")
    assert response.status_code == 201
    trace_id = response.headers["x-trace-id"]
    event_id = uuid.UUID(response.json()["event_id"])

    handled: list[str] = []
    broker = KafkaBroker(
        infra.kafka_bootstrap.split(","),
        middlewares=[telemetry.kafka_telemetry_middleware()],
        security=client_security().faststream(),
    )

    async def handler(conn, envelope, payload) -> None:
        with telemetry.tracer("test").start_as_current_span("apply effect"):
            ids = telemetry.current_trace_ids()
            handled.append(ids[0] if ids else "")

    consumer = InboxConsumer(
        name=f"test.trace.{uuid.uuid4().hex[:6]}",
        pool=fresh_db.pool,
        registry=REGISTRY,
        handler=handler,
        dead_letter=broker_dead_letter_sink(broker),
    )
    subscribe(broker, [topic_for("petition", fresh_topics)], consumer)
    relay = OutboxRelay(
        fresh_db.pool, bootstrap=infra.kafka_bootstrap, service="intake", topic_prefix=fresh_topics
    )
    stop = asyncio.Event()
    await broker.start()
    relay_task = asyncio.create_task(relay.run(stop))
    try:
        deadline = time.monotonic() + 60
        while not handled and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await relay_task
        await broker.stop()
    assert handled == [trace_id]

    finished = spans.get_finished_spans()
    in_trace = [s for s in finished if format(s.context.trace_id, "032x") == trace_id]
    kinds = {(s.kind, s.name.split(" ")[-1]) for s in in_trace}
    assert (SpanKind.SERVER, "/petitions") in kinds
    assert any(k == SpanKind.PRODUCER and "publish" in n for k, n in kinds)
    assert any(k == SpanKind.CONSUMER for k, _ in kinds)
    assert any(s.name == "apply effect" for s in in_trace)
    publish = next(s for s in in_trace if s.kind == SpanKind.PRODUCER)
    assert publish.attributes["messaging.message.id"] == str(event_id)
