"""3. Append-to-handled latency through the real broker at a steady rate.

Subject: the whole pipeline of the system. A load generator appends one event per call (each to
a new stream) to a scratch "producer" database at ``rate`` events/s; an OutboxRelay (idle poll
``Settings().relay_poll_ms``) publishes them; an InboxConsumer subscribed through a FastStream
KafkaBroker built like the services' (``runtime.make_broker``) handles them in a second scratch
database. Latency = time the inbox transaction of the event committed (FastStream then commits
the offset) minus the time taken right before ``store.append`` was called; the handler's own
receive time is kept as well (``info.handler_ms``).

Baseline: the floor set by the broker and the client: a raw aiokafka producer (same config)
sends the same envelopes at the same rate to a topic of its own and a raw AIOKafkaConsumer
records when each arrives.

After ``warmup_seconds`` of untimed load on each side, subject and baseline alternate in
``rounds`` segments of ``seconds / rounds`` each, with every component running throughout;
percentiles are over all samples of a side (nearest rank).

With ``competitor`` (the default), the same rounds are then run again while a CPU-bound
competitor runs beside them: a second Python process spinning a busy loop at normal priority,
one core's worth of work, started after the plain rounds and stopped after the last competitor
segment, so subject and baseline alike share the machine with it (``latency_competitor_*``).

Each subject event is also stamped at every stage (append returned = committed, read by the
relay, acknowledged by Kafka, batch received by the consumer, handler called, inbox committed);
``info.stages`` gives each stage's p50/p99 and the mean of each stage over the slowest 1 %, so a
tail can be traced to where it was spent.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaConsumer
from xuncha_shared.consumer import Delivery, InboxConsumer, broker_dead_letter_sink, subscribe
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts.topics import topic_for
from xuncha_shared.db import create_pool
from xuncha_shared.envelope import EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import NO_STREAM
from xuncha_shared.eventstore.postgres import PostgresEventStore
from xuncha_shared.kafka import client_options, header, make_producer
from xuncha_shared.relay import OutboxRelay, kafka_headers
from xuncha_shared.runtime import make_broker
from xuncha_shared.settings import Settings

from bench.common import (
    STREAM_TYPE,
    BenchResult,
    Env,
    Goal,
    Metric,
    alternating,
    new_stream_id,
    params_dict,
    percentile,
    petition_event,
    scratch_database,
    scratch_topics,
    sealed_stream,
)

RAW_TOPIC = "bench.latency.raw"


@dataclass(frozen=True)
class LatencyParams:
    rate: float = 200.0
    seconds: float = 20.0
    rounds: int = 3
    warmup_seconds: float = 3.0
    drain_timeout: float = 15.0
    #: run the rounds a second time with a CPU-bound competitor process beside them
    competitor: bool = True

    @classmethod
    def quick(cls) -> LatencyParams:
        # the plain segment and the competitor's: as long as the one segment of before
        return cls(seconds=1.5, rounds=1, warmup_seconds=0.5)


#: one core's worth of CPU-bound work: a busy loop in a process of its own (normal priority)
COMPETITOR_CODE = "while True:\n    pass\n"


@contextlib.asynccontextmanager
async def cpu_competitor() -> Any:
    """A process spinning a busy loop while the block runs (killed on exit)."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", COMPETITOR_CODE)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


#: the stages of a subject event, in order (each stamped with ``time.perf_counter()``)
STAGES: tuple[str, ...] = ("appended", "read", "acked", "received", "handled", "committed")


class _TimedInboxConsumer(InboxConsumer):
    """Notes when the inbox transaction of each event committed: ``handle_batch`` (what
    ``subscribe`` calls) returns after its batch's commit; the handler lists the events the
    batch ran (``current``), and those the batch processed are stamped with that moment."""

    def __init__(
        self, committed: dict[UUID, float], received: dict[UUID, float], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.committed = committed
        self.received = received
        self.current: list[UUID] = []

    async def handle_batch(self, deliveries: Sequence[Delivery], span: Any = None) -> list[str]:
        self.current = []
        self.batch_at = time.perf_counter()
        outcomes = await super().handle_batch(deliveries, span)
        now = time.perf_counter()
        if "processed" in outcomes:
            for event_id in self.current:  # a rolled-back batch ran them again: same ids
                self.committed.setdefault(event_id, now)
        return outcomes


async def _steady(
    rate: float, count: int, fire: Callable[[int], Coroutine[Any, Any, None]]
) -> None:
    """Start ``fire(i)`` at ``t0 + i / rate`` (each in a task of its own, so a slow call never
    delays the schedule); return once all have finished."""
    tasks: set[asyncio.Task[None]] = set()
    started = time.perf_counter()
    for i in range(count):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(fire(i))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)


