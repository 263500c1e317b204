"""问题与报告 and 工作总结 in Debian's chromium (Playwright), driven by a county office against
the four services running as real processes behind an nginx of this module's own: a problem
recorded through the form, a report heard through the hearing dialog (点人点事), a consultation,
then the office summary showing those figures and its Chinese rendering. Screenshots go to
test-artifacts/workbench/ (findings-*.png, office-summary.png)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.clocks.clock import CST
from xuncha_shared.contracts.clues import clue_id_for_petition
from xuncha_shared.domain.principals import Principal, Role

from tests.e2e.stack import Running
from tests.support.workbench import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    choose,
    sign_in,
    workbench_nginx,
)

pytestmark = [pytest.mark.timeout(900)]

COUNTY = "361003"  # 东乡区: 区委, as the summary's wording checks


async def shot(page: Any, name: str) -> None:
    await page.wait_for_timeout(400)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
async def site(default_stack: Running) -> AsyncIterator[Any]:
    """The shared stack (tests/e2e/conftest.py); this module's office is 东乡区's, a district no
    other module sharing the stack touches: its problems, reports and summary are this
    module's."""
    running = default_stack
    office = Principal(id="e2e-dx", role=Role.COUNTY_ADMIN, jurisdiction=COUNTY)
    running.tokens["county"] = await create_token_in(running.databases.values(), office)
    with workbench_nginx(running.urls) as url:
        yield running, url


