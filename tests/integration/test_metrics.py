"""Metrics an operator can watch: intake's real composition in the test process, scraped at
``GET /metrics`` (Prometheus text format) before and after traffic; each counter must have moved
by exactly what the traffic did: HTTP requests by route template and status (and the latency
histogram's count), events appended per type, informant identity reads, events published by the
relay; the relay lag back to 0; consumer handled/redelivered/dead-lettered; the consumer lag of a
group that read nothing equals what the relay put on the topic; the database pool is reported.
A scrape from another address is refused without the metrics token."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from prometheus_client.parser import text_string_to_metric_families
from xuncha_intake.bootstrap import SPEC
from xuncha_shared import metrics, metrics_sampling
from xuncha_shared.consumer import Delivery, InboxConsumer
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts.topics import topic_for
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http.app import create_app
from xuncha_shared.http.config import HttpSettings
from xuncha_shared.kafka import client_security, topic_partitions

from tests.support.principals import CITY, LINCHUAN, OFFICES
from tests.support.service_api import in_process_service

pytestmark = pytest.mark.timeout(180)

PRINCIPALS = {
    "custodian": Principal(id="custodian-fz", role=Role.CUSTODIAN, jurisdiction=CITY),
    **OFFICES,
}
PETITION = {
    "jurisdiction": LINCHUAN,
    "unit": "临川区某局",
    "channel": "letter",
    "summary": "反映某局违规发放津补贴问题",
    "informant": {"name": "王秀英", "phone": "13907941234"},
}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of ``name`` over the samples whose labels include ``labels`` (0 when none)."""
    want = set(labels.items())
    return sum(v for (n, lab), v in samples.items() if n == name and want <= lab)


def present(samples: Samples, name: str, **labels: str) -> bool:
    want = set(labels.items())
    return any(n == name and want <= lab for n, lab in samples)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def scrape(client: httpx.AsyncClient) -> Samples:
    resp = await client.get("/metrics")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    return parse(resp.text)


