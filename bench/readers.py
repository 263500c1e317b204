"""Closed-loop HTTP readers for the read benchmarks: ``readers`` connections, each sending its
next request as soon as the last one is answered, for ``seconds``.

The readers are wrk (Debian's package, installed by ``deploy/local/wrk.sh``; ``make bench`` and
``make test`` run it), a C client: about 30 µs of CPU a request here, where aiohttp's readers
took 400–450 µs and httpx's 5–6 ms. On this machine's two cores the client's CPU is taken from
the service it measures (and from PostgreSQL and nginx beside it): with aiohttp, one reporting
process answered ``/views/version`` at 777 requests/s with p99 115–135 ms; with wrk, at
962–1,271/s with p99 86–95 ms (docs/performance.md, "Readers that cost less than what they
read"). The percentiles count a request that failed without an answer (a timeout, a socket
error) as slower than every answered one, at the client's timeout (``bench/wrk_report.lua``).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

WRK = "/usr/bin/wrk"
SCRIPT = Path(__file__).with_name("wrk_report.lua")


@dataclass(frozen=True)
class Reads:
    """What the readers saw: requests sent (answered and failed), failures (an error status,
    a timeout or a socket error), requests per second, p50 and p99 in ms."""

    requests: int
    errors: int
    per_s: float
    p50_ms: float
    p99_ms: float


def wrk_binary() -> str:
    found = WRK if os.access(WRK, os.X_OK) else shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is missing: run deploy/local/wrk.sh install (make bench does)")
    return found


def with_query(url: str, params: dict[str, str | list[str]]) -> str:
    """``url`` with ``params`` as its query string (a list: the key repeated)."""
    return f"{url}?{urlencode(params, doseq=True)}" if params else url


async def read_under_load(
    url: str,
    params: dict[str, str | list[str]],
    *,
    authorization: str,
    readers: int,
    seconds: float,
    timeout: float,
) -> Reads:
    """``readers`` closed-loop readers GET ``url`` (with ``params``) for ``seconds``, sending
    ``authorization`` as the Authorization header."""
    proc = await asyncio.create_subprocess_exec(
        wrk_binary(),
        "--threads", "1",
        "--connections", str(readers),
        "--duration", f"{max(1, math.ceil(seconds))}s",
        "--timeout", f"{math.ceil(timeout)}s",
        "--script", str(SCRIPT),
        with_query(url, params),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "XUNCHA_BENCH_AUTHORIZATION": authorization},
    )  # fmt: skip
    out, err = await proc.communicate()
    lines = [ln for ln in out.decode().splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"wrk exited with {proc.returncode}: {(err or out).decode(errors='replace')[-500:]}"
        )
    return parse_report(json.loads(lines[-1]), timeout)


def parse_report(report: dict[str, int], timeout: float) -> Reads:
    """The readers' figures from the JSON line of ``wrk_report.lua`` (-1: a failed request's
    rank, put at the client's ``timeout``)."""

    def ms(us: int) -> float:
        return timeout * 1000 if us < 0 else us / 1000

    requests = report["answered"] + report["failed"]
    seconds = report["duration_us"] / 1e6
    return Reads(
        requests=requests,
        errors=report["status_errors"] + report["failed"],
        per_s=requests / seconds if seconds > 0 else 0.0,
        p50_ms=ms(report["p50_us"]),
        p99_ms=ms(report["p99_us"]),
    )
