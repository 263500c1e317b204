"""The inspected unit's own work in the workbench (Debian's chromium, Playwright), against the
four services as real processes behind an nginx of this module's own: the office feeds the
problem back in its form, the round and the unit picked from intake's (R16 refuses it before
the hearing unless marked 边巡边改, and the form says so); the unit signs in with its
own token, sees only its own issues (the report drawer says a report may come before the
plan, 立行立改) and fills in its plan with the three lists for its round, named as intake planned
it (临川区第4届第5轮巡察, learnt through Kafka by ``rectification.rounds``), a task added and
one removed; the office returns it, the unit sees the reason and its form filled in again,
amends and resubmits it; the office approves the plan on its 方案审核 tab, which names the round
too; the unit then reports done with an uploaded PDF as evidence, and the office's 整改督办与销号
page shows the board with the evidence link; after a rejected verification the unit reports one
task of the plan done in its drawer and the office closes it out on the board (对账销号).
Screenshots go to test-artifacts/workbench/.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from xuncha_shared.auth import tokens as auth
from xuncha_shared.contracts.intake import unit_id_for
from xuncha_shared.domain.principals import Principal, Role

from tests.e2e.stack import LINCHUAN, Running
from tests.support.workbench import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    MENUS,
    choose,
    menu_names,
    pick_day,
    sign_in,
    toggle,
    workbench_nginx,
)

pytestmark = [pytest.mark.timeout(900)]

UNIT_NAME = "临川区某局（浏览器测试）"
UNIT = unit_id_for(LINCHUAN, UNIT_NAME)  # as intake registers it
ROUND_NAME = "临川区第4届第5轮巡察"


async def until(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)


@pytest.fixture(scope="module")
async def site(default_stack: Running) -> AsyncIterator[Any]:
    running = default_stack  # the shared stack (tests/e2e/conftest.py)
    tokens = dict(running.tokens)
    unit = Principal(id="e2e-unit", role=Role.INSPECTED_UNIT, jurisdiction=LINCHUAN, unit_id=UNIT)
    tokens["unit"] = await auth.create_token_in(running.databases.values(), unit)
    with workbench_nginx(running.urls) as url:
        yield url, tokens


async def call(url: str, token: str, method: str, path: str, **kw: Any) -> Any:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        resp = await client.request(
            method, path, headers={"Authorization": f"Bearer {token}"}, **kw
        )
    assert resp.status_code in (200, 201), f"{path}: {resp.status_code} {resp.text}"
    return resp.json()


async def test_the_unit_plans_and_reports_in_the_workbench(site: Any, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    url, tokens = site
    office = tokens["linchuan"]
    # the unit and its round, as intake registers and plans them: rectification learns the
    # round's name from intake.round.v1
    unit = {"jurisdiction": LINCHUAN, "name": UNIT_NAME, "kind": "county_department"}
    assert (await call(url, office, "POST", "/api/v1/units", json=unit))["id"] == str(UNIT)
    term = {"jurisdiction": LINCHUAN, "term_no": 4, "starts_on": "2026-01-01"}
    await call(url, office, "POST", "/api/v1/term-plans",
               json={**term, "ends_on": "2030-12-31", "unit_ids": [str(UNIT)]})  # fmt: skip
    planned = await call(
        url,
        office,
        "POST",
        "/api/v1/rounds",
        json={**term, "round_no": 5, "kind": "regular", "ends_on": "2026-12-31"},
    )
    assigned = {"units": [{"unit_id": str(UNIT), "mode": "regular"}]}
    await call(url, office, "POST", f"/api/v1/rounds/{planned['id']}/units", json=assigned)
    # an earlier round of the term, closed: picked, it offers its units, and neither 边巡边改
    # nor a hand-typed unit
    earlier = await call(
        url,
        office,
        "POST",
        "/api/v1/rounds",
        json={**term, "round_no": 4, "kind": "regular", "ends_on": "2026-03-31"},
    )
    await call(url, office, "POST", f"/api/v1/rounds/{earlier['id']}/units", json=assigned)
    await call(url, office, "POST", f"/api/v1/rounds/{earlier['id']}/close")
    # the problem the group recorded in 问题与报告 (clues): picked, not typed again
    problem = {
        "round_id": planned["id"],
        "unit_id": str(UNIT),
        "title": "“三重一大”事项未经集体研究",
        "topics": ["三重一大"],
    }
    recorded = await call(url, office, "POST", "/api/v1/problems", json=problem)
    # the office feeds the problem back in its form, the round and the unit picked from
    # intake's (a unit named by hand would never see it), during the stationing (边巡边改)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1440, "height": 900})
            await sign_in(page, url, office)
            await page.click('[data-menu="rectification"]')
            await page.wait_for_selector("#feedback-form")
            await choose(page, "f-round", "临川区第4届第4轮（已结束）")
            await page.locator("#f-unit-pick").wait_for()
            assert await page.locator("#f-unit").count() == 0  # one unit field, the picker
            assert await page.locator("#f-during").count() == 0
            await choose(page, "f-round", "临川区第4届第5轮")
            await choose(page, "f-unit-pick", UNIT_NAME)
            assert await page.locator("#f-unit").count() == 0
            await page.locator(".el-select:has(#f-problems)").click()
            await page.locator(
                ".el-select-dropdown__item:visible", has_text=problem["title"]
            ).click()
            await page.keyboard.press("Escape")
            await page.click("#f-problems-add")
            assert await page.input_value("#f-desc-0") == problem["title"]
            assert await page.locator("[id^=f-desc-]").count() == 1  # the empty row filled
            # with the problem's topics, by which a recurrence is found (R19)
            assert "三重一大" in await page.locator(".el-select:has(#f-topics-0)").inner_text()
            await page.click("#f-submit")  # not yet heard: R16 refuses, and says why
            refused = page.locator(".el-alert", has_text="尚未听取")
            await refused.wait_for()
            # the service's reason alone, not a generic 当前状态不允许此操作 before it
            assert "当前状态不允许此操作" not in await refused.inner_text()
            await page.locator(".el-checkbox:has(#f-during)").click()
            await page.click("#f-submit")
            await page.wait_for_selector("#feedback-done")
            assert "已反馈 1 个问题" in await page.locator("#feedback-done").inner_text()
            await page.screenshot(path=str(ARTIFACTS / "feedback-round-unit.png"), full_page=True)
        finally:
            await browser.close()
    listed = await call(url, office, "GET", f"/api/v1/rectifications?unit_contains={UNIT_NAME}")
    [fed] = listed["items"]
    assert (fed["unit_id"], fed["round_id"]) == (str(UNIT), planned["id"])
    issue = fed["id"]
    # the issue names the problem it was picked from: the trail from 问题与报告 to rectification
    detail = await call(url, office, "GET", f"/api/v1/rectifications/{issue}")
    assert detail["problem_id"] == recorded["id"]

    async def named() -> bool:
        doc = await call(url, tokens["unit"], "GET", f"/api/v1/rectifications/{issue}")
        return bool(doc["round_name"] == ROUND_NAME)

    await until(named, "rectification to learn the round's name")

    async def who() -> bool:  # the unit's token is told its unit's name (本单位)
        return bool(
            (await call(url, tokens["unit"], "GET", "/api/v1/me"))["unit_name"] == UNIT_NAME
        )

    await until(who, "reporting to learn the unit's name")
    pdf = tmp_path / "整改佐证.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%demo evidence\n%%EOF\n")
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
            # an error Vue caught (a component's setup that threw) is logged, not raised; a
            # refusal the page shows is the browser's "Failed to load resource" line
            page.on(
                "console",
                lambda m: (
                    m.type == "error"
                    and not m.text.startswith("Failed to load resource")
                    and errors.append(m.text)
                ),
            )
            await sign_in(page, url, tokens["unit"])
            assert await menu_names(page) == MENUS["inspected_unit"]
            assert UNIT_NAME in await page.inner_text("#who")  # the header names the unit
            await page.wait_for_selector("#unit-issues")
            row = page.locator("#unit-issues tbody tr", has_text="三重一大")
            await row.first.wait_for()
            assert await page.locator("#unit-issues tbody tr").count() == 1
            # before any plan the unit may already report (domain §3, R16 立行立改): the
            # drawer says so, and that the plan and the formal report are still due
            await page.get_by_role("button", name="报告整改 “三重一大”事项未经集体研究").click()
            before_plan = page.locator("#report-before-plan")
            await before_plan.wait_for()
            assert "立行立改" in await before_plan.inner_text()
            assert "整改方案仍须" in await before_plan.inner_text()
            await page.screenshot(path=str(ARTIFACTS / "unit-report-before-plan.png"))
            await page.keyboard.press("Escape")
            await page.locator("#report-form").wait_for(state="hidden")

            # the plan: leader, measure, owner, due date (the three lists)
            await page.get_by_role("tab", name="整改方案").click()
            await page.wait_for_selector("#plan-form")
            chosen = await page.locator(".el-select:has(#p-round)").inner_text()
            assert f"{ROUND_NAME}（1 个待整改问题）" in chosen, chosen
            # sent empty: the message stands beside the button, the empty fields are marked
            await page.click("#p-submit")
            alert = page.locator("#plan-form .el-alert", has_text="请填写整改第一责任人")
            await alert.wait_for()
            assert await page.locator("#plan-form .missing").count() == 4  # leader, the task's 3
            await page.fill("#p-leader", "王局长")
            await page.fill("#p-measure-0", "修订党组议事规则并严格执行")
            await page.fill("#p-owner-0", "办公室")
            due = (date.today() + timedelta(days=30)).isoformat()
            await page.fill("#p-due-0", due)
            await page.keyboard.press("Tab")  # the date picker takes typed text on change (blur)
            # a problem's only task cannot be removed; tasks added (加一项) can
            assert await page.locator("#p-remove-0").is_disabled()
            await page.click("#p-add-0")
            await page.click("#p-add-1")  # one too many: removed again
            assert await page.locator("#plan-form .task-row").count() == 3
            await page.get_by_role("button", name="删除第 3 项任务").click()
            assert await page.locator("#plan-form .task-row").count() == 2
            assert not await page.locator("#p-remove-0").is_disabled()
            await page.fill("#p-measure-1", "建立“三重一大”事项集体决策台账")
            await page.fill("#p-owner-1", "党组办公室")
            # the problem named once, above its two tasks
            assert await page.locator("#plan-form .task-issue").count() == 1
            # a day typed before today is not taken: the field empties and says why
            yesterday = (date.today() - timedelta(days=1)).isoformat()
            await page.fill("#p-due-1", yesterday)
            await page.keyboard.press("Tab")
            refused = page.locator("#plan-form .task-error", has_text="完成时限不能早于报送日期")
            await refused.wait_for()
            assert f"所填 {yesterday} 未采用" in await refused.inner_text()
            assert await page.input_value("#p-due-1") == ""
            due2 = (date.today() + timedelta(days=50)).isoformat()
            await page.fill("#p-due-1", due2)
            await page.keyboard.press("Tab")
            await page.screenshot(path=str(ARTIFACTS / "unit-plan-form.png"), full_page=True)
            await page.click("#p-submit")
            plans = page.locator("#unit-plans tbody tr", has_text="已报送，待审核")
            await plans.first.wait_for()
            assert ROUND_NAME in await plans.first.inner_text()
            await page.locator("#plan-locked").wait_for()
            # the unit sees what it submitted: both tasks
            submitted = page.locator("#plan-submitted-tasks tbody tr")
            await submitted.first.wait_for()
            assert await submitted.count() == 2
            assert "党组办公室" in await submitted.nth(1).inner_text()
            await page.screenshot(path=str(ARTIFACTS / "unit-plan.png"), full_page=True)

            # the office returns it: the unit sees the reason, its form filled in again with
            # what it submitted (the added task too), amends it and resubmits
            listed = await call(url, office, "GET", "/api/v1/rectification-plans")
            [mine] = [p for p in listed["items"] if p["unit_id"] == str(UNIT)]
            reason = {"reason": "决策台账的完成时限请提前"}
            await call(url, office, "POST", f"/api/v1/rectification-plans/{mine['id']}/return",
                       json=reason)  # fmt: skip
            await page.reload()
            # the issue list, where the unit looks first, says the plan went back
            went_back = page.locator("#unit-issues .plan-returned", has_text="方案被退回")
            await went_back.first.wait_for()
            await page.get_by_role("tab", name="整改方案").click()
            returned = page.locator("#plan-returned")
            await returned.wait_for()
            assert "决策台账的完成时限请提前" in await returned.inner_text()
            assert await page.input_value("#p-leader") == "王局长"
            assert await page.locator("#plan-form .task-row").count() == 2
            assert await page.input_value("#p-measure-0") == "修订党组议事规则并严格执行"
            assert await page.input_value("#p-owner-1") == "党组办公室"
            assert await page.input_value("#p-due-0") == due
            assert await page.input_value("#p-due-1") == due2
            await page.screenshot(path=str(ARTIFACTS / "unit-plan-returned.png"), full_page=True)
            due2 = (date.today() + timedelta(days=40)).isoformat()
            await page.fill("#p-due-1", due2)
            await page.keyboard.press("Tab")
            await page.click("#p-submit")
            await page.locator("#unit-plans tbody tr", has_text="已报送，待审核").first.wait_for()
            await page.locator("#plan-locked").wait_for()
            doc = await call(
                url, tokens["unit"], "GET", f"/api/v1/rectification-plans/{mine['id']}"
            )
            assert (doc["revision"], [t["due_on"] for t in doc["tasks"]]) == (2, [due, due2])

            # the office reviews the plan, its round named, and approves it
            office_ctx = await browser.new_context(
                viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
            )
            office_page = await office_ctx.new_page()
            await sign_in(office_page, url, office)
            await office_page.click('[data-menu="supervision"]')
            # the router's guard checks the session first: reload only once the address changed
            await office_page.wait_for_url("**/supervision")
            await office_page.get_by_role("tab", name="方案审核").click()
            review = office_page.locator("#plan-table tbody tr", has_text=UNIT_NAME)
            await review.first.wait_for()
            assert ROUND_NAME in await review.first.inner_text()
            await office_page.screenshot(path=str(ARTIFACTS / "office-plans.png"), full_page=True)
            # 审核 opens the plan: the problem, its measure, type, owner and due date, the
            # leader; only 确认审核通过 there approves it
            await office_page.get_by_role("button", name=f"审核 {UNIT_NAME}").click()
            shown = office_page.locator("#plan-review .plan-detail")
            await shown.wait_for()
            text = await shown.inner_text()
            # (the plan resubmitted after the return above: its second submission, both tasks)
            for word in ("王局长", "“三重一大”事项未经集体研究", "修订党组议事规则并严格执行",
                         "办公室", due, due2, "第 2 次", "决策台账的完成时限请提前"):  # fmt: skip
                assert word in text, (word, text)
            assert await review.count() == 1  # not approved yet
            await office_page.screenshot(path=str(ARTIFACTS / "office-plan-review.png"))
            await office_page.click("#plan-approve")
            await review.first.wait_for(state="detached")
            # the board says so without a reload, once reporting has the approval
            await office_page.get_by_role("tab", name="挂图作战").click()
            card = office_page.locator("#board-units .el-collapse-item", has_text=UNIT_NAME)
            await card.locator(".plan", has_text="整改方案：已审核通过").first.wait_for(
                state="attached"
            )
            # the card's counts follow the issues' own events, a moment after the plan's
            await expect(card.first).not_to_contain_text("方案待审核")
            listed = await call(url, office, "GET", "/api/v1/rectification-plans")
            [plan] = [p for p in listed["items"] if p["unit_id"] == str(UNIT)]
            assert (plan["status"], plan["round_name"]) == ("approved", ROUND_NAME)

            # the report, with a PDF uploaded as evidence
            await page.get_by_role("tab", name="问题清单").click()
            await page.reload()
            await page.wait_for_selector("#unit-issues")
            # a task the unit reported done and the office returned is said in the unit's
            # list, where it looks first, not only inside the report's drawer
            row = page.locator("#unit-issues tbody tr", has_text="三重一大")
            assert await row.locator(".task-returned").count() == 0
            doc = await call(url, tokens["unit"], "GET", f"/api/v1/rectifications/{issue}")
            first = doc["tasks"][0]["task_id"]
            tasks = f"/api/v1/rectifications/{issue}/tasks/{first}"
            today = datetime.now(timezone(timedelta(hours=8))).date().isoformat()  # China's day
            await call(url, tokens["unit"], "POST", f"{tasks}/completion",
                       json={"completed_on": today, "note": "台账已建立"})  # fmt: skip
            await call(url, office, "POST", f"{tasks}/return",
                       json={"reason": "台账缺少会议记录", "due_on": due})  # fmt: skip
            await page.reload()
            await page.wait_for_selector("#unit-issues")
            returned = row.locator(".task-returned")
            await returned.wait_for()
            assert await returned.inner_text() == "任务被退回 1 项"
            # (the unit reports it done again below, in the drawer's task table)
            await page.get_by_role("button", name="报告整改 “三重一大”事项未经集体研究").click()
            await page.wait_for_selector("#report-form")
            assert not await page.locator("#report-before-plan").is_visible()  # planned now
            # sent without its note: the note is marked; the file picker speaks Chinese
            await page.click("#r-submit")
            note = page.locator("#report-form .el-form-item.is-error .el-form-item__error")
            await note.wait_for()
            assert await note.all_inner_texts() == ["请填写整改情况"]
            assert await page.locator(".el-drawer .problem").count() == 0  # said once, there
            assert await page.locator("#r-choose").inner_text() == "选择文件"
            # a final report declares completion, at 100 %; a formal one when switched on
            await page.locator(".el-select:has(#r-kind)").click()
            await page.locator(".el-select-dropdown__item:visible", has_text="整改完成报告").click()
            await expect(page.locator("#r-progress")).to_have_value("100")
            assert await page.locator("#r-done").is_checked()
            await page.locator(".el-select:has(#r-kind)").click()
            await page.locator(".el-select-dropdown__item:visible", has_text="整改情况报告").click()
            await page.fill("#r-progress", "100")
            await toggle(page, "r-done")
            await page.fill("#r-note", "议事规则已修订印发并执行")
            await page.fill("#r-leader", "主要负责人牵头部署，逐项督办")
            # a file over the 20 MB limit is said at once, named, and nothing is sent
            big = {"name": "整改台账扫描件.pdf", "mimeType": "application/pdf",
                   "buffer": b"%PDF-1.4\n" + b"0" * 21_000_000}  # fmt: skip
            await page.set_input_files("#r-file", files=[big])  # type: ignore[list-item]
            said = page.locator(".el-drawer .problem", has_text="单个文件不超过20MB")
            await said.wait_for()
            assert "整改台账扫描件.pdf" in await said.inner_text()
            await page.set_input_files("#r-file", str(pdf))
            await page.locator(".evidence", has_text="整改佐证.pdf").wait_for()
            assert await page.locator(".evidence", has_text="扫描件").count() == 0
            await page.screenshot(path=str(ARTIFACTS / "unit-report.png"), full_page=True)
            await page.click("#r-submit")

            async def reported() -> bool:
                doc = await call(url, tokens["unit"], "GET", f"/api/v1/rectifications/{issue}")
                return bool(doc["status"] == "reported_done")

            await until(reported, "the report to be recorded")
            doc = await call(url, tokens["unit"], "GET", f"/api/v1/rectifications/{issue}")
            assert doc["reports"][-1]["evidence"][0]["filename"] == "整改佐证.pdf"
            assert doc["reports"][-1]["leader_report"] == "主要负责人牵头部署，逐项督办"
            # the unit sees what it sent: the report, the leader's part and the evidence
            await page.reload()
            await page.wait_for_selector("#unit-issues")
            await page.get_by_role("button", name="报告整改 “三重一大”事项未经集体研究").click()
            sent = page.locator("#unit-report-table tbody tr", has_text="议事规则已修订印发并执行")
            await sent.wait_for()
            for words in ("整改情况报告", "100%", "主要负责人牵头部署", "整改佐证.pdf"):
                assert words in await sent.inner_text(), words
            await page.keyboard.press("Escape")
            assert errors == []

            # the office's page: the board shows the unit and the evidence link
            await office_page.reload()
            await office_page.wait_for_selector("#supervision-tabs")
            unit_row = office_page.locator("#board-units .el-collapse-item", has_text="浏览器测试")

            async def on_board() -> bool:
                if await unit_row.count():
                    return True
                await office_page.reload()
                await office_page.wait_for_selector("#supervision-tabs")
                return False

            await until(on_board, "the board to show the unit", 90)
            # the county's board lists other modules' units too: this unit's own issue
            await unit_row.first.locator(".el-collapse-item__header").click()
            await unit_row.first.locator(".el-table__expand-icon").first.click()
            await unit_row.first.locator("a", has_text="整改佐证.pdf").first.wait_for()
            assert "整改完成率" in await office_page.locator("#completion-rate").inner_text()
            assert "自报完成率" in await office_page.locator("#self-declared-rate").inner_text()
            await office_page.screenshot(path=str(ARTIFACTS / "office-board.png"), full_page=True)

            # a rejected verification with a day to rectify again, given in the 核实 dialog: the
            # rejection and a 督办 of the issue with that day (R4). The history says 核实未通过
            # (not the accepted wording) and 整改情况报告; the 督办 is listed under the unit and
            # in the issue's history
            await unit_row.first.get_by_role("button", name="核实", exact=True).first.click()
            verify = office_page.locator(".el-dialog", has_text="整改核实")
            await verify.wait_for()
            assert await office_page.locator("#v-redo-due").count() == 0  # only for a rejection
            await verify.locator("#v-outcome").get_by_text("核实未通过，退回整改").click()
            await pick_day(office_page, "#v-redo-due", due)
            assert "同时对该问题下达跟踪督办" in await verify.locator("#v-redo-hint").inner_text()
            await office_page.fill("#d-note", "佐证材料不足")
            await office_page.screenshot(path=str(ARTIFACTS / "office-verify-rejected.png"))
            await office_page.click("#d-submit")
            await verify.wait_for(state="hidden")
            rejected = await call(url, office, "GET", f"/api/v1/rectifications/{issue}")
            assert rejected["verifications"][-1]["outcome"] == "rejected", rejected
            unit_row = office_page.locator("#board-units .el-collapse-item", has_text="浏览器测试")

            async def supervised() -> bool:
                await office_page.reload()
                await office_page.wait_for_selector("#supervision-tabs")
                return await unit_row.filter(has_text="督办 1").count() > 0

            await until(supervised, "the board to show the 督办", 90)
            await unit_row.first.locator(".el-collapse-item__header").click()
            listed = unit_row.first.locator(".oversight", has_text="限期重新整改")
            await listed.wait_for()
            line = await listed.inner_text()
            assert "跟踪督办" in line and f"督办时限 {due}" in line, line
            await unit_row.first.locator(".el-table__expand-icon").first.click()
            history = unit_row.first.locator(".history")
            await history.first.wait_for()
            told = await history.first.inner_text()
            assert "核实未通过：佐证材料不足" in told, told
            assert "整改情况报告：议事规则已修订印发并执行" in told, told
            told_order = f"整改督办（跟踪督办，督办时限 {due}）：核实未通过，限期重新整改："
            assert told_order + "佐证材料不足" in told, told
            # the plan's return and both submissions are in the issue's history too
            assert "退回整改方案：决策台账的完成时限请提前" in told, told
            assert "报送整改方案（第 2 次）" in told, told
            assert "整改核实" not in told, told
            await office_page.screenshot(path=str(ARTIFACTS / "office-board-oversight.png"),
                                         full_page=True)  # fmt: skip
            # the unit reads the 督办 against itself on its own page, with the issue it names
            await page.reload()
            told_unit = page.locator("#unit-oversight")
            await told_unit.wait_for()
            text = await told_unit.inner_text()
            assert "督办 · 跟踪督办" in text and "限期重新整改：佐证材料不足" in text, text
            assert f"督办时限 {due}" in text and "（已不在本单位清单）" not in text, text

            # one task ticked off on its own (挂图作战、对账销号): the unit reports it done in its
            # drawer (the issue is being rectified again after the rejection), the office closes
            # it out on the board
            await page.get_by_role("button", name="报告整改 “三重一大”事项未经集体研究").click()
            tasks = page.locator("#unit-task-table")
            await tasks.wait_for()
            await tasks.locator(".task-complete").first.click()
            done = page.locator(".el-dialog", has_text="报告整改任务完成")
            await done.locator("#t-submit").click()  # without what was done: marked, not sent
            await done.locator(".el-form-item__error", has_text="请填写完成情况").wait_for()
            await done.locator("#t-note").fill("党组议事规则已修订印发")
            await done.locator("#t-submit").click()
            await tasks.locator(".el-tag", has_text="已报告完成，待销号").first.wait_for()
            await done.wait_for(state="hidden")
            await page.screenshot(path=str(ARTIFACTS / "unit-task-done.png"), full_page=True)
            await page.keyboard.press("Escape")
            # the returned task reported done again: no longer said in the list
            await expect(row.locator(".task-returned")).to_have_count(0)

            async def to_close() -> bool:
                await office_page.reload()
                await office_page.wait_for_selector("#supervision-tabs")
                row = office_page.locator("#board-units .el-collapse-item", has_text="浏览器测试")
                await row.first.locator(".el-collapse-item__header").click()
                await row.first.locator(".el-table__expand-icon").first.click()
                return await row.first.locator(".task-close").count() > 0

            await until(to_close, "the board to show the task reported done", 90)
            # the unit's header and the issue's row say a task waits for the office's 销号
            unit_head = office_page.locator("#board-units .el-collapse-item", has_text="浏览器测试")
            header = unit_head.first.locator(".el-collapse-item__header")
            assert "任务待销号 1" in await header.inner_text()
            tags = unit_head.first.locator(".awaiting-tasks", has_text="任务待销号 1")
            assert await tags.count() == 2  # the header's and the issue's row's
            # the colours say what they count (they need not add up to the open issues)
            overdue = header.locator(".el-tag", has_text="逾期").first
            assert "按最近的完成时限统计" in (await overdue.get_attribute("title") or "")
            await office_page.locator(".task-close").first.click()
            close = office_page.locator(".el-dialog", has_text="整改任务销号")
            assert "党组议事规则已修订印发" in await close.inner_text()
            await close.locator("#t-submit").click()  # the office's note comes filled in
            board_tasks = office_page.locator(".task-table", has_text="党组议事规则已修订印发")
            await board_tasks.locator(".el-tag", has_text="已销号").first.wait_for()
            await close.wait_for(state="hidden")
            await office_page.screenshot(path=str(ARTIFACTS / "office-task-closed.png"),
                                         full_page=True)  # fmt: skip
            doc = await call(url, tokens["unit"], "GET", f"/api/v1/rectifications/{issue}")
            assert "closed_out" in [t["status"] for t in doc["tasks"]], doc["tasks"]
        finally:
            await browser.close()
