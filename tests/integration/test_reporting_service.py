"""The reporting service against the real PostgreSQL and Kafka.

Events are appended to the other services' own event stores and published by their real
outbox relays; the reporting service runs in this process (its real composition: schema,
consumers on a FastStream broker, HTTP app) and is read over HTTP with real bearer tokens.
The module gets its own set of service databases and topics, so its full-table comparisons
(rebuild = live) see only its own events.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import json
import logging
import os
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from xuncha_reporting import projection_chunks, rebuild
from xuncha_reporting.adapters.schema import index_ddl
from xuncha_reporting.adapters.share_tables import PENDING_SQL, RECORD_SQL
from xuncha_reporting.bootstrap import SPEC
from xuncha_reporting.rebuild import rebuild_projections
from xuncha_reporting.settings import PROJECTION_CONSUMER
from xuncha_reporting.share_publisher import message
from xuncha_shared import provision
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.contracts.clues import (
    ClueEscalated,
    ClueRegistered,
    ClueTransferred,
    ProblemRecorded,
    clue_id_for_petition,
)
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.intake import (
    Grade,
    GroupFormed,
    InspectorEvaluated,
    PetitionReceived,
    RoundPlanned,
    TalentPoolMemberEnrolled,
    UnitRegistered,
)
from xuncha_shared.contracts.rectification import IssueFedBack, RectificationReported, ReportKind
from xuncha_shared.contracts.topics import topic_for
from xuncha_shared.crypto import encrypt_identity
from xuncha_shared.db import create_pool
from xuncha_shared.domain.personal_data import InformantIdentity
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.envelope import Actor, EventPayload
from xuncha_shared.eventstore import ANY_VERSION, NewEvent, PostgresEventStore
from xuncha_shared.http.app import create_app
from xuncha_shared.kafka import client_options
from xuncha_shared.metrics import gauge_value
from xuncha_shared.relay import OutboxRelay
from xuncha_shared.runtime import ServiceContext, metrics_sampler, service_context
from xuncha_shared.settings import SERVICES, Settings

from tests.support.service_api import service_settings

pytestmark = pytest.mark.timeout(240)

CITY = "361000"
LINCHUAN = "361002"
NANCHENG = "361021"
OFFICE = Actor(principal_id="office-lc", role="county_admin")
INFORMANT = InformantIdentity(
    name="王秀英", phone="13907941234", address="抚州市临川区青云街道某小区", employer="某乡政府"
)


@dataclass
class Stack:
    settings: Settings  # the reporting service's
    cli_settings: Settings  # what `xuncha projections rebuild` would use (superuser)
    pools: dict[str, asyncpg.Pool]
    client: httpx.AsyncClient
    tokens: dict[str, str]
    consumer: Any
    admin_url: str
    reporting_admin_url: str
    ctx: ServiceContext
    sealed_ciphertexts: list[str] = field(default_factory=list)

    def store(self, service: str) -> PostgresEventStore:
        return PostgresEventStore(self.pools[service])

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


async def wait_for(
    predicate: Callable[[], Awaitable[bool]], what: str, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
async def stack(infra) -> AsyncIterator[Stack]:
    run = uuid.uuid4().hex[:6]
    db_prefix = f"{infra.db_prefix}rp{run}_"
    topic_prefix = f"{infra.topic_prefix}rp{run}."
    dbs = await provision.create_service_databases(infra.pg_admin_url, db_prefix)
    await provision.provision_topics(infra.kafka_bootstrap, topic_prefix)
    settings = service_settings("reporting", infra, dbs, db_prefix, topic_prefix)
    cli_settings = settings.model_copy(update={"database_url": None})
    async with contextlib.AsyncExitStack() as stack_:
        pools: dict[str, asyncpg.Pool] = {}
        for svc in ("intake", "clues", "rectification"):
            pools[svc] = await create_pool(dbs[svc].url, max_size=4)
            stack_.push_async_callback(pools[svc].close)
        ctx = await stack_.enter_async_context(service_context(SPEC, settings))
        pools["reporting"] = ctx.pool
        assert SPEC.build_consumers and SPEC.build_api
        SPEC.build_consumers(ctx.broker, ctx)
        await ctx.broker.start()
        stack_.push_async_callback(ctx.broker.stop)
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(
                OutboxRelay(
                    pools[svc],
                    bootstrap=infra.kafka_bootstrap,
                    service=svc,
                    topic_prefix=topic_prefix,
                ).run(stop)
            )
            for svc in SERVICES
        ]

        async def stop_relays() -> None:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)

        stack_.push_async_callback(stop_relays)
        app = create_app("reporting", title=SPEC.title)
        app.state.ctx = ctx
        SPEC.build_api(app, ctx)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://reporting"
        )
        stack_.push_async_callback(client.aclose)
        principals = {
            "city": Principal(id="city-1", role=Role.CITY_ADMIN, jurisdiction=CITY),
            "linchuan": Principal(id="lc-1", role=Role.COUNTY_ADMIN, jurisdiction=LINCHUAN),
            "auditor": Principal(id="aud-1", role=Role.AUDITOR, jurisdiction=CITY),
            "discipline": Principal(
                id="jw-1",
                role=Role.DEPARTMENT,
                jurisdiction=CITY,
                department=Department.DISCIPLINE,
            ),
            "audit": Principal(
                id="sj-1", role=Role.DEPARTMENT, jurisdiction=CITY, department=Department.AUDIT
            ),
            "organisation": Principal(
                id="zz-1",
                role=Role.DEPARTMENT,
                jurisdiction=CITY,
                department=Department.ORGANISATION,
            ),
            "group": Principal(id="g-1", role=Role.GROUP_MEMBER, jurisdiction=LINCHUAN),
        }
        tokens = {name: await create_token_in([ctx.pool], p) for name, p in principals.items()}
        yield Stack(
            settings=settings,
            cli_settings=cli_settings,
            pools=pools,
            client=client,
            tokens=tokens,
            consumer=ctx.consumers[PROJECTION_CONSUMER],
            ctx=ctx,
            admin_url=infra.pg_admin_url,
            reporting_admin_url=cli_settings.service_database_url("reporting"),
        )
    await provision.drop_prefixed_databases(infra.pg_admin_url, db_prefix)
    await provision.delete_prefixed_topics(infra.kafka_bootstrap, topic_prefix)


# ---- helpers -------------------------------------------------------------------------------


async def append(
    stack: Stack,
    service: str,
    stream_type: str,
    stream_id: str,
    payloads: list[EventPayload],
    jurisdiction: str,
    actor: Actor = OFFICE,
) -> list[uuid.UUID]:
    stored = await stack.store(service).append(
        stream_type,
        stream_id,
        ANY_VERSION,
        [NewEvent(p, jurisdiction, actor) for p in payloads],
    )
    return [e.event_id for e in stored]


def petition(stack: Stack, jurisdiction: str, unit: str = "临川区农业农村局") -> PetitionReceived:
    pid = uuid.uuid4()
    sealed = encrypt_identity(b"k" * 32, uuid.uuid4(), INFORMANT)
    stack.sealed_ciphertexts.append(sealed.ciphertext)
    return PetitionReceived(
        petition_id=pid,
        jurisdiction=jurisdiction,
        unit=unit,
        channel="letter",
        summary="反映该局在惠民资金发放中优亲厚友",
        informant=sealed,
        receipt_code_hash=hashlib.sha256(pid.bytes).hexdigest(),
    )


async def all_event_ids(stack: Stack) -> set[uuid.UUID]:
    ids: set[uuid.UUID] = set()
    for pool in stack.pools.values():
        ids.update(r["event_id"] for r in await pool.fetch("SELECT event_id FROM events"))
    return ids


async def wait_consumed(stack: Stack) -> None:
    """Until the projection consumer has processed every event of every store."""

    async def done() -> bool:
        wanted = await all_event_ids(stack)
        seen = {
            r["event_id"]
            for r in await stack.pools["reporting"].fetch(
                "SELECT event_id FROM inbox WHERE consumer = $1", PROJECTION_CONSUMER
            )
        }
        return wanted <= seen

    await wait_for(done, "the projection consumer to catch up")


async def linked(stack: Stack, who: str = "city", **params: str) -> dict[str, Any]:
    resp = await stack.client.get("/api/v1/views/linked", params=params, headers=stack.auth(who))
    assert resp.status_code == 200, resp.text
    doc: dict[str, Any] = resp.json()
    return doc


def county(view: dict[str, Any], code: str) -> dict[str, Any]:
    row: dict[str, Any] = next(c for c in view["counties"] if c["jurisdiction"] == code)
    return row


async def feed(stack: Stack, department: str, who: str) -> dict[str, Any]:
    resp = await stack.client.get(f"/api/v1/feeds/{department}", headers=stack.auth(who))
    assert resp.status_code == 200, resp.text
    doc: dict[str, Any] = resp.json()
    return doc


async def seed_case(
    stack: Stack, jurisdiction: str = LINCHUAN, transferred_on: date | None = None
) -> dict[str, Any]:
    """One petition -> clue registered, escalated, transferred -> issue fed back -> reports."""
    pet = petition(stack, jurisdiction)
    await append(stack, "intake", "petition", str(pet.petition_id), [pet], jurisdiction)
    clue_id = clue_id_for_petition(pet.petition_id)  # as clues registers a petition's clue
    reg = ClueRegistered(
        clue_id=clue_id,
        jurisdiction=jurisdiction,
        unit="临川区农业农村局",
        summary="惠民资金发放优亲厚友",
        source_petition_id=pet.petition_id,
    )
    esc = ClueEscalated(
        clue_id=clue_id,
        from_jurisdiction=jurisdiction,
        to_jurisdiction=CITY,
        reason="涉及市管干部",
    )
    tr = ClueTransferred(
        clue_id=clue_id,
        department=Department.DISCIPLINE,
        reason="涉嫌违反群众纪律",
        jurisdiction=jurisdiction,
        unit="临川区农业农村局",
        summary="惠民资金发放中存在优亲厚友问题",
        transferred_on=transferred_on,
    )
    clue_events = await append(stack, "clues", "clue", str(clue_id), [reg, esc, tr], jurisdiction)
    issue_id = uuid.uuid4()
    fb = IssueFedBack(
        issue_id=issue_id,
        feedback_id=uuid.uuid4(),
        jurisdiction=jurisdiction,
        unit="临川区农业农村局",
        description="惠民资金监管制度执行不到位",
        concerns=[Department.AUDIT, Department.FINANCE],
    )
    reports = [
        RectificationReported(
            issue_id=issue_id,
            kind=ReportKind.PROGRESS,
            progress_percent=40,
            completed=False,
            note="已制定整改方案",
        ),
        RectificationReported(
            issue_id=issue_id,
            kind=ReportKind.FORMAL,
            progress_percent=100,
            completed=True,
            note="已完成整改",
        ),
    ]
    issue_events = await append(
        stack, "rectification", "issue", str(issue_id), [fb, *reports], jurisdiction
    )
    return {
        "petition_id": pet.petition_id,
        "clue_id": clue_id,
        "transfer_event": clue_events[2],
        "issue_id": issue_id,
        "feedback_event": issue_events[0],
    }


# ---- tests ---------------------------------------------------------------------------------


async def test_events_of_every_service_show_up_in_the_linked_view(stack: Stack):
    before = await linked(stack)
    case = await seed_case(stack, LINCHUAN)
    city_pet = petition(stack, CITY, "市住建局")
    await append(stack, "intake", "petition", str(city_pet.petition_id), [city_pet], CITY)
    await wait_consumed(stack)

    after = await linked(stack)
    lc_before, lc = county(before, LINCHUAN), county(after, LINCHUAN)
    for metric, delta in {
        "petitions_received": 1,
        "clues_registered": 1,
        "clues_transferred": 1,
        "clues_escalated": 1,
        "issues_fed_back": 1,
        "rectification_reports": 2,
        "issues_completed": 1,
    }.items():
        assert lc[metric] - lc_before[metric] == delta, metric
    assert lc["name"] == "临川区" and lc["level"] == "county"
    # 整改完成率 counts verified close-outs only; a declared completion is the self-declared rate
    assert lc["completion_rate"] == round(lc["issues_closed_out"] / lc["issues_fed_back"], 10)
    assert lc["self_declared_rate"] == round(lc["issues_completed"] / lc["issues_fed_back"], 10)
    # the city row = its own work + all counties
    city = after["city"]
    assert city["own"]["petitions_received"] - before["city"]["own"]["petitions_received"] == 1
    for metric in ("petitions_received", "clues_registered", "issues_fed_back"):
        assert city[metric] == city["own"][metric] + sum(c[metric] for c in after["counties"])
    assert len(after["counties"]) == 11
    assert after["version"] > before["version"]

    # the feeds: the transfer for 纪委监委, the issue for 审计局 and 财政局 (not 组织部)
    jw = await feed(stack, "discipline_commission", "discipline")
    item = next(i for i in jw["items"] if i["ref_id"] == str(case["clue_id"]))
    assert item["item_id"] == f"{case['transfer_event']}:discipline_commission"
    assert (item["kind"], item["jurisdiction_name"], item["acknowledged"]) == (
        "clue_transfer",
        "临川区",
        False,
    )
    audit = await feed(stack, "audit", "audit")
    assert any(i["ref_id"] == str(case["issue_id"]) for i in audit["items"])
    fin = await feed(stack, "finance", "city")
    assert any(i["ref_id"] == str(case["issue_id"]) for i in fin["items"])
    org = await feed(stack, "organisation", "organisation")
    assert not any(i["ref_id"] == str(case["issue_id"]) for i in org["items"])


async def test_a_clues_and_a_petitions_deadlines_name_the_unit(stack: Stack):
    """R3's transfer result is listed with the clue's unit, as a group's and an issue's rows
    are with theirs (projection 17 keeps it from ``ClueRegistered``); R7's acceptance notice of
    a real-name petition with the unit of the clue registered for it."""
    case = await seed_case(stack, LINCHUAN)
    await wait_consumed(stack)
    resp = await stack.client.get(
        "/api/v1/views/deadlines", params={"limit": 500}, headers=stack.auth("linchuan")
    )
    assert resp.status_code == 200, resp.text
    rows = [i for i in resp.json()["items"] if i["case"]["id"] == str(case["clue_id"])]
    assert [(r["case"]["type"], r["unit_name"], r["group_no"]) for r in rows] == [
        ("clue", "临川区农业农村局", None)
    ]
    notices = [i for i in resp.json()["items"] if i["case"]["id"] == str(case["petition_id"])]
    assert [(r["kind"], r["unit_name"]) for r in notices] == [
        ("intake.acceptance_notice", "临川区农业农村局")
    ]


async def test_redelivered_events_change_nothing(stack: Stack):
    await seed_case(stack, NANCHENG)
    await wait_consumed(stack)
    before = await linked(stack)
    before_feed = await feed(stack, "audit", "auditor")
    duplicates = stack.consumer.duplicates

    # publish every stored event once more, exactly as the relay would
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.settings.kafka_bootstrap, **client_options(stack.settings)
    )
    await producer.start()
    sent = 0
    try:
        for service in ("intake", "clues", "rectification"):
            for env in await stack.store(service).read_all(limit=100_000):
                await producer.send_and_wait(
                    topic_for(env.stream_type, stack.settings.topic_prefix),
                    env.to_wire(),
                    key=env.stream_id.encode(),
                )
                sent += 1
    finally:
        await producer.stop()

    async def all_dropped() -> bool:
        return bool(stack.consumer.duplicates - duplicates >= sent)

    await wait_for(all_dropped, f"{sent} duplicates to be dropped")
    after = await linked(stack)
    after.pop("generated_at"), before.pop("generated_at")
    assert after == before
    assert (await feed(stack, "audit", "auditor"))["items"] == before_feed["items"]


async def test_the_projection_consumers_lag_is_sampled(stack: Stack):
    """Reporting's consumer is one of the service's inbox consumers, so the sampler of a process
    running the consumers reports its group's lag on every topic it reads."""
    assert stack.ctx.consumers == {PROJECTION_CONSUMER: stack.consumer}
    await wait_consumed(stack)
    sampler = metrics_sampler(stack.ctx, ["consumers"])
    try:
        await sampler.sample_once()
    finally:
        for close in sampler.closers:
            await close()
    assert stack.consumer.topics
    for topic in stack.consumer.topics:
        lag = gauge_value("consumer_lag", group=PROJECTION_CONSUMER, topic=topic, partition="0")
        assert lag is not None and lag >= 0, topic