async def test_a_county_office_records_problems_hears_a_report_and_reads_its_summary(site: Any):
    running, url = site
    token = running.tokens["county"]
    auth = {"Authorization": f"Bearer {token}"}
    unit_name = f"东乡区测试局{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:
        # the unit and its round as intake plans them: the forms pick both, nothing is typed
        async def posted(path: str, body: dict[str, Any]) -> Any:
            resp = await http.post(path, json=body, headers=auth)
            assert resp.status_code in (200, 201), resp.text
            return resp.json()

        unit = {"jurisdiction": COUNTY, "name": unit_name, "kind": "county_department"}
        unit_id = (await posted("/api/v1/units", unit))["id"]
        term = {"jurisdiction": COUNTY, "term_no": 4, "starts_on": "2026-01-01"}
        await posted("/api/v1/term-plans", {**term, "ends_on": "2030-12-31", "unit_ids": [unit_id]})
        planned = {**term, "round_no": 1, "kind": "regular", "ends_on": "2026-12-31"}
        round_id = (await posted("/api/v1/rounds", planned))["id"]
        await posted(
            f"/api/v1/rounds/{round_id}/units", {"units": [{"unit_id": unit_id, "mode": "regular"}]}
        )
        resp = await http.post(
            "/api/v1/petitions",
            json={"jurisdiction": COUNTY, "unit": "东乡区某局", "channel": "letter",
                  "summary": "反映东乡区某局违规发放津补贴"},
            headers=auth,
        )  # fmt: skip
        assert resp.status_code == 201, resp.text
        clue_id = str(clue_id_for_petition(uuid.UUID(resp.json()["id"])))
        for _ in range(200):
            if (await http.get(f"/api/v1/clues/{clue_id}", headers=auth)).status_code == 200:
                break
            await asyncio.sleep(0.3)
        seeded = await http.post(
            "/api/v1/problems",
            json={"round_id": round_id, "unit_id": unit_id, "title": "选人用人把关不严",
                  "topics": ["选人用人"], "pointed": True},
            headers=auth,
        )  # fmt: skip
        assert seeded.status_code == 201, seeded.text

    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
            )
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await sign_in(page, url, token)
            await page.goto(f"{url}/findings")
            await page.wait_for_selector("#problem-form")
            # a problem through the form: an empty title is refused in the form, nothing sent
            await choose(page, "p-round", "东乡区第4届第1轮")
            await choose(page, "p-unit", unit_name)
            await page.click("#p-submit")
            await page.wait_for_selector("text=请填写问题")
            await page.fill("#p-title", "“三重一大”事项未经集体研究决定")
            await page.click("#p-submit")
            await page.wait_for_selector("#problem-table >> text=“三重一大”事项未经集体研究决定")
            assert await page.inner_text("#pl-count") == "共 2 个问题，其中点人点事 1 个"
            # only the pointed ones: the list and its count narrowed, the whole still counted
            await page.locator(".el-checkbox:has(#pl-pointed)").click()
            await page.wait_for_selector("#pl-count >> text=符合条件 1 个")
            rows = page.locator("#problem-table .el-table__body-wrapper tr")
            assert await rows.count() == 1
            assert "选人用人把关不严" in await rows.first.inner_text()
            await page.locator(".el-checkbox:has(#pl-pointed)").click()
            await page.wait_for_function(
                "document.querySelectorAll('#problem-table .el-table__body-wrapper tr').length == 2"
            )
            await shot(page, "findings-problems")

            # a unit report of both problems, then the secretary meeting hears it
            await page.click("#tab-reports")
            await choose(page, "r-round", "东乡区第4届第1轮")
            await choose(page, "r-unit", unit_name)
            await page.locator(".el-select:has(#r-problems)").click()
            options = page.locator(".el-select-dropdown__item:visible")
            await options.first.wait_for()
            for title in ("选人用人把关不严", "“三重一大”事项未经集体研究决定"):
                await options.filter(has_text=title).click()
            await page.keyboard.press("Escape")
            await shot(page, "findings-report-form")
            await page.click("#r-submit")
            await page.wait_for_selector("#report-table >> text=分报告")
            async with httpx.AsyncClient(base_url=url, timeout=20) as http:
                listed = (await http.get("/api/v1/inspection-reports", headers=auth)).json()
            assert [len(r["problem_ids"]) for r in listed["items"]] == [2]
            await page.locator(".hear-button").first.click()
            await page.wait_for_selector("#hearing-form")
            await page.locator(".el-select:has(#h-pointed)").click()
            await page.locator(
                ".el-select-dropdown__item:visible", has_text="选人用人把关不严"
            ).click()
            # the pick shows in the field before the list is closed (a busy machine is slower)
            picked = page.locator(".el-select:has(#h-pointed) .el-tag", has_text="选人用人把关不严")
            await picked.wait_for()
            await page.keyboard.press("Escape")
            await page.fill("#h-decisions", "全面接受反馈意见；点人点事问题由区委巡察办督办")
            await page.click("#h-submit")
            await page.wait_for_selector("#report-table >> text=书记专题会")
            await page.wait_for_selector("#report-table >> text=点人点事 1 项")
            await shot(page, "findings-reports")

            # a consultation on the clue
            await page.click("#tab-consultations")
            await page.locator(".el-select:has(#c-clues)").click()
            await page.locator(".el-select-dropdown__item:visible").first.click()
            await page.keyboard.press("Escape")
            await page.locator(".el-select:has(#c-participants)").click()
            await page.locator("#c-participants").fill("区委巡察办主任")
            await page.keyboard.press("Enter")
            # the next name typed is a name of its own (the first is not kept in the box)
            await page.locator("#c-participants").type("第一巡察组组长")
            await page.keyboard.press("Enter")
            await page.keyboard.press("Escape")
            tags = page.locator(".el-select:has(#c-participants) .el-tag .el-select__tags-text")
            assert await tags.all_inner_texts() == ["区委巡察办主任", "第一巡察组组长"]
            await page.fill("#c-decision", "线索即时移交区纪委监委")
            await page.click("#c-submit")
            await page.wait_for_selector("#consultation-table >> text=线索即时移交区纪委监委")
            await shot(page, "findings-consultations")

            # the office summary follows through Kafka
            await page.goto(f"{url}/office-summary")
            for _ in range(60):
                text = await page.locator("#os-rendering").inner_text()
                if "1次向区委书记专题会汇报" in text and "开展即时会商1次" in text:
                    break
                await page.wait_for_timeout(1000)
                await page.click("text=刷新")
            assert "1次向区委书记专题会汇报巡察工作综合情况" in text
            assert "发现问题2个" in text
            assert "点人点事问题1项" in text
            await shot(page, "office-summary")
            assert errors == []

            # 组织部's feed names a problem's unit as intake registered it (the problem event
            # names it by id only), under its own label, in a table that fits a 1280 px screen
            unit_name = f"东乡区组织测试局{uuid.uuid4().hex[:6]}"  # a unit the round does not list
            async with httpx.AsyncClient(base_url=url, timeout=20) as http:
                unit = {"jurisdiction": COUNTY, "name": unit_name, "kind": "county_department"}
                resp = await http.post("/api/v1/units", json=unit, headers=auth)
                assert resp.status_code == 201, resp.text
                found = {"round_id": round_id, "unit_id": resp.json()["id"],
                         "title": "民主集中制执行不到位", "topics": ["民主集中制"]}  # fmt: skip
                resp = await http.post("/api/v1/problems", json=found, headers=auth)
                assert resp.status_code == 201, resp.text
            context = await browser.new_context(
                viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
            )
            city = await context.new_page()
            city.on("pageerror", lambda exc: errors.append(str(exc)))
            await sign_in(city, url, running.tokens["city"])
            await city.goto(f"{url}/feeds")
            await city.locator(".el-select:has(#fd-department)").click()
            await city.locator(".el-select-dropdown__item:visible", has_text="组织部").click()
            await city.locator(".el-select-dropdown__item", has_text="纪委监委").wait_for(
                state="hidden"
            )
            await city.locator(".el-select:has(#fd-kind)").click()
            await city.locator(".el-select-dropdown__item:visible", has_text="发现问题").wait_for()
            kinds = await city.locator(".el-select-dropdown__item:visible").all_inner_texts()
            assert kinds == [
                "移交线索",
                "催办",
                "反馈问题",
                "发现问题",
                "巡察干部评价",
                "负面信息档案",
                "纳入后备干部库",
                "移出后备干部库",
            ]
            await city.keyboard.press("Escape")
            row = city.locator("#feed-table .el-table__body-wrapper tr", has_text=unit_name)
            for _ in range(60):
                await city.fill("#fd-unit", unit_name)  # filtered on the name shown
                await city.wait_for_timeout(800)
                if await row.count():
                    break
                await city.fill("#fd-unit", "")
            cells = await row.first.locator("td").all_inner_texts()
            assert cells[1:4] == ["发现问题", "东乡区", unit_name], cells
            assert "民主集中制执行不到位" in cells[4]
            fits = await city.evaluate(
                """() => { const w = document.querySelector('#feed-table .el-table__body-wrapper');
                           const t = w.querySelector('table.el-table__body');
                           return t.getBoundingClientRect().width <= w.clientWidth + 1; }"""
            )
            assert fits, "the feed's table overflows its area at 1280 px"
            await shot(city, "feeds-organisation")
            # 发现问题 across the city, narrowed to one area and the year it was recorded in
            await city.goto(f"{url}/findings")
            await city.locator("#pl-count", has_text="共").wait_for()
            await city.locator(".el-select:has(#pl-jurisdiction)").click()
            await city.locator(".el-select-dropdown__item:visible", has_text="东乡区").click()
            await city.locator("#problem-table .el-table__body tr").first.wait_for()
            await city.locator(".el-select:has(#pl-year)").click()
            year = str(datetime.now(CST).year)
            await city.locator(".el-select-dropdown__item:visible", has_text=f"{year}年").click()
            rows = city.locator("#problem-table .el-table__body tr")
            await rows.first.wait_for()
            areas = await city.locator(
                "#problem-table .el-table__body tr td:nth-child(2)"
            ).all_inner_texts()
            assert set(areas) == {"东乡区"}, areas
            await city.locator(".el-select:has(#pl-unit)").click()
            await city.locator(".el-select-dropdown__item:visible", has_text=unit_name).click()
            await city.locator("#problem-table .el-table__body tr", has_text=unit_name).wait_for()
            assert "民主集中制执行不到位" in await city.locator("#problem-table").inner_text()
            assert errors == []
        finally:
            await browser.close()
