"""5. Append-to-dashboard latency: the four services as real processes, end to end over HTTP.

The four console scripts (``xuncha-<svc>``) are started as subprocesses on free ports, with
databases and topics of their own (``provision.create_service_databases`` and
``provision.provision_topics`` under a unique ``xbench_<time><random>_`` / ``xbench-...``
prefix; dropped and deleted at the end, also after a failure or Ctrl-C). A county-office token
is created in every service database (``create_token_in``).

Subject: a load generator POSTs petitions of one county to intake's ``/api/v1/petitions`` at a
steady ``rate`` (each POST in a task of its own); a poller GETs reporting's
``/api/v1/views/linked?jurisdiction=<county>`` every ``poll_ms`` and records when each
cumulative ``petitions_received`` count is first seen. The k-th petition (in send order) is
visible when the count reaches ``base + k``; its latency = that moment minus the moment right
before its POST was sent. The view does not say *which* petitions it counts, so when POSTs
overtake each other a petition may be credited with a moment up to one overtaking earlier.

Baseline: the round-trip time of those same POSTs (sent → 201 received), measured in the same
requests: the part of the latency spent in intake before the relay, Kafka, reporting's
consumer and the poll take over.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from xuncha_shared import provision
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.secrets import secrets_dir
from xuncha_shared.settings import SERVICES, Settings

from bench.common import BenchResult, Env, Metric, params_dict, percentile, run_token
from bench.ports import free_port

COUNTY = "361002"  # 临川区
UNIT = "临川区农业农村局"
SUMMARY = (
    "群众来信反映：某街道办事处在老旧小区改造工程招投标过程中，存在围标串标、"
    "指定施工单位等问题；工程完工后部分项目验收走过场，资金拨付与实际工程量不符。"
    "来信人提供了相关项目名称、时间和涉及人员的职务信息，请求巡察组核实处理。"
)
#: Settings the services inherit from the bench's environment (everything else is set here).
_PASSED_ON = ("XUNCHA_RELAY_POLL_MS", "XUNCHA_KEK", "XUNCHA_SECRETS_DIR")


@dataclass(frozen=True)
class DashboardParams:
    rate: float = 20.0
    seconds: float = 20.0
    rounds: int = 1
    warmup_seconds: float = 2.0
    poll_ms: float = 20.0
    drain_timeout: float = 30.0
    startup_timeout: float = 120.0

    @classmethod
    def quick(cls) -> DashboardParams:
        return cls(rate=5.0, seconds=1.0, rounds=1, warmup_seconds=0.0)


def _script(service: str) -> str:
    found = shutil.which(f"xuncha-{service}", path=str(Path(sys.executable).parent))
    if not found:
        raise RuntimeError(f"console script xuncha-{service} is not installed (uv sync)")
    return found


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-3000:]
    except OSError:
        return ""


class _Stack:
    """The four service processes; ``stop()`` terminates them (SIGTERM, then SIGKILL)."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.urls: dict[str, str] = {}

    def spawn(self, service: str, env: dict[str, str]) -> None:
        self.urls[service] = f"http://127.0.0.1:{env['XUNCHA_HTTP_PORT']}"
        with open(self.logs / f"{service}.log", "wb") as log:
            self.procs[service] = subprocess.Popen(
                [_script(service)],
                env=env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    async def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            for service, proc in self.procs.items():
                log = self.logs / f"{service}.log"
                while True:
                    if proc.poll() is not None:
                        raise RuntimeError(
                            f"{service} exited with {proc.returncode}:\n{_tail(log)}"
                        )
                    with contextlib.suppress(httpx.HTTPError):
                        if (await client.get(f"{self.urls[service]}/readyz")).status_code == 200:
                            break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{service} not ready after {timeout}s:\n{_tail(log)}")
                    await asyncio.sleep(0.3)

    async def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                await asyncio.to_thread(proc.wait, 20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await asyncio.to_thread(proc.wait, 10)


class _Poller:
    """GETs the linked view of one county every ``interval`` s; ``seen[c]`` = when a count of
    at least ``c`` was first seen (``perf_counter`` at the response)."""

    def __init__(self, client: httpx.AsyncClient, interval: float) -> None:
        self.client = client
        self.interval = interval
        self.seen: dict[int, float] = {}
        self.count = -1
        self.polls = 0
        self.errors = 0
        self.changed = asyncio.Event()

    async def fetch(self) -> int:
        resp = await self.client.get("/api/v1/views/linked", params={"jurisdiction": COUNTY})
        resp.raise_for_status()
        rows = resp.json()["counties"]
        return int(rows[0]["petitions_received"]) if rows else 0

    async def run(self) -> None:
        next_at = time.perf_counter()
        while True:
            try:
                count = await self.fetch()
            except (httpx.HTTPError, KeyError, ValueError):
                self.errors += 1
            else:
                now = time.perf_counter()
                self.polls += 1
                if count > self.count:
                    for c in range(max(self.count, 0) + 1, count + 1):
                        self.seen.setdefault(c, now)
                    self.count = count
                    self.changed.set()
            next_at = max(next_at + self.interval, time.perf_counter())
            await asyncio.sleep(next_at - time.perf_counter())

    async def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while self.count < count:
            left = deadline - time.perf_counter()
            if left <= 0:
                return False
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)
        return True


def _service_env(
    env: Env, service: str, database_url: str, db_prefix: str, topic_prefix: str, state: Path
) -> dict[str, str]:
    result = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    result.update({k: os.environ[k] for k in _PASSED_ON if k in os.environ})
    # the deployment's secrets (its Kafka logins) as this process finds them: a state folder of
    # its own (XUNCHA_LOCAL_STATE) is not passed on, and the services' XUNCHA_STATE_DIR is a
    # scratch folder
    result.setdefault("XUNCHA_SECRETS_DIR", str(secrets_dir()))
    result.update(
        {
            "XUNCHA_SERVICE": service,
            "XUNCHA_DATABASE_URL": database_url,
            "XUNCHA_PG_ADMIN_URL": env.pg_admin_url,
            "XUNCHA_DB_NAME_PREFIX": db_prefix,
            "XUNCHA_KAFKA_BOOTSTRAP": env.kafka_bootstrap,
            "XUNCHA_TOPIC_PREFIX": topic_prefix,
            "XUNCHA_HTTP_HOST": "127.0.0.1",
            "XUNCHA_HTTP_PORT": str(free_port()),
            "XUNCHA_STATE_DIR": str(state),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return result


@dataclass
class Scratch:
    """A benchmark's scratch deployment: databases and topics under prefixes of their own, and
    a working folder; all removed when the exit stack closes."""

    db_prefix: str
    topic_prefix: str
    workdir: Path
    dbs: dict[str, Any]


async def scratch_deployment(
    stack: contextlib.AsyncExitStack, env: Env, label: str, *, topics: bool = True
) -> Scratch:
    """The four services' databases (and, with ``topics``, every topic) under a fresh token;
    their removal registered on ``stack`` before anything is created (it runs last, after the
    processes started later stop)."""
    token_id = run_token()
    db_prefix, topic_prefix = f"xbench_{token_id}_", f"xbench-{token_id}."
    workdir = Path(tempfile.mkdtemp(prefix=f"xbench-{label}-"))
    stack.callback(shutil.rmtree, workdir, True)

    async def drop_scratch() -> None:
        with contextlib.suppress(Exception):
            await provision.delete_prefixed_topics(env.kafka_bootstrap, topic_prefix)
        await provision.drop_prefixed_databases(env.pg_admin_url, db_prefix)

    stack.push_async_callback(drop_scratch)
    dbs = await provision.create_service_databases(env.pg_admin_url, db_prefix)
    if topics:
        await provision.provision_topics(env.kafka_bootstrap, topic_prefix)
    return Scratch(db_prefix, topic_prefix, workdir, dict(dbs))


async def run(env: Env, params: DashboardParams, log: Callable[[str], None] = print) -> BenchResult:
    started = time.perf_counter()
    async with contextlib.AsyncExitStack() as stack:
        scratch = await scratch_deployment(stack, env, "dashboard")
        db_prefix, topic_prefix, workdir, dbs = (
            scratch.db_prefix, scratch.topic_prefix, scratch.workdir, scratch.dbs
        )  # fmt: skip
        services = _Stack(workdir)
        stack.push_async_callback(services.stop)
        for service in SERVICES:
            service_env = _service_env(
                env, service, dbs[service].url, db_prefix, topic_prefix, workdir
            )
            # one principal posts 20 petitions/s and polls the view 50 times a second: the
            # instrument, not a person, so the per-principal limit (600/minute) is raised; at
            # that limit the polls were refused (429) for most of a run, and a petition counted
            # as seen only when a poll was let through again (p99 38.9 s on 2026-12-03)
            service_env["XUNCHA_RATE_LIMIT"] = "1000000/minute"
            services.spawn(service, service_env)
        await services.wait_ready(params.startup_timeout)
        log(f"dashboard: {len(SERVICES)} services ready ({time.perf_counter() - started:.1f}s)")

        principal = Principal(id="bench-county", role=Role.COUNTY_ADMIN, jurisdiction=COUNTY)
        token = await create_token_in([d.url for d in dbs.values()], principal, "bench")
        headers = {"Authorization": f"Bearer {token}"}
        intake = await stack.enter_async_context(
            httpx.AsyncClient(base_url=services.urls["intake"], headers=headers, timeout=30)
        )
        reporting = await stack.enter_async_context(
            httpx.AsyncClient(base_url=services.urls["reporting"], headers=headers, timeout=30)
        )

        poller = _Poller(reporting, params.poll_ms / 1000)
        base = await poller.fetch()
        poll_task = asyncio.create_task(poller.run())

        async def stop_poller() -> None:
            poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poll_task

        stack.push_async_callback(stop_poller)
        sent_count = 0  # petitions POSTed so far (all of them count in the view)

        async def post(i: int) -> tuple[float, float]:
            body = {
                "jurisdiction": COUNTY,
                "unit": UNIT,
                "channel": "letter",
                "summary": f"{SUMMARY}（编号 {i}）",
                "informant": {"name": "刘桂兰", "phone": "13979461234"},
            }
            t0 = time.perf_counter()
            resp = await intake.post("/api/v1/petitions", json=body)
            t1 = time.perf_counter()
            if resp.status_code != 201:
                raise RuntimeError(f"intake answered {resp.status_code}: {resp.text[:500]}")
            return t0, t1

        async def steady(count: int) -> list[tuple[float, float]]:
            """POST ``count`` petitions at ``rate``; (sent, answered) per petition in send
            order. The cumulative index of the i-th is ``sent_count`` at its send + 1."""
            nonlocal sent_count
            tasks: list[asyncio.Task[tuple[float, float]]] = []
            t_start = time.perf_counter()
            for i in range(count):
                delay = t_start + i / params.rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(post(sent_count + i)))
            sent_count += count
            return list(await asyncio.gather(*tasks))

        # warm up: one petition end to end (consumer groups joined, partitions assigned) ...
        await steady(1)
        if not await poller.wait_for(base + sent_count, params.startup_timeout):
            raise RuntimeError("dashboard: the first petition never reached the linked view")
        log(f"dashboard: POST → linked view path ready ({time.perf_counter() - started:.1f}s)")
        # ... then untimed steady load
        warmup = round(params.rate * params.warmup_seconds)
        if warmup:
            await steady(warmup)
            await poller.wait_for(base + sent_count, params.drain_timeout)

        per_round = max(1, round(params.rate * params.seconds / params.rounds))
        subject_all: list[float] = []
        baseline_all: list[float] = []
        subject_rounds: dict[str, list[float]] = {k: [] for k in ("p50", "p95", "p99", "max")}
        baseline_rounds: dict[str, list[float]] = {k: [] for k in subject_rounds}
        lost = 0
        for r in range(params.rounds):
            first = base + sent_count + 1  # cumulative count that shows this round's 1st
            times = await steady(per_round)
            await poller.wait_for(first + per_round - 1, params.drain_timeout)
            subject: list[float] = []
            for k, (t0, _) in enumerate(times):
                seen = poller.seen.get(first + k)
                if seen is None:
                    lost += 1
                else:
                    subject.append((seen - t0) * 1000)
            baseline = sorted((t1 - t0) * 1000 for t0, t1 in times)
            if not subject:
                raise RuntimeError("dashboard: no petition reached the linked view")
            subject.sort()
            subject_all.extend(subject)
            baseline_all.extend(baseline)
            for q, label in ((50, "p50"), (95, "p95"), (99, "p99"), (100, "max")):
                subject_rounds[label].append(percentile(subject, q))
                baseline_rounds[label].append(percentile(baseline, q))
            log(
                f"dashboard round {r + 1}: p50 {percentile(subject, 50):.1f} ms, "
                f"p99 {percentile(subject, 99):.1f} ms (POST p50 "
                f"{percentile(baseline, 50):.1f} ms; {len(subject)} petitions)"
            )
        polls, poll_errors = poller.polls, poller.errors
        final_count = poller.count
        if poll_errors:
            log(
                f"dashboard: {poll_errors} of {polls + poll_errors} polls failed "
                "(the petitions they would have seen are counted late)"
            )

    relay_poll_ms = Settings().relay_poll_ms
    metrics = [
        Metric(
            key=f"dashboard_{label}",
            label=f"POST → linked view {label}, {params.rate:g} petitions/s",
            unit="ms",
            subject_rounds=subject_rounds[label],
            baseline_rounds=baseline_rounds[label],
            baseline_label="intake POST round trip",
            higher_is_better=False,
        )
        for label in ("p50", "p95", "p99", "max")
    ]
    subject_sorted, baseline_sorted = sorted(subject_all), sorted(baseline_all)
    return BenchResult(
        name="dashboard",
        title="Append-to-dashboard latency",
        params=params_dict(params),
        metrics=metrics,
        info={
            "petitions": len(subject_sorted),
            "lost": lost,
            "all_ms": {
                side: {
                    label: round(percentile(values, q), 1)
                    for q, label in ((50, "p50"), (95, "p95"), (99, "p99"), (100, "max"))
                }
                for side, values in (("subject", subject_sorted), ("baseline", baseline_sorted))
            },
            "base_count": base,
            "final_count": final_count,
            "polls": polls,
            "poll_errors": poll_errors,
            "relay_poll_ms": relay_poll_ms,
        },
        seconds=time.perf_counter() - started,
    )