async def test_county_admin_sees_only_its_own_county(stack: Stack):
    own = await linked(stack, "linchuan")
    assert own["city"] is None
    assert [c["jurisdiction"] for c in own["counties"]] == [LINCHUAN]
    again = await linked(stack, "linchuan", jurisdiction=LINCHUAN)
    assert again["counties"][0]["jurisdiction"] == LINCHUAN
    for other in (NANCHENG, CITY):
        resp = await stack.client.get(
            "/api/v1/views/linked", params={"jurisdiction": other}, headers=stack.auth("linchuan")
        )
        assert resp.status_code == 403
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["status"] == 403
    # the city office and the auditor see everything, one row on request
    one = await linked(stack, "auditor", jurisdiction=NANCHENG)
    assert one["city"] is None and one["counties"][0]["name"] == "南城县"
    whole_city = await linked(stack, "city", jurisdiction=CITY)
    assert whole_city["city"]["jurisdiction"] == CITY and whole_city["counties"] == []
    # departments and groups do not read the linked view; no token is 401
    for who in ("discipline", "group"):
        resp = await stack.client.get("/api/v1/views/linked", headers=stack.auth(who))
        assert resp.status_code == 403
    resp = await stack.client.get("/api/v1/views/linked")
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"].startswith("Bearer")


