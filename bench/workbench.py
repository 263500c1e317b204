"""7. The workbench's first page in a cold browser, beside a static page of the same nginx.

The workbench (web/dist, built by ``deploy/local/web.sh build`` when needed) is served by an
nginx of the benchmark's own on a free port, its config rendered by ``deploy/local/nginx.sh
render`` from the template ``make up`` uses (gzip on, same headers), routing /api/v1/* to the
four services started as processes on scratch databases and topics (as in the dashboard
benchmark). Debian's chromium is launched afresh for every load: a new process with an empty
profile and cache (cold). Each load is timed from the navigation's start until the page is
usable:

- 登录: the sign-in page with its token field and 登录 button rendered;
- 总览: a county office's overview (token already held) with its linked-view row rendered,
  which takes /config.json, the shell, the page chunk, /api/v1/me and the linked view.

Baseline: the same cold browser loading ``/bench-baseline.html``, a static page served by the
same nginx, until its content is there. Loads alternate workbench/baseline; the figures are
the p50 of ``loads`` loads per side. Goal: usable in under 2 s. The built bundle's size (raw
and gzip, and what the first page transferred) goes into the result.
"""

from __future__ import annotations

import contextlib
import gzip
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xuncha_shared.auth import tokens as auth
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.settings import SERVICES

from bench.common import BenchResult, Env, Goal, Metric, params_dict, percentile
from bench.dashboard import _service_env, _Stack, scratch_deployment
from bench.nginx import DIST, REPO, serve_nginx

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COUNTY = "361002"  # 临川区
TOKEN_KEY = "xuncha.workbench.token"  # web/src/auth/session.ts
GOAL_MS = 2000.0


@dataclass(frozen=True)
class WorkbenchParams:
    loads: int = 7
    rounds: int = 1
    startup_timeout: float = 120.0
    #: one untimed load of each page first (nginx and the services warm)
    warmup: bool = True

    @classmethod
    def quick(cls) -> WorkbenchParams:
        # a smoke run: the timed loads are the same cold loads, so no warm-up is needed
        return cls(loads=1, warmup=False)


def bundle_size(dist: Path = DIST) -> dict[str, int]:
    """Bytes of the built workbench: every file, raw and gzip -9 (what nginx sends is gzip -5
    of the text files; -9 is the stable figure), and the largest JavaScript chunk."""
    raw = gz = js_raw = js_gz = largest = 0
    for path in sorted(p for p in dist.rglob("*") if p.is_file()):
        data = path.read_bytes()
        packed = len(gzip.compress(data, 9, mtime=0))
        raw, gz = raw + len(data), gz + packed
        if path.suffix == ".js":
            js_raw, js_gz = js_raw + len(data), js_gz + packed
            largest = max(largest, len(data))
    return {
        "bytes": raw,
        "gzip_bytes": gz,
        "js_bytes": js_raw,
        "js_gzip_bytes": js_gz,
        "largest_js_bytes": largest,
    }


# bytes the page transferred (navigation + every resource), from the Performance API
_TRANSFERRED_JS = """() => performance.getEntriesByType('navigation')
    .concat(performance.getEntriesByType('resource'))
    .reduce((n, e) => n + (e.transferSize || 0), 0)"""


async def _cold_load(pw: Any, url: str, ready: str, token: str | None) -> tuple[float, int]:
    """A fresh chromium (new process, empty profile): ms from navigation start until ``ready``
    is visible, and the bytes transferred by then."""
    browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        context = await browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
        if token:
            await context.add_init_script(f"window.localStorage.setItem({TOKEN_KEY!r}, {token!r});")
        page = await context.new_page()
        t0 = time.perf_counter()
        await page.goto(url, wait_until="commit")
        await page.wait_for_selector(ready, state="visible", timeout=60_000)
        ms = (time.perf_counter() - t0) * 1000
        transferred = int(await page.evaluate(_TRANSFERRED_JS))
        return ms, transferred
    finally:
        await browser.close()


async def run(env: Env, params: WorkbenchParams, log: Callable[[str], None] = print) -> BenchResult:
    from playwright.async_api import async_playwright

    started = time.perf_counter()
    subprocess.run([str(REPO / "deploy/local/web.sh"), "build"], check=True, cwd=REPO)
    size = bundle_size()
    log(f"workbench: bundle {size['bytes']:,} bytes, {size['gzip_bytes']:,} gzip")
    async with contextlib.AsyncExitStack() as stack:
        scratch = await scratch_deployment(stack, env, "workbench")
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
        principal = Principal(id="bench-county", role=Role.COUNTY_ADMIN, jurisdiction=COUNTY)
        token = await auth.create_token_in([d.url for d in dbs.values()], principal, "bench")
        base = stack.enter_context(serve_nginx({svc: [url] for svc, url in services.urls.items()}))
        pw = await stack.enter_async_context(async_playwright())
        log(f"workbench: services and nginx ready ({time.perf_counter() - started:.1f}s)")

        pages = {
            "signin": (f"{base}/login", "#sign-in", None),
            "overview": (f"{base}/overview", f"#linked-table tr.j-{COUNTY} [data-metric]", token),
        }
        baseline = (f"{base}/bench-baseline.html", "#ready", None)
        # one untimed load of each: nginx and the services warm (the browser stays cold)
        if params.warmup:
            for url, ready, tok in (*pages.values(), baseline):
                await _cold_load(pw, url, ready, tok)

        subject_rounds: dict[str, list[float]] = {k: [] for k in pages}
        baseline_rounds: list[float] = []
        transferred: dict[str, list[int]] = {k: [] for k in pages}
        for r in range(params.rounds):
            times: dict[str, list[float]] = {k: [] for k in pages}
            base_times: list[float] = []
            for i in range(params.loads):
                sides: list[tuple[str, Callable[[], Awaitable[tuple[float, int]]]]] = [
                    *(
                        (k, (lambda u=u, s=s, t=t: _cold_load(pw, u, s, t)))
                        for k, (u, s, t) in pages.items()
                    ),
                    ("baseline", lambda: _cold_load(pw, *baseline)),
                ]
                if i % 2:
                    sides.reverse()
                for name, load in sides:
                    ms, nbytes = await load()
                    if name == "baseline":
                        base_times.append(ms)
                    else:
                        times[name].append(ms)
                        transferred[name].append(nbytes)
            for k in pages:
                subject_rounds[k].append(percentile(sorted(times[k]), 50))
            baseline_rounds.append(percentile(sorted(base_times), 50))
            log(
                f"workbench round {r + 1}: "
                + ", ".join(f"{k} p50 {subject_rounds[k][-1]:.0f} ms" for k in pages)
                + f", static page p50 {baseline_rounds[-1]:.0f} ms"
            )

    labels = {
        "signin": "登录 page usable, cold browser, p50",
        "overview": "总览 usable (data shown), cold browser, p50",
    }
    metrics = [
        Metric(
            key=f"workbench_{k}_p50",
            label=labels[k],
            unit="ms",
            subject_rounds=subject_rounds[k],
            baseline_rounds=baseline_rounds,
            baseline_label="static page of the same nginx, cold browser, p50",
            goal=Goal("subject", "<", GOAL_MS),
            higher_is_better=False,
        )
        for k in pages
    ]
    info = {
        "bundle": size,
        "first_page_transferred_bytes": {
            k: int(statistics.median(v)) for k, v in transferred.items() if v
        },
        "loads_per_side": params.loads,
    }
    return BenchResult(
        name="workbench",
        title="Workbench first page (cold chromium) vs a static page",
        params=params_dict(params),
        metrics=metrics,
        info=info,
        seconds=time.perf_counter() - started,
    )
