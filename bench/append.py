"""1. Append throughput: PostgresEventStore.append against raw asyncpg INSERTs of the same rows.

Single: ``writers`` concurrent tasks (pool of ``writers`` connections), each appending one event
per call to a stream of its own (``expected_version = NO_STREAM``: head lookup, hash chain,
insert with RETURNING, one transaction). Baseline: the same rows (sealed beforehand) inserted
by the same number of tasks with one ``INSERT ... VALUES`` per transaction.

Batched: ``batch`` events per append call (one stream, one transaction) against the raw
``INSERT ... SELECT FROM unnest(...)`` of the same 100 rows per transaction.

The events table is truncated before every run, so each starts from the same state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from xuncha_shared.db import create_pool
from xuncha_shared.eventstore.base import NO_STREAM, NewEvent
from xuncha_shared.eventstore.postgres import PostgresEventStore

from bench.common import (
    INSERT_COLUMNS,
    STREAM_TYPE,
    BenchResult,
    Env,
    Goal,
    Metric,
    alternating,
    new_stream_id,
    params_dict,
    petition_event,
    row_of,
    scratch_database,
    sealed_stream,
    server_settings,
)


@dataclass(frozen=True)
class AppendParams:
    single_events: int = 8_000
    batch_calls: int = 400
    batch_size: int = 100
    writers: int = 8
    rounds: int = 3

    @classmethod
    def quick(cls) -> AppendParams:
        return cls(single_events=400, batch_calls=16, rounds=1)


_VALUES_SQL = (
    f"INSERT INTO events ({', '.join(INSERT_COLUMNS)}) VALUES "
    "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb, $11, $12, $13, $14::text::jsonb, "
    "$15, $16)"
)
_UNNEST_SQL = f"""
INSERT INTO events ({", ".join(INSERT_COLUMNS)})
SELECT u.event_id, u.event_type, u.schema_version, u.stream_type, u.stream_id,
       u.stream_version, u.occurred_at, u.recorded_at, u.jurisdiction, u.actor::jsonb,
       u.correlation_id, u.causation_id, u.traceparent, u.payload::jsonb, u.prev_hash, u.hash
FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[],
            $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::uuid[],
            $12::uuid[], $13::text[], $14::text[], $15::text[], $16::text[])
     AS u({", ".join(INSERT_COLUMNS)})
"""


async def _concurrently(
    items: Sequence[Any], writers: int, work: Callable[[Any], Awaitable[None]]
) -> float:
    """Split ``items`` over ``writers`` tasks, each awaiting ``work`` item after item; seconds."""

    async def writer(part: Sequence[Any]) -> None:
        for item in part:
            await work(item)

    parts = [items[i::writers] for i in range(writers)]
    started = time.perf_counter()
    await asyncio.gather(*(writer(p) for p in parts))
    return time.perf_counter() - started


def _columns(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    return [list(col) for col in zip(*rows, strict=True)]


async def run(env: Env, params: AppendParams, log: Callable[[str], None] = print) -> BenchResult:
    started = time.perf_counter()
    async with scratch_database(env, "append") as url:
        pool = await create_pool(url, min_size=params.writers, max_size=params.writers)
        try:
            store = PostgresEventStore(pool)
            async with pool.acquire() as conn:
                pg = await server_settings(conn)

            async def truncate() -> None:
                await pool.execute("TRUNCATE events")

            # --- subject and baseline, single events
            async def single_subject() -> float:
                items: list[tuple[str, NewEvent]] = [
                    (new_stream_id(), petition_event()) for _ in range(params.single_events)
                ]
                await truncate()

                async def work(item: tuple[str, NewEvent]) -> None:
                    await store.append(STREAM_TYPE, item[0], NO_STREAM, [item[1]])

                return params.single_events / await _concurrently(items, params.writers, work)

            async def single_baseline() -> float:
                now = datetime.now(UTC)
                rows = [
                    row_of(sealed_stream(new_stream_id(), 1, now)[0])
                    for _ in range(params.single_events)
                ]
                await truncate()

                async def work(row: tuple[Any, ...]) -> None:
                    async with pool.acquire() as conn, conn.transaction():
                        await conn.execute(_VALUES_SQL, *row)

                return params.single_events / await _concurrently(rows, params.writers, work)

            # --- subject and baseline, batches of `batch_size` events to one stream
            async def batch_subject() -> float:
                items = [
                    (new_stream_id(), [petition_event() for _ in range(params.batch_size)])
                    for _ in range(params.batch_calls)
                ]
                await truncate()

                async def work(item: tuple[str, list[NewEvent]]) -> None:
                    await store.append(STREAM_TYPE, item[0], NO_STREAM, item[1])

                seconds = await _concurrently(items, params.writers, work)
                return params.batch_calls * params.batch_size / seconds

            async def batch_baseline() -> float:
                now = datetime.now(UTC)
                batches = [
                    _columns(
                        [row_of(e) for e in sealed_stream(new_stream_id(), params.batch_size, now)]
                    )
                    for _ in range(params.batch_calls)
                ]
                await truncate()

                async def work(columns: list[list[Any]]) -> None:
                    async with pool.acquire() as conn, conn.transaction():
                        await conn.execute(_UNNEST_SQL, *columns)

                seconds = await _concurrently(batches, params.writers, work)
                return params.batch_calls * params.batch_size / seconds

            runs = {
                "single": {"subject": single_subject, "baseline": single_baseline},
                "batch": {"subject": batch_subject, "baseline": batch_baseline},
            }
            figures: dict[str, dict[str, list[float]]] = {
                k: {"subject": [], "baseline": []} for k in runs
            }
            for r, order in alternating(params.rounds):
                for kind, sides in runs.items():
                    for side in order:
                        value = await sides[side]()
                        figures[kind][side].append(value)
                        log(f"append {kind} round {r + 1} {side}: {value:,.0f} events/s")
        finally:
            await pool.close()

    metrics = [
        Metric(
            key="append_single",
            label=f"single-event appends, {params.writers} writers",
            unit="events/s",
            subject_rounds=figures["single"]["subject"],
            baseline_rounds=figures["single"]["baseline"],
            baseline_label="raw INSERT, 1 row per transaction",
            goal=Goal("ratio", ">=", 0.5),
        ),
        Metric(
            key="append_batch",
            label=f"{params.batch_size}-event appends, {params.writers} writers",
            unit="events/s",
            subject_rounds=figures["batch"]["subject"],
            baseline_rounds=figures["batch"]["baseline"],
            baseline_label=f"raw unnest INSERT, {params.batch_size} rows per transaction",
            goal=Goal("subject", ">=", 20_000),
        ),
    ]
    return BenchResult(
        name="append",
        title="Append throughput",
        params=params_dict(params),
        metrics=metrics,
        info={"synchronous_commit": pg["synchronous_commit"]},
        seconds=time.perf_counter() - started,
    )


__all__ = ["AppendParams", "run"]
