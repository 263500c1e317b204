"""Projecting a history a chunk at a time: the CPU part of a rebuild or a replay.

A chunk of events (in the rebuild's merge order) becomes the SQL statements of its changes
(``ProjectionTables.statements``), with the live consumer's own code path: upcast, decode,
``domain.project``. Events that fail to decode are skipped, as the live consumer dead-letters
them.

Histories are read as plain rows (``ROW_COLUMNS``: the payload as JSON text and the actor's
fields as text, so the reading process parses nothing); large ones are projected in worker
processes (``init_worker``, ``project_in_worker``), a few chunks ahead of the one being folded,
on the machine's other cores; the chunks are still folded one after the other, in order.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import multiprocessing.forkserver
import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from pydantic import ValidationError
from xuncha_shared.contracts import REGISTRY, UnknownEventError
from xuncha_shared.envelope import EventEnvelope
from xuncha_shared.eventstore.postgres import (
    ENVELOPE_NAMES,
    envelope_columns,
    envelope_from_record,
)

from xuncha_reporting.adapters.deadline_rules import DeadlineRules
from xuncha_reporting.adapters.projection_bulk import BulkTables
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.adapters.projection_writes import Statements
from xuncha_reporting.domain import Change, project

ProgressHook = Callable[[str, int], None]  # (phase, count); phase "total" sets the total

#: the columns of an event row, in the order of ``eventstore.postgres.ENVELOPE_SELECT``
ROW_NAMES: tuple[str, ...] = ENVELOPE_NAMES
#: the reader's columns with the payload as JSON text: whatever codec the connection has, the
#: reading process leaves it unparsed (the projecting one parses it); the actor's fields come
#: as text
ROW_COLUMNS = envelope_columns(payload_as_text=True)
_EVENT_ID = ROW_NAMES.index("event_id")
_RECORDED_AT = ROW_NAMES.index("recorded_at")
TX_ID = ROW_NAMES.index("tx_id")
GLOBAL_POSITION = ROW_NAMES.index("global_position")

#: histories of at least this many events are projected in worker processes (``fold_rows``)
PARALLEL_MIN = 20_000
#: events per chunk projected at once (sent to a worker)
POOL_BATCH = 1000
MAX_WORKERS = 4

log = logging.getLogger(__name__)

Row = tuple[Any, ...]
#: what projecting a chunk gives: its statements, how many of its events changed something,
#: the ids of the events it applies, the events skipped (id, reason)
ChunkResult = tuple[Statements, int, list[UUID], list[tuple[str, str]]]


@dataclass
class ProjectionRun:
    """What projecting a history into a schema did (a rebuild's or a replay's)."""

    schema: str
    read: dict[str, int]  # service -> events read
    applied: int = 0
    changed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (event id, reason)


def row_order(row: Row) -> tuple[datetime, str]:
    """The rebuild's merge order of a row: ``(recorded_at, event_id)`` (``merge_order``)."""
    return row[_RECORDED_AT], str(row[_EVENT_ID])


def row_event_id(row: Row) -> UUID:
    return cast(UUID, row[_EVENT_ID])


def envelope_from_row(row: Row) -> EventEnvelope:
    """The envelope of a row of ``ROW_COLUMNS`` (the store's own data: not validated)."""
    if len(row) != len(ROW_NAMES):
        raise ValueError(f"an event row has {len(ROW_NAMES)} columns, not {len(row)}")
    return envelope_from_record(cast(Any, row))  # taken by position, in ROW_NAMES' order


def project_chunk(tables: ProjectionTables, chunk: Sequence[EventEnvelope]) -> ChunkResult:
    """The statements of ``chunk``'s changes (see ``ChunkResult``)."""
    changes: list[Change] = []
    changed = 0
    ids: list[UUID] = []
    skipped: list[tuple[str, str]] = []
    for raw in chunk:
        try:
            # ``REGISTRY.decode``, keeping its upcast envelope: the current version, validated
            event = REGISTRY.upcast(raw)
            model = REGISTRY.model(event.event_type, event.schema_version)
            payload = model.model_validate(event.payload)
        except (ValidationError, UnknownEventError, ValueError) as exc:
            # the live consumer dead-letters these: they change nothing there either
            skipped.append((str(raw.event_id), f"{type(exc).__name__}: {exc}"))
            continue
        # the live consumer's projection (``apply_event``), applied a chunk at a time
        event_changes = project(event, payload)
        if event_changes:
            changes.extend(event_changes)
            changed += 1
        ids.append(raw.event_id)
    return tables.statements(changes), changed, ids, skipped


def project_rows(tables: ProjectionTables, rows: Sequence[Row]) -> ChunkResult:
    """``project_chunk`` of the events of ``rows`` (``ROW_COLUMNS``)."""
    return project_chunk(tables, [envelope_from_row(r) for r in rows])


# ---- worker processes -------------------------------------------------------------------------
# Started from a forkserver (``rebuild.fold_rows``): a clean, single-threaded process that has
# imported this module, never the running service's threads and locks. A chunk comes as its
# rows, its statements go back; both pickled.

_worker_tables: ProjectionTables | None = None


