"""10. An idle deployment: CPU of the four services, Kafka and PostgreSQL with no traffic.

Issue 16's goal: the four services, Kafka and PostgreSQL up and nothing sent use under 5 % of
one core together.

Baseline: the bench's PostgreSQL and Kafka alone (what they cost before any service runs),
measured first. Subject: the four console scripts (``xuncha-<svc>``) started as processes on
databases and topics of their own (as ``bench/dashboard.py`` does: scratch ``xbench_…``
databases and ``xbench-…`` topics, dropped at the end), left to settle for ``settle_seconds``
(consumer groups joined, the first polls behind them), then measured. Each measurement sums the
CPU time (``utime + stime`` of ``/proc/<pid>/stat``, children that exited included) of each
component's process tree over ``seconds``: the services' processes, the JVM listening on each
Kafka bootstrap port, the postmaster listening on PostgreSQL's port and all its backends.
Reported in % of one core, per component and in total; the goal is on the total.

The infrastructure is the bench's (``make infra``): whatever else uses the same PostgreSQL or
Kafka while it runs (a ``make up`` deployment, tests) is counted too; the baseline shows how
much that is. With testcontainers (no processes of this machine) only the services are
measured.

``python -m bench.idle --ports 8000,8001,8002,8003 --pg-port 15432 --kafka-port 19092`` measures
a running deployment (``make up``) the same way, without starting anything; ``--threads 10``
adds the ten busiest threads of each component (a JVM's pools of threads together).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from xuncha_shared.settings import SERVICES

from bench.common import BenchResult, Env, Goal, Metric, params_dict
from bench.dashboard import _service_env, _Stack, scratch_deployment

CLK_TCK = os.sysconf("SC_CLK_TCK")
GOAL_PERCENT = 5.0


@dataclass(frozen=True)
class IdleParams:
    seconds: float = 30.0
    settle_seconds: float = 25.0
    rounds: int = 1
    startup_timeout: float = 120.0

    @classmethod
    def quick(cls) -> IdleParams:
        return cls(seconds=3.0, settle_seconds=2.0)


# ---- CPU time from /proc ----------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(parent pid, own ticks, ticks of reaped children) of ``pid``; None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
    # fields[0] = state (3rd field): ppid is the 4th, utime..cstime the 14th..17th
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return ppid, utime + stime, cutime + cstime


def _parents() -> dict[int, int]:
    out: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None:
            out[int(entry.name)] = st[0]
    return out


def process_tree(roots: Iterable[int]) -> set[int]:
    """``roots`` and every descendant of them alive now."""
    parents = _parents()
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    todo = [r for r in roots if r in parents]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, ()))
    return found


def _snapshot(pids: Iterable[int]) -> dict[int, tuple[int, int]]:
    out = {}
    for pid in pids:
        if (st := _stat(pid)) is not None:
            out[pid] = (st[1], st[2])
    return out


class CpuMeter:
    """CPU time of named groups of process trees between ``start()`` and ``stop()``."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self._before: dict[str, dict[int, tuple[int, int]]] = {}
        self._t0 = 0.0

    def start(self) -> None:
        self._before = {g: _snapshot(process_tree(r)) for g, r in self.groups.items()}
        self._t0 = time.monotonic()

    def stop(self) -> dict[str, float]:
        """% of one core per group since ``start()``. A process that ended meanwhile was
        counted into its parent's children's time (if the parent is in the tree) with all of its
        life: its share from before the start is taken off again."""
        seconds = time.monotonic() - self._t0
        out: dict[str, float] = {}
        for group, roots in self.groups.items():
            before = self._before[group]
            after = _snapshot(process_tree(roots))
            ticks = 0
            for pid, (own, reaped) in after.items():
                own0, reaped0 = before.get(pid, (0, 0))
                ticks += own - own0 + reaped - reaped0
            gone = [sum(t) for pid, t in before.items() if pid not in after]
            ticks -= sum(gone)
            out[group] = max(ticks, 0) / CLK_TCK / seconds * 100
        return out


