"""7. Deadline worker: how many due deadlines per second it fires, each one an event.

``deadlines`` due R1 deadlines (one per issue stream, warnings off) are inserted into the
``deadlines`` table of a scratch database; the clock is a ``ManualClock`` past their due date.

Subject: ``DeadlineWorker.fire_due()`` with batches of ``batch``, ``concurrency`` transactions
side by side (the worker's default 4): per batch one transaction that
claims the rows (``FOR UPDATE SKIP LOCKED``), builds each ``rectification.RectificationOverdue``
through the kind's callback, appends it with ``PostgresEventStore.append`` on the same
connection (head lookup, hash chain, INSERT … RETURNING: one append per stream) and marks the
rows fired with one UPDATE. Baseline: the same number of events of the same type, sealed
beforehand, inserted with raw asyncpg as ``INSERT … SELECT FROM unnest(…)``, one statement and
one transaction per ``batch`` rows (the events and deadlines tables are truncated before every
run).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
from xuncha_shared.clocks import SCHEMA, Clocks, DeadlineKind, DeadlineWorker, ManualClock
from xuncha_shared.clocks.calendar import CalendarSource
from xuncha_shared.clocks.clock import CST, start_of_day
from xuncha_shared.clocks.deadlines import Deadline
from xuncha_shared.clocks.rules import R1_RECTIFICATION_REPORT, WarningPolicy
from xuncha_shared.contracts.rectification import DeadlineRecomputed, RectificationOverdue
from xuncha_shared.db import create_pool
from xuncha_shared.envelope import GENESIS_HASH, SYSTEM_ACTOR
from xuncha_shared.eventstore.base import NewEvent, seal_events
from xuncha_shared.eventstore.postgres import PostgresEventStore

from bench.common import (
    INSERT_COLUMNS,
    BenchResult,
    Env,
    Goal,
    Metric,
    paired_rounds,
    params_dict,
    row_of,
    scratch_database,
)

JURISDICTION = "330102"
UNIT = "上城区某街道办事处"
DUE = date(2026, 11, 30)
STARTED = datetime(2026, 9, 30, 10, tzinfo=CST)


def _overdue(d: Deadline) -> RectificationOverdue:
    return RectificationOverdue(
        deadline_id=d.deadline_id, rule_id=d.rule_id, rule_version=d.rule_version,
        due_date=d.due_date, issue_id=uuid.UUID(d.aggregate_id), unit=d.owner,
    )  # fmt: skip


def _recomputed(d: Deadline, previous: date) -> DeadlineRecomputed:
    return DeadlineRecomputed(
        deadline_id=d.deadline_id, deadline_kind=d.kind, rule_id=d.rule_id,
        rule_version=d.rule_version, previous_due_date=previous, due_date=d.due_date,
        calendar_version=d.calendar_version,
    )  # fmt: skip


KIND = DeadlineKind(
    name="rectification.formal_report",
    rule_id=R1_RECTIFICATION_REPORT,
    stream_type="issue",
    waits_for="rectification.RectificationReported(kind=formal)",
    overdue=_overdue,
    recomputed=_recomputed,
)

_SEED_SQL = """
INSERT INTO deadlines (deadline_id, kind, key, rule_id, rule_version, calendar_version,
    provisional, jurisdiction, stream_type, stream_id, aggregate_id, owner, waits_for,
    started_at, started_on, due_date, overdue_at, state, next_fire_at)
SELECT id, $2, id::text, $3, 1, 'bench', false, $4, 'issue', id::text, id::text, $5, $6,
       $7, $8, $9, $10, 'running', $10
FROM unnest($1::uuid[]) AS id
"""

_RAW_INSERT = f"""
INSERT INTO events ({", ".join(INSERT_COLUMNS)})
SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[],
                     $7::timestamptz[], $8::timestamptz[], $9::text[], $10::jsonb[],
                     $11::uuid[], $12::uuid[], $13::text[], $14::jsonb[], $15::text[],
                     $16::text[])
