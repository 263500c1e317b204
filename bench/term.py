"""10. A city's term: a synthetic five-year term of a city and its 11 counties, measured whole.

A scratch set of the four service databases (``xbench_<token>_<service>``, provisioned like the
real ones by ``provision.create_service_databases``) gets a whole term (``bench.term_data``:
rounds, groups and stationings, intake records, petitions, clues through registration,
classification, verification or transfer and disposition, problems and inspection reports,
issues fed back, rectification plans, reports, verification and close-out, deadlines started,
warned and fired; the current contracts, hash chains as the store computes them), generated and
COPY'd by a process pool (one task per jurisdiction and round; ``workers`` processes), then
``VACUUM (ANALYZE)``. Measured on it, each beside a baseline of the same run:

1. rebuild: ``rebuild_projections(swap=True)``, reporting's projections rebuilt from the whole
   term (and swapped in: the live views the reads below use); baseline: ``read_all`` of the
   same events (every service's store, pages of ``batch``), measured once per round and used
   for 1–3;
2. replay: ``replay_as_of(now)``, the whole term replayed into a fresh schema; after the
   rebuild and after the replay, reporting's database is vacuumed and checkpointed, untimed
   (``settle``), so that no step pays for the previous one's writes;
3. verify: ``audit_databases(kafka=False)``, what ``xuncha audit verify --no-kafka`` runs;
4. reads: reporting started as a process on the scratch databases (as the dashboard benchmark
   does), ``readers`` concurrent readers (``bench.readers``: wrk) for ``read_seconds`` per
   endpoint — the linked view and coverage of the city, the deadline summary of the city, the
   deadlines of the largest county as the workbench's 期限预警 pages them (the first page of
   全部, the whole history, and of the warned and overdue ones it asks for by default), one
   unit's ledger of that county — p50/p99 (goal p99 < 100 ms); baseline: the same readers
   on ``/api/v1/views/version`` (the cheapest authenticated read);
5. the Excel ledger export (``/exports/ledger.xlsx``) of the largest county: time, rows,
   bytes; baseline: the same sheets as JSON (``/views/rectification-ledger``);
6. the whole deadline list of the city (``/views/deadlines`` without ``limit``, written as it
   is read): time, items, bytes, and how far the reporting process's resident memory rose
   above where it stood before (sampled every 20 ms from ``/proc``): it should not grow with
   the history;
7. disk: ``pg_total_relation_size('events')`` (table, TOAST and indexes) per service and in
   total, per million events.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import multiprocessing
import statistics
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from prometheus_client.parser import text_string_to_metric_families
from xuncha_reporting.adapters.schema import LIVE_SCHEMA
from xuncha_reporting.adapters.share_tables import SCHEMA as SHARE_SCHEMA
from xuncha_reporting.rebuild import rebuild_projections
from xuncha_reporting.replay import replay_as_of
from xuncha_shared import provision
from xuncha_shared.audit.verify import audit_databases
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.contracts.topics import share_topic
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.settings import SERVICES, Settings

from bench.common import (
    BenchResult,
    Env,
    Goal,
    Metric,
    alternating,
    params_dict,
    read_all_rate,
)
from bench.dashboard import _script, _service_env, _Stack, scratch_deployment
from bench.nginx import serve_nginx
from bench.readers import Reads, read_under_load
from bench.term_data import (
    CITY,
    TERM_NO,
    Generated,
    Shape,
    load_task,
    shape_for,
    tasks_of,
    unit_name,
)

COUNTY = "361002"  # 临川区: the largest county (PETITION_WEIGHTS)
READ_GOAL_MS = 100.0
READ_TIMEOUT = 30.0  # s: a read slower than this counts as failed (after waiting this long)
#: the page the workbench's lists ask for (期限预警: 20 a page)
PAGE: dict[str, str] = {"limit": "20", "offset": "0"}
#: below about this many petitions a process pool costs more (interpreters starting) than it
#: saves: the term is generated in this process then
PROCESS_POOL_FROM = 20_000


@dataclass(frozen=True)
class TermParams:
    events: int = 2_000_000
    rounds: int = 1
    readers: int = 50
    read_seconds: float = 10.0
    workers: int = 2  # generator processes (1, or a small term: in this process)
    batch: int = 5000
    startup_timeout: float = 120.0
    #: the parts of reporting started (``xuncha-reporting [api] [relay] [consumers]``): all of
    #: them, as deployed; the test starts the API alone (no Kafka group to join)
    parts: tuple[str, ...] = ("all",)
    #: copies of reporting the reads are measured on a second time, behind nginx (1: not)
    copies: int = 2

    @classmethod
    def quick(cls) -> TermParams:
        return cls(events=20_000, rounds=1, read_seconds=3.0)


# ---- generate and load -------------------------------------------------------------------------


async def load_term(
    urls: dict[str, str], shape: Shape, workers: int, log: Callable[[str], None]
) -> Generated:
    """Generate the term and COPY it into ``urls`` (per service); ``workers`` processes."""
    tasks = tasks_of(shape)
    total = Generated()
    done = 0
    step = max(len(tasks) // 5, 1)

    def finished(out: Generated) -> None:
        nonlocal done
        total.add(out)
        done += 1
        if done % step == 0 or done == len(tasks):
            log(f"term: {done}/{len(tasks)} tasks, {total.total:,} events loaded")

    if workers <= 1 or len(tasks) * shape.units * shape.petitions < PROCESS_POOL_FROM:
        for task in tasks:
            finished(await asyncio.to_thread(load_task, task, urls))
        return total
    loop = asyncio.get_running_loop()
    # spawn: a clean interpreter per worker (no inherited event loop or connections)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [loop.run_in_executor(pool, load_task, t, urls) for t in tasks]
        for future in asyncio.as_completed(futures):
            finished(await future)
    return total


async def _vacuum(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM (ANALYZE) events")
    finally:
        await conn.close()


async def settle(url: str, admin_url: str) -> None:
    """``VACUUM (ANALYZE)`` of the database at ``url``, then a ``CHECKPOINT`` (superuser)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute("CHECKPOINT")
    finally:
        await admin.close()