def listening_pids(port: int) -> list[int]:
    """The processes holding a socket that listens on TCP ``port`` (IPv4 or IPv6)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(parts[9])
    if not inodes:
        return []
    wanted = {f"socket:[{i}]" for i in inodes}
    pids: list[int] = []
    with os.scandir("/proc") as processes:
        for entry in processes:
            if not entry.name.isdigit():
                continue
            with (
                contextlib.suppress(FileNotFoundError, PermissionError, ProcessLookupError),
                os.scandir(f"/proc/{entry.name}/fd") as fds,
            ):
                for fd in fds:
                    with contextlib.suppress(FileNotFoundError, OSError):
                        if os.readlink(fd.path) in wanted:
                            pids.append(int(entry.name))
                            break
    # a forked listener (a backend) is in the tree of its parent: keep the topmost ones
    parents = _parents()
    return [p for p in pids if parents.get(p) not in pids]


def infrastructure_groups(pg_port: int, kafka_ports: Iterable[int]) -> dict[str, list[int]]:
    """{"kafka": [JVM pids], "postgres": [postmaster]} of this machine (empty lists when the
    ports are served by something not visible here, e.g. a container)."""
    kafka: list[int] = []
    for port in kafka_ports:
        kafka.extend(listening_pids(port))
    return {"kafka": sorted(set(kafka)), "postgres": listening_pids(pg_port)}


def _ports(env: Env) -> tuple[int, list[int]]:
    pg = urlsplit(env.pg_admin_url).port or 5432
    kafka = [int(hp.rsplit(":", 1)[1]) for hp in env.kafka_bootstrap.split(",") if ":" in hp]
    return pg, kafka


def thread_ticks(pids: Iterable[int]) -> dict[tuple[int, int], tuple[str, int]]:
    """``{(pid, tid): (thread name, utime + stime)}`` of every thread of ``pids`` alive now."""
    out: dict[tuple[int, int], tuple[str, int]] = {}
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, PermissionError):
            for tid in os.listdir(f"/proc/{pid}/task"):
                with contextlib.suppress(FileNotFoundError, ProcessLookupError, PermissionError):
                    raw = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
                    fields = raw[raw.rindex(")") + 2 :].split()
                    name = raw[raw.index("(") + 1 : raw.rindex(")")]
                    out[(pid, int(tid))] = (name, int(fields[11]) + int(fields[12]))
    return out


def thread_shares(
    before: dict[tuple[int, int], tuple[str, int]],
    after: dict[tuple[int, int], tuple[str, int]],
    seconds: float,
) -> dict[str, tuple[int, float]]:
    """% of one core per thread name between two :func:`thread_ticks`, the threads of a pool
    together (digits in a name become ``N``: ``data-plane-kafka-request-handler-N``, ``GC
    Thread#N``): ``{name: (threads, percent)}``, largest first."""
    shares: dict[str, tuple[int, float]] = {}
    for key, (name, ticks) in after.items():
        pool = re.sub(r"\d+", "N", name)
        count, percent = shares.get(pool, (0, 0.0))
        used = ticks - before.get(key, (name, 0))[1]
        shares[pool] = (count + 1, percent + used / CLK_TCK / seconds * 100)
    return dict(sorted(shares.items(), key=lambda item: -item[1][1]))


async def measure(groups: dict[str, list[int]], seconds: float) -> dict[str, float]:
    meter = CpuMeter(groups)
    meter.start()
    await asyncio.sleep(seconds)
    return meter.stop()


# ---- the benchmark ----------------------------------------------------------------------------


async def run(env: Env, params: IdleParams, log: Callable[[str], None] = print) -> BenchResult:
    started = time.perf_counter()
    pg_port, kafka_ports = _ports(env)
    infra = infrastructure_groups(pg_port, kafka_ports)
    missing = [name for name, pids in infra.items() if not pids]
    if missing:
        log(f"idle: {', '.join(missing)} not visible as processes here: not measured")
    infra = {name: pids for name, pids in infra.items() if pids}

    baseline_rounds: dict[str, list[float]] = {k: [] for k in ("kafka", "postgres", "total")}
    for r in range(params.rounds):
        cpu = await measure(infra, params.seconds)
        for name in ("kafka", "postgres"):
            baseline_rounds[name].append(cpu.get(name, 0.0))
        baseline_rounds["total"].append(sum(cpu.values()))
        log(f"idle baseline round {r + 1}: Kafka + PostgreSQL alone {sum(cpu.values()):.2f} %")

    subject_rounds: dict[str, list[float]] = {
        k: [] for k in (*SERVICES, "services", "kafka", "postgres", "total")
    }
    async with contextlib.AsyncExitStack() as stack:
        scratch = await scratch_deployment(stack, env, "idle")
        db_prefix, topic_prefix, workdir, dbs = (
            scratch.db_prefix, scratch.topic_prefix, scratch.workdir, scratch.dbs
        )  # fmt: skip
        services = _Stack(workdir)
        stack.push_async_callback(services.stop)
        for service in SERVICES:
            services.spawn(
                service,
                _service_env(env, service, dbs[service].url, db_prefix, topic_prefix, workdir),
            )
        await services.wait_ready(params.startup_timeout)
        log(f"idle: {len(SERVICES)} services ready ({time.perf_counter() - started:.1f}s)")
        await asyncio.sleep(params.settle_seconds)
        groups = {**{s: [p.pid] for s, p in services.procs.items()}, **infra}
        for r in range(params.rounds):
            cpu = await measure(groups, params.seconds)
            for name, value in cpu.items():
                subject_rounds[name].append(value)
            subject_rounds["services"].append(sum(cpu[s] for s in SERVICES))
            subject_rounds["total"].append(sum(cpu.values()))
            for name in ("kafka", "postgres"):
                if name not in cpu:
                    subject_rounds[name].append(0.0)
            log(
                f"idle round {r + 1}: total {sum(cpu.values()):.2f} % of a core ("
                + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items())
                + ")"
            )
        exited = {s: p.returncode for s, p in services.procs.items() if p.poll() is not None}
        if exited:
            raise RuntimeError(f"idle: services exited while measured: {exited}")

    metrics = [
        Metric(
            key="idle_total",
            label="idle deployment: 4 services + Kafka + PostgreSQL",
            unit="% of a core",
            subject_rounds=subject_rounds["total"],
            baseline_rounds=baseline_rounds["total"],
            baseline_label="Kafka + PostgreSQL without the services",
            goal=Goal("subject", "<", GOAL_PERCENT),
            higher_is_better=False,
        ),
        Metric(
            key="idle_services",
            label="idle: the four services",
            unit="% of a core",
            subject_rounds=subject_rounds["services"],
            higher_is_better=False,
        ),
    ]
    for name in ("kafka", "postgres"):
        metrics.append(
            Metric(
                key=f"idle_{name}",
                label=f"idle: {name} (with the services / alone)",
                unit="% of a core",
                subject_rounds=subject_rounds[name],
                baseline_rounds=baseline_rounds[name],
                baseline_label=f"{name} alone",
                higher_is_better=False,
            )
        )
    return BenchResult(
        name="idle",
        title="Idle deployment CPU",
        params=params_dict(params),
        metrics=metrics,
        info={
            "per_service_percent": {s: [round(x, 2) for x in subject_rounds[s]] for s in SERVICES},
            "measured": sorted(groups),
            "clock_ticks_per_s": CLK_TCK,
        },
        seconds=time.perf_counter() - started,
    )


