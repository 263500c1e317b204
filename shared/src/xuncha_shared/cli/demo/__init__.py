"""``xuncha demo load``: demo data through the public HTTP APIs only.

Shaped after the figures of the seeds (docs: domain.md section 5), all of it **synthetic** (the
dashboard shows 演示数据): the city 抚州市 and its 11 counties; round 7 of the 4th-term city
committee with 4 city inspection groups; petitions (来信、来电、来访、网络举报) spread over the
city and the counties, some real-name (the informant is encrypted by intake); every petition
becomes a clue automatically (clues service); clues are classified, those on 市管干部 escalated
to the city office, 52 transferred to the departments by the Art. 28 route (000:L40: 移交问题线索
52件); round 5's 289 problems fed back to its 9 city units, 30–33 each (000:L40), and to one
unit per county; rectification reports with ≈ 90 % completion for the older feedbacks (000:L46:
10 / 11), most verified and closed out; revisits (回头看) of three of those city units, one issue
reopened (改了再犯), and a common-problem list of 19 problems in 5 aspects (000:L39) with some
units' self-checks (未巡先改); four more clues a group registered and its office transferred to
纪委监委 on paper four to five months ago, entered with those days (补录, R26, ``paper_transfers``),
whose 3-month result clocks fire overdue on the first ticks. Units are real kinds of bodies;
townships and villages are anonymised the way the seeds do it (××镇). Deterministic (seeded);
safe to run twice (skips when demo data is present).

Tokens come from ``<state dir>/demo-tokens.json`` (``make up`` / ``xuncha tokens demo``).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import typer

from xuncha_shared.cli.common import console, fail, progress_bars
from xuncha_shared.cli.demo.client import (
    DEMO_TOKENS_FILE,
    DemoClient,
    DemoError,
    Endpoints,
    load_tokens,
    state_dir,
)
from xuncha_shared.cli.demo.data import DEFAULT_SEED
from xuncha_shared.cli.demo.loader import LoadSummary, load_demo
from xuncha_shared.cli.demo.plan import DemoPlan, build_plan, report_steps
from xuncha_shared.domain.percent import percent_text
from xuncha_shared.settings import DEFAULT_PORTS

__all__ = [
    "DEFAULT_SEED",
    "DemoClient",
    "DemoError",
    "DemoPlan",
    "Endpoints",
    "LoadSummary",
    "app",
    "build_plan",
    "load_demo",
    "load_tokens",
    "report_steps",
    "state_dir",
]

app = typer.Typer(help="Demo data (synthetic, through the public APIs).", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Demo data (synthetic, through the public APIs)."""


def _default_url(service: str) -> str:
    return f"http://127.0.0.1:{DEFAULT_PORTS[service]}"


@app.command()
def load(
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="random seed (same seed, same data)"),
    force: bool = typer.Option(False, "--force", help="load even if demo data is present"),
    tokens_file: Path | None = typer.Option(
        None, "--tokens", help=f"demo tokens JSON (default: <state dir>/{DEMO_TOKENS_FILE})"
    ),
    intake_url: str = typer.Option(
        _default_url("intake"), "--intake-url", envvar="XUNCHA_DEMO_INTAKE_URL"
    ),
    clues_url: str = typer.Option(
        _default_url("clues"), "--clues-url", envvar="XUNCHA_DEMO_CLUES_URL"
    ),
    rectification_url: str = typer.Option(
        _default_url("rectification"),
        "--rectification-url",
        envvar="XUNCHA_DEMO_RECTIFICATION_URL",
    ),
    reporting_url: str = typer.Option(
        _default_url("reporting"), "--reporting-url", envvar="XUNCHA_DEMO_REPORTING_URL"
    ),
) -> None:
    """Load synthetic demo data (抚州市 and its 11 counties) through the public HTTP APIs."""
    try:
        tokens = load_tokens(tokens_file)
    except DemoError as exc:
        raise fail(str(exc)) from None
    endpoints = Endpoints(
        intake=intake_url.rstrip("/"),
        clues=clues_url.rstrip("/"),
        rectification=rectification_url.rstrip("/"),
        reporting=reporting_url.rstrip("/"),
    )
    started = time.monotonic()
    with progress_bars(console) as progress:
        try:
            summary = asyncio.run(
                load_demo(endpoints, tokens, seed=seed, force=force, progress=progress)
            )
        except DemoError as exc:
            raise fail(str(exc), code=1) from None
    city = summary.linked.get("city") or {}
    if summary.skipped:
        console.print(
            f"demo data already present ({city.get('petitions_received')} petitions in the "
            "linked view): nothing loaded (use --force to load again)"
        )
        return
    console.print(
        f"[green]demo data loaded[/green] in {time.monotonic() - started:.0f}s: "
        f"{summary.petitions} petitions ({summary.with_informant} real-name, encrypted by intake), "
        f"{summary.classified} clues classified, {summary.escalated} escalated to 市委巡察办, "
        f"{summary.transferred} transferred, {summary.feedbacks} feedbacks with "
        f"{summary.issues} problems, {summary.plans} rectification plans approved "
        f"({summary.tasks.completed} tasks reported done, {summary.tasks.closed_out} closed "
        f"out, {summary.tasks.returned} returned), "
        f"{summary.reports} rectification reports, "
        f"{summary.acknowledged} items signed for by 纪委监委; {summary.verified} clues "
        f"verified, {summary.acknowledged_clues} acknowledged and {summary.results} results "
        f"reported by 纪委监委, {summary.disposed} closed (办结), {len(summary.paper_transfers)} "
        "transferred on paper months ago (补录: their R3 runs overdue); "
        f"{summary.findings.problems} "
        f"problems ({summary.findings.pointed} 点人点事), {summary.findings.reports} inspection "
        f"reports, hearings {summary.findings.hearings}, {summary.findings.consultations} "
        f"consultations; {summary.county_oversight} county oversight records (R29), "
        f"{summary.publications} publications (两公开, R5), "
        f"{summary.cadre_opinions} requests for opinions on cadres (R4)"
    )
    v = summary.revisits
    console.print(
        f"回头看 {v.revisits} ({v.with_findings} with findings: {v.checked} issues checked, "
        f"{len(v.reopened)} reopened, {v.new_problems} new problems); {v.common_lists} "
        f"common-problem list of {v.common_items} problems, {v.self_checks} self-checks, "
        f"{v.urged} units chased for theirs"
    )
    if summary.rounds is not None:
        r = summary.rounds
        cover = r.coverage.get("city") or {}
        console.print(
            f"term 4: {r.units} units, {r.members} pool members ({r.recusals} recusals), "
            f"{r.groups} groups, {r.stationings} stationings, {r.records} records, "
            f"{r.petitions} petitions by groups, {r.counterpart_reports} counterpart reports, "
            f"{r.reserve_cadres} inspectors put into the reserve pool; "
            f"coverage 抚州市 {cover.get('inspected')}/{cover.get('planned')} = {cover.get('rate')}"
        )
    if city:
        rate = city.get("completion_rate")
        console.print(
            f"linked view 抚州市: 信访举报 {city['petitions_received']}, 线索登记 "
            f"{city['clues_registered']}, 移交 {city['clues_transferred']}, 上报 "
            f"{city['clues_escalated']}, 反馈问题 {city['issues_fed_back']}, 整改报告 "
            f"{city['rectification_reports']}, 整改完成率 "
            f"{'—' if rate is None else percent_text(rate)}"
        )