async def disk_bytes(urls: dict[str, str]) -> dict[str, int]:
    """``pg_total_relation_size('events')`` (heap, TOAST, indexes) per service."""
    sizes: dict[str, int] = {}
    for service, url in urls.items():
        conn = await asyncpg.connect(url)
        try:
            sizes[service] = int(await conn.fetchval("SELECT pg_total_relation_size('events')"))
        finally:
            await conn.close()
    return sizes


# ---- the history paths -------------------------------------------------------------------------


async def read_all_everything(urls: dict[str, str], counts: Counter[str], batch: int) -> float:
    """Events/s of ``read_all`` through every service's store in turn (the count checked)."""
    seconds = 0.0
    for service, url in urls.items():
        if counts[service]:
            seconds += counts[service] / await read_all_rate(url, batch, counts[service])
    return sum(counts.values()) / seconds


async def rebuild_rate(settings: Settings, expected: int) -> tuple[float, Any]:
    t0 = time.perf_counter()
    report = await rebuild_projections(settings, swap=True)
    seconds = time.perf_counter() - t0
    read = sum(report.read.values())
    if read != expected or report.skipped:
        raise RuntimeError(
            f"rebuild read {read} (expected {expected}), skipped {report.skipped[:3]}"
        )
    return read / seconds, report


async def replay_rate(settings: Settings, expected: int) -> tuple[float, Any]:
    t0 = time.perf_counter()
    report = await replay_as_of(settings, datetime.now(UTC))
    seconds = time.perf_counter() - t0
    read = sum(report.read.values())
    if read != expected or report.skipped:
        raise RuntimeError(
            f"replay read {read} (expected {expected}), skipped {report.skipped[:3]}"
        )
    return read / seconds, report


async def verify_rate(settings: Settings, expected: int) -> tuple[float, Any]:
    t0 = time.perf_counter()
    report = await audit_databases(settings, SERVICES, kafka=False)
    seconds = time.perf_counter() - t0
    events = sum(s.events for s in report.services)
    if events != expected or not report.intact:
        raise RuntimeError(
            f"verify saw {events} events (expected {expected}), intact={report.intact}"
        )
    return events / seconds, report