async def test_feeds_are_per_department_and_acks_are_once(stack: Stack):
    case = await seed_case(stack, LINCHUAN, transferred_on=date(2026, 9, 1))  # 移交函 on paper
    await wait_consumed(stack)
    item_id = f"{case['transfer_event']}:discipline_commission"

    # another department may neither read nor acknowledge the feed of 纪委监委
    resp = await stack.client.get(
        "/api/v1/feeds/discipline_commission", headers=stack.auth("audit")
    )
    assert resp.status_code == 403
    resp = await stack.client.get("/api/v1/feeds/audit", headers=stack.auth("discipline"))
    assert resp.status_code == 403
    resp = await stack.client.get("/api/v1/feeds/audit", headers=stack.auth("linchuan"))
    assert resp.status_code == 403
    url = f"/api/v1/feeds/discipline_commission/items/{item_id}/ack"
    for who in ("audit", "city", "auditor"):
        resp = await stack.client.post(url, json={}, headers=stack.auth(who))
        assert resp.status_code == 403, who
    resp = await stack.client.post(
        f"/api/v1/feeds/discipline_commission/items/{uuid.uuid4()}:discipline_commission/ack",
        json={},
        headers=stack.auth("discipline"),
    )
    assert resp.status_code == 404
    resp = await stack.client.get("/api/v1/feeds/nobody", headers=stack.auth("city"))
    assert resp.status_code == 422

    version = (await stack.client.get("/api/v1/views/version", headers=stack.auth("city"))).json()
    duplicates = stack.consumer.duplicates  # before the ack: its Kafka copy may come back soon
    resp = await stack.client.post(
        url, json={"note": "已签收，转第三审查调查室"}, headers=stack.auth("discipline")
    )
    assert resp.status_code == 201, resp.text
    ack_event = uuid.UUID(resp.json()["event_id"])
    item = next(
        i
        for i in (await feed(stack, "discipline_commission", "discipline"))["items"]
        if i["item_id"] == item_id
    )
    assert item["acknowledged"] and item["acknowledged_by"] == "jw-1"
    assert item["letter_on"] == "2026-09-01"  # the letter's day, beside the entry time
    assert item["ack_note"] == "已签收，转第三审查调查室"
    new_version = (
        await stack.client.get("/api/v1/views/version", headers=stack.auth("city"))
    ).json()
    assert new_version["version"] > version["version"]

    resp = await stack.client.post(url, json={}, headers=stack.auth("discipline"))
    assert resp.status_code == 409
    assert resp.headers["content-type"].startswith("application/problem+json")

    # the ack is an event of reporting's own store, published by its relay to the share topic;
    # it comes back through Kafka as a duplicate (applied with the append already)
    stored = await stack.store("reporting").read_stream(item_id)
    assert [e.event_type for e in stored] == ["reporting.ShareItemAcknowledged"]
    assert stored[0].event_id == ack_event
    await wait_consumed(stack)
    await wait_for(
        lambda: _true(stack.consumer.duplicates > duplicates), "the ack to come back via Kafka"
    )


