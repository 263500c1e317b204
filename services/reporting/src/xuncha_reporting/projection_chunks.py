"""Projecting a history a chunk at a time: the CPU part of a rebuild or a replay.

A chunk of events (in the rebuild's merge order) becomes the SQL statements of its changes
(``ProjectionTables.statements``), with the live consumer's own code path: upcast, decode,
``domain.project``. Events that fail to decode are skipped, as the live consumer dead-letters
them.

Histories are read as plain rows (``ROW_COLUMNS``: only what the projection reads of each
event, the payload as JSON text, so the reading process parses nothing), a chunk at a time as
they are read (``history_reads``); large ones are projected in worker processes
(``init_worker``, ``project_in_worker``), a few chunks ahead of the one being folded, on the
machine's other cores, while the reading process reads the next ones; the chunks are still
folded one after the other, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import multiprocessing.forkserver
import os
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol
from uuid import UUID

from pydantic import ValidationError
from xuncha_shared.contracts import REGISTRY, UnknownEventError
from xuncha_shared.envelope import JsonDict
from xuncha_shared.eventstore.postgres import ENVELOPE_SELECT

from xuncha_reporting.adapters.deadline_rules import DeadlineRules
from xuncha_reporting.adapters.projection_bulk import BulkTables
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.adapters.projection_writes import Statements
from xuncha_reporting.domain import Change, project
from xuncha_reporting.domain.projected import ProjectedEnvelope

ProgressHook = Callable[[str, int], None]  # (phase, count); phase "total" sets the total

#: the columns of a history row: the envelope fields the projection reads
#: (``domain.projected.ProjectedEnvelope``), the payload it decodes and its schema version, and
#: ``recorded_at`` (the merge order, last: a worker is sent the columns before it, ``sent``);
#: nothing else of the envelope is read, sent to a worker or built. The payload comes as JSON
#: text whatever codec the connection has (the projecting process parses it), the actor's
#: principal as text.
ROW_NAMES: tuple[str, ...] = (
    "event_id",
    "event_type",
    "schema_version",
    "stream_id",
    "occurred_at",
    "jurisdiction",
    "principal_id",
    "payload",
    "recorded_at",
)


def _column(name: str) -> str:
    expression = "payload::text" if name == "payload" else dict(ENVELOPE_SELECT)[name]
    return name if expression == name else f"{expression} AS {name}"


ROW_COLUMNS = ", ".join(map(_column, ROW_NAMES))
_EVENT_ID = ROW_NAMES.index("event_id")
_RECORDED_AT = ROW_NAMES.index("recorded_at")
#: the columns of a history row that a worker is sent (all but ``recorded_at``, the last)
_SENT = _RECORDED_AT

#: histories of at least this many events are projected in worker processes (``fold_rows``)
PARALLEL_MIN = 20_000
#: events per chunk projected at once (sent to a worker)
POOL_BATCH = 1000
#: chunks read ahead while the workers' forkserver starts
READ_WHILE_STARTING = 20
MAX_WORKERS = 4

log = logging.getLogger(__name__)

Row = tuple[Any, ...]
#: what projecting a chunk gives: its statements, how many of its events changed something,
#: the events skipped (id, reason); it applies every other event (``applied_ids``)
ChunkResult = tuple[Statements, int, list[tuple[str, str]]]
#: a history's rows in order, so many at a time (``history_reads.History.chunks``)
Chunked = Callable[[int], AsyncGenerator[Sequence[Row], None]]


@dataclass
class ProjectionRun:
    """What projecting a history into a schema did (a rebuild's or a replay's)."""

    schema: str
    read: dict[str, int]  # service -> events read
    applied: int = 0
    changed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (event id, reason)


def row_order(row: Row) -> tuple[datetime, UUID]:
    """The rebuild's merge order of a row: ``(recorded_at, event_id)`` (``rebuild.merge_order``;
    uuids compare as their bytes do, in PostgreSQL too, and as their text does)."""
    return row[_RECORDED_AT], row[_EVENT_ID]


class HistoryActor(NamedTuple):
    principal_id: str


class HistoryEvent(NamedTuple):
    """An event of a history row (``ROW_COLUMNS``): what the projection reads of its envelope
    (``ProjectedEnvelope``), with its stored payload (JSON text) and schema version."""

    event_id: UUID
    event_type: str
    schema_version: int
    stream_id: str
    occurred_at: datetime
    jurisdiction: str
    actor: HistoryActor
    payload: str


class StoredEvent(ProjectedEnvelope, Protocol):
    """What projecting an event takes: a ``HistoryEvent`` or a whole ``EventEnvelope`` (its
    payload parsed)."""

    @property
    def schema_version(self) -> int: ...

    @property
    def payload(self) -> JsonDict | str: ...


def sent(rows: Sequence[Row]) -> list[Row]:
    """What a worker is sent of ``rows``: each without its ``recorded_at`` (less to pickle)."""
    return [row[:_SENT] for row in rows]


def event_from_row(row: Row) -> HistoryEvent:
    """The event of a history row, whole or as sent to a worker (``sent``; the store's own
    data: not validated)."""
    if len(row) != len(ROW_NAMES) and len(row) != _SENT:
        raise ValueError(
            f"a history row has {len(ROW_NAMES)} columns ({_SENT} as sent), not {len(row)}"
        )
    event_id, event_type, version, stream_id, occurred_at, place, principal, data = row[:_SENT]
    return HistoryEvent(
        event_id,
        event_type,
        version,
        stream_id,
        occurred_at,
        place,
        HistoryActor(principal),
        data,
    )


def project_chunk(tables: ProjectionTables, chunk: Sequence[StoredEvent]) -> ChunkResult:
    """The statements of ``chunk``'s changes (see ``ChunkResult``)."""
    changes: list[Change] = []
    changed = 0
    skipped: list[tuple[str, str]] = []
    for event in chunk:
        try:
            payload = REGISTRY.decode_payload(event.event_type, event.schema_version, event.payload)
        except (ValidationError, UnknownEventError, ValueError) as exc:
            # the live consumer dead-letters these: they change nothing there either
            skipped.append((str(event.event_id), f"{type(exc).__name__}: {exc}"))
            continue
        # the live consumer's projection (``apply_event``), applied a chunk at a time
        event_changes = project(event, payload)
        if event_changes:
            changes.extend(event_changes)
            changed += 1
    return tables.statements(changes), changed, skipped