"""


@dataclass(frozen=True)
class DeadlinesParams:
    deadlines: int = 10_000
    batch: int = 500
    concurrency: int = 4
    rounds: int = 3

    @classmethod
    def quick(cls) -> DeadlinesParams:
        return cls(deadlines=1_000, rounds=1)


async def _reset(url: str, seed: bool, count: int) -> list[uuid.UUID]:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("TRUNCATE events, deadlines")
        ids = [uuid.uuid4() for _ in range(count)]
        if seed:
            await conn.execute(
                _SEED_SQL, ids, KIND.name, KIND.rule_id, JURISDICTION, UNIT, KIND.waits_for,
                STARTED, STARTED.date(), DUE, start_of_day(DUE + timedelta(days=1)),
            )  # fmt: skip
        await conn.execute("VACUUM ANALYZE events")
        await conn.execute("VACUUM ANALYZE deadlines")
        return ids
    finally:
        await conn.close()


def _sealed_rows(ids: list[uuid.UUID]) -> list[tuple[Any, ...]]:
    """The baseline's rows: one RectificationOverdue per issue stream, sealed beforehand."""
    recorded = datetime.now(UTC)
    overdue_at = start_of_day(DUE + timedelta(days=1))
    rows = []
    for i in ids:
        payload = RectificationOverdue(
            deadline_id=uuid.uuid4(), rule_id=KIND.rule_id, rule_version=1, due_date=DUE,
            issue_id=i, unit=UNIT,
        )  # fmt: skip
        new = NewEvent(payload, JURISDICTION, SYSTEM_ACTOR, occurred_at=overdue_at)
        [env] = seal_events("issue", str(i), 1, GENESIS_HASH, [new], recorded)
        rows.append(row_of(env))
    return rows


async def run(env: Env, params: DeadlinesParams, log: Callable[[str], None] = print) -> BenchResult:
    started = time.perf_counter()
    n = params.deadlines
    async with scratch_database(env, "deadlines") as url:
        setup = await asyncpg.connect(url)
        try:
            await setup.execute(SCHEMA)
        finally:
            await setup.close()
        pool = await create_pool(url, min_size=1, max_size=params.concurrency + 1)
        try:
            clock = ManualClock(datetime(2026, 12, 2, tzinfo=CST))
            clocks = Clocks(
                "rectification",
                calendar=CalendarSource([]),
                warnings=WarningPolicy.from_rules(on=DUE),
                now=clock,
            )

            async def subject(_: int) -> float:
                await _reset(url, True, n)
                worker = DeadlineWorker(
                    pool,
                    PostgresEventStore(pool),
                    clocks,
                    [KIND],
                    batch=params.batch,
                    concurrency=params.concurrency,
                )
                t0 = time.perf_counter()
                fired = await worker.fire_due()
                seconds = time.perf_counter() - t0
                if len(fired) != n:
                    raise RuntimeError(f"the worker fired {len(fired)} of {n} deadlines")
                return n / seconds

            async def baseline(_: int) -> float:
                ids = await _reset(url, False, n)
                rows = _sealed_rows(ids)
                columns = [list(c) for c in zip(*rows, strict=True)]
                conn = await asyncpg.connect(url)  # asyncpg's own codecs: jsonb as text
                try:
                    t0 = time.perf_counter()
                    for start in range(0, n, params.batch):
                        chunk = [c[start : start + params.batch] for c in columns]
                        async with conn.transaction():
                            await conn.execute(_RAW_INSERT, *chunk)
                    seconds = time.perf_counter() - t0
                finally:
                    await conn.close()
                return n / seconds

            subject_rounds, baseline_rounds = await paired_rounds(
                params.rounds, subject, baseline, log, "deadlines"
            )
            events = await pool.fetchval("SELECT count(*) FROM events")
        finally:
            await pool.close()

    return BenchResult(
        name="deadlines",
        title="Deadline worker",
        params=params_dict(params),
        metrics=[
            Metric(
                key="deadlines",
                label=(
                    f"{n:,} due deadlines fired as events, batches of {params.batch}, "
                    f"{params.concurrency} transactions at once"
                ),
                unit="events/s",
                subject_rounds=subject_rounds,
                baseline_rounds=baseline_rounds,
                baseline_label="raw INSERT … unnest of the same events, one per batch",
                goal=Goal("subject", ">=", 200),
            )
        ],
        info={"events_last_round": events},
        seconds=time.perf_counter() - started,
    )
