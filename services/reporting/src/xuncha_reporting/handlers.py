"""Service layer of reporting: the projection handler (Kafka consumer) and the 签收 command.

``apply_event`` applies the pure projection to the projection tables: one code path for the
live consumer (inside the inbox transaction), for ``xuncha projections rebuild`` (inside its
own) and for the 签收 command (inside the command's).

``acknowledge`` loads the feed item, lets the pure ``decide_acknowledge`` decide, appends the
event to the stream ``share``/``item_id`` (a second 签收 finds the stream: 409), applies it to
the projection at once and records it in the projection consumer's inbox, all in one
transaction: when the event comes back through Kafka it is a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from xuncha_shared.aggregates import new_events
from xuncha_shared.consumer import EventHandler as Handler
from xuncha_shared.contracts.topics import topic_for
from xuncha_shared.domain.commands import Meta
from xuncha_shared.domain.principals import Principal
from xuncha_shared.envelope import EventEnvelope, EventPayload
from xuncha_shared.eventstore import NO_STREAM, ConcurrencyError, EventStore
from xuncha_shared.runtime import ServiceContext
from xuncha_shared.unit_of_work import UnitOfWork, pg_unit_of_work

from xuncha_reporting.adapters.inbox import record_processed
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.domain import Change, project
from xuncha_reporting.domain.acknowledge import (
    AcknowledgeItem,
    AlreadyAcknowledged,
    SharedItem,
    decide_acknowledge,
)
from xuncha_reporting.settings import PROJECTION_CONSUMER, SHARE_STREAM_TYPE


async def apply_event(
    conn: asyncpg.Connection,
    tables: ProjectionTables,
    envelope: EventEnvelope,
    payload: EventPayload,
) -> list[Change]:
    """Project one event on ``conn``: its changes, and the version bumped if there were any."""
    changes = project(envelope, payload)
    if changes:
        await tables.apply(conn, changes)
        await tables.bump_version(conn)
    return changes


def projection_handler(tables: ProjectionTables) -> Handler:
    """The ``InboxConsumer`` handler of the live projection."""

    async def handle(
        conn: asyncpg.Connection, envelope: EventEnvelope, payload: EventPayload
    ) -> None:
        await apply_event(conn, tables, envelope, payload)

    return handle


@dataclass
class ReportingHandlers:
    store: EventStore
    tables: ProjectionTables
    unit_of_work: UnitOfWork
    #: the topic reporting's own events reach the projection consumer by (its inbox row)
    share_topic: str

    async def acknowledge(
        self, cmd: AcknowledgeItem, principal: Principal, meta: Meta
    ) -> EventEnvelope:
        """签收: load the item → decide → append → apply and record in the inbox."""
        try:
            async with self.unit_of_work() as conn:
                row = await self.tables.item(conn, cmd.item_id)
                item = SharedItem.from_row(row) if row is not None else None
                event = decide_acknowledge(item, cmd, principal)
                assert item is not None  # decided: the item exists
                [envelope] = await self.store.append(
                    SHARE_STREAM_TYPE,
                    cmd.item_id,
                    NO_STREAM,
                    new_events(meta, [event], lambda _: item.jurisdiction),
                    conn=conn,
                )
                await apply_event(conn, self.tables, envelope, event)
                await record_processed(
                    conn, PROJECTION_CONSUMER, envelope.event_id, self.share_topic
                )
        except ConcurrencyError:
            raise AlreadyAcknowledged(cmd.item_id) from None
        return envelope


def handlers_from_context(
    ctx: ServiceContext, tables: ProjectionTables | None = None
) -> ReportingHandlers:
    return ReportingHandlers(
        store=ctx.store,
        tables=tables or ProjectionTables(),
        unit_of_work=pg_unit_of_work(ctx.pool),
        share_topic=topic_for(SHARE_STREAM_TYPE, ctx.settings.topic_prefix),
    )