# ---- reads under load --------------------------------------------------------------------------


async def readers(
    client: httpx.AsyncClient, url: str, query: dict[str, str | list[str]], params: TermParams
) -> Reads:
    """``params.readers`` closed-loop readers (``bench.readers``: wrk) GET ``url`` with
    ``client``'s bearer token for ``params.read_seconds``."""
    return await read_under_load(
        url,
        query,
        authorization=client.headers["Authorization"],
        readers=params.readers,
        seconds=params.read_seconds,
        timeout=READ_TIMEOUT,
    )


async def timed_get(
    client: httpx.AsyncClient, url: str, query: dict[str, str | list[str]]
) -> float:
    """Milliseconds of one GET of ``url`` (an error status raises)."""
    t0 = time.perf_counter()
    (await client.get(url, params=query, timeout=600)).raise_for_status()
    return round((time.perf_counter() - t0) * 1000, 1)


async def read_endpoints(
    endpoints: list[tuple[str, httpx.AsyncClient, str, dict[str, str | list[str]]]],
    clients: dict[httpx.AsyncClient, httpx.AsyncClient],
    base: str,
    params: TermParams,
    read_info: dict[str, Any],
    topology: str,
    log: Callable[[str], None],
) -> list[Metric]:
    """Each endpoint's p50/p99 under ``params.readers`` readers against ``/views/version``
    under the same readers, sides alternating, at ``base`` (one copy of reporting, or several
    behind nginx: ``topology`` names them, and prefixes the keys). ``clients[c]`` drains what
    ``c``'s readers left running."""
    tag = "".join(ch if ch.isalnum() else "_" for ch in topology.split(" behind")[0])
    prefix = f"{tag}_" if tag else ""
    metrics: list[Metric] = []
    for name, client, path, query in endpoints:
        subject: dict[str, list[float]] = {"p50": [], "p99": []}
        baseline: dict[str, list[float]] = {"p50": [], "p99": []}
        for r, order in alternating(params.rounds):
            for side in order:
                target, asked = (path, query) if side == "subject" else ("/views/version", {})
                reads = await readers(client, base + target, asked, params)
                await drain(clients[client])
                figures = subject if side == "subject" else baseline
                figures["p50"].append(reads.p50_ms)
                figures["p99"].append(reads.p99_ms)
                read_info[f"{prefix}{name}_{side}_r{r + 1}"] = {
                    "requests": reads.requests,
                    "errors": reads.errors,
                    "per_s": round(reads.per_s, 1),
                }
                log(
                    f"term reads{' (' + topology + ')' if topology else ''} {name} round {r + 1} "
                    f"{side}: p50 {reads.p50_ms:.1f} ms, p99 {reads.p99_ms:.1f} ms, "
                    f"{reads.per_s:.0f}/s" + (f", {reads.errors} errors" if reads.errors else "")
                )
        for q in ("p50", "p99"):
            metrics.append(
                Metric(
                    key=f"read_{prefix}{name}_{q}",
                    label=f"{path}{' (open states)' if 'state' in query else ''}"
                    f"{', a page of ' + str(query['limit']) if 'limit' in query else ''} {q}, "
                    f"{params.readers} readers{', ' + topology if topology else ''}",
                    unit="ms",
                    subject_rounds=subject[q],
                    baseline_rounds=baseline[q],
                    baseline_label="/views/version under the same readers"
                    + (f" ({topology})" if topology else ""),
                    goal=Goal("subject", "<", READ_GOAL_MS) if q == "p99" else None,
                    higher_is_better=False,
                )
            )
    return metrics


