"""The queries behind the sampled gauges of :mod:`xuncha_shared.metrics`.

* relay lag: committed events after the relay's stored position (what Kafka has not yet
  acknowledged), counted up to :data:`LAG_CAP`;
* deadlines due: deadline stages whose time has come and that have not fired;
* consumer lag: per partition, the end offset minus the consumer group's committed offset (the
  beginning offset where the group committed nothing yet), read from Kafka with the service's own
  credentials (its groups and topics only).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from itertools import chain
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from xuncha_shared.eventstore.postgres import COMMITTED
from xuncha_shared.kafka import KafkaSecurity, topics_partitions
from xuncha_shared.metrics import clear_gauge, set_gauge

__all__ = ["LAG_CAP", "ConsumerLag", "consumer_lag", "deadlines_due", "relay_lag"]

#: counting stops here (a lag this large is an alert either way; counting on would be slow)
LAG_CAP = 1_000_000

_RELAY_LAG_SQL = f"""
WITH pos AS (
    SELECT coalesce(max(tx_id), 0) AS at_tx, coalesce(max(global_position), 0) AS at_gp
    FROM relay_positions WHERE relay = $1
)
SELECT count(*) FROM (
    SELECT 1 FROM events, pos
    WHERE (events.tx_id, events.global_position) > (pos.at_tx, pos.at_gp) AND {COMMITTED}
    LIMIT {LAG_CAP}
) AS behind
"""

_DEADLINES_DUE_SQL = """
SELECT count(*) FROM deadlines WHERE next_fire_at IS NOT NULL AND next_fire_at <= $1
"""


async def relay_lag(pool: asyncpg.Pool, service: str) -> int:
    """Sample the relay lag of ``service`` (its relay is ``<service>.relay``)."""
    lag = int(await pool.fetchval(_RELAY_LAG_SQL, f"{service}.relay") or 0)
    set_gauge("relay_lag", lag, service=service)
    return lag


async def deadlines_due(pool: asyncpg.Pool, service: str, now: datetime) -> int:
    """Sample the deadline stages due at ``now`` and not yet fired (0 without a deadlines
    table)."""
    exists = await pool.fetchval("SELECT to_regclass('deadlines') IS NOT NULL")
    due = int(await pool.fetchval(_DEADLINES_DUE_SQL, now) or 0) if exists else 0
    set_gauge("deadlines_due", due, service=service)
    return due


async def consumer_lag(
    bootstrap: str,
    security: KafkaSecurity,
    groups: Iterable[tuple[str, str, Sequence[str]]],
    *,
    admin_factory: Callable[..., Any] | None = None,
) -> dict[tuple[str, str, int], int]:
    """Sample the lag of each ``(label, group_id, topics)`` once, with clients of its own;
    returns ``{(label, topic, partition): lag}``. ``label`` is the consumer's name (its group
    without the deployment's topic prefix)."""
    lag = ConsumerLag(bootstrap, security, admin_factory=admin_factory)
    try:
        return await lag.sample(groups)
    finally:
        await lag.close()


class ConsumerLag:
    """:func:`consumer_lag` with its Kafka clients (a consumer for the offsets, an admin client
    for the groups' commits) kept open from one sample to the next, as the service's sampler
    uses it: opening them for every sample cost two SASL/SCRAM handshakes and metadata requests
    every 15 s, on the service and on the broker alike, which was a good part of an idle
    deployment's CPU. A failed sample closes them; the next one opens new ones."""

    def __init__(
        self,
        bootstrap: str,
        security: KafkaSecurity,
        *,
        admin_factory: Callable[..., Any] | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.security = security
        self.admin_factory = admin_factory
        self._clients: tuple[contextlib.AsyncExitStack, AIOKafkaConsumer, Any] | None = None

    async def _open(self) -> tuple[contextlib.AsyncExitStack, AIOKafkaConsumer, Any]:
        from xuncha_shared.provision.kafka import kafka_admin

        factory = self.admin_factory or kafka_admin
        stack = contextlib.AsyncExitStack()
        try:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap,
                enable_auto_commit=False,
                **self.security.aiokafka(),
            )
            await consumer.start()
            stack.push_async_callback(consumer.stop)
            admin = await stack.enter_async_context(factory(self.bootstrap, security=self.security))
        except BaseException:
            await stack.aclose()
            raise
        return stack, consumer, admin

    async def close(self) -> None:
        clients, self._clients = self._clients, None
        if clients is not None:
            with contextlib.suppress(Exception):
                await clients[0].aclose()

    async def sample(
        self, groups: Iterable[tuple[str, str, Sequence[str]]]
    ) -> dict[tuple[str, str, int], int]:
        groups = list(groups)
        if not groups:
            return {}
        if self._clients is None:
            self._clients = await self._open()
        _, consumer, admin = self._clients
        try:
            return await _sample(consumer, admin, groups)
        except Exception:
            await self.close()
            raise


async def _sample(
    consumer: AIOKafkaConsumer, admin: Any, groups: list[tuple[str, str, Sequence[str]]]
) -> dict[tuple[str, str, int], int]:
    """One metadata request and one end-offsets request for all the groups' topics together
    (asked per group and per topic before, they were most of the sampler's requests to the
    broker), the beginning offsets only of partitions a group has committed nothing on, and
    each group's commits (its coordinator, then the offsets)."""
    partitions = await topics_partitions(consumer, sorted({t for _, _, ts in groups for t in ts}))
    ends = await consumer.end_offsets(list(chain.from_iterable(partitions.values())))
    commits: dict[str, dict[TopicPartition, int]] = {}
    for label, group_id, topics in groups:
        committed = await admin.list_consumer_group_offsets(group_id)
        commits[label] = {
            tp: meta.offset
            for topic in topics
            for tp in partitions[topic]
            if (meta := committed.get(tp)) is not None and meta.offset >= 0
        }
    uncommitted = {
        tp
        for label, _, topics in groups
        for topic in topics
        for tp in partitions[topic]
        if tp not in commits[label]
    }
    starts = await consumer.beginning_offsets(sorted(uncommitted)) if uncommitted else {}
    out: dict[tuple[str, str, int], int] = {}
    for label, _, topics in groups:
        group_partitions = [tp for topic in topics for tp in partitions[topic]]
        if not group_partitions:
            continue
        clear_gauge("consumer_lag", group=label)
        for tp in group_partitions:
            at = commits[label].get(tp, starts.get(tp, 0))
            lag = max(int(ends[tp]) - int(at), 0)
            out[(label, tp.topic, tp.partition)] = lag
            set_gauge(
                "consumer_lag",
                lag,
                group=label,
                topic=tp.topic,
                partition=str(tp.partition),
            )
    return out