async def _true(value: bool) -> bool:
    return value


async def test_sse_stream_sends_the_version(stack: Stack):
    async with stack.client.stream(
        "GET", "/api/v1/events/stream", params={"max_seconds": 1}, headers=stack.auth("city")
    ) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        body = "".join([chunk async for chunk in resp.aiter_text()])
    assert "event: version" in body
    data = next(line for line in body.splitlines() if line.startswith("data: "))
    assert json.loads(data.removeprefix("data: "))["version"] >= 1


async def test_informant_data_never_reaches_reporting(stack: Stack):
    await wait_consumed(stack)
    assert stack.sealed_ciphertexts
    secrets_ = [*stack.sealed_ciphertexts, INFORMANT.name, INFORMANT.phone or "", "13907941234"]
    # every table of reporting's database except the tokens (events, inbox, projection...)
    conn = await asyncpg.connect(stack.reporting_admin_url)
    try:
        tables = await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
        dump = []
        for t in tables:
            rows = await conn.fetch(f'SELECT * FROM "{t["table_schema"]}"."{t["table_name"]}"')
            dump.extend(json.dumps([str(v) for v in r.values()], ensure_ascii=False) for r in rows)
        columns = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'projection'"
        )
    finally:
        await conn.close()
    text = "\n".join(dump)
    assert len(text) > 1000
    for secret in secrets_:
        assert secret not in text
    assert not any("informant" in c["column_name"] for c in columns)
    # nor the API answers, nor the dashboard
    answers = [json.dumps(await linked(stack), ensure_ascii=False)]
    for dept in ("discipline_commission", "organisation", "petitions", "audit", "finance"):
        answers.append(json.dumps(await feed(stack, dept, "city"), ensure_ascii=False))
    # the old dashboard address is the workbench's now: a redirect, no page of its own
    resp = await stack.client.get("/?token=xc_secret", follow_redirects=False)
    assert resp.status_code == 307
    port = os.environ.get("XUNCHA_NGINX_PORT") or "8080"
    assert resp.headers["location"] == f"http://reporting:{port}/"  # no token in a URL
    assert resp.headers["cache-control"] == "no-store"
    for path in ("/static/dashboard.js", "/static/dashboard.css"):
        assert (await stack.client.get(path)).status_code == 404
    everything = "\n".join(answers)
    for secret in secrets_:
        assert secret not in everything
    assert "informant" not in everything.lower()