def applied_ids(ids: Iterable[UUID], skipped: Sequence[tuple[str, str]]) -> list[UUID]:
    """Of a chunk's event ids (``ids``, in order), those it applies: all but the skipped."""
    if not skipped:
        return list(ids)
    refused = {event_id for event_id, _ in skipped}
    return [event_id for event_id in ids if str(event_id) not in refused]


def project_rows(tables: ProjectionTables, rows: Sequence[Row]) -> ChunkResult:
    """``project_chunk`` of the events of ``rows`` (``ROW_COLUMNS``, whole or ``sent``)."""
    return project_chunk(tables, [event_from_row(r) for r in rows])


# ---- worker processes -------------------------------------------------------------------------
# Started from a forkserver (``fold_rows``): a clean, single-threaded process that has
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
    """``project_rows`` in a worker set up by ``init_worker`` (of rows as ``sent``; the ids of
    the events applied are the reading process's to take from its rows: not sent back)."""
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
    chunk: Sequence[Row],
    report: ProjectionRun,
    progress: ProgressHook | None,
) -> list[UUID]:
    """Fold the statements of ``chunk`` (its ``result``) into ``bulk``; returns the ids of the
    events it applies."""
    statements, changed, skipped = result
    bulk.apply(statements, changed)
    report.skipped.extend(skipped)
    report.changed += changed
    report.applied += len(chunk)
    if progress:
        progress("apply", len(chunk))
    return applied_ids((row[_EVENT_ID] for row in chunk), skipped)


async def _fold_here(
    tables: ProjectionTables,
    chunks: AsyncIterator[Sequence[Row]],
    bulk: BulkTables,
    report: ProjectionRun,
    progress: ProgressHook | None,
) -> set[UUID]:
    """``fold_rows`` in this process (the projecting in a thread: the event loop stays free)."""
    applied: set[UUID] = set()
    async for chunk in chunks:
        result = await asyncio.to_thread(project_rows, tables, chunk)
        applied.update(_fold(bulk, result, chunk, report, progress))
    return applied


async def _chained(
    first: Sequence[Sequence[Row]], rest: AsyncIterator[Sequence[Row]]
) -> AsyncIterator[Sequence[Row]]:
    for chunk in first:
        yield chunk
    async for chunk in rest:
        yield chunk


def forkserver() -> multiprocessing.context.BaseContext:
    """The forkserver context of the workers, its server started (once per process: it
    imports this module, then forks each worker of each run)."""
    context = multiprocessing.get_context("forkserver")
    # imported once by the server, before it forks (no effect once a server runs): what a
    # worker runs and is sent lives here. The main module is not asked for: CPython 3.11's
    # server never imports it (it looks for a "main_path" its preparation data does not hold);
    # a worker spawned from a process started as a script (a service's or the CLI's console
    # script) runs that script's module again itself, which imports nothing heavy
    # (``tests/unit/test_thin_entrypoints.py``); one started with ``python -m`` does not
    context.set_forkserver_preload([project_in_worker.__module__])
    multiprocessing.forkserver.ensure_running()
    return context