async def published_already(url: str, service: str) -> None:
    """Store ``service``'s relay position at its last event (commit-safe order)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            """
            INSERT INTO relay_positions (relay, tx_id, global_position)
            SELECT $1, tx_id, global_position FROM events
            ORDER BY tx_id DESC, global_position DESC LIMIT 1
            ON CONFLICT (relay) DO UPDATE
            SET tx_id = EXCLUDED.tx_id, global_position = EXCLUDED.global_position
            """,
            f"{service}.relay",
        )
    finally:
        await conn.close()


async def shared_already(url: str, topic_prefix: str) -> int:
    """Record every feed item of reporting's projection as published to its department's
    share topic; returns how many items there are."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SHARE_SCHEMA)
        rows = await conn.fetch(f"SELECT DISTINCT department FROM {LIVE_SCHEMA}.feed_items")
        departments = [r[0] for r in rows]
        await conn.execute(
            f"""
            INSERT INTO public.share_published (item_id, department, topic)
            SELECT i.item_id, i.department, t.topic
            FROM {LIVE_SCHEMA}.feed_items i
            JOIN unnest($1::text[], $2::text[]) AS t (department, topic) USING (department)
            ON CONFLICT (item_id) DO NOTHING
            """,
            departments,
            [share_topic(d, topic_prefix) for d in departments],
        )
        await conn.execute(  # nothing left to publish
            "DELETE FROM public.share_pending q WHERE EXISTS "
            "(SELECT 1 FROM public.share_published p WHERE p.item_id = q.item_id)"
        )
        return int(await conn.fetchval(f"SELECT count(*) FROM {LIVE_SCHEMA}.feed_items"))
    finally:
        await conn.close()


async def view_cache_lookups(client: httpx.AsyncClient, url: str) -> dict[str, dict[str, int]]:
    """Reporting's ``xuncha_view_cache_lookups_total`` by view and outcome: whether the readers
    were answered from the kept views."""
    resp = await client.get(url)
    resp.raise_for_status()
    out: dict[str, dict[str, int]] = {}
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            if s.name == "xuncha_view_cache_lookups_total":
                out.setdefault(s.labels["view"], {})[s.labels["outcome"]] = int(s.value)
    return out


async def views_served(client: httpx.AsyncClient, url: str) -> int:
    """How many view requests (``/api/v1/views/…``) the process behind ``url`` answered."""
    resp = await client.get(url)
    resp.raise_for_status()
    return int(
        sum(
            s.value
            for family in text_string_to_metric_families(resp.text)
            for s in family.samples
            if s.name == "xuncha_http_requests_total"
            and "/views/" in s.labels.get("route", "")  # the route's template
        )
    )


async def drain(client: httpx.AsyncClient, bound: float = 180.0) -> None:
    """Wait (up to ``bound`` s) until the service answers a cheap read within a second again:
    requests its readers gave up on may still be running there, and the next side must not pay
    for them."""
    deadline = time.perf_counter() + bound
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        with contextlib.suppress(httpx.HTTPError):
            resp = await client.get("/views/version", timeout=10)
            if resp.status_code == 200 and time.perf_counter() - t0 < 1.0:
                return
        await asyncio.sleep(1.0)


def rss_bytes(pid: int) -> int:
    """The resident memory of process ``pid`` (``VmRSS``), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def whole_deadline_list(client: httpx.AsyncClient, pid: int) -> dict[str, Any]:
    """Download ``/views/deadlines`` without ``limit`` while sampling ``pid``'s memory."""
    before = rss_bytes(pid)
    peak = before
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_bytes(pid))
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    t0 = time.perf_counter()
    body = bytearray()
    try:
        async with client.stream("GET", "/views/deadlines", timeout=600) as resp:
            if resp.status_code != 200:
                raise RuntimeError(f"the whole deadline list answered {resp.status_code}")
            async for chunk in resp.aiter_bytes():
                body += chunk
    finally:
        done.set()
        await sampler
    seconds = time.perf_counter() - t0
    doc = orjson.loads(bytes(body))
    if len(doc["items"]) != doc["total"]:
        raise RuntimeError(f"{len(doc['items'])} deadlines of a total of {doc['total']}")
    return {
        "items": doc["total"],
        "bytes": len(body),
        "seconds": round(seconds, 2),
        "rss_before_mb": round(before / 2**20, 1),
        "rss_rise_mb": round((peak - before) / 2**20, 1),
    }


