"""Each receiving department's feed on its own Kafka topic ``share.<department>.v1``, readable
only by that department's principal (docs/security.md, "Departments' share topics"), against
the real broker with its SASL users and ACLs and the real reporting database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.adapters.schema import LIVE_SCHEMA, SHARE_CHANNEL
from xuncha_reporting.adapters.share_tables import PENDING_SQL
from xuncha_reporting.bootstrap import SPEC
from xuncha_reporting.domain.model import FeedItem, FeedKind
from xuncha_reporting.share_publisher import BATCH, publish_pending, sweep_queue
from xuncha_shared.commit_signal import CommitSignal
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.topics import share_topic
from xuncha_shared.kafka import KafkaSecurity, producer_config
from xuncha_shared.provision.acls import department_principal
from xuncha_shared.settings import SERVICES

from tests.support.principals import LINCHUAN, department
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)

DISCIPLINE, AUDIT = Department.DISCIPLINE, Department.AUDIT
PRINCIPALS = {"jw": department("jw", DISCIPLINE), "sj": department("sj", AUDIT)}
ACK_FIELDS = {"acknowledged", "acknowledged_at", "acknowledged_by", "ack_note"}
#: what the feed shows of a transferred clue's later life (签收, result, R3, 催办 R27, an urge
#: answered by the result) and, read beside it, the county that reported it up (R12): like the
#: 签收 fields, state the feed reads with the item, not the item the topic carries
FOLLOW_UP_FIELDS = {
    "escalated_from",
    "escalated_from_name",
    "result_state",
    "result_state_zh",
    "disposition",
    "disposition_zh",
    "overdue",
    "urges",
    "last_urged_on",
    "answered",
}


def login(infra: Any, name: str) -> KafkaSecurity:
    if name not in infra.kafka_users:
        pytest.skip("this backend's broker runs without authentication")
    return KafkaSecurity("SASL_PLAINTEXT", "SCRAM-SHA-512", name, infra.kafka_users[name])


@pytest.fixture(scope="module")
async def reporting(infra: Any) -> AsyncIterator[InProcessService]:
    async with in_process_service(
        infra, SPEC, PRINCIPALS, label="sh", services=list(SERVICES)
    ) as svc:
        yield svc


def feed_item(dept: Department, summary: str) -> FeedItem:
    return FeedItem(
        item_id=f"{uuid.uuid4()}:{dept.value}",
        department=dept,
        kind=FeedKind.CLUE_TRANSFER,
        source_event_id=uuid.uuid4(),
        source_event_type="clues.ClueTransferred",
        ref_id=str(uuid.uuid4()),
        jurisdiction=LINCHUAN,
        unit="临川区某局",
        summary=summary,
        reason="涉嫌违纪",
        rect_type=None,
        due_date=None,
        occurred_at=datetime.now(UTC),
    )


async def project(svc: InProcessService, item: FeedItem) -> None:
    """``item`` written as the live projection writes it (which queues it for publishing)."""
    async with svc.ctx.pool.acquire() as conn, conn.transaction():
        await ProjectionTables(LIVE_SCHEMA).apply(conn, [item])


async def add_item(svc: InProcessService, dept: Department, summary: str) -> str:
    item = feed_item(dept, summary)
    await project(svc, item)
    return item.item_id


async def publish(infra: Any, svc: InProcessService) -> int:
    """One pass of reporting's share publisher, as the reporting principal."""
    producer = AIOKafkaProducer(
        **producer_config(
            infra.kafka_bootstrap, client_id="t.share", security=login(infra, "reporting")
        )
    )
    await producer.start()
    try:
        return await publish_pending(svc.ctx.pool, producer, infra.topic_prefix)
    finally:
        await producer.stop()


