"""``python -m bench``: run the side-by-side benchmarks, print a table, write JSON results.

Runs against the infrastructure of ``Settings()`` (``XUNCHA_PG_ADMIN_URL``,
``XUNCHA_KAFKA_BOOTSTRAP``; by default the local deploy of ``make up``), in scratch databases and
topics of its own that are dropped at the end. Results go to ``bench/results/<UTC>.json``; a
complete run at default sizes also updates ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from rich.console import Console
from rich.table import Table
from xuncha_shared.runtime_gc import tune_gc

from bench import (
    BENCHMARKS,
    append,
    audit,
    dashboard,
    deadlines,
    idle,
    latency,
    relay,
    replay,
    security,
    term,
    workbench,
)
from bench.common import BenchResult, Env, server_settings

RESULTS_DIR = Path(__file__).resolve().parent / "results"


Runner = Callable[[Env, Any, Callable[[str], None]], Awaitable[BenchResult]]

#: name -> (parameter class with ``quick()``, runner)
REGISTRY: dict[str, tuple[Any, Runner]] = {
    "append": (append.AppendParams, append.run),
    "relay": (relay.RelayParams, relay.run),
    "latency": (latency.LatencyParams, latency.run),
    "replay": (replay.ReplayParams, replay.run),
    "dashboard": (dashboard.DashboardParams, dashboard.run),
    "audit": (audit.AuditParams, audit.run),
    "deadlines": (deadlines.DeadlinesParams, deadlines.run),
    "security": (security.SecurityParams, security.run),
    "workbench": (workbench.WorkbenchParams, workbench.run),
    "term": (term.TermParams, term.run),
    "idle": (idle.IdleParams, idle.run),
}


def default_params(name: str, quick: bool) -> Any:
    cls = REGISTRY[name][0]
    return cls.quick() if quick else cls()


async def run_one(
    name: str, env: Env, params: Any, log: Callable[[str], None] = print
) -> BenchResult:
    return await REGISTRY[name][1](env, params, log)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="small sizes, one round (smoke run)")
    p.add_argument(
        "--only", action="append", choices=BENCHMARKS, metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )  # fmt: skip
    p.add_argument("--rounds", type=int, help="rounds per benchmark (default 3, quick 1)")
    p.add_argument("--append-single", type=int, help="events of the single-event append runs")
    p.add_argument("--append-batches", type=int, help="append calls of the batched runs")
    p.add_argument("--append-batch-size", type=int, help="events per batched append call")
    p.add_argument("--writers", type=int, help="concurrent writers of the append runs")
    p.add_argument("--relay-events", type=int, help="events the relay publishes per run")
    p.add_argument("--latency-rate", type=float, help="events/s of the latency run")
    p.add_argument("--latency-seconds", type=float, help="seconds of load per side")
    p.add_argument("--latency-no-competitor", action="store_true", help="latency: no competitor")
    p.add_argument("--replay-events", type=int, help="events in the replay store")
    p.add_argument("--dashboard-rate", type=float, help="petitions/s POSTed by the dashboard run")
    p.add_argument("--dashboard-seconds", type=float, help="seconds of dashboard load")
    p.add_argument("--audit-events", type=int, help="events verified by the audit run")
    p.add_argument("--audit-replay-events", type=int, help="events replayed by the audit run")
    p.add_argument("--deadlines", type=int, help="due deadlines the deadline worker fires")
    p.add_argument("--security-events", type=int, help="messages per SASL/PLAINTEXT round")
    p.add_argument("--workbench-loads", type=int, help="cold browser loads per side (workbench)")
    p.add_argument("--term-events", type=int, help="events of the synthetic term (term)")
    p.add_argument("--idle-seconds", type=float, help="seconds of each idle CPU measurement")
    p.add_argument("--no-save", action="store_true", help="write no JSON file")
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    return p


def params_from_args(args: argparse.Namespace) -> tuple[dict[str, Any], bool]:
    """Parameters per selected benchmark, and whether they are the defaults."""
    overrides: dict[str, dict[str, Any]] = {
        "append": {
            "single_events": args.append_single,
            "batch_calls": args.append_batches,
            "batch_size": args.append_batch_size,
            "writers": args.writers,
        },
        "relay": {"events": args.relay_events},
        "latency": {
            "rate": args.latency_rate,
            "seconds": args.latency_seconds,
            "competitor": False if args.latency_no_competitor else None,
        },
        "replay": {"events": args.replay_events},
        "dashboard": {"rate": args.dashboard_rate, "seconds": args.dashboard_seconds},
        "audit": {"events": args.audit_events, "replay_events": args.audit_replay_events},
        "deadlines": {"deadlines": args.deadlines},
        "security": {"events": args.security_events},
        "workbench": {"loads": args.workbench_loads},
        "term": {"events": args.term_events},
        "idle": {"seconds": args.idle_seconds},
    }
    selected = args.only or list(BENCHMARKS)
    result: dict[str, Any] = {}
    default = not args.quick and selected == list(BENCHMARKS)
    for name in BENCHMARKS:
        if name not in selected:
            continue
        params = default_params(name, args.quick)
        changes = {k: v for k, v in overrides[name].items() if v is not None}
        if args.rounds is not None:
            changes["rounds"] = args.rounds
        if changes:
            default = False
            params = replace(params, **changes)
        result[name] = params
    return result, default


def render(results: list[BenchResult], console: Console) -> None:
    table = Table(title="xuncha benchmarks (median of rounds; ratio = median of per-round ratios)")
    table.add_column("benchmark")
    table.add_column("measure")
    table.add_column("xuncha", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column("goal")
    table.add_column("met", justify="center")
    for res in results:
        for i, m in enumerate(res.metrics):
            fmt = "{:,.1f}" if m.unit in ("ms", "% of a core") else "{:,.0f}"
            met = {True: "[green]yes[/]", False: "[red]no[/]", None: ""}[m.met]
            table.add_row(
                res.title if i == 0 else "",
                m.label,
                f"{fmt.format(m.subject)} {m.unit}",
                f"{fmt.format(m.baseline)} {m.unit}" if m.baseline is not None else "",
                f"{m.ratio:.2f}" if m.ratio is not None else "",
                m.goal.describe(m.unit) if m.goal else "",
                met,
            )
        table.add_section()
    console.print(table)


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
            cwd=Path(__file__).resolve().parent,
        )  # fmt: skip
        return out.stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


async def describe_env(env: Env) -> dict[str, Any]:
    conn = await asyncpg.connect(env.pg_admin_url)
    try:
        pg = await server_settings(conn)
    finally:
        await conn.close()
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgres": pg,
        "kafka_bootstrap": env.kafka_bootstrap,
        "git_commit": _git_commit(),
    }


async def checkpoint(env: Env) -> None:
    """``CHECKPOINT``: flush every dirty buffer now (needs the superuser URL; skipped without)."""
    conn = await asyncpg.connect(env.pg_admin_url)
    try:
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


def save(document: dict[str, Any], directory: Path, *, latest: bool) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = document["started_at"].replace(":", "").replace("-", "")
    path = directory / f"{stamp}.json"
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    if latest:
        (directory / "latest.json").write_text(text, encoding="utf-8")
    return path


async def main_async(args: argparse.Namespace, console: Console) -> int:
    env = Env.from_settings()
    selected, default = params_from_args(args)
    started_at = datetime.now(UTC).replace(microsecond=0)
    t0 = time.perf_counter()
    environment = await describe_env(env)
    console.print(
        f"[bold]xuncha bench[/] on PostgreSQL {environment['postgres']['server_version']} "
        f"(synchronous_commit={environment['postgres']['synchronous_commit']}), "
        f"Kafka {env.kafka_bootstrap}, {environment['cpus']} CPUs"
    )
    results: list[BenchResult] = []

    def log(line: str) -> None:
        console.print(f"[dim]{time.perf_counter() - t0:6.1f}s[/] {line}", highlight=False)

    for name, params in selected.items():
        # each benchmark starts from a clean buffer pool: without this, the WAL checkpoint
        # triggered by the rows an earlier benchmark wrote lands in the next one's timings
        await checkpoint(env)
        log(f"[bold]{name}[/]: {params}")
        results.append(await run_one(name, env, params, log))
    render(results, console)
    document = {
        "started_at": started_at.isoformat().replace("+00:00", "Z"),
        "seconds": round(time.perf_counter() - t0, 1),
        "mode": "full" if default else ("quick" if args.quick else "custom"),
        "environment": environment,
        "benchmarks": {r.name: r.to_json() for r in results},
    }
    if not args.no_save:
        path = save(document, args.results_dir, latest=default)
        console.print(f"results: {path}" + (" (and latest.json)" if default else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # aiokafka logs NotLeaderForPartition while brand-new scratch topics settle; it retries by
    # itself and every message is still accounted for (see the latency "lost" counts)
    aiokafka_log = logging.getLogger("aiokafka")
    previous = aiokafka_log.level
    aiokafka_log.setLevel(logging.CRITICAL)
    # wide enough for the table when the output is piped (rich assumes 80 columns then)
    width = max(shutil.get_terminal_size((150, 40)).columns, 120)
    # the services' GC settings (xuncha_shared.runtime_gc), for subject and baseline alike
    tune_gc()
    try:
        return asyncio.run(main_async(args, Console(width=width)))
    finally:
        aiokafka_log.setLevel(previous)


if __name__ == "__main__":
    sys.exit(main())
