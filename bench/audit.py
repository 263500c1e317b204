"""6. Audit: verify throughput over the whole history, and the as-of replay against read-all.

A scratch set of service databases (``xbench_<token>_<service>``, provisioned like the real
ones) gets ``events`` realistic ``intake.PetitionReceived`` events (streams of 10, correct hash
chains) in intake's database and ``replay_events`` in clues' database, by COPY.

Verify (subject): ``audit_service`` on intake's database, exactly what ``xuncha audit verify
--no-kafka`` runs per service: every stream's hash chain recomputed (canonical JSON +
SHA-256 per event), the global positions checked for holes, the commit-order digest pass of the
checkpoint check. Baseline: ``PostgresEventStore.read_all`` paging through the same table (the
plain rate of reading the history, pages of 5000) in the same run.

Replay (subject): ``replay_as_of(now)`` over clues' database — the history read up to the
moment (SQL-bounded by ``recorded_at``), merged, upcast, decoded and applied with the live
projection code into a fresh schema, the linked view read back, the schema dropped. Baseline:
``read_all`` of the same events.

Rebuild (subject): ``rebuild_projections(swap=True)`` over clues' database, what the
projection-version upgrade and ``xuncha projections rebuild --swap`` run — the whole history
projected into a fresh schema, compared row by row with the live tables (filled by one untimed
rebuild first, so the comparison finds them equal, as it would in production), swapped in, the
replaced schema dropped. Baseline: ``read_all`` of the same events.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from xuncha_reporting.rebuild import rebuild_projections
from xuncha_reporting.replay import replay_as_of
from xuncha_shared import provision
from xuncha_shared.audit.verify import audit_service
from xuncha_shared.settings import Settings

from bench.common import (
    BenchResult,
    Env,
    Goal,
    Metric,
    bulk_load,
    paired_rounds,
    params_dict,
    read_all_rate,
    run_token,
)

PER_STREAM = 10
VERIFY_SERVICE = "intake"
REPLAY_SERVICE = "clues"


@dataclass(frozen=True)
class AuditParams:
    events: int = 1_000_000
    replay_events: int = 200_000
    batch: int = 5000
    rounds: int = 2

    @classmethod
    def quick(cls) -> AuditParams:
        # verify: more than one page (xuncha_shared.audit.chain.PAGE, 5,000) and a partial last
        # one; replay and rebuild below the worker-process threshold either way (rebuild's
        # PARALLEL_MIN, 20,000)
        return cls(events=6_000, replay_events=2_000, rounds=1)


async def _verify_rate(url: str, expected: int) -> float:
    conn = await asyncpg.connect(url)
    try:
        t0 = time.perf_counter()
        audit = await audit_service(conn, VERIFY_SERVICE, trust={})
        seconds = time.perf_counter() - t0
    finally:
        await conn.close()
    if audit.events != expected or not audit.intact:
        raise RuntimeError(
            f"verify saw {audit.events} events (expected {expected}), intact={audit.intact}"
        )
    return audit.events / seconds


async def _replay_rate(settings: Settings, expected: int) -> float:
    t0 = time.perf_counter()
    report = await replay_as_of(settings, datetime.now(UTC), services=(REPLAY_SERVICE,))
    seconds = time.perf_counter() - t0
    read = sum(report.read.values())
    if read != expected:
        raise RuntimeError(f"replay read {read} events, expected {expected}")
    return read / seconds


async def _rebuild_rate(settings: Settings, expected: int) -> float:
    t0 = time.perf_counter()
    report = await rebuild_projections(settings, swap=True, services=(REPLAY_SERVICE,))
    seconds = time.perf_counter() - t0
    read = sum(report.read.values())
    if read != expected or not report.identical:
        raise RuntimeError(
            f"rebuild read {read} events (expected {expected}), identical={report.identical}"
        )
    return read / seconds


async def run(env: Env, params: AuditParams, log: Callable[[str], None] = print) -> BenchResult:
    started = time.perf_counter()
    prefix = f"xbench_{run_token()}_"
    settings = Settings(pg_admin_url=env.pg_admin_url, db_name_prefix=prefix)
    verify_events = max(1, params.events // PER_STREAM) * PER_STREAM
    replay_events = max(1, params.replay_events // PER_STREAM) * PER_STREAM
    await provision.create_service_databases(env.pg_admin_url, prefix)
    try:
        verify_url = settings.service_database_url(VERIFY_SERVICE)
        replay_url = settings.service_database_url(REPLAY_SERVICE)
        load_s = await bulk_load(verify_url, verify_events // PER_STREAM, PER_STREAM)
        log(f"audit: loaded {verify_events:,} events in {load_s:.1f} s")
        await bulk_load(replay_url, replay_events // PER_STREAM, PER_STREAM)
        log(f"audit: loaded {replay_events:,} events for the replay")

        verify = await paired_rounds(
            params.rounds,
            lambda r: _verify_rate(verify_url, verify_events),
            lambda r: read_all_rate(verify_url, params.batch, verify_events),
            log,
            "audit verify",
        )
        replay = await paired_rounds(
            params.rounds,
            lambda r: _replay_rate(settings, replay_events),
            lambda r: read_all_rate(replay_url, params.batch, replay_events),
            log,
            "audit replay",
        )
        # the live tables the rebuilds compare with and replace (untimed)
        await rebuild_projections(settings, swap=True, services=(REPLAY_SERVICE,))
        rebuild = await paired_rounds(
            params.rounds,
            lambda r: _rebuild_rate(settings, replay_events),
            lambda r: read_all_rate(replay_url, params.batch, replay_events),
            log,
            "projection rebuild",
        )
    finally:
        await provision.drop_prefixed_databases(env.pg_admin_url, prefix)

    return BenchResult(
        name="audit",
        title="Audit",
        params=params_dict(params),
        metrics=[
            Metric(
                key="verify",
                label=f"verify (hash chains, positions) of {verify_events:,} events",
                unit="events/s",
                subject_rounds=verify[0],
                baseline_rounds=verify[1],
                baseline_label="read_all of the same events",
            ),
            Metric(
                key="replay_as_of",
                label=f"replay --as-of of {replay_events:,} events into a fresh schema",
                unit="events/s",
                subject_rounds=replay[0],
                baseline_rounds=replay[1],
                baseline_label="read_all of the same events",
                goal=Goal("ratio", ">=", 0.5),
            ),
            Metric(
                key="rebuild",
                label=f"rebuild of reporting's projections from {replay_events:,} events (swap)",
                unit="events/s",
                subject_rounds=rebuild[0],
                baseline_rounds=rebuild[1],
                baseline_label="read_all of the same events",
                goal=Goal("ratio", ">=", 0.5),
            ),
        ],
        info={"verify_events": verify_events, "replay_events": replay_events},
        seconds=time.perf_counter() - started,
    )