# ---- a running deployment (make up) -----------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CPU of a running deployment, from /proc")
    parser.add_argument("--ports", default="8000,8001,8002,8003", help="the services' ports")
    parser.add_argument("--pg-port", type=int, default=15432)
    parser.add_argument("--kafka-port", default="19092", help="comma-separated")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--threads", type=int, default=0, metavar="N", help="also the N busiest threads of each"
    )
    args = parser.parse_args(argv)
    groups: dict[str, list[int]] = {}
    for port in (int(p) for p in args.ports.split(",") if p):
        groups[f":{port}"] = listening_pids(port)
    groups |= infrastructure_groups(args.pg_port, (int(p) for p in args.kafka_port.split(",")))
    absent = [name for name, pids in groups.items() if not pids]
    if absent:
        print(f"nothing listens on {absent}: left out")
    groups = {k: v for k, v in groups.items() if v}
    trees = {name: process_tree(roots) for name, roots in groups.items()}
    threads_before = {name: thread_ticks(pids) for name, pids in trees.items()}
    cpu = asyncio.run(measure(groups, args.seconds))
    for name, value in cpu.items():
        print(f"{name:>10}  {value:6.2f} %  (pids {groups[name]})")
        if args.threads:
            shares = thread_shares(threads_before[name], thread_ticks(trees[name]), args.seconds)
            for thread, (count, percent) in list(shares.items())[: args.threads]:
                print(f"{'':>12}{percent:6.2f} %  {thread} (x{count})")
    services = sum(v for k, v in cpu.items() if k.startswith(":"))
    print(f"{'services':>10}  {services:6.2f} %")
    print(f"{'total':>10}  {sum(cpu.values()):6.2f} %  of one core over {args.seconds:g} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
