"""Applies the pure projection to the projection tables: one code path for the live consumer
(inside the inbox transaction) and for ``xuncha projections rebuild`` (inside its own)."""

from __future__ import annotations

import asyncpg
from xuncha_shared.consumer import EventHandler as Handler
from xuncha_shared.envelope import EventEnvelope, EventPayload

from xuncha_reporting.adapters.store import ProjectionStore
from xuncha_reporting.domain import Change, project


async def apply_event(
    conn: asyncpg.Connection,
    store: ProjectionStore,
    envelope: EventEnvelope,
    payload: EventPayload,
) -> list[Change]:
    """Project one event on ``conn``: its changes, and the version bumped if there were any."""
    changes = project(envelope, payload)
    if changes:
        await store.apply(conn, changes)
        await store.bump_version(conn)
    return changes


def projection_handler(store: ProjectionStore) -> Handler:
    """The ``InboxConsumer`` handler of the live projection."""

    async def handle(
        conn: asyncpg.Connection, envelope: EventEnvelope, payload: EventPayload
    ) -> None:
        await apply_event(conn, store, envelope, payload)

    return handle