async def test_rebuild_gives_exactly_the_live_result_and_swaps_atomically(stack: Stack):
    await seed_case(stack, CITY)
    await seed_case(stack, LINCHUAN)  # the county whose counter is broken below
    await wait_consumed(stack)
    live_before = await linked(stack)

    report = await rebuild_projections(stack.cli_settings)
    # this case's events at least (the module's other tests may have added more)
    assert report.read["intake"] >= 1 and report.read["clues"] >= 3
    assert report.read["rectification"] >= 3
    assert not report.skipped and report.applied == sum(report.read.values())
    assert report.identical, [d for d in report.diffs if not d.equal]
    assert report.meta_rebuilt["version"] == report.meta_live["version"]
    assert not report.swapped and not report.kept

    # a broken live table is found by the comparison and repaired by the swap (the version
    # moved with the damage, as with any write of the projection: the views are kept per
    # generation, and a hand edit that leaves the version is served only after their TTL)
    async with stack.pools["reporting"].acquire() as conn, conn.transaction():
        await conn.execute(
            "UPDATE projection.counters SET value = value + 100 "
            "WHERE jurisdiction = $1 AND metric = 'petitions_received'",
            LINCHUAN,
        )
        await conn.execute("UPDATE projection.meta SET value = value + 1 WHERE key = 'version'")
    broken = await linked(stack)
    assert county(broken, LINCHUAN)["petitions_received"] == (
        county(live_before, LINCHUAN)["petitions_received"] + 100
    )
    report = await rebuild_projections(stack.cli_settings, swap=True)
    assert not report.identical
    counters = next(d for d in report.diffs if d.table == "counters")
    assert (counters.only_live, counters.only_rebuilt) == (1, 1)
    assert report.swapped
    repaired = await linked(stack)
    assert repaired["version"] > broken["version"]
    for key in ("city", "counties"):
        assert repaired[key] == live_before[key]

    # the live consumer keeps projecting into the swapped-in tables
    pet = petition(stack, LINCHUAN)
    await append(stack, "intake", "petition", str(pet.petition_id), [pet], LINCHUAN)
    await wait_consumed(stack)
    after = await linked(stack)
    assert county(after, LINCHUAN)["petitions_received"] == (
        county(live_before, LINCHUAN)["petitions_received"] + 1
    )
    # the swapped tables are still owned by the service role (it just wrote them)
    final = await rebuild_projections(stack.cli_settings)
    assert final.identical
    async with stack.pools["reporting"].acquire() as conn:
        schemas = await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rebuild_%' "
            "OR nspname LIKE 'projection_%'"
        )
    assert schemas == []