def init_worker(schema: str, rules: DeadlineRules, bulk: bool) -> None:
    """A worker process's state: the run's tables (its schema, its pinned rules, ``bulk`` as
    the parent's). Its collector runs after each chunk only (``project_in_worker``): a chunk's
    objects are freed as soon as they are done with, so collecting while a chunk is projected
    only walks them."""
    global _worker_tables
    gc.freeze()  # what the server imported is never garbage
    gc.disable()
    _worker_tables = ProjectionTables(schema, rules=rules, bulk=bulk)


def project_in_worker(rows: Sequence[Row]) -> ChunkResult:
    """``project_rows`` in a worker set up by ``init_worker``."""
    if _worker_tables is None:
        raise RuntimeError("project_in_worker runs in a worker set up by init_worker")
    result = project_rows(_worker_tables, rows)
    gc.collect()
    return result


# ---- the chunks of a history, in order ---------------------------------------------------------


def _workers() -> int:
    """Worker processes of a large history: one per core (the reading and folding process
    mostly waits on them), at most ``MAX_WORKERS``."""
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def _fold(
    bulk: BulkTables,
    result: ChunkResult,
    count: int,
    report: ProjectionRun,
    progress: ProgressHook | None,
) -> list[UUID]:
    """Fold one chunk's statements into ``bulk``; returns the ids of the events it applies."""
    statements, changed, ids, skipped = result
    bulk.apply(statements, changed)
    report.skipped.extend(skipped)
    report.changed += changed
    report.applied += count
    if progress:
        progress("apply", count)
    return ids


async def _fold_here(
    tables: ProjectionTables,
    rows: Sequence[Row],
    bulk: BulkTables,
    report: ProjectionRun,
    progress: ProgressHook | None,
) -> set[UUID]:
    """``fold_rows`` in this process (the projecting in a thread: the event loop stays free)."""
    applied: set[UUID] = set()
    for start in range(0, len(rows), POOL_BATCH):
        chunk = rows[start : start + POOL_BATCH]
        result = await asyncio.to_thread(project_rows, tables, chunk)
        applied.update(_fold(bulk, result, len(chunk), report, progress))
    return applied


def forkserver() -> multiprocessing.context.BaseContext:
    """The forkserver context of the workers, its server started (once per process: it
    imports the main module and this one, then forks each worker of each run)."""
    context = multiprocessing.get_context("forkserver")
    # imported once by the server, before it forks (no effect once a server runs)
    context.set_forkserver_preload(["__main__", project_in_worker.__module__])
    multiprocessing.forkserver.ensure_running()
    return context


def warming_up(progress: ProgressHook | None) -> ProgressHook:
    """``progress`` (``read_history``'s hook), which also starts the workers' forkserver as
    soon as the history read reaches ``PARALLEL_MIN`` events: the server imports its modules
    (a second or more of CPU) while the rest of the history is read."""
    read = 0

    def hook(phase: str, count: int) -> None:
        nonlocal read
        if phase == "read" and read < PARALLEL_MIN <= read + count and _has_forkserver():
            forkserver()
        if phase == "read":
            read += count
        if progress:
            progress(phase, count)

    return hook


def _has_forkserver() -> bool:
    return "forkserver" in multiprocessing.get_all_start_methods()


async def fold_rows(
    tables: ProjectionTables,
    rows: Sequence[Row],
    bulk: BulkTables,
    report: ProjectionRun,
    progress: ProgressHook | None = None,
) -> set[UUID]:
    """Project the events of ``rows`` (``projection_chunks.ROW_COLUMNS``) in the given order
    and fold their statements into ``bulk``, a chunk at a time, in order; returns the ids of the
    events applied.

    From ``PARALLEL_MIN`` events on, the chunks are projected in worker processes (the same
    code, ``projection_chunks.project_in_worker``), up to two per worker ahead of the one being
    folded, so decoding and projecting use the other cores. The workers are forked from a
    forkserver (a fresh single-threaded process), never from this one, which may run threads
    (the reporting service's); a chunk's rows are sent to its worker, its statements sent back.
    Where there is no forkserver, or no worker can start, the chunks are projected here."""
    if len(rows) < PARALLEL_MIN or not _has_forkserver():
        return await _fold_here(tables, rows, bulk, report, progress)
    applied: set[UUID] = set()
    workers = _workers()
    loop = asyncio.get_running_loop()
    context = forkserver()
    pool = ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=init_worker,
        initargs=(tables.schema, tables.rules, tables.bulk),
    )
    folded = 0  # rows folded so far
    try:
        starts = iter(range(0, len(rows), POOL_BATCH))
        ahead: deque[tuple[int, asyncio.Future[ChunkResult]]] = deque()

        def submit() -> None:
            start = next(starts, None)
            if start is not None:
                chunk = rows[start : start + POOL_BATCH]
                ahead.append((len(chunk), loop.run_in_executor(pool, project_in_worker, chunk)))

        for _ in range(2 * workers + 1):
            submit()
        while ahead:
            count, future = ahead.popleft()
            result = await future
            submit()
            applied.update(_fold(bulk, result, count, report, progress))
            folded += count
    except BrokenProcessPool as exc:  # no worker could start (or one died): finish here
        log.warning("projecting in worker processes failed (%s): going on in this one", exc)
        applied |= await _fold_here(tables, rows[folded:], bulk, report, progress)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return applied
