"""Projecting a history a chunk at a time: the CPU part of a rebuild or a replay.

A chunk of events (in the rebuild's merge order) becomes the SQL statements of its changes
(``ProjectionTables.statements``), with the live consumer's own code path: upcast, decode,
``domain.project``. Events that fail to decode are skipped, as the live consumer dead-letters
them.

Histories are read as plain rows (``ROW_COLUMNS``: the payload and actor as JSON text, so the
reading process parses nothing); large ones are projected in worker processes (``init_worker``,
``project_rows``), a few chunks ahead of the database writing them, on the machine's other
cores; the chunks are still written one after the other, in order.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from pydantic import ValidationError
from xuncha_shared.contracts import REGISTRY, UnknownEventError
from xuncha_shared.envelope import EventEnvelope
from xuncha_shared.eventstore.postgres import COLUMNS, envelope_from_record

from xuncha_reporting.adapters.deadline_rules import DeadlineRules
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.adapters.projection_writes import Statements
from xuncha_reporting.domain import Change, project

#: the columns of an event row, in the order of ``eventstore.postgres.COLUMNS``
ROW_NAMES: tuple[str, ...] = tuple(c.strip() for c in COLUMNS.split(","))
#: ``COLUMNS`` with the JSON documents as text: whatever codec the connection has, the reading
#: process leaves them unparsed (the projecting one parses them)
ROW_COLUMNS = ", ".join(f"{n}::text AS {n}" if n in ("actor", "payload") else n for n in ROW_NAMES)
_EVENT_ID = ROW_NAMES.index("event_id")
_RECORDED_AT = ROW_NAMES.index("recorded_at")
TX_ID = ROW_NAMES.index("tx_id")
GLOBAL_POSITION = ROW_NAMES.index("global_position")

Row = tuple[Any, ...]
#: what projecting a chunk gives: its statements, how many of its events changed something,
#: the ids of the events it applies, the events skipped (id, reason)
ChunkResult = tuple[Statements, int, list[UUID], list[tuple[str, str]]]


def row_order(row: Row) -> tuple[datetime, str]:
    """The rebuild's merge order of a row: ``(recorded_at, event_id)`` (``merge_order``)."""
    return row[_RECORDED_AT], str(row[_EVENT_ID])


def row_event_id(row: Row) -> UUID:
    return cast(UUID, row[_EVENT_ID])


def envelope_from_row(row: Row) -> EventEnvelope:
    """The envelope of a row of ``ROW_COLUMNS`` (the store's own data: not validated)."""
    if len(row) != len(ROW_NAMES):
        raise ValueError(f"an event row has {len(ROW_NAMES)} columns, not {len(row)}")
    return envelope_from_record(cast(Any, row))  # taken by position, in COLUMNS' order


def project_chunk(tables: ProjectionTables, chunk: Sequence[EventEnvelope]) -> ChunkResult:
    """The statements of ``chunk``'s changes (see ``ChunkResult``)."""
    changes: list[Change] = []
    changed = 0
    ids: list[UUID] = []
    skipped: list[tuple[str, str]] = []
    for raw in chunk:
        try:
            payload = REGISTRY.decode(raw)  # upcast to the current version, then validated
        except (ValidationError, UnknownEventError, ValueError) as exc:
            # the live consumer dead-letters these: they change nothing there either
            skipped.append((str(raw.event_id), f"{type(exc).__name__}: {exc}"))
            continue
        # the live consumer's projection (``apply_event``), applied a chunk at a time
        event_changes = project(REGISTRY.upcast(raw), payload)
        if event_changes:
            changes.extend(event_changes)
            changed += 1
        ids.append(raw.event_id)
    return tables.statements(changes), changed, ids, skipped


# ---- worker processes -------------------------------------------------------------------------
# Forked (``apply_rows``): a worker starts at once with the parent's memory, the history's rows
# included, so a chunk is sent as two numbers and only its statements come back pickled.

_worker_tables: ProjectionTables | None = None
_worker_rows: Sequence[Row] = ()


def init_worker(schema: str, rules: DeadlineRules, rows: Sequence[Row], bulk: bool) -> None:
    """A worker process's state: the run's tables (its schema, its pinned rules, ``bulk`` as
    the parent's) and the ordered rows of the history (inherited from the parent when
    forked)."""
    global _worker_tables, _worker_rows
    # what the parent had is never collected here: without this, the worker's first full
    # collection would walk (and so copy, page by page) the parent's whole heap
    gc.freeze()
    _worker_tables = ProjectionTables(schema, rules=rules, bulk=bulk)
    _worker_rows = rows


def project_rows(start: int, stop: int) -> ChunkResult:
    """``project_chunk`` of the rows ``start:stop``, in a worker set up by ``init_worker``."""
    if _worker_tables is None:
        raise RuntimeError("project_rows runs in a worker set up by init_worker")
    return project_chunk(_worker_tables, [envelope_from_row(r) for r in _worker_rows[start:stop]])