async def _drain(sent: dict[UUID, float], done: dict[UUID, float], timeout: float) -> None:
    """Wait until every sent event arrived, or ``timeout`` passed (the rest count as lost)."""
    deadline = time.perf_counter() + timeout
    waiting = [k for k in sent if k not in done]
    while waiting and time.perf_counter() < deadline:
        await asyncio.sleep(0.02)
        waiting = [k for k in waiting if k not in done]


def _latencies(sent: dict[UUID, float], done: dict[UUID, float]) -> list[float]:
    return sorted((done[k] - t) * 1000 for k, t in sent.items() if k in done)


def _stamper(stamps: dict[UUID, float], event_id: UUID) -> Callable[[Any], None]:
    def stamp(_: Any) -> None:
        stamps.setdefault(event_id, time.perf_counter())

    return stamp


class GcPauses:
    """The garbage collector's pauses while the block runs (``gc.callbacks``): per generation,
    how many collections and the longest, in ms; a tail the stages cannot explain may be one."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append((time.perf_counter() - self._started) * 1000)

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self) -> dict[str, dict[str, float]]:
        return {
            f"gen{g}": {"count": len(p), "max_ms": round(max(p, default=0.0), 1)}
            for g, p in self.pauses.items()
        }


@dataclass
class Phase:
    """The samples of one phase (plain, or beside the competitor), both sides."""

    samples: dict[str, list[float]] = field(default_factory=lambda: {"subject": [], "baseline": []})
    round_p99: dict[str, list[float]] = field(
        default_factory=lambda: {"subject": [], "baseline": []}
    )
    lost: dict[str, int] = field(default_factory=lambda: {"subject": 0, "baseline": 0})
    handler: list[float] = field(default_factory=list)
    #: the subject's events: when each append was called
    sent: dict[UUID, float] = field(default_factory=dict)
    gc: dict[str, dict[str, float]] = field(default_factory=dict)
    #: CPU time of this process (user + system) spent in each side's segments, ms
    cpu_ms: dict[str, float] = field(default_factory=lambda: {"subject": 0.0, "baseline": 0.0})


def stage_breakdown(
    sent: dict[UUID, float], stamps: dict[str, dict[UUID, float]]
) -> dict[str, dict[str, float]]:
    """Per stage (time since the stage before it, ms): p50, p99, and the mean over the slowest
    1 % of the events end to end (where their tail was spent)."""
    complete = [
        (e, [t, *(stamps[s][e] for s in STAGES)])
        for e, t in sent.items()
        if all(e in stamps[s] for s in STAGES)
    ]
    if not complete:
        return {}
    complete.sort(key=lambda item: item[1][-1] - item[1][0])
    tail = complete[-max(1, len(complete) // 100) :]
    result: dict[str, dict[str, float]] = {}
    for i, stage in enumerate(STAGES):
        spans = sorted((ts[i + 1] - ts[i]) * 1000 for _, ts in complete)
        result[stage] = {
            "p50": round(percentile(spans, 50), 1),
            "p99": round(percentile(spans, 99), 1),
            "tail_mean": round(statistics.fmean((ts[i + 1] - ts[i]) * 1000 for _, ts in tail), 1),
        }
    return result


async def run(env: Env, params: LatencyParams, log: Callable[[str], None] = print) -> BenchResult:
    started = time.perf_counter()
    per_round = max(1, round(params.rate * params.seconds / params.rounds))
    settings = Settings(kafka_bootstrap=env.kafka_bootstrap)
    async with contextlib.AsyncExitStack() as stack:
        src_url = await stack.enter_async_context(scratch_database(env, "latsrc"))
        dst_url = await stack.enter_async_context(scratch_database(env, "latdst"))
        prefix = await stack.enter_async_context(scratch_topics(env, extra=[RAW_TOPIC]))
        topic, raw_topic = topic_for(STREAM_TYPE, prefix), prefix + RAW_TOPIC

        src_pool = await create_pool(src_url, min_size=4, max_size=12)
        stack.push_async_callback(src_pool.close)
        dst_pool = await create_pool(dst_url, min_size=2, max_size=4)
        stack.push_async_callback(dst_pool.close)
        store = PostgresEventStore(src_pool)

        # the relay of the producing side
        relay = OutboxRelay(
            src_pool,
            bootstrap=env.kafka_bootstrap,
            service="bench-latency",
            topic_prefix=prefix,
            poll_interval=settings.relay_poll_ms / 1000,
        )
        # stage stamps of the subject's events (reads and acks seen through the relay's methods)
        stamps: dict[str, dict[UUID, float]] = {stage: {} for stage in STAGES}
        read_rows, send_rows = relay.read_rows, relay.send_rows

        calls = {"reads": 0, "empty_reads": 0, "saves": 0}
        save = relay._save

        async def counted_save(position: Any) -> None:
            calls["saves"] += 1
            await save(position)

        async def stamped_read(after: Any) -> list[asyncpg.Record]:
            rows = await read_rows(after)
            calls["reads"] += 1
            calls["empty_reads"] += not rows
            now, read = time.perf_counter(), stamps["read"]
            for row in rows:
                read.setdefault(UUID(row["event_id"]), now)
            return rows

        async def stamped_send(producer: Any, rows: Sequence[Any]) -> list[asyncio.Future[Any]]:
            pending = await send_rows(producer, rows)
            for row, future in zip(rows, pending, strict=True):
                future.add_done_callback(_stamper(stamps["acked"], UUID(row["event_id"])))
            return pending

        relay.read_rows = stamped_read  # type: ignore[method-assign]
        relay._save = counted_save  # type: ignore[method-assign]
        relay.send_rows = stamped_send  # type: ignore[method-assign]
        relay_stop = asyncio.Event()
        relay_task = asyncio.create_task(relay.run(relay_stop))

        async def stop_relay() -> None:
            relay_stop.set()
            await asyncio.wait_for(relay_task, 30)

        stack.push_async_callback(stop_relay)

        # the consuming side: FastStream broker + inbox consumer
        handled, committed = stamps["handled"], stamps["committed"]
        broker = make_broker(settings, client_id="bench-latency")

        async def handler(
            conn: asyncpg.Connection, envelope: EventEnvelope, payload: EventPayload
        ) -> None:
            handled[envelope.event_id] = time.perf_counter()
            stamps["received"].setdefault(envelope.event_id, consumer.batch_at)
            consumer.current.append(envelope.event_id)

        consumer = _TimedInboxConsumer(
            committed,
            stamps["received"],
            name="bench.latency",
            pool=dst_pool,
            registry=REGISTRY,
            handler=handler,
            dead_letter=broker_dead_letter_sink(broker),
        )
        subscribe(broker, [topic], consumer)
        await broker.start()
        stack.push_async_callback(broker.stop)

        # the baseline: raw producer and consumer
        raw_received: dict[UUID, float] = {}
        producer = make_producer(env.kafka_bootstrap, client_id="bench.latency.raw")
        await producer.start()
        stack.push_async_callback(producer.stop)
        raw_consumer = AIOKafkaConsumer(
            raw_topic,
            bootstrap_servers=env.kafka_bootstrap,
            **client_options(),
            group_id=f"{prefix}raw",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await raw_consumer.start()
        stack.push_async_callback(raw_consumer.stop)

        async def consume_raw() -> None:
            async for msg in raw_consumer:
                event_id = header(msg.headers, "event_id")
                if event_id:
                    raw_received[UUID(event_id)] = time.perf_counter()

        raw_task = asyncio.create_task(consume_raw())

        async def stop_raw() -> None:
            raw_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await raw_task

        stack.push_async_callback(stop_raw)

        # --- what each side does per event
        async def append_one(sent: dict[UUID, float]) -> None:
            event = petition_event()
            stream_id = new_stream_id()
            sent[event.event_id] = time.perf_counter()
            await store.append(STREAM_TYPE, stream_id, NO_STREAM, [event])
            stamps["appended"][event.event_id] = time.perf_counter()

        async def raw_one(sent: dict[UUID, float]) -> None:
            envelope = sealed_stream(new_stream_id(), 1, datetime.now(UTC))[0]
            value, key = envelope.to_wire(), envelope.stream_id.encode()
            headers = kafka_headers(envelope, None)
            sent[envelope.event_id] = time.perf_counter()
            await producer.send(raw_topic, value=value, key=key, headers=headers)

        # --- warm up: wait until each path delivers end to end (partitions assigned)
        async def warm(one: Callable[[dict[UUID, float]], Awaitable[None]],
                       done: dict[UUID, float], what: str) -> None:  # fmt: skip
            probe: dict[UUID, float] = {}
            async with asyncio.timeout(60):
                while not any(k in done for k in probe):
                    await one(probe)
                    await asyncio.sleep(0.2)
            await _drain(probe, done, 5)
            log(f"latency: {what} path ready")

        async with asyncio.timeout(60):
            await relay.ready.wait()
        await warm(append_one, committed, "relay → consumer")
        await warm(raw_one, raw_received, "raw producer → consumer")

        sides = {
            "subject": (append_one, committed),
            "baseline": (raw_one, raw_received),
        }

        async def segment(side: str, count: int) -> dict[UUID, float]:
            one, done = sides[side]
            sent: dict[UUID, float] = {}

            async def fire(_: int) -> None:
                await one(sent)

            await _steady(params.rate, count, fire)
            await _drain(sent, done, params.drain_timeout)
            return sent

        # untimed steady load first: pools, connections and the consumer settle
        warmup = round(params.rate * params.warmup_seconds)
        for side in ("subject", "baseline"):
            await segment(side, warmup)

        async def measure(phase: str) -> Phase:
            result = Phase()
            with GcPauses() as pauses:
                await rounds(phase, result)
            result.gc = pauses.summary()
            return result

        async def rounds(phase: str, result: Phase) -> None:
            for r, order in alternating(params.rounds):
                for side in order:
                    done = sides[side][1]
                    cpu = time.process_time()
                    sent = await segment(side, per_round)
                    result.cpu_ms[side] += (time.process_time() - cpu) * 1000
                    values = _latencies(sent, done)
                    result.lost[side] += len(sent) - len(values)
                    if side == "subject":
                        result.handler.extend(_latencies(sent, handled))
                        result.sent.update(sent)
                    if not values:
                        raise RuntimeError(f"latency {side}: nothing delivered")
                    result.samples[side].extend(values)
                    result.round_p99[side].append(round(percentile(values, 99), 1))
                    log(
                        f"latency {phase} round {r + 1} {side}: p50 "
                        f"{percentile(values, 50):.1f} ms, p99 {percentile(values, 99):.1f} ms "
                        f"({len(values)} events)"
                    )

        phases = {"plain": await measure("plain")}
        if params.competitor:
            async with cpu_competitor():
                await asyncio.sleep(0.5)  # let it take its core
                phases["competitor"] = await measure("competitor")

    metrics: list[Metric] = []
    info: dict[str, Any] = {}
    for phase, result in phases.items():
        subject = sorted(result.samples["subject"])
        baseline = sorted(result.samples["baseline"])
        handler_sorted = sorted(result.handler)
        plain = phase == "plain"
        key = "latency" if plain else "latency_competitor"
        beside = "" if plain else " + CPU competitor"
        for q, label in ((50, "p50"), (95, "p95"), (99, "p99"), (100, "max")):
            metrics.append(
                Metric(
                    key=f"{key}_{label}",
                    label=f"append → handled {label}, {params.rate:g} events/s{beside}",
                    unit="ms",
                    subject_rounds=[percentile(subject, q)],
                    baseline_rounds=[percentile(baseline, q)],
                    baseline_label="raw producer → raw consumer",
                    goal=Goal("subject", "<", 100) if label == "p99" else None,
                    higher_is_better=False,
                )
            )
        info[phase] = {
            "samples": {"subject": len(subject), "baseline": len(baseline)},
            "lost": result.lost,
            "round_p99_ms": result.round_p99,
            "handler_ms": {
                label: round(percentile(handler_sorted, q), 1)
                for q, label in ((50, "p50"), (95, "p95"), (99, "p99"), (100, "max"))
            },
            "stages": stage_breakdown(result.sent, stamps),
            "gc": result.gc,
            # the bench process's CPU per event of each side (load generator, relay and
            # consumer for the subject; raw producer and consumer for the baseline)
            "cpu_ms_per_event": {
                side: round(result.cpu_ms[side] / max(len(result.samples[side]), 1), 3)
                for side in ("subject", "baseline")
            },
        }
        log(
            f"latency {phase} stages: {info[phase]['stages']}, gc: {result.gc}, "
            f"CPU ms per event: {info[phase]['cpu_ms_per_event']}"
        )
    info["relay_poll_ms"] = settings.relay_poll_ms
    # the relay's database work over the whole run (warm-up included), per event published
    info["relay_per_event"] = {k: round(v / max(relay.published, 1), 3) for k, v in calls.items()}
    log(f"latency: relay database calls per event published: {info['relay_per_event']}")
    return BenchResult(
        name="latency",
        title="Append-to-handled latency",
        params=params_dict(params),
        metrics=metrics,
        info=info,
        seconds=time.perf_counter() - started,
    )
