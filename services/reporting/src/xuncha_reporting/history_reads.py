"""Reading the history for a rebuild or an as-of replay (``rebuild``, ``replay``): every
committed event of every service's store, as plain rows (``projection_chunks.ROW_COLUMNS``: the
payload stays JSON text, the actor's fields come as text), each store's in the commit-safe
order of ``PostgresEventStore.read_all``; with ``as_of`` only the events recorded at or before
a moment, selected in SQL inside one snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from xuncha_shared.audit.access import Connector, url_connector
from xuncha_shared.eventstore.base import START
from xuncha_shared.eventstore.postgres import COMMITTED
from xuncha_shared.settings import SERVICES, Settings

from xuncha_reporting.projection_chunks import (
    GLOBAL_POSITION,
    ROW_COLUMNS,
    TX_ID,
    ProgressHook,
    Row,
)

#: rows per page of a store's history
READ_BATCH = 2000


@dataclass
class History:
    """Events read from the services' stores (``read_history``)."""

    rows: list[Row]  # projection_chunks.ROW_COLUMNS, each store's in commit-safe order
    read: dict[str, int]  # service -> events read
    total: dict[str, int]  # service -> events in its store when it was read


# Every committed event of one store, in the commit-safe order of ``read_all`` (the same
# condition, ``COMMITTED``), as plain rows: the payload stays JSON text
_READ_ALL_ROWS_SQL = f"""
SELECT {ROW_COLUMNS} FROM events
WHERE (tx_id, global_position) > ($1::bigint, $2::bigint) AND {COMMITTED}
ORDER BY tx_id, global_position
LIMIT $3
"""

# The history as it stood at a moment: the commit-safe order of ``PostgresEventStore.read_all``
# bounded by ``recorded_at``; paged inside ONE repeatable-read snapshot (so no page can miss an
# event committed between two pages, and no running transaction can cut the read short).
_READ_AS_OF_SQL = f"""
SELECT {ROW_COLUMNS} FROM events
WHERE (tx_id, global_position) > ($1::bigint, $2::bigint) AND recorded_at <= $3
ORDER BY tx_id, global_position
LIMIT $4
"""


async def _read_pages(
    conn: asyncpg.Connection, sql: str, progress: ProgressHook | None, *bounds: Any
) -> list[Row]:
    """Page through ``sql`` (``$1``/``$2`` = after which position, then ``bounds``, then the
    page size) in the commit-safe order."""
    rows: list[Row] = []
    tx_id, global_position = START.tx_id, START.global_position
    while page := await conn.fetch(sql, tx_id, global_position, *bounds, READ_BATCH):
        rows.extend(map(tuple, page))
        tx_id, global_position = rows[-1][TX_ID], rows[-1][GLOBAL_POSITION]
        if progress:
            progress("read", len(page))
    return rows


async def _read_all(
    conn: asyncpg.Connection, progress: ProgressHook | None
) -> tuple[list[Row], int]:
    """Every committed event of one store, in the commit-safe order of ``read_all``."""
    rows = await _read_pages(conn, _READ_ALL_ROWS_SQL, progress)
    return rows, len(rows)


async def _read_as_of(
    conn: asyncpg.Connection, as_of: datetime, progress: ProgressHook | None
) -> tuple[list[Row], int]:
    """The events of one store recorded at or before ``as_of`` (commit-safe order), and how
    many events the store held in the same snapshot."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        total = int(await conn.fetchval("SELECT count(*) FROM events"))
        rows = await _read_pages(conn, _READ_AS_OF_SQL, progress, as_of)
    return rows, total


def _check_as_of(as_of: datetime | None) -> None:
    if as_of is not None and (as_of.tzinfo is None or as_of.utcoffset() is None):
        raise ValueError(f"as_of must carry a timezone offset, not {as_of.isoformat()}")


async def read_history(
    settings: Settings,
    services: Sequence[str] = SERVICES,
    progress: ProgressHook | None = None,
    *,
    as_of: datetime | None = None,
    connector: Connector | None = None,
) -> History:
    """Every committed event of every service, each database in commit-safe order; with
    ``as_of`` only those whose ``recorded_at`` is at or before it (filtered in SQL).

    Each database is reached through ``connector`` (the reporting service's auditor pools, say),
    by default with a connection of its own to ``settings.service_database_url(service)``."""
    _check_as_of(as_of)
    connector = connector or url_connector(settings.service_database_url)
    history = History(rows=[], read={}, total={})
    for service in services:
        async with connector(service) as conn:
            if as_of is None:
                rows, total = await _read_all(conn, progress)
            else:
                rows, total = await _read_as_of(conn, as_of, progress)
        history.rows.extend(rows)
        history.read[service] = len(rows)
        history.total[service] = total
    return history


async def count_history(
    settings: Settings,
    services: Sequence[str] = SERVICES,
    *,
    as_of: datetime | None = None,
    connector: Connector | None = None,
) -> int:
    """How many events ``read_history`` will read (for progress bars; not exact under load)."""
    _check_as_of(as_of)
    connector = connector or url_connector(settings.service_database_url)
    total = 0
    for service in services:
        async with connector(service) as conn:
            if as_of is None:
                value = await conn.fetchval("SELECT count(*) FROM events")
            else:
                value = await conn.fetchval(
                    "SELECT count(*) FROM events WHERE recorded_at <= $1", as_of
                )
        total += int(value)
    return total
