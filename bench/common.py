"""What every benchmark shares: scratch databases and topics, event factories, bulk loading,
timing helpers and the result model."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import secrets
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
from xuncha_shared.contracts.common import Channel, SealedPersonalData
from xuncha_shared.contracts.intake import PetitionReceived
from xuncha_shared.contracts.topics import all_topics
from xuncha_shared.db import create_pool, migrate
from xuncha_shared.envelope import GENESIS_HASH, Actor, EventEnvelope
from xuncha_shared.eventstore.base import START, NewEvent, Position, seal_events
from xuncha_shared.eventstore.postgres import PostgresEventStore
from xuncha_shared.provision import create_topics, delete_topics, drop_database
from xuncha_shared.settings import Settings, database_url_for

STREAM_TYPE = "petition"  # published to <prefix>intake.petition.v1


# ---- where the bench runs ---------------------------------------------------------------------


@dataclass(frozen=True)
class Env:
    """The infrastructure under test: the superuser URL (scratch databases are created with it)
    and the Kafka bootstrap servers (scratch topics are created there)."""

    pg_admin_url: str
    kafka_bootstrap: str

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Env:
        s = settings or Settings()
        return cls(pg_admin_url=s.pg_admin_url, kafka_bootstrap=s.kafka_bootstrap)


def run_token() -> str:
    """A unique, lower-case token for scratch names: UTC time plus random hex."""
    return f"{datetime.now(UTC):%Y%m%d%H%M%S}{secrets.token_hex(3)}"


@contextlib.asynccontextmanager
async def scratch_database(env: Env, label: str) -> AsyncIterator[str]:
    """A fresh database migrated with the core schema; dropped on exit. Yields its URL."""
    name = f"xbench_{run_token()}_{label}"
    admin = await asyncpg.connect(env.pg_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = database_url_for(env.pg_admin_url, name)
            conn = await asyncpg.connect(url)
            try:
                await migrate(conn)
            finally:
                await conn.close()
            yield url
        finally:
            await drop_database(admin, name)
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def scratch_topics(env: Env, extra: Sequence[str] = ()) -> AsyncIterator[str]:
    """Every topic of the system (``all_topics(prefix)``) plus ``prefix + extra`` under a unique
    prefix; deleted on exit. Yields the prefix."""
    prefix = f"xbench-{run_token()}."
    names = all_topics(prefix) + [prefix + e for e in extra]
    try:
        await create_topics(env.kafka_bootstrap, names)
        await asyncio.sleep(1.0)  # brand-new partitions: let the leaders settle
        yield prefix
    finally:
        with contextlib.suppress(Exception):
            await delete_topics(env.kafka_bootstrap, names)


async def server_settings(conn: asyncpg.Connection) -> dict[str, str]:
    keys = ("server_version", "synchronous_commit", "fsync", "shared_buffers", "wal_level")
    return {k: await conn.fetchval(f"SHOW {k}") for k in keys}


# ---- events -----------------------------------------------------------------------------------

_SUMMARY = (
    "群众来信反映：某街道办事处在老旧小区改造工程招投标过程中，存在围标串标、"
    "指定施工单位等问题；工程完工后部分项目验收走过场，资金拨付与实际工程量不符。"
    "来信人提供了相关项目名称、时间和涉及人员的职务信息，请求巡察组核实处理。"
) * 2
_ACTOR = Actor(principal_id="bench-clerk-0001", role="intake_clerk")
_NONCE = "AAECAwQFBgcICQoL"
_CIPHERTEXT = "Q0lQSEVSVEVYVA==" * 12


_TEMPLATE = PetitionReceived(
    petition_id=uuid.UUID(int=0),
    jurisdiction="330102",
    unit="上城区某街道办事处",
    channel=Channel.LETTER,
    summary=_SUMMARY,
    informant=SealedPersonalData(person_id=uuid.UUID(int=0), nonce=_NONCE, ciphertext=_CIPHERTEXT),
    receipt_code_hash="0" * 64,
    round_id="2024-R1",
)


def petition_event() -> NewEvent:
    """A realistic ``intake.PetitionReceived`` (≈1.9 KB on the wire) with fresh ids: a copy of
    a validated template (cheap, so generating millions of them stays fast)."""
    assert _TEMPLATE.informant is not None
    payload = _TEMPLATE.model_copy(
        update={
            "petition_id": uuid.uuid4(),
            "informant": _TEMPLATE.informant.model_copy(update={"person_id": uuid.uuid4()}),
            "receipt_code_hash": secrets.token_hex(32),
        }
    )
    return NewEvent(payload=payload, jurisdiction="330102", actor=_ACTOR)


def new_stream_id() -> str:
    return f"petition-{uuid.uuid4()}"


def sealed_stream(stream_id: str, count: int, recorded_at: datetime) -> list[EventEnvelope]:
    """``count`` events of one new stream with a correct hash chain (versions 1..count)."""
    events = [petition_event() for _ in range(count)]
    return seal_events(STREAM_TYPE, stream_id, 1, GENESIS_HASH, events, recorded_at)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


INSERT_COLUMNS: tuple[str, ...] = (
    "event_id", "event_type", "schema_version", "stream_type", "stream_id", "stream_version",
    "occurred_at", "recorded_at", "jurisdiction", "actor", "correlation_id", "causation_id",
    "traceparent", "payload", "prev_hash", "hash",
)  # fmt: skip


def row_of(e: EventEnvelope) -> tuple[Any, ...]:
    """The 16 inserted columns of an envelope; actor and payload as JSON text."""
    return (
        e.event_id, e.event_type, e.schema_version, e.stream_type, e.stream_id,
        e.stream_version, e.occurred_at, e.recorded_at, e.jurisdiction,
        _dumps(e.actor.model_dump()), e.correlation_id, e.causation_id, e.traceparent,
        _dumps(e.payload), e.prev_hash, e.hash,
    )  # fmt: skip


async def bulk_load(
    url: str,
    streams: int,
    per_stream: int,
    *,
    chunk_events: int = 20_000,
    progress: Callable[[int], None] | None = None,
) -> float:
    """Insert ``streams × per_stream`` sealed events with COPY (one transaction per chunk) on a
    plain connection (no JSON codec: jsonb goes as text). Returns the seconds it took."""
    started = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        recorded_at = datetime.now(UTC)
        rows: list[tuple[Any, ...]] = []
        loaded = 0
        for _ in range(streams):
            rows.extend(row_of(e) for e in sealed_stream(new_stream_id(), per_stream, recorded_at))
            if len(rows) >= chunk_events:
                await conn.copy_records_to_table("events", records=rows, columns=INSERT_COLUMNS)
                loaded += len(rows)
                rows = []
                if progress:
                    progress(loaded)
        if rows:
            await conn.copy_records_to_table("events", records=rows, columns=INSERT_COLUMNS)
            loaded += len(rows)
            if progress:
                progress(loaded)
        await conn.execute("VACUUM (ANALYZE) events")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def read_all_rate(url: str, batch: int, expected: int) -> float:
    """Events/s of ``PostgresEventStore.read_all`` paging from START through the store at
    ``url`` with the services' pool (jsonb decoded, envelopes built); checks the count."""
    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        store = PostgresEventStore(pool)
        count, position = 0, START
        t0 = time.perf_counter()
        while page := await store.read_all(position, batch):
            count += len(page)
            position = Position.of(page[-1])
        seconds = time.perf_counter() - t0
    finally:
        await pool.close()
    if count != expected:
        raise RuntimeError(f"read_all returned {count} events, expected {expected}")
    return count / seconds