async def _share_queue(stack: Stack) -> tuple[set[str], set[str], set[str]]:
    """The live feed items, the queued ones and the published ones (share_publisher.py)."""
    pool = stack.pools["reporting"]
    items = {r[0] for r in await pool.fetch("SELECT item_id FROM projection.feed_items")}
    pending = {r[0] for r in await pool.fetch("SELECT item_id FROM public.share_pending")}
    published = {r[0] for r in await pool.fetch("SELECT item_id FROM public.share_published")}
    return items, pending, published


async def test_the_share_queue_holds_what_is_unpublished_also_after_a_swap(stack: Stack):
    """The live projection queues each new feed item for its department's topic in the same
    statement; a rebuild's schema queues nothing until it is swapped in, and the swap queues
    every item of it never published (none of those already published)."""
    await seed_case(stack, CITY)  # a clue transferred and an issue fed back: two items at least
    await wait_consumed(stack)
    items, pending, published = await _share_queue(stack)
    assert len(items) >= 2
    assert pending == items - published

    pool = stack.pools["reporting"]
    sent, lost = sorted(pending)[:2]
    async with pool.acquire() as conn, conn.transaction():  # one published, as the publisher does
        await conn.execute(RECORD_SQL, [sent], ["discipline_commission"], ["t.share"])
        # and one off the queue without being published (what only a swap can bring back)
        await conn.execute("DELETE FROM public.share_pending WHERE item_id = $1", lost)
    _, pending, published = await _share_queue(stack)
    assert sent in published and sent not in pending and lost not in pending

    await rebuild_projections(stack.cli_settings)  # a rebuild without a swap queues nothing
    assert (await _share_queue(stack))[1] == pending

    report = await rebuild_projections(stack.cli_settings, swap=True)
    assert report.swapped
    items, pending, published = await _share_queue(stack)
    assert lost in pending and sent not in pending
    assert pending == items - published


