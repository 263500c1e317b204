"""4. Read-all replay: PostgresEventStore.read_all paging through the whole store.

``events`` events (``events / 10`` streams × 10, correct hash chains built with
``seal_events``) are COPY'd into a scratch database in transactions of 20,000 rows, then
``VACUUM (ANALYZE)`` sets hint bits and statistics so every run finds the same table.

Subject: ``store.read_all(position, batch)`` from START until it returns nothing, in the
commit-safe order ``(tx_id, global_position)`` with the snapshot-xmin guard, through the
services' pool (``xuncha_shared.db.create_pool``: jsonb decoded to dicts), each row turned into
an EventEnvelope. Baseline: raw asyncpg, a plain connection with asyncpg's own codecs (jsonb
stays text), the same columns (``ENVELOPE_COLUMNS``: the actor's fields taken out of its jsonb by
PostgreSQL, as for the subject) with keyset paging
``WHERE global_position > $1 ORDER BY global_position LIMIT batch``, rows left as Records.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from xuncha_shared.db import create_pool
from xuncha_shared.eventstore.postgres import ENVELOPE_COLUMNS

from bench.common import (
    BenchResult,
    Env,
    Goal,
    Metric,
    bulk_load,
    paired_rounds,
    params_dict,
    read_all_rate,
    scratch_database,
)

PER_STREAM = 10

_RAW_SQL = (
    f"SELECT {ENVELOPE_COLUMNS} FROM events "
    "WHERE global_position > $1 ORDER BY global_position LIMIT $2"
)


@dataclass(frozen=True)
class ReplayParams:
    events: int = 1_000_000
    batch: int = 5000
    rounds: int = 3

    @classmethod
    def quick(cls) -> ReplayParams:
        return cls(events=20_000, rounds=1)


async def run(env: Env, params: ReplayParams, log: Callable[[str], None] = print) -> BenchResult:
    started = time.perf_counter()
    streams = max(1, params.events // PER_STREAM)
    events = streams * PER_STREAM
    async with scratch_database(env, "replay") as url:
        step = max(events // 5, 1)
        marks = iter(range(step, events + step, step))
        next_mark = [next(marks)]

        def progress(loaded: int) -> None:
            if loaded >= next_mark[0]:
                log(f"replay: loaded {loaded:,} / {events:,} events")
                next_mark[0] = next(marks, events + 1)

        load_s = await bulk_load(url, streams, PER_STREAM, progress=progress)
        log(f"replay: loaded {events:,} events in {load_s:.1f} s")
        pool = await create_pool(url, min_size=1, max_size=2)
        try:
            table_mb = await pool.fetchval("SELECT pg_total_relation_size('events') / 1048576")

            async def subject() -> float:
                return await read_all_rate(url, params.batch, events)

            async def baseline() -> float:
                count, last = 0, 0
                conn = await asyncpg.connect(url)  # asyncpg's own codecs: jsonb stays text
                try:
                    t0 = time.perf_counter()
                    while rows := await conn.fetch(_RAW_SQL, last, params.batch):
                        count += len(rows)
                        last = rows[-1]["global_position"]
                    seconds = time.perf_counter() - t0
                finally:
                    await conn.close()
                if count != events:
                    raise RuntimeError(f"raw paging returned {count} rows, expected {events}")
                return count / seconds

            subject_rounds, baseline_rounds = await paired_rounds(
                params.rounds, lambda r: subject(), lambda r: baseline(), log, "replay"
            )
        finally:
            await pool.close()

    return BenchResult(
        name="replay",
        title="Read-all replay",
        params=params_dict(params),
        metrics=[
            Metric(
                key="replay",
                label=f"read_all of {events:,} events, pages of {params.batch}",
                unit="events/s",
                subject_rounds=subject_rounds,
                baseline_rounds=baseline_rounds,
                baseline_label="raw keyset SELECT by global_position",
                goal=Goal("subject", ">=", 50_000),
            )
        ],
        info={
            "events": events,
            "load_seconds": round(load_s, 1),
            "load_events_per_s": round(events / load_s),
            "table_mb": table_mb,
        },
        seconds=time.perf_counter() - started,
    )
