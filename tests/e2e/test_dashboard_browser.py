"""The dashboard in a real browser (Debian's chromium driven by Playwright) against the four
services running as real processes (their console scripts) on the real PostgreSQL and Kafka.

A petition submitted through intake's public API reaches the city/county overview without a
reload: intake's relay → Kafka → clues registers a clue → reporting's projection → the page
polls the projection version and redraws. A screenshot goes to test-artifacts/.

Clicking a county row opens its rectification ledger (整改台账); an auditor replays the overview
as it was at a past moment (时间回溯) and returns to the live view.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from xuncha_shared.auth.demo import create_demo_tokens
from xuncha_shared.settings import SERVICES

from tests.e2e.stack import (
    INFORMANT_NAME,
    INFORMANT_PHONE,
    LINCHUAN,
    Running,
    service_stack,
    submit_petition,
)

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
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

pytestmark = [
    pytest.mark.timeout(600),
]


@pytest.fixture(scope="module")
async def running(infra, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    async with service_stack(infra, tmp_path_factory.mktemp("service-logs")) as stack:
        yield stack


async def test_dashboard_shows_a_new_petition_without_reloading(running: Running):
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    cell = 'tr[data-jurisdiction="361002"] td[data-metric="{metric}"]'
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(
                viewport={"width": 1600, "height": 1200},
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
            )
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(f"{running.urls['reporting']}/?token={running.tokens['city']}")
            await page.wait_for_selector(cell.format(metric="petitions_received"))
            assert "抚州市巡察工作上下联动平台" in await page.title()
            assert "token=" not in page.url  # the token is moved to localStorage
            header = await page.locator("h1").inner_text()
            assert header == "抚州市巡察工作上下联动平台"
            assert await page.locator("#linked-table tbody tr").count() == 13  # 合计, 市本级, 11
            before = int(await page.locator(cell.format(metric="petitions_received")).inner_text())
            clues_before = int(
                await page.locator(cell.format(metric="clues_registered")).inner_text()
            )
            navigations: list[str] = []
            page.on("framenavigated", lambda frame: navigations.append(frame.url))

            await submit_petition(running, "反映临川区××镇村干部在低保评定中优亲厚友。")

            # the row changes by itself: the page polls /api/v1/views/version every 2 s
            await page.wait_for_function(
                """([sel, want]) => {
                    const td = document.querySelector(sel);
                    return td && Number(td.textContent) >= want;
                }""",
                arg=[cell.format(metric="petitions_received"), before + 1],
                timeout=60_000,
            )
            # ... and the clue the clues service registered for it arrives too
            await page.wait_for_function(
                """([sel, want]) => {
                    const td = document.querySelector(sel);
                    return td && Number(td.textContent) >= want;
                }""",
                arg=[cell.format(metric="clues_registered"), clues_before + 1],
                timeout=60_000,
            )
            assert navigations == []  # no reload happened
            await page.wait_for_timeout(500)
            await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

            html = await page.content()
            assert INFORMANT_NAME not in html and INFORMANT_PHONE not in html
            assert errors == []
        finally:
            await browser.close()


async def test_demo_load_through_the_public_apis_then_the_dashboard(running: Running):
    """``xuncha demo load`` against the running services; the dashboard then shows 抚州市 with
    its 11 counties, the department feeds and the 演示数据 badge; a second load is skipped."""
    from playwright.async_api import async_playwright
    from xuncha_shared.cli.demo import Endpoints, build_plan, load_demo

    tokens = await create_demo_tokens(
        list(running.databases.values()), city="361000", county=LINCHUAN
    )
    endpoints = Endpoints(**running.urls)
    summary = await load_demo(endpoints, tokens)
    plan = build_plan()
    assert not summary.skipped
    assert summary.petitions == len(plan.petitions) >= 150
    assert summary.transferred == 52
    assert summary.escalated == sum(1 for p in plan.petitions if p.needs_escalation) > 0
    assert summary.issues == sum(len(f.issues) for f in plan.feedbacks)
    city = summary.linked["city"]
    assert summary.linked["demo"] is True
    assert city["petitions_received"] >= summary.petitions
    assert city["clues_registered"] >= summary.petitions
    assert city["clues_transferred"] >= 52
    assert 0.5 < city["completion_rate"] < 0.95
    # step 7 (cli/demo/findings.py): the city's hearings are the seed's 11 / 3, 42 pointed
    findings = summary.findings
    assert findings.hearings["standing_committee"] == 11 + 11  # the city's 11, one per county
    assert findings.hearings["secretary_meeting"] == 3 + 11
    assert findings.consultations >= 6
    office: dict[str, Any] = {}
    async with httpx.AsyncClient() as http:
        for _ in range(120):  # the projection follows through Kafka
            resp = await http.get(
                f"{running.urls['reporting']}/api/v1/views/office-summary",
                headers={"Authorization": f"Bearer {tokens['city_admin']}"},
            )
            assert resp.status_code == 200, resp.text
            office = resp.json()
            if office["pointed"]["problems"] == 42:
                break
            await asyncio.sleep(0.5)
    assert office["hearings"]["by_meeting"]["standing_committee"] == 11
    assert office["hearings"]["by_meeting"]["secretary_meeting"] == 3
    assert office["pointed"]["problems"] == 42
    assert "11次向市委常委会汇报巡察工作" in office["rendering_zh"]
    again = await load_demo(endpoints, tokens)
    assert again.skipped

    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(
                viewport={"width": 1600, "height": 1200},
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
            )
            await page.goto(f"{running.urls['reporting']}/?token={tokens['city_admin']}")
            await page.wait_for_selector("#demo-badge:not([hidden])")
            await page.wait_for_selector("#feed-table tbody tr[data-item]")
            await page.wait_for_timeout(800)
            await page.screenshot(path=str(ARTIFACTS / "dashboard-demo.png"), full_page=True)
            html = await page.content()
            for p in plan.petitions:
                if p.informant:
                    assert p.informant["name"] not in html
                    assert p.informant["phone"] not in html
            # the discipline commission sees its own feed only, with 签收 buttons
            context = await browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
            dept = await context.new_page()
            await dept.goto(f"{running.urls['reporting']}/?token={tokens['department']}")
            await dept.wait_for_selector("#feed-table tbody tr[data-item]")
            assert await dept.locator("#dept-tabs .tab").count() == 1
            assert await dept.locator("#overview").is_hidden()
            acked = await dept.locator(".state.done").count()
            assert acked >= summary.acknowledged > 0
            await dept.locator(".btn-small").first.click()
            await dept.wait_for_function(
                "n => document.querySelectorAll('.state.done').length > n", arg=acked
            )
            await dept.screenshot(path=str(ARTIFACTS / "dashboard-department.png"))
        finally:
            await browser.close()


async def test_rebuild_after_the_demo_equals_the_live_projection(running: Running):
    """``xuncha projections rebuild`` over the histories the real services wrote (petitions,
    clues registered by the clues consumer, escalations, transfers, issues, reports, acks)."""
    import asyncpg
    from xuncha_reporting.rebuild import rebuild_projections
    from xuncha_reporting.settings import PROJECTION_CONSUMER
    from xuncha_shared.settings import Settings

    async def consumed_all() -> bool:
        wanted: set[object] = set()
        for service in SERVICES:
            conn = await asyncpg.connect(running.admin_database_url(service))
            try:
                wanted |= {r["event_id"] for r in await conn.fetch("SELECT event_id FROM events")}
                if service == "reporting":
                    seen = {
                        r["event_id"]
                        for r in await conn.fetch(
                            "SELECT event_id FROM inbox WHERE consumer = $1", PROJECTION_CONSUMER
                        )
                    }
            finally:
                await conn.close()
        return wanted <= seen

    deadline = asyncio.get_running_loop().time() + 120
    while not await consumed_all():
        assert asyncio.get_running_loop().time() < deadline, "projection did not catch up"
        await asyncio.sleep(0.5)
    settings = Settings(
        service="reporting", pg_admin_url=running.pg_admin_url, db_name_prefix=running.db_prefix
    )
    report = await rebuild_projections(settings)
    assert report.read["intake"] > 200 and report.read["reporting"] > 0
    assert not report.skipped
    assert report.identical, [d for d in report.diffs if not d.equal]
    assert report.meta_rebuilt == report.meta_live


async def test_login_form_and_a_county_office_sees_only_its_county(running: Running):
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(locale="zh-CN", timezone_id="Asia/Shanghai")
            await page.goto(running.urls["reporting"] + "/")
            await page.wait_for_selector("#login:not([hidden])")
            await page.fill("#token-input", "xc_" + "A" * 43)
            await page.click("#login-form button[type=submit]")
            await page.wait_for_selector("#login-error:not([hidden])")
            assert "令牌无效" in await page.locator("#login-error").inner_text()
            await page.fill("#token-input", running.tokens["linchuan"])
            await page.click("#login-form button[type=submit]")
            await page.wait_for_selector('tr[data-jurisdiction="361002"]')
            rows = page.locator("#linked-table tbody tr")
            assert await rows.count() == 1
            assert await page.locator("#feeds").is_hidden()  # no department feeds for a county
            assert "临川区" in await page.locator("#whoami").inner_text()
            # the token survives a reload (localStorage); 切换令牌 forgets it
            await page.reload()
            await page.wait_for_selector('tr[data-jurisdiction="361002"]')
            await page.click("#logout")
            await page.wait_for_selector("#login:not([hidden])")
            assert await page.evaluate("localStorage.getItem('xuncha.token')") is None
        finally:
            await browser.close()


# ---- 整改台账 and 时间回溯 -----------------------------------------------------------------

LEDGER_UNIT = "临川区水利局"


async def _post(running: Running, service: str, path: str, body: dict[str, Any], token: str) -> Any:
    async with httpx.AsyncClient(base_url=running.urls[service], timeout=20) as client:
        resp = await client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code in (200, 201), f"{service} {path}: {resp.status_code} {resp.text}"
    return resp.json()


async def _report(running: Running, issue_id: str, kind: str, percent: int, done: bool) -> None:
    await _post(
        running,
        "rectification",
        f"/api/v1/rectifications/{issue_id}/reports",
        {
            "kind": kind,
            "progress_percent": percent,
            "completed": done,
            "note": f"整改进度 {percent}%",
        },
        running.tokens["linchuan"],
    )


async def _live_ledger(running: Running, token: str, unit: str) -> dict[str, Any] | None:
    async with httpx.AsyncClient(base_url=running.urls["reporting"], timeout=10) as client:
        resp = await client.get(
            "/api/v1/views/ledger",
            params={"jurisdiction": LINCHUAN, "unit": unit},
            headers={"Authorization": f"Bearer {token}"},
        )
    if resp.status_code == 404:
        return None
    assert resp.status_code == 200, resp.text
    doc: dict[str, Any] = resp.json()
    return doc


async def _until(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)


async def test_ledger_panel_and_time_travel_for_the_auditor(running: Running) -> None:
    """The city office opens 临川区's 整改台账 from the linked view and one unit's ledger (kept up
    to date by the polling); the auditor replays the overview as of 2020 (all zeros, marked as
    historical, left alone by the polling) and returns to the live view; only auditors get the
    时间回溯 form. Its own data goes in through the public APIs (no dependence on the demo)."""
    from playwright.async_api import Page, async_playwright

    tokens = await create_demo_tokens(
        list(running.databases.values()), city="361000", county=LINCHUAN
    )
    created = await _post(
        running,
        "rectification",
        "/api/v1/feedbacks",
        {
            "jurisdiction": LINCHUAN,
            "unit": LEDGER_UNIT,
            "issues": [
                {"description": "河道采砂监管不到位", "rect_type": "time_bound"},
                {"description": "水利工程项目资金拨付滞后", "rect_type": "long_term"},
            ],
        },
        running.tokens["linchuan"],
    )
    first, second = (str(i) for i in created["issue_ids"])
    await _report(running, first, "formal", 100, True)

    async def ledger_ready() -> bool:
        doc = await _live_ledger(running, tokens["city_admin"], LEDGER_UNIT)
        return doc is not None and doc["reports_total"] >= 1 and doc["completed"] >= 1

    await _until(ledger_ready, "the unit's ledger in reporting")
    ledger = await _live_ledger(running, tokens["city_admin"], LEDGER_UNIT)
    assert ledger is not None
    cell = 'tr[data-jurisdiction="361002"] td[data-metric="{metric}"]'
    unit_button = f'#ledger-units button[data-unit="{LEDGER_UNIT}"]'

    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []

    async def open_page(token: str) -> Page:
        page = await browser.new_page(  # a context of its own: its own localStorage
            viewport={"width": 1600, "height": 1200}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(  # nothing the page does may be blocked by its Content-Security-Policy
            "console",
            lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
        )
        await page.goto(f"{running.urls['reporting']}/?token={token}")
        return page

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # ---- the city office: 临川区 → its units → one unit's ledger ----
            city = await open_page(tokens["city_admin"])
            await city.wait_for_selector(cell.format(metric="issues_fed_back"))
            assert await city.locator("#replay-bar").is_hidden()  # not an auditor: no 时间回溯
            assert await city.locator("#ledger").is_hidden()
            await city.click('tr[data-jurisdiction="361002"]')
            await city.wait_for_selector(unit_button)
            assert await city.locator("#ledger-title").inner_text() == "整改台账 · 临川区"
            assert await city.locator('tr[data-jurisdiction="361002"].selected').count() == 1
            count = city.locator(f"{unit_button} .count")
            assert int(await count.inner_text()) == ledger["issues_total"]
            await city.click(unit_button)
            rows = city.locator("#ledger-table tbody tr[data-issue]")
            await city.wait_for_selector("#ledger-table tbody tr[data-issue]")
            assert await rows.count() == ledger["issues_total"]
            done = city.locator(f'#ledger-table tr[data-issue="{first}"]')
            assert await done.locator(".status").inner_text() == "已完成"
            assert await done.locator(".status.s-completed").count() == 1
            assert await done.locator('td[data-field="reports"]').inner_text() == "1"
            open_issue = city.locator(f'#ledger-table tr[data-issue="{second}"]')
            assert await open_issue.locator(".status").inner_text() == "整改中"
            assert "尚无整改报告" in await open_issue.inner_text()
            summary = await city.locator("#ledger-summary").inner_text()
            assert LEDGER_UNIT in summary and "整改完成率" in summary and "逾期" in summary
            for status in ("in_progress", "completed", "overdue"):
                chip = city.locator(f"#ledger-summary .chip.s-{status} b")
                assert await chip.inner_text() == str(ledger[status]), status

            # a new report reaches the open ledger with the rest of the page (no click)
            await _report(running, second, "progress", 40, False)
            await city.wait_for_function(
                """sel => {
                    const td = document.querySelector(sel);
                    return td && td.textContent === "1";
                }""",
                arg=f'#ledger-table tr[data-issue="{second}"] td[data-field="reports"]',
                timeout=60_000,
            )
            assert "40%" in await open_issue.locator(".latest").inner_text()
            await city.wait_for_timeout(300)
            await city.screenshot(path=str(ARTIFACTS / "dashboard-ledger.png"), full_page=True)

            # 市本级 opens the city's own units; 收起 closes the panel
            await city.click('tr[data-jurisdiction="own"]')
            await city.wait_for_function(
                "() => document.querySelector('#ledger-title').textContent === '整改台账 · 市本级'"
                " && document.querySelector('#ledger-units-count').textContent.startsWith('共')"
            )
            await city.click("#ledger-close")
            assert await city.locator("#ledger").is_hidden()

            # ---- the county office: its own county only, and its ledger ----
            county = await open_page(tokens["county_admin"])
            await county.wait_for_selector('tr[data-jurisdiction="361002"]')
            assert await county.locator("#linked-table tbody tr").count() == 1
            assert await county.locator("#replay-bar").is_hidden()
            await county.click('tr[data-jurisdiction="361002"]')
            await county.wait_for_selector(unit_button)

            # ---- the auditor: 时间回溯 to before any data, then back to the live view ----
            auditor = await open_page(tokens["auditor"])
            await auditor.wait_for_selector("#replay-bar:not([hidden])")
            await auditor.wait_for_selector(cell.format(metric="issues_fed_back"))
            live_issues = int(
                await auditor.locator(cell.format(metric="issues_fed_back")).inner_text()
            )
            assert live_issues >= 2
            await auditor.fill("#replay-at", "2020-01-01T00:00")
            await auditor.click("#replay-submit")
            await auditor.wait_for_selector("#history-banner:not([hidden])", timeout=120_000)
            banner = await auditor.locator("#history-banner").inner_text()
            assert "历史视图：截至 2020-01-01 00:00（北京时间）" in banner
            assert "返回实时" in banner
            values = await auditor.locator("#linked-table tbody td[data-metric]").all_inner_texts()
            numbers = [v for v in values if not v.endswith("%") and v != "—"]
            assert len(numbers) == 13 * 6 and set(numbers) == {"0"}, values
            assert set(await auditor.locator(".kpi .value").all_inner_texts()) <= {
                "0件",
                "0个",
                "0份",
                "—",
            }

            # live changes do not replace the historical table; its rows open no ledger
            version = await auditor.locator("#version").inner_text()
            await _report(running, second, "progress", 60, False)
            await auditor.wait_for_function(
                "v => document.querySelector('#version').textContent !== v",
                arg=version,
                timeout=60_000,
            )
            await auditor.wait_for_timeout(300)
            assert await auditor.locator(cell.format(metric="issues_fed_back")).inner_text() == "0"
            assert await auditor.locator("#history-banner").is_visible()
            await auditor.click('tr[data-jurisdiction="361002"]')
            assert await auditor.locator("#ledger").is_hidden()

            # a moment in the future: the server's 422 detail, in a Chinese sentence
            await auditor.fill("#replay-at", "2099-01-01T00:00")
            await auditor.click("#replay-submit")
            await auditor.wait_for_selector("#replay-error:not([hidden])", timeout=60_000)
            message = await auditor.locator("#replay-error").inner_text()
            assert "所选时间晚于当前时间" in message and "in the future" in message, message
            assert await auditor.locator("#history-banner").is_visible()
            await auditor.screenshot(path=str(ARTIFACTS / "dashboard-replay.png"), full_page=True)

            await auditor.click("#history-exit")
            await auditor.wait_for_selector("#history-banner", state="hidden")
            await auditor.wait_for_function(
                """([sel, want]) => {
                    const td = document.querySelector(sel);
                    return td && Number(td.textContent) >= want;
                }""",
                arg=[cell.format(metric="issues_fed_back"), live_issues],
                timeout=30_000,
            )
            assert await auditor.locator("#overview.historical").count() == 0
            # back live, the rows open the ledger again
            await auditor.click('tr[data-jurisdiction="361002"]')
            await auditor.wait_for_selector(unit_button)
            assert errors == []
        finally:
            await browser.close()