async def read_until(
    infra: Any, security: KafkaSecurity, topic: str, group: str, item_id: str
) -> dict[str, Any]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=infra.kafka_bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        request_timeout_ms=10_000,
        **security.aiokafka(),
    )
    try:
        await asyncio.wait_for(consumer.start(), 20)
        async with asyncio.timeout(30):
            while True:
                record = await consumer.getone()
                if record.key == item_id.encode():
                    doc: dict[str, Any] = orjson.loads(record.value)
                    return doc
    finally:
        await consumer.stop()


async def test_a_department_reads_its_feed_on_its_own_topic_and_not_another_s(
    infra: Any, reporting: InProcessService
) -> None:
    jw = login(infra, department_principal(DISCIPLINE))
    own = await add_item(reporting, DISCIPLINE, "某局长违规收受礼金问题线索")
    other = await add_item(reporting, AUDIT, "某局专项资金使用问题")
    assert await publish(infra, reporting) >= 2
    assert await publish(infra, reporting) == 0  # each item once

    prefix = infra.topic_prefix
    own_topic = share_topic(DISCIPLINE.value, prefix)
    doc = await read_until(infra, jw, own_topic, f"{prefix}share.discipline_commission.t", own)
    # exactly what the department's feed shows of the item (签收 comes back over HTTP)
    feed = await reporting.client.get(
        "/api/v1/feeds/discipline_commission",
        headers={"Authorization": f"Bearer {reporting.tokens['jw']}"},
    )
    assert feed.status_code == 200, feed.text
    [shown] = [i for i in feed.json()["items"] if i["item_id"] == own]
    expected = {k: v for k, v in shown.items() if k not in ACK_FIELDS | FOLLOW_UP_FIELDS}
    got = {k: v for k, v in doc.items() if k not in {"schema", "version", "department"}}
    assert doc["department"] == feed.json()["department"] == "discipline_commission"
    assert got == {**expected, "occurred_at": got["occurred_at"]}
    assert datetime.fromisoformat(got["occurred_at"]) == datetime.fromisoformat(
        shown["occurred_at"].replace("Z", "+00:00")
    )
    assert doc["schema"] == "xuncha.share-item" and doc["version"] == 1

    # the audit bureau's item went to its own topic, which the discipline commission cannot read
    audit_topic = share_topic(AUDIT.value, prefix)
    sj = login(infra, department_principal(AUDIT))
    assert (await read_until(infra, sj, audit_topic, f"{prefix}share.audit.t", other))[
        "summary"
    ] == "某局专项资金使用问题"
    with pytest.raises((TopicAuthorizationFailedError, KafkaError)):
        await read_until(infra, jw, audit_topic, f"{prefix}share.discipline_commission.x", other)


async def test_a_poll_reads_the_queue_not_the_history(
    infra: Any, reporting: InProcessService
) -> None:
    """A published item leaves the queue, and the same item projected again (a redelivered
    event) is not queued again; the poll's plan starts from the queue and looks items up by
    their key, so it costs what is pending, not every item ever shared."""
    pool = reporting.ctx.pool
    item = feed_item(DISCIPLINE, "某局违规发放津补贴问题线索")
    await project(reporting, item)
    queued = "SELECT count(*) FROM public.share_pending WHERE item_id = $1"
    assert await pool.fetchval(queued, item.item_id) == 1
    assert await publish(infra, reporting) >= 1
    assert await pool.fetchval(queued, item.item_id) == 0
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM public.share_published WHERE item_id = $1", item.item_id
        )
        == 1
    )
    await project(reporting, item)  # redelivered
    assert await pool.fetchval(queued, item.item_id) == 0
    assert await publish(infra, reporting) == 0

    async with pool.acquire() as conn:
        history = conn.transaction()  # rolled back: no history left behind
        await history.start()
        # enough published history that a plan scanning the items would show it
        await conn.execute(
            "INSERT INTO projection.feed_items (item_id, department, kind, source_event_id, "
            "source_event_type, ref_id, jurisdiction, unit, summary, occurred_at) "
            "SELECT 'hist-' || n, 'audit', 'clue_transfer', gen_random_uuid(), "
            "'clues.ClueTransferred', n::text, $1, '临川区某局', '历史', now() "
            "FROM generate_series(1, 5000) AS n",
            LINCHUAN,
        )
        await conn.execute(
            "INSERT INTO public.share_published (item_id, department, topic) "
            "SELECT 'hist-' || n, 'audit', 't' FROM generate_series(1, 5000) AS n"
        )
        await conn.execute("ANALYZE projection.feed_items")
        await conn.execute("ANALYZE public.share_pending")
        [plan] = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {PENDING_SQL}", BATCH)
        await history.rollback()

    def scans(node: dict[str, Any]) -> list[tuple[str, str]]:
        found = [(node["Node Type"], node.get("Relation Name", ""))]
        for child in node.get("Plans", []):
            found += scans(child)
        return found

    seen = scans(plan["Plan"])
    assert ("Seq Scan", "feed_items") not in seen, seen
    assert any(rel == "share_pending" for _, rel in seen), seen


