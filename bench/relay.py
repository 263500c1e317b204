"""2. Relay throughput: OutboxRelay against a raw aiokafka producer sending the same messages.

``events`` events (``streams`` streams × 10) are loaded into a scratch database first. Subject:
a fresh OutboxRelay (new relay name each round, so it starts from the beginning) runs until
``relay.published == events``; the clock starts when the relay is ready (producer connected,
position read) and stops when the last batch is acknowledged and its position stored. It reads
in batches of 1000 in commit-safe order, sends each event to ``topic_for(stream_type)`` and
gathers the acknowledgements of the batch before storing its position.

Baseline: one producer with the same configuration (``xuncha_shared.kafka.producer_config``:
idempotent, acks=all, linger 2 ms) sends the same values, keys and headers, prepared before the
clock starts, to the same topic: ``send()`` futures gathered per 1000 messages.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from xuncha_shared.contracts.topics import topic_for
from xuncha_shared.db import create_pool
from xuncha_shared.eventstore.base import START, Position
from xuncha_shared.eventstore.postgres import PostgresEventStore
from xuncha_shared.kafka import make_producer
from xuncha_shared.relay import OutboxRelay, kafka_headers

from bench.common import (
    STREAM_TYPE,
    BenchResult,
    Env,
    Goal,
    Metric,
    bulk_load,
    paired_rounds,
    params_dict,
    scratch_database,
    scratch_topics,
)

PER_STREAM = 10


@dataclass(frozen=True)
class RelayParams:
    events: int = 50_000
    batch: int = 1000
    rounds: int = 3
    poll_interval: float = 0.02

    @classmethod
    def quick(cls) -> RelayParams:
        return cls(events=2_000, rounds=1)


async def _relay_run(
    pool: Any, env: Env, prefix: str, params: RelayParams, events: int, name: str
) -> float:
    relay = OutboxRelay(
        pool,
        bootstrap=env.kafka_bootstrap,
        service=name,
        topic_prefix=prefix,
        batch_size=params.batch,
        poll_interval=params.poll_interval,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        async with asyncio.timeout(60):
            await relay.ready.wait()
        started = time.perf_counter()
        async with asyncio.timeout(max(120, events / 500)):
            while relay.published < events:
                if task.done():
                    task.result()
                    raise RuntimeError("relay stopped early")
                await asyncio.sleep(0.002)
        seconds = time.perf_counter() - started
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    if relay.published != events:
        raise RuntimeError(f"relay published {relay.published}, expected {events}")
    return events / seconds


async def _raw_run(env: Env, messages: list[tuple[str, bytes, bytes, Any]], batch: int) -> float:
    producer = make_producer(env.kafka_bootstrap, client_id="bench.raw-producer")
    await producer.start()
    try:
        started = time.perf_counter()
        for i in range(0, len(messages), batch):
            pending = [
                await producer.send(topic, value=value, key=key, headers=headers)
                for topic, value, key, headers in messages[i : i + batch]
            ]
            await asyncio.gather(*pending)
        seconds = time.perf_counter() - started
    finally:
        await producer.stop()
    return len(messages) / seconds


async def run(env: Env, params: RelayParams, log: Callable[[str], None] = print) -> BenchResult:
    started = time.perf_counter()
    streams = max(1, params.events // PER_STREAM)
    events = streams * PER_STREAM
    async with scratch_database(env, "relay") as url, scratch_topics(env) as prefix:
        load_s = await bulk_load(url, streams, PER_STREAM)
        log(f"relay: loaded {events:,} events in {load_s:.1f} s")
        pool = await create_pool(url, min_size=2, max_size=4)
        try:
            # the raw producer's messages: exactly what the relay sends, prepared up front
            store = PostgresEventStore(pool)
            messages: list[tuple[str, bytes, bytes, Any]] = []
            position: Position = START
            # commit-safe: an older open transaction elsewhere in the cluster holds the loaded
            # events back until it ends; read on until all of them are there
            while len(messages) < events:
                batch = await store.read_all(position, 5000)
                if not batch:
                    await asyncio.sleep(0.05)
                    continue
                for e in batch:
                    messages.append(
                        (
                            topic_for(e.stream_type, prefix),
                            e.to_wire(),
                            e.stream_id.encode(),
                            kafka_headers(e, e.traceparent),
                        )
                    )
                position = Position.of(batch[-1])
            assert len(messages) == events
            assert all(m[0] == topic_for(STREAM_TYPE, prefix) for m in messages)

            subject, baseline = await paired_rounds(
                params.rounds,
                lambda r: _relay_run(pool, env, prefix, params, events, f"bench{r}"),
                lambda r: _raw_run(env, messages, params.batch),
                log,
                "relay",
            )
        finally:
            await pool.close()

    return BenchResult(
        name="relay",
        title="Relay throughput",
        params=params_dict(params),
        metrics=[
            Metric(
                key="relay",
                label=f"OutboxRelay, {events:,} events, batches of {params.batch}",
                unit="events/s",
                subject_rounds=subject,
                baseline_rounds=baseline,
                baseline_label="raw aiokafka producer, same messages and config",
                goal=Goal("ratio", ">=", 0.7),
            )
        ],
        info={"load_seconds": round(load_s, 1), "events": events},
        seconds=time.perf_counter() - started,
    )
