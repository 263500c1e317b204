"""The dashboard in a real browser (Debian's chromium driven by Playwright) against the four
services running as real processes (their console scripts) on the real PostgreSQL and Kafka.

A petition submitted through intake's public API reaches the city/county overview without a
reload: intake's relay → Kafka → clues registers a clue → reporting's projection → the page
polls the projection version and redraws. A screenshot goes to test-artifacts/.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from xuncha_shared import auth
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

    tokens = await auth.create_demo_tokens(
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