async def test_the_publisher_s_start_queues_what_an_older_release_wrote(
    infra: Any, reporting: InProcessService
) -> None:
    """An item written without the queue (by a release before it, after a rollback or by an old
    copy in a rolling upgrade) is queued when the publisher starts; queue rows that wait for
    nothing (published already, or their item gone) are dropped."""
    pool = reporting.ctx.pool
    unqueued = feed_item(AUDIT, "回滚期间写入的问题线索")
    published = await add_item(reporting, AUDIT, "已发布的问题线索")
    assert await publish(infra, reporting) >= 1
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO projection.feed_items (item_id, department, kind, source_event_id, "
            "source_event_type, ref_id, jurisdiction, unit, summary, reason, rect_type, "
            "due_date, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
            "$13)",
            unqueued.item_id,
            unqueued.department.value,
            unqueued.kind.value,
            unqueued.source_event_id,
            unqueued.source_event_type,
            unqueued.ref_id,
            unqueued.jurisdiction,
            unqueued.unit,
            unqueued.summary,
            unqueued.reason,
            unqueued.rect_type,
            unqueued.due_date,
            unqueued.occurred_at,
        )
        await conn.execute(
            "INSERT INTO public.share_pending (item_id) VALUES ($1), ('gone:audit')", published
        )
    await sweep_queue(pool)
    queued = {r[0] for r in await pool.fetch("SELECT item_id FROM public.share_pending")}
    assert unqueued.item_id in queued
    assert published not in queued and "gone:audit" not in queued
    assert await publish(infra, reporting) >= 1
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM public.share_published WHERE item_id = $1", unqueued.item_id
        )
        == 1
    )


async def test_a_department_cannot_write_any_share_topic(infra: Any) -> None:
    jw = login(infra, department_principal(DISCIPLINE))
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka_bootstrap, request_timeout_ms=10_000, **jw.aiokafka()
    )
    await asyncio.wait_for(producer.start(), 20)
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await asyncio.wait_for(
                producer.send_and_wait(
                    share_topic(DISCIPLINE.value, infra.topic_prefix), b"{}", key=b"k"
                ),
                20,
            )
    finally:
        await producer.stop()


async def test_a_new_feed_item_notifies_the_share_publisher(reporting: InProcessService) -> None:
    """Idle, the publisher sleeps on SHARE_CHANNEL (10 s between looks): a committed feed item
    wakes it at once (the statement trigger of projection.feed_items)."""
    items = CommitSignal(
        reporting.ctx.pool, poll_interval=0.02, idle_interval=600, channel=SHARE_CHANNEL
    )
    await items.listen()
    try:
        assert items.listening
        stop = asyncio.Event()
        await items.wait_at_most(stop, 0)  # forget anything notified before
        item = await add_item(reporting, DISCIPLINE, "通知测试")
        assert await items.wait_at_most(stop, 30), f"no notification for {item}"
        assert items.notified >= 1
    finally:
        await items.close()