async def test_a_rebuild_projected_in_worker_processes_is_the_live_result(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    """A large history is projected in worker processes started from a forkserver
    (``projection_chunks.fold_rows``), into unlogged tables whose secondary indexes come last:
    forced here on the stack's history in chunks of 3 events, the rebuild equals the live
    tables, and once swapped in the tables are logged again and have every index of the
    schema."""
    await seed_case(stack, CITY)
    await wait_consumed(stack)
    pools: list[Any] = []

    class CountedPool(projection_chunks.ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            pools.append(self)

    monkeypatch.setattr(projection_chunks, "PARALLEL_MIN", 1)
    monkeypatch.setattr(projection_chunks, "POOL_BATCH", 3)
    monkeypatch.setattr(projection_chunks, "ProcessPoolExecutor", CountedPool)
    with caplog.at_level(logging.WARNING, logger=projection_chunks.__name__):
        report = await rebuild_projections(stack.cli_settings, swap=True)
    assert len(pools) == 1 and not caplog.records  # the workers did it (no fallback)
    assert sum(report.read.values()) > 3 * projection_chunks.POOL_BATCH
    assert not report.skipped
    assert report.identical, [d for d in report.diffs if not d.equal]
    assert report.swapped
    async with stack.pools["reporting"].acquire() as conn:
        relations = await conn.fetch(
            "SELECT c.relname, c.relpersistence::text AS persistence FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'projection' AND c.relkind IN ('r', 'i')"
        )
    assert {r["persistence"] for r in relations} == {"p"}
    indexes = set(re.findall(r"IF NOT EXISTS (\w+)", index_ddl("projection")))
    assert indexes and indexes <= {r["relname"] for r in relations}
    monkeypatch.undo()
    assert (await rebuild_projections(stack.cli_settings)).identical


@pytest.mark.parametrize("broken", ["refuses", "fails"])
async def test_a_rebuild_whose_workers_die_finishes_here_losing_nothing(
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    broken: str,
):
    """A worker process that dies mid-run, after chunks were folded from the workers, breaks
    the pool: the chunk it held, the chunks sent to the others, the chunks read while the
    workers' server started and not yet sent, and those the broken pool refuses (at once, or
    by failing them once it knows) are projected in this process, with the rest of the
    history, each once and in order: the rebuild still equals the live tables."""
    for _ in range(2):  # 7 events a case: chunks on both sides of the death
        await seed_case(stack, CITY)
    await wait_consumed(stack)
    submitted = 0
    started = projection_chunks.forkserver
    folded_by: list[str] = []  # "workers" or "here", per chunk folded
    fold = projection_chunks._fold

    def slow_start() -> Any:
        time.sleep(0.5)  # every chunk of this small history is read meanwhile
        return started()

    def counted_fold(*args: Any) -> Any:
        broken = "going on in this one" in caplog.text
        folded_by.append("here" if broken else "workers")
        return fold(*args)

    class DyingPool(projection_chunks.ProcessPoolExecutor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            nonlocal submitted
            submitted += 1
            if submitted == 7:  # after the first five sent and one folded: its worker dies
                return super().submit(os._exit, 1)
            if submitted > 7 and broken == "refuses":
                raise BrokenProcessPool("a worker died")
            if submitted > 7:  # accepted, then failed
                failed: concurrent.futures.Future[Any] = concurrent.futures.Future()
                failed.set_exception(BrokenProcessPool("a worker died"))
                return failed
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(projection_chunks, "PARALLEL_MIN", 1)
    monkeypatch.setattr(projection_chunks, "POOL_BATCH", 1)
    monkeypatch.setattr(projection_chunks, "_workers", lambda: 2)
    monkeypatch.setattr(projection_chunks, "forkserver", slow_start)
    monkeypatch.setattr(projection_chunks, "_fold", counted_fold)
    monkeypatch.setattr(projection_chunks, "ProcessPoolExecutor", DyingPool)
    with caplog.at_level(logging.WARNING, logger=projection_chunks.__name__):
        report = await rebuild_projections(stack.cli_settings)
    assert "going on in this one" in caplog.text
    read = sum(report.read.values())
    assert submitted >= 7 and read > 7  # chunks after the dead one's
    assert "workers" in folded_by and "here" in folded_by
    assert report.applied == read == len(folded_by)  # none lost, none folded twice
    assert not report.skipped
    assert report.identical, [d for d in report.diffs if not d.equal]


@pytest.mark.parametrize("when", ["while projecting", "before the lock", "outside the window"])
async def test_a_swap_applies_what_the_live_consumer_processed_meanwhile(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, when: str
):
    """Events the live consumer processes after the history was read are applied to the
    rebuilt tables before the swap: those processed while the history was projected before
    the live tables are locked, those processed after that under the lock (from the inbox's
    last minutes; or, when the inbox grew outside them, from the whole inbox). Once swapped in,
    the tables equal a rebuild of the whole history."""
    await seed_case(stack, CITY)
    await wait_consumed(stack)
    before = await all_event_ids(stack)
    added: set[uuid.UUID] = set()

    async def meanwhile() -> None:
        await seed_case(stack, CITY)
        await wait_consumed(stack)
        added.update(await all_event_ids(stack) - before)

    compare, catch_up_before_lock = rebuild.compare, rebuild.catch_up_before_lock
    catch_up_under_lock = rebuild.catch_up_under_lock
    before_lock: list[int] = []  # events caught up when the live tables were locked

    async def caught_up_under_lock(*args: Any, **kwargs: Any) -> Any:
        before_lock.append(args[0].report.caught_up)
        return await catch_up_under_lock(*args, **kwargs)

    async def comparing(*args: Any) -> Any:
        await meanwhile()
        return await compare(*args)

    async def caught_up_before_lock(*args: Any) -> Any:
        consumed = await catch_up_before_lock(*args)
        await meanwhile()
        return consumed

    if when == "while projecting":
        monkeypatch.setattr(rebuild, "compare", comparing)
    else:
        monkeypatch.setattr(rebuild, "catch_up_before_lock", caught_up_before_lock)
    if when == "outside the window":
        monkeypatch.setattr(rebuild, "CONSUMED_WINDOW", timedelta(hours=-1))  # it misses all
    monkeypatch.setattr(rebuild, "catch_up_under_lock", caught_up_under_lock)
    report = await rebuild_projections(stack.cli_settings, swap=True)
    assert report.swapped and added
    assert report.caught_up == len(added)
    # what was there before the lock was applied before it: the lock is held for the rest
    assert before_lock == [len(added) if when == "while projecting" else 0]
    monkeypatch.undo()
    again = await rebuild_projections(stack.cli_settings)
    assert again.identical, [d for d in again.diffs if not d.equal]


def test_cli_rebuild_prints_an_identical_summary(stack: Stack):
    from typer.testing import CliRunner
    from xuncha_reporting.cli.projections import app

    env = {
        "XUNCHA_PG_ADMIN_URL": stack.cli_settings.pg_admin_url,
        "XUNCHA_DB_NAME_PREFIX": stack.cli_settings.db_name_prefix,
    }
    result = CliRunner().invoke(app, ["rebuild", "--json", "--strict"], env=env)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["identical"] is True and doc["swapped"] is False
    assert {t["table"] for t in doc["tables"]} == {
        "facts",
        "counters",
        "feed_items",
        "feed_acks",
        "ledger_issues",
        "ledger_reports",
        "deadlines",
        "deadline_case_marks",
        "lifecycle_docs",
    }
    assert sum(doc["read"].values()) == doc["applied"] > 0
    result = CliRunner().invoke(app, ["rebuild"], env=env)
    assert result.exit_code == 0, result.output
    assert "identical" in result.output


async def test_a_feed_pages_with_total_sort_and_filters(stack: Stack):
    """Server-side paging of a department's feed (issue 11): limit/offset, the total the filters
    match, a checked sort, kind/acknowledged/unit filters."""
    for _ in range(2):
        await seed_case(stack, LINCHUAN)
    await wait_consumed(stack)
    url, who = "/api/v1/feeds/discipline_commission", stack.auth("discipline")
    whole = (await stack.client.get(url, headers=who)).json()
    assert whole["total"] >= 2 and whole["sort"] == "-occurred_at"
    pages = []
    for offset in range(whole["total"]):
        resp = await stack.client.get(
            url, params={"limit": 1, "offset": offset, "sort": "unit"}, headers=who
        )
        assert resp.status_code == 200, resp.text
        doc = resp.json()
        assert (doc["total"], doc["limit"], doc["offset"], doc["sort"]) == (
            whole["total"],
            1,
            offset,
            "unit",
        )
        pages += [i["item_id"] for i in doc["items"]]
    assert sorted(pages) == sorted(i["item_id"] for i in whole["items"])  # no overlap, no gap
    units = [i["unit"] for i in whole["items"]]
    by_unit = (await stack.client.get(url, params={"sort": "unit"}, headers=who)).json()
    assert [i["unit"] for i in by_unit["items"]] == sorted(units)
    for acked in ("true", "false"):
        doc = (await stack.client.get(url, params={"acknowledged": acked}, headers=who)).json()
        assert all(i["acknowledged"] is (acked == "true") for i in doc["items"])
        assert doc["total"] == len(doc["items"])
    unacked = (await stack.client.get(url, params={"acknowledged": "false"}, headers=who)).json()
    assert unacked["total"] == whole["unacknowledged"]
    kind = whole["items"][0]["kind"]
    doc = (await stack.client.get(url, params={"kind": kind}, headers=who)).json()
    assert doc["total"] == sum(1 for i in whole["items"] if i["kind"] == kind)
    resp = await stack.client.get(url, params={"sort": "summary"}, headers=who)
    assert resp.status_code == 422
    assert [e["field"] for e in resp.json()["errors"]] == ["query.sort"]


async def test_the_organisation_feed_names_units_and_inspectors(stack: Stack):
    """A 组织部 problem names its unit by id and an inspector grade its group and member by id
    only: the feed (and the share topic's message) show the unit's registered name, the
    inspector's name, home unit, round and group, and each kind's own Chinese label."""
    unit_id, home_id, member_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    round_id, group_id, problem_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for uid, name in ((unit_id, "市组织测试局"), (home_id, "市派出测试委")):
        u = UnitRegistered(unit_id=uid, jurisdiction=CITY, name=name, kind="city_department")
        await append(stack, "intake", "unit", str(uid), [u], CITY)
    enrolled = TalentPoolMemberEnrolled(
        member_id=member_id, jurisdiction=CITY, name="欧阳测评", home_unit_id=home_id,
        source="organisation", specialities=["personnel"], rank="正科级", birth_year=1980,
    )  # fmt: skip
    await append(stack, "intake", "pool_member", str(member_id), [enrolled], CITY)
    planned = RoundPlanned(
        round_id=round_id, jurisdiction=CITY, term_no=9, round_no=4, kind="regular",
        starts_on=date(2026, 3, 1), ends_on=date(2026, 5, 30),
    )  # fmt: skip
    await append(stack, "intake", "round", str(round_id), [planned], CITY)
    formed = GroupFormed(
        group_id=group_id, round_id=round_id, jurisdiction=CITY, group_no=3,
        leader_id=member_id, member_ids=[member_id], unit_ids=[unit_id],
        starts_on=date(2026, 3, 1), ends_on=date(2026, 5, 30),
    )  # fmt: skip
    graded = InspectorEvaluated(
        group_id=group_id, member_id=member_id, grade=Grade.COMPETENT, remarks="履职认真"
    )
    await append(stack, "intake", "group", str(group_id), [formed, graded], CITY)
    found = ProblemRecorded(
        problem_id=problem_id, round_id=round_id, jurisdiction=CITY, unit_id=unit_id,
        group_id=group_id, title="干部选拔任用程序不规范", topics=["选人用人"],
    )  # fmt: skip
    await append(stack, "clues", "problem", str(problem_id), [found], CITY)
    await wait_consumed(stack)

    url = "/api/v1/feeds/organisation"
    org = await feed(stack, "organisation", "city")
    problem = next(i for i in org["items"] if i["ref_id"] == str(problem_id))
    assert (problem["kind"], problem["kind_zh"], problem["unit"]) == (
        "problem",
        "发现问题",
        "市组织测试局",
    )
    grade = next(i for i in org["items"] if i["ref_id"] == f"{group_id}/{member_id}")
    assert (grade["kind_zh"], grade["unit"], grade["reason"]) == (
        "巡察干部评价",
        "市派出测试委",
        "履职认真",
    )
    assert grade["summary"] == "欧阳测评（抚州市第9届第4轮第3巡察组）评价等次：称职"
    # the filter and the sort use the names shown
    for name, ref in (("组织测试", str(problem_id)), ("派出测试", f"{group_id}/{member_id}")):
        doc = (
            await stack.client.get(
                url, params={"unit_contains": name, "sort": "unit"}, headers=stack.auth("city")
            )
        ).json()
        assert [i["ref_id"] for i in doc["items"]] == [ref]
    doc = (
        await stack.client.get(url, params={"kind": "inspector_grade"}, headers=stack.auth("city"))
    ).json()
    assert {i["kind_zh"] for i in doc["items"]} == {"巡察干部评价"}
    # the department's share topic gets what its feed shows
    pending = await stack.pools["reporting"].fetch(PENDING_SQL, 500)
    shared = {m["ref_id"]: m for m in map(message, pending)}
    for ref, unit in (
        (str(problem_id), "市组织测试局"),
        (f"{group_id}/{member_id}", "市派出测试委"),
    ):
        if ref in shared:  # unless published already
            assert shared[ref]["unit"] == unit