def _has_forkserver() -> bool:
    return "forkserver" in multiprocessing.get_all_start_methods()


async def _start_workers(
    chunks: AsyncIterator[Sequence[Row]], waiting: deque[Sequence[Row]]
) -> multiprocessing.context.BaseContext | None:
    """The workers' forkserver, started in a thread (its server imports its modules: a second
    or more of CPU) while the first chunks are read into ``waiting`` (at most
    ``READ_WHILE_STARTING``); None when it could not start."""
    starting = asyncio.ensure_future(asyncio.to_thread(forkserver))
    # when the read fails first, the start is left to finish on its own, its outcome taken
    starting.add_done_callback(lambda f: f.cancelled() or f.exception())
    while not starting.done() and len(waiting) < READ_WHILE_STARTING:
        chunk = await anext(chunks, None)
        if chunk is None:
            break
        waiting.append(chunk)
    try:
        return await starting
    except Exception as exc:
        log.warning("the workers' server did not start (%s): projecting in this process", exc)
        return None


async def fold_rows(
    tables: ProjectionTables,
    read: Chunked,
    bulk: BulkTables,
    report: ProjectionRun,
    progress: ProgressHook | None = None,
    *,
    expected: int,
) -> set[UUID]:
    """Project the events that ``read`` gives (rows of ``projection_chunks.ROW_COLUMNS``, in
    the given order, ``POOL_BATCH`` at a time, as they are read; about ``expected`` of them)
    and fold their statements into ``bulk``, a chunk at a time, in order; returns the ids of
    the events applied.

    From ``PARALLEL_MIN`` expected events on, the chunks are projected in worker processes (the
    same code, ``projection_chunks.project_in_worker``), up to two per worker ahead of the one
    being folded, so decoding and projecting use the other cores while this process reads and
    folds. The workers are forked from a forkserver (a fresh
    single-threaded process), never from this one, which may run threads (the reporting
    service's); a chunk's rows are sent to its worker, its statements sent back. Where there is
    no forkserver, or no worker can start, the chunks are projected here."""
    async with contextlib.aclosing(read(POOL_BATCH)) as chunks:
        if expected < PARALLEL_MIN or not _has_forkserver():
            return await _fold_here(tables, chunks, bulk, report, progress)
        return await _fold_in_workers(tables, chunks, bulk, report, progress)


async def _fold_in_workers(
    tables: ProjectionTables,
    chunks: AsyncIterator[Sequence[Row]],
    bulk: BulkTables,
    report: ProjectionRun,
    progress: ProgressHook | None,
) -> set[UUID]:
    """``fold_rows`` with the projecting in worker processes."""
    waiting: deque[Sequence[Row]] = deque()  # read, not yet sent to a worker
    context = await _start_workers(chunks, waiting)
    if context is None:
        return await _fold_here(tables, _chained(waiting, chunks), bulk, report, progress)
    applied: set[UUID] = set()
    workers = _workers()
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=init_worker,
        initargs=(tables.schema, tables.rules, tables.bulk),
    )
    # sent to a worker, not yet folded (in order)
    ahead: deque[tuple[Sequence[Row], asyncio.Future[ChunkResult]]] = deque()

    async def submit() -> None:
        chunk = waiting.popleft() if waiting else await anext(chunks, None)
        if chunk is None:
            return
        try:
            ahead.append((chunk, loop.run_in_executor(pool, project_in_worker, sent(chunk))))
        except BaseException:
            waiting.appendleft(chunk)  # folded here instead (BrokenProcessPool)
            raise

    try:
        for _ in range(2 * workers + 1):
            await submit()
        while ahead:
            chunk, future = ahead[0]
            result = await future
            ahead.popleft()
            applied.update(_fold(bulk, result, chunk, report, progress))
            await submit()
    except BrokenProcessPool as exc:  # no worker could start (or one died): finish here
        log.warning("projecting in worker processes failed (%s): going on in this one", exc)
        rest = [chunk for chunk, _ in ahead]  # folded here instead, then those not sent
        rest.extend(waiting)
        _let_go(ahead)
        applied |= await _fold_here(tables, _chained(rest, chunks), bulk, report, progress)
    finally:
        _let_go(ahead)
        pool.shutdown(wait=False, cancel_futures=True)
    return applied


def _let_go(ahead: deque[tuple[Sequence[Row], asyncio.Future[ChunkResult]]]) -> None:
    """Chunks sent to workers that will not be folded from there: their futures cancelled,
    or their outcome taken (the failure that matters is the one raised or logged)."""
    for _, future in ahead:
        if future.done() and not future.cancelled():
            future.exception()
        else:
            future.cancel()
    ahead.clear()