# ---- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    on: Literal["ratio", "subject"]
    op: Literal[">=", "<"]
    value: float

    def met(self, subject: float, ratio: float | None) -> bool | None:
        x = ratio if self.on == "ratio" else subject
        if x is None:
            return None
        return x >= self.value if self.op == ">=" else x < self.value

    def describe(self, unit: str) -> str:
        if self.on == "ratio":
            return f"ratio {self.op} {self.value:g}"
        return f"{self.op} {self.value:,.0f} {unit}"


@dataclass
class Metric:
    """One line of the table. ``subject``/``baseline`` are medians over the rounds; ``ratio`` is
    the median of the per-round ratios subject/baseline (paired: drift between rounds cancels)."""

    key: str
    label: str
    unit: str
    subject_rounds: list[float]
    baseline_rounds: list[float] = field(default_factory=list)
    baseline_label: str | None = None
    goal: Goal | None = None
    higher_is_better: bool = True

    @property
    def subject(self) -> float:
        return statistics.median(self.subject_rounds)

    @property
    def baseline(self) -> float | None:
        return statistics.median(self.baseline_rounds) if self.baseline_rounds else None

    @property
    def ratio(self) -> float | None:
        pairs = list(zip(self.subject_rounds, self.baseline_rounds, strict=False))
        if not pairs or any(b == 0 for _, b in pairs):
            return None
        return statistics.median(s / b for s, b in pairs)

    @property
    def met(self) -> bool | None:
        return self.goal.met(self.subject, self.ratio) if self.goal else None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "unit": self.unit,
            "subject": _round(self.subject),
            "baseline": _round(self.baseline),
            "baseline_label": self.baseline_label,
            "ratio": _round(self.ratio, 3),
            "higher_is_better": self.higher_is_better,
            "goal": self.goal.describe(self.unit) if self.goal else None,
            "met": self.met,
            "subject_rounds": [_round(x) for x in self.subject_rounds],
            "baseline_rounds": [_round(x) for x in self.baseline_rounds],
        }


@dataclass
class BenchResult:
    name: str
    title: str
    params: dict[str, Any]
    metrics: list[Metric]
    info: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "params": self.params,
            "seconds": round(self.seconds, 1),
            "metrics": [m.to_json() for m in self.metrics],
            "info": self.info,
        }


def _round(x: float | None, digits: int = 1) -> float | None:
    return None if x is None else round(x, digits)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of an ascending sequence."""
    if not sorted_values:
        raise ValueError("no samples")
    rank = max(1, min(len(sorted_values), math.ceil(q / 100 * len(sorted_values))))
    return sorted_values[rank - 1]


def alternating(rounds: int) -> list[tuple[int, tuple[str, str]]]:
    """Round order: subject first in even rounds, baseline first in odd ones (ABBA...)."""
    return [
        (r, ("subject", "baseline") if r % 2 == 0 else ("baseline", "subject"))
        for r in range(rounds)
    ]


async def paired_rounds(
    rounds: int,
    subject: Callable[[int], Awaitable[float]],
    baseline: Callable[[int], Awaitable[float]],
    log: Callable[[str], None],
    label: str,
) -> tuple[list[float], list[float]]:
    """Run ``subject`` and ``baseline`` (each given the round number) in ``alternating`` order,
    logging each figure; returns the subject's and the baseline's figures, round by round."""
    figures: dict[str, list[float]] = {"subject": [], "baseline": []}
    sides = {"subject": subject, "baseline": baseline}
    for r, order in alternating(rounds):
        for side in order:
            value = await sides[side](r)
            figures[side].append(value)
            log(f"{label} round {r + 1} {side}: {value:,.0f} events/s")
    return figures["subject"], figures["baseline"]


def params_dict(obj: Any) -> dict[str, Any]:
    return asdict(obj)