def by_type(samples: Mapping[tuple[str, frozenset[tuple[str, str]]], float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for (name, labels), v in samples.items():
        if name == "xuncha_events_appended_total" and ("service", "intake") in labels:
            event_type = dict(labels)["event_type"]
            out[event_type] = out.get(event_type, 0) + v
    return out


async def commit_one(settings: Any, group: str, topic: str) -> None:
    """Group ``group`` commits offset 1 on the first partition of ``topic`` that has messages."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        **client_security(settings).aiokafka(),
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            partitions = await topic_partitions(consumer, topic)
        ends = await consumer.end_offsets(partitions)
        first = next(tp for tp in sorted(partitions) if ends[tp] > 0)
        consumer.assign([first])
        await consumer.commit({first: OffsetAndMetadata(1, "")})
    finally:
        await consumer.stop()


async def test_counters_move_by_what_the_traffic_did(infra: Any) -> None:
    metrics.setup_metrics("test")
    async with in_process_service(
        infra, SPEC, PRINCIPALS, label="metrics", own_topics=True, relay=True
    ) as svc:
        client = svc.client
        before = await scrape(client)
        appended_before = by_type(before)
        # a counter exists at 0 before its first event (first seen at 1, Prometheus would see
        # no increase); consumers and deadline workers: tests/unit/test_metrics_zero.py
        for outcome in ("disclosed", "key_erased"):
            assert present(before, "xuncha_informant_identity_reads_total", outcome=outcome)

        ids = []
        for _ in range(3):
            resp = await client.post("/api/v1/petitions", json=PETITION, headers=svc.auth("city"))
            assert resp.status_code == 201, resp.text
            ids.append(resp.json()["id"])
        bad = await client.post(
            "/api/v1/petitions", json={"jurisdiction": LINCHUAN}, headers=svc.auth("city")
        )
        assert bad.status_code == 422
        read = await client.post(
            f"/api/v1/petitions/{ids[0]}/informant",
            json={"reason": "核实举报人身份以便回访"},
            headers=svc.auth("custodian"),
        )
        assert read.status_code == 200, read.text
        no_token = await client.get("/api/v1/petitions")
        assert no_token.status_code == 401

        # everything committed reaches Kafka: the relay lag goes back to 0
        appended_now = sum(by_type(await scrape(client)).values())
        appended_delta = appended_now - sum(appended_before.values())
        for _ in range(200):
            if await metrics_sampling.relay_lag(svc.ctx.pool, "intake") == 0:
                break
            await asyncio.sleep(0.05)
        for _ in range(200):
            after = await scrape(client)
            if moved(before, after, "xuncha_relay_published_total", service="intake") >= (
                appended_delta
            ):
                break
            await asyncio.sleep(0.05)

        route = "/api/v1/petitions"
        post = {"service": "intake", "method": "POST", "route": route}
        assert moved(before, after, "xuncha_http_requests_total", **post, status="201") == 3
        assert moved(before, after, "xuncha_http_requests_total", **post, status="422") == 1
        assert moved(before, after, "xuncha_http_request_duration_seconds_count", **post) == 4
        read_route = {"route": "/api/v1/petitions/{petition_id}/informant", "status": "200"}
        assert moved(before, after, "xuncha_http_requests_total", **read_route) == 1
        get_route = {"method": "GET", "route": "/api/v1/petitions", "status": "401"}
        assert moved(before, after, "xuncha_http_requests_total", **get_route) == 1

        appended = {
            t: n - appended_before.get(t, 0)
            for t, n in by_type(after).items()
            if n != appended_before.get(t, 0)
        }
        assert appended["intake.PetitionReceived"] == 3
        assert appended["intake.InformantIdentityRead"] == 1
        in_store = await svc.ctx.pool.fetchval("SELECT count(*) FROM events")
        assert sum(appended.values()) == in_store  # a fresh database: every event counted once
        reads = moved(before, after, "xuncha_informant_identity_reads_total", outcome="disclosed")
        assert reads == 1
        published = moved(before, after, "xuncha_relay_published_total", service="intake")
        assert published == in_store
        latency = moved(
            before, after, "xuncha_relay_publish_latency_seconds_count", service="intake"
        )
        assert latency == in_store
        assert value(after, "xuncha_relay_lag_events", service="intake") == 0
        assert value(after, "xuncha_db_pool_connections", service="intake", state="max") == 20

        # the consumer lag of a group that committed offset 1 on one partition: everything on
        # the topic but that first message
        prefix = svc.settings.topic_prefix
        topic = topic_for("petition", prefix)
        group = f"{prefix}metrics-probe-{uuid.uuid4().hex[:6]}"
        await commit_one(svc.settings, group, topic)
        lags = await metrics_sampling.consumer_lag(
            svc.settings.kafka_bootstrap,
            client_security(svc.settings),
            [("metrics.probe", group, [topic])],
        )
        petition_events = await svc.ctx.pool.fetchval(
            "SELECT count(*) FROM events WHERE stream_type = 'petition'"
        )
        assert sum(lags.values()) == petition_events - 1
        lagged = await scrape(client)
        assert value(lagged, "xuncha_consumer_lag_messages", group="metrics.probe") == (
            petition_events - 1
        )

        # an inbox consumer: processed, delivered again (redelivery), undecodable (dead letter)
        dead: list[str] = []

        async def sink(*, topic: str, key: Any, value: bytes, headers: dict[str, str]) -> None:
            dead.append(topic)

        async def nothing(conn: Any, envelope: Any, payload: Any) -> None:
            return None

        consumer = InboxConsumer(
            name=f"metrics.test{uuid.uuid4().hex[:6]}",
            pool=svc.ctx.pool,
            registry=REGISTRY,
            handler=nothing,
            dead_letter=sink,
        )
        wire = (await svc.ctx.store.read_all(limit=1))[0].to_wire()
        good = Delivery(topic=topic, partition=0, offset=0, key=b"k", value=wire)
        assert await consumer.handle(good) == "processed"
        assert await consumer.handle(good) == "duplicate"
        junk = Delivery(topic=topic, partition=0, offset=1, key=b"k", value=b"{not json")
        assert await consumer.handle(junk) == "dead-lettered"
        final = await scrape(client)
        labels = {"group": consumer.name, "topic": topic}
        assert moved(lagged, final, "xuncha_consumer_handled_total", **labels) == 3
        assert (
            moved(lagged, final, "xuncha_consumer_handled_total", **labels, outcome="processed")
            == 1
        )
        assert moved(lagged, final, "xuncha_consumer_redeliveries_total", **labels) == 1
        assert moved(lagged, final, "xuncha_dead_letters_total", **labels) == 1
        assert dead == [f"{topic}.dlq"]


async def test_metrics_from_another_address_need_the_token() -> None:
    metrics.setup_metrics("test")
    app = create_app("probe", title="probe", http_settings=HttpSettings(metrics_token="s3cret"))
    remote = httpx.ASGITransport(app=app, client=("10.1.2.3", 4000))
    async with httpx.AsyncClient(transport=remote, base_url="http://probe") as client:
        refused = await client.get("/metrics")
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403
        ok = await client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        assert "xuncha_http_requests_total" in ok.text
    local = httpx.ASGITransport(app=app, client=("127.0.0.1", 4000))
    async with httpx.AsyncClient(transport=local, base_url="http://probe") as client:
        assert (await client.get("/metrics")).status_code == 200
        proxied = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status_code == 403
    closed = create_app("probe", title="probe", http_settings=HttpSettings(metrics_enabled=False))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=closed), base_url="http://probe"
    ) as client:
        assert (await client.get("/metrics")).status_code == 404
