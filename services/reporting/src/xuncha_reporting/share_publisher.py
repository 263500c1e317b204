"""成果共享 to the departments' own systems: each receiving department's feed items on its own
Kafka topic ``share.<department>.v1`` (docs/security.md, "Departments' share topics").

The projection writes a feed item (``feed_items``) when an event shares something with a
department (a transferred clue, an issue fed back), and in the same statement queues its id in
``share_pending`` unless it was published already; this loop, run with the relay of the
reporting service, publishes the queued items to their department's topic, records them in
``share_published`` and takes them off the queue. Both tables are outside the projection's
schema, so a rebuild of the views, which recreates the same deterministic item ids, publishes
nothing twice; swapping a rebuilt schema in queues whatever of it was never published
(``adapters/share_tables.py``). A poll reads the queue, not the history: it costs what is
pending, not every item ever shared. Delivery is at least once: a crash between the broker's
acknowledgement and the record sends the item again with the same key (``item_id``), which a
department's consumer uses to drop the repeat.

A message carries exactly what the department's feed shows of the item (``GET
/api/v1/feeds/{department}``, without the 签收 fields, which come later and go back through that
HTTP endpoint): never the source of a matter, no informant field. Only reporting may write these
topics and only the department's principal ``dept-<department>`` may read its own
(``xuncha_shared.provision.acls``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer
from xuncha_shared.commit_signal import CommitSignal
from xuncha_shared.contracts.topics import share_topic
from xuncha_shared.domain import jurisdictions
from xuncha_shared.kafka import client_security, producer_config
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.adapters.schema import SHARE_CHANNEL
from xuncha_reporting.adapters.share_tables import (
    DROP_STALE_SQL,
    PENDING_SQL,
    QUEUE_UNPUBLISHED_SQL,
    RECORD_SQL,
)
from xuncha_reporting.domain.feed_display import displayed

log = logging.getLogger("xuncha.reporting.share")

#: the message's own name and version (a consumer outside xuncha checks them)
MESSAGE_SCHEMA = "xuncha.share-item"
MESSAGE_VERSION = 1
#: without a listening connection: looks this often
POLL_SECONDS = 1.0
#: listening for new feed items (SHARE_CHANNEL): looks at least this often anyway
IDLE_POLL_SECONDS = 10.0
BATCH = 500


def message(record: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    """The item as the department's feed shows it (``FeedItemOut`` without 签收): a row of
    ``PENDING_SQL``, its names resolved (``feed_display``)."""
    row = displayed(dict(record.items()))
    jurisdiction = str(row["jurisdiction"]).strip()
    return {
        "schema": MESSAGE_SCHEMA,
        "version": MESSAGE_VERSION,
        "item_id": row["item_id"],
        "department": row["department"],
        "kind": row["kind"],
        "kind_zh": row["kind_zh"],
        "source_event_id": str(row["source_event_id"]),
        "ref_id": row["ref_id"],
        "jurisdiction": jurisdiction,
        "jurisdiction_name": jurisdictions.name_of(jurisdiction),
        "unit": row["unit"],
        "summary": row["summary"],
        "reason": row["reason"],
        "rect_type": row["rect_type"],
        "due_date": row["due_date"],
        "occurred_at": row["occurred_at"].isoformat(),
        # additive within version 1: a consumer of the older messages sees it absent
        "letter_on": row["letter_on"].isoformat() if row["letter_on"] else None,
    }


async def publish_pending(
    pool: asyncpg.Pool, producer: AIOKafkaProducer, prefix: str = "", limit: int = BATCH
) -> int:
    """Publish up to ``limit`` queued items, then record them and take them off the queue;
    returns how many."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(PENDING_SQL, limit)
    if not rows:
        return 0
    topics = [share_topic(r["department"], prefix) for r in rows]
    sent = [
        await producer.send(topic, orjson.dumps(message(r)), key=str(r["item_id"]).encode("utf-8"))
        for topic, r in zip(topics, rows, strict=True)
    ]
    await asyncio.gather(*sent)  # every item acknowledged by the broker before it is recorded
    async with pool.acquire() as conn:
        await conn.execute(
            RECORD_SQL,
            [r["item_id"] for r in rows],
            [r["department"] for r in rows],
            topics,
        )
    return len(rows)


async def sweep_queue(pool: asyncpg.Pool) -> None:
    """Queue every live item not yet published and drop the queue rows that wait for nothing
    (``adapters/share_tables.py``): once when the publisher starts; one pass over the items
    (about 80 ms at a term's 120,000)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(QUEUE_UNPUBLISHED_SQL)
        await conn.execute(DROP_STALE_SQL)


async def run_share_publisher(ctx: ServiceContext, stop: asyncio.Event) -> None:
    """Publish new feed items until ``stop`` is set (a failure is logged and retried)."""
    settings = ctx.settings
    producer = AIOKafkaProducer(
        **producer_config(
            settings.kafka_bootstrap,
            client_id="reporting.share",
            security=client_security(settings),
        )
    )
    await producer.start()
    # new items notify SHARE_CHANNEL when their transaction commits: idle, it sleeps until then
    items = CommitSignal(
        ctx.pool, poll_interval=POLL_SECONDS, idle_interval=IDLE_POLL_SECONDS, channel=SHARE_CHANNEL
    )
    await items.listen()
    swept = False
    try:
        while not stop.is_set():
            try:
                if not swept:
                    await sweep_queue(ctx.pool)
                    swept = True
                published = await publish_pending(ctx.pool, producer, settings.topic_prefix)
            except Exception as exc:  # the database or the broker: logged, retried
                log.warning("share topics: publishing failed, retrying: %s", exc)
                published = 0
            if published:
                log.info("share topics: published %d feed item(s)", published)
                continue
            await items.wait_at_most(stop, IDLE_POLL_SECONDS if items.listening else POLL_SECONDS)
    finally:
        await items.close()
        await producer.stop()