def xlsx_rows(content: bytes) -> int:
    """Rows of every sheet of a workbook (headers included)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return sum(sheet.max_row or 0 for sheet in book.worksheets)
    finally:
        book.close()


# ---- the run ------------------------------------------------------------------------------------


async def run(env: Env, params: TermParams, log: Callable[[str], None] = print) -> BenchResult:
    started = time.perf_counter()
    shape = shape_for(params.events)
    info: dict[str, Any] = {"shape": params_dict(shape)}
    metrics: list[Metric] = []
    async with contextlib.AsyncExitStack() as stack:
        scratch = await scratch_deployment(stack, env, "term", topics=False)
        db_prefix, topic_prefix, workdir = scratch.db_prefix, scratch.topic_prefix, scratch.workdir
        settings = Settings(pg_admin_url=env.pg_admin_url, db_name_prefix=db_prefix)
        urls = {s: scratch.dbs[s].url for s in SERVICES}

        # -- generate and load
        t0 = time.perf_counter()
        generated = await load_term(urls, shape, params.workers, log)
        copied = time.perf_counter() - t0
        await asyncio.gather(*(_vacuum(u) for u in urls.values()))
        load_s = time.perf_counter() - t0
        events = generated.total
        log(
            f"term: {events:,} events generated and loaded in {load_s:.1f} s "
            f"({events / load_s:,.0f} events/s; COPY done after {copied:.1f} s)"
        )
        sizes = await disk_bytes(urls)
        per_million = {s: round(b / events * 1e6 / 2**20, 1) for s, b in sizes.items()}
        info |= {
            "events": events,
            "events_per_service": dict(generated.events),
            "event_types": dict(generated.types.most_common()),
            "expected": {j: dict(c) for j, c in sorted(generated.expected.items())},
            "load_seconds": round(load_s, 1),
            "load_events_per_s": round(events / load_s),
            "generator_cpu_seconds": round(generated.seconds, 1),
            "workers": params.workers,
            "disk_bytes": sizes,
            "disk_mb_per_million_events": per_million,
            "disk_mb_per_million_events_total": round(
                sum(sizes.values()) / events * 1e6 / 2**20, 1
            ),
        }

        # -- rebuild, replay, verify against read_all (one read_all per round)
        sides: dict[str, list[float]] = {k: [] for k in ("read_all", "rebuild", "replay", "verify")}
        rebuild_report: Any = None
        replay_report: Any = None
        for r, order in alternating(params.rounds):
            steps: list[str] = (
                ["read_all", "verify", "rebuild", "replay"]
                if order[0] == "baseline"
                else ["verify", "rebuild", "replay", "read_all"]
            )
            for step in steps:
                if step == "read_all":
                    rate = await read_all_everything(urls, generated.events, params.batch)
                elif step == "rebuild":
                    rate, rebuild_report = await rebuild_rate(settings, events)
                elif step == "replay":
                    rate, replay_report = await replay_rate(settings, events)
                else:
                    rate, _ = await verify_rate(settings, events)
                sides[step].append(rate)
                log(f"term round {r + 1} {step}: {rate:,.0f} events/s")
                if step in ("rebuild", "replay"):
                    # each wrote gigabytes (the rebuild swapped 4.5 million rows in): their
                    # checkpoint and the autovacuum of the fresh tables happen here, untimed,
                    # not during the next step's timing (a replay after the rebuild took 78 s
                    # instead of 64)
                    await settle(urls["reporting"], env.pg_admin_url)
        for key, label in (
            ("rebuild", f"rebuild of reporting's projections from {events:,} events"),
            ("replay", f"as-of replay of the whole term ({events:,} events)"),
            ("verify", f"audit verify (--no-kafka) of {events:,} events, 4 services"),
        ):
            metrics.append(
                Metric(
                    key=key,
                    label=label,
                    unit="events/s",
                    subject_rounds=sides[key],
                    baseline_rounds=sides["read_all"],
                    baseline_label="read_all of the same events (every service)",
                    goal=Goal("ratio", ">=", 0.7 if key == "verify" else 0.5),
                )
            )
        assert replay_report is not None
        assert rebuild_report is not None
        info["rebuild_identical_to_previous"] = (
            rebuild_report.identical if params.rounds > 1 else None
        )
        info["replayed_linked_view"] = _counts(replay_report.view)
        info["verify_intact"] = True  # verify_rate refuses anything else

        # -- reporting as a process on the term: reads under load, the Excel export
        if set(params.parts) != {"api"}:
            await provision.provision_topics(env.kafka_bootstrap, topic_prefix)
        # the term's history was published while it happened: reporting's relay starts after
        # it, as in a deployment that ran the term (else it publishes its 50,000 events again
        # while the readers run, and its own consumer applies them again: every applied batch
        # moves the projection's generation, and the kept views are computed again)
        await published_already(urls["reporting"], "reporting")
        # and so were the departments' share items (else the share publisher sends the whole
        # term's feed to the departments' topics during the first minute of the readers)
        info["share_items_published_already"] = await shared_already(
            urls["reporting"], topic_prefix
        )
        # the history paths above wrote gigabytes (rebuilt and replayed projections, swapped in,
        # dropped): their checkpoint and the autovacuum of the fresh tables happen now, not in
        # the first windows of the readers (they took a third of those windows' throughput)
        t_settle = time.perf_counter()
        await settle(urls["reporting"], env.pg_admin_url)
        info["settle_seconds"] = round(time.perf_counter() - t_settle, 1)
        log(f"term: reporting's database vacuumed and checkpointed ({info['settle_seconds']} s)")
        stack_ = _Reporting(workdir, params.parts)
        stack.push_async_callback(stack_.stop)
        service_env = _service_env(
            env, "reporting", urls["reporting"], db_prefix, topic_prefix, workdir
        )
        # the readers stand for many people, each far under the per-principal limit
        service_env["XUNCHA_RATE_LIMIT"] = "1000000/minute"
        stack_.spawn("reporting", service_env)
        await stack_.wait_ready(params.startup_timeout)
        log(f"term: reporting ready ({time.perf_counter() - started:.1f}s)")
        city_token = await create_token_in(
            [urls["reporting"]],
            Principal(id="bench-city-office", role=Role.CITY_ADMIN, jurisdiction=CITY),
            "bench",
        )
        county_token = await create_token_in(
            [urls["reporting"]],
            Principal(id="bench-county-office", role=Role.COUNTY_ADMIN, jurisdiction=COUNTY),
            "bench",
        )
        limits = httpx.Limits(
            max_connections=params.readers, max_keepalive_connections=params.readers
        )
        base = stack_.urls["reporting"] + "/api/v1"
        city = await stack.enter_async_context(
            httpx.AsyncClient(
                base_url=base, headers={"Authorization": f"Bearer {city_token}"},
                timeout=READ_TIMEOUT, limits=limits,
            )
        )  # fmt: skip
        county = await stack.enter_async_context(
            httpx.AsyncClient(
                base_url=base, headers={"Authorization": f"Bearer {county_token}"},
                timeout=READ_TIMEOUT, limits=limits,
            )
        )  # fmt: skip
        largest_unit = max(
            (k for k in generated.ledger_units if k.startswith(f"{COUNTY}/")),
            key=lambda k: (generated.ledger_units[k], k),
            default=f"{COUNTY}/{unit_name(COUNTY, 0)}",
        ).split("/", 1)[1]
        endpoints: list[tuple[str, httpx.AsyncClient, str, dict[str, str | list[str]]]] = [
            ("linked", city, "/views/linked", {}),
            ("coverage", city, "/views/coverage", {"term_no": str(TERM_NO)}),
            ("deadlines_summary", city, "/views/deadlines/summary", {}),
            # the workbench's 期限预警, a page of 20: under 全部 (the whole history), and what
            # it asks by default (the warned and overdue ones)
            ("deadlines", county, "/views/deadlines", {"jurisdiction": COUNTY, **PAGE}),
            (
                "deadlines_open",
                county,
                "/views/deadlines",
                {
                    "jurisdiction": COUNTY,
                    "state": ["overdue", "warning_red", "warning_yellow"],
                    **PAGE,
                },
            ),
            ("ledger", county, "/views/ledger", {"jurisdiction": COUNTY, "unit": largest_unit}),
        ]
        # one request each first: warm, and the answers checked
        coverage_doc: dict[str, Any] = {}
        response_bytes: dict[str, int] = {}
        for name, client, path, query in endpoints:
            resp = await client.get(path, params=query, timeout=600)
            if resp.status_code != 200:
                raise RuntimeError(f"{path} answered {resp.status_code}: {resp.text[:300]}")
            response_bytes[name] = len(resp.content)
            if name == "coverage":
                coverage_doc = resp.json()
            if name == "linked":  # the rebuilt projection, swapped in
                info["linked_view"] = _counts(resp.json())
        info["response_bytes"] = response_bytes
        info["coverage_city"] = _coverage_city(coverage_doc)
        read_info: dict[str, Any] = {}
        # a window of the readers first, not counted: the process's start-up work (joining its
        # consumer group, the first metric samples, autovacuum after the swap) lands there,
        # not in the first endpoint measured
        warm = await readers(city, base + "/views/version", {}, params)
        await drain(city)
        read_info["warmup"] = {"requests": warm.requests, "errors": warm.errors,
                               "p99": round(warm.p99_ms, 1)}  # fmt: skip
        log(f"term reads warm-up (not counted): p99 {warm.p99_ms:.1f} ms")
        metrics += await read_endpoints(
            endpoints, {city: city, county: county}, base, params, read_info, "", log
        )
        info["reads"] = read_info
        info["view_cache"] = await view_cache_lookups(city, stack_.urls["reporting"] + "/metrics")
        log(f"term: reporting's kept views (lookups by outcome): {info['view_cache']}")

        # -- the same reads from two copies of reporting behind nginx (make up REPLICAS=2): the
        # second copy serves the API only (one relay and one consumer per service are enough)
        if params.copies > 1:
            for copy in range(2, params.copies + 1):
                stack_.spawn("reporting", _service_env(
                    env, "reporting", urls["reporting"], db_prefix, topic_prefix, workdir
                ) | {"XUNCHA_RATE_LIMIT": service_env["XUNCHA_RATE_LIMIT"]},
                    name=f"reporting-{copy}", parts=("api",))  # fmt: skip
            await stack_.wait_ready(params.startup_timeout)
            copies = [u for n, u in stack_.urls.items() if n.split("-")[0] == "reporting"]
            front = stack.enter_context(serve_nginx({"reporting": copies}))
            log(f"term: {len(copies)} copies of reporting behind nginx at {front}")
            balanced = {
                client: await stack.enter_async_context(
                    httpx.AsyncClient(
                        base_url=front + "/api/v1", headers=dict(client.headers),
                        timeout=READ_TIMEOUT, limits=limits,
                    )
                )
                for client in (city, county)
            }  # fmt: skip
            for client in balanced.values():  # every copy warm
                for _ in range(4 * len(copies)):
                    (await client.get("/views/version")).raise_for_status()
            # each view asked of each copy once, as the one copy's were before its readers: a
            # copy computes a view the first time it is asked (then keeps it per generation);
            # that first answer's time, per copy, is in ``first_read_ms``
            info["first_read_ms"] = {
                name: [await timed_get(client, u + "/api/v1" + path, query) for u in copies]
                for name, client, path, query in endpoints
            }
            log(f"term: the first answer of each view, per copy (ms): {info['first_read_ms']}")
            info["read_copies"] = len(copies)
            before = [await views_served(city, u + "/metrics") for u in copies]
            metrics += await read_endpoints(
                endpoints, balanced, front + "/api/v1", params, read_info,
                f"{len(copies)} copies behind nginx", log,
            )  # fmt: skip
            after = [await views_served(city, u + "/metrics") for u in copies]
            info["views_served_per_copy"] = [a - b for a, b in zip(after, before, strict=True)]
            log(f"term: view requests each copy served: {info['views_served_per_copy']}")

        # -- the Excel ledger export of the largest county (and its JSON as the baseline)
        export_ms: list[float] = []
        json_ms: list[float] = []
        content = b""
        for _r, order in alternating(params.rounds):
            for side in order:
                t0 = time.perf_counter()
                if side == "subject":
                    resp = await county.get(
                        "/exports/ledger.xlsx", params={"jurisdiction": COUNTY}, timeout=600
                    )
                    content = resp.content
                else:
                    resp = await county.get(
                        "/views/rectification-ledger", params={"jurisdiction": COUNTY}, timeout=600
                    )
                    _ = resp.content
                if resp.status_code != 200:
                    raise RuntimeError(f"ledger export answered {resp.status_code}")
                (export_ms if side == "subject" else json_ms).append(
                    (time.perf_counter() - t0) * 1000
                )
        rows = xlsx_rows(content)
        log(
            f"term: ledger.xlsx of {COUNTY}: {statistics.median(export_ms):,.0f} ms, "
            f"{rows:,} rows, {len(content):,} bytes"
        )
        metrics.append(
            Metric(
                key="ledger_xlsx",
                label=f"ledger.xlsx of {jurisdictions.name_of(COUNTY)} ({rows:,} rows)",
                unit="ms",
                subject_rounds=export_ms,
                baseline_rounds=json_ms,
                baseline_label="the same sheets as JSON (/views/rectification-ledger)",
                higher_is_better=False,
            )
        )
        info["ledger_xlsx"] = {
            "jurisdiction": COUNTY,
            "rows": rows,
            "bytes": len(content),
            "issues": sum(n for k, n in generated.ledger_units.items() if k.startswith(COUNTY)),
        }
        # -- the whole deadline list of the city, and the reporting process's memory meanwhile
        whole = await whole_deadline_list(city, stack_.procs["reporting"].pid)
        info["deadlines_whole_list"] = whole
        log(
            f"term: the whole deadline list of the city: {whole['items']:,} deadlines, "
            f"{whole['bytes']:,} bytes in {whole['seconds']} s; reporting's memory rose "
            f"{whole['rss_rise_mb']} MB (from {whole['rss_before_mb']} MB)"
        )
        metrics.append(
            Metric(
                key="deadlines_whole_list_rss_rise",
                label=(
                    f"the whole deadline list of the city ({whole['items']:,} deadlines): "
                    "reporting's memory rise"
                ),
                unit="MB",
                subject_rounds=[whole["rss_rise_mb"]],
                higher_is_better=False,
            )
        )
        metrics.append(
            Metric(
                key="disk_per_million",
                label="disk per 1M events (events table, TOAST and indexes; all services)",
                unit="MB",
                subject_rounds=[info["disk_mb_per_million_events_total"]],
                higher_is_better=False,
            )
        )
        metrics.insert(
            0,
            Metric(
                key="load",
                label=f"generate + COPY + VACUUM of {events:,} events ({params.workers} workers)",
                unit="events/s",
                subject_rounds=[events / load_s],
            ),
        )

    return BenchResult(
        name="term",
        title="A city's term",
        params=params_dict(params),
        metrics=metrics,
        info=info,
        seconds=time.perf_counter() - started,
    )


class _Reporting(_Stack):
    """The dashboard benchmark's process stack, its command given ``parts``."""

    def __init__(self, logs: Path, parts: tuple[str, ...]) -> None:
        super().__init__(logs)
        self.parts = parts

    def spawn(
        self,
        service: str,
        env: dict[str, str],
        *,
        name: str | None = None,
        parts: tuple[str, ...] | None = None,
    ) -> None:
        """Start ``service`` (as ``name``: a second copy is ``reporting-2``) with ``parts``
        (default the stack's)."""
        name = name or service
        self.urls[name] = f"http://127.0.0.1:{env['XUNCHA_HTTP_PORT']}"
        with open(self.logs / f"{name}.log", "wb") as log:
            self.procs[name] = subprocess.Popen(
                [_script(service), *(self.parts if parts is None else parts)],
                env=env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )


def _counts(view: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The integer figures of a linked view, per county and for the city (all summed)."""
    rows = {c["jurisdiction"]: c for c in view.get("counties") or []}
    if view.get("city"):
        rows[CITY] = view["city"]
    return {
        j: {k: v for k, v in row.items() if isinstance(v, int) and not isinstance(v, bool)}
        for j, row in rows.items()
    }


def _coverage_city(doc: dict[str, Any]) -> Any:
    """The city's coverage figure of ``/views/coverage`` (as the view gives it)."""
    city = doc.get("city") if isinstance(doc, dict) else None
    if isinstance(city, dict):
        return {k: city.get(k) for k in ("planned", "inspected", "rate")}
    return None


__all__ = ["TermParams", "run"]
