"""The workbench in Debian's chromium (Playwright), each page driven as its role, against the
four services running as real processes on the real PostgreSQL and Kafka, behind an nginx of
this module's own (rendered from the template ``make up`` uses) on a free port: one origin.

- an office records a petition and sees the receipt (once, with a print button);
- a county classifies and transfers a clue (R2 route offered) and the discipline commission
  signs for it (签收) in its feed; a refused action (R12) shows the service's reason;
- a unit's issue is fed back and reported; the 整改台账 shows it;
- the overview changes without a reload;
- a county office never sees another county's data, in any page or any response;
- the menu shows only what the role may do; the auditor verifies and replays (时间回溯).

Screenshots go to test-artifacts/workbench/.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from xuncha_shared.auth import tokens as auth
from xuncha_shared.contracts.clues import clue_id_for_petition
from xuncha_shared.domain.principals import Principal, Role

from tests.e2e.stack import LINCHUAN, Running
from tests.support.workbench import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    MENUS,
    choose,
    menu_names,
    sign_in,
    toggle,
    workbench_nginx,
)

pytestmark = [pytest.mark.timeout(900)]

NANCHENG = "361021"
NANCHENG_UNIT = "南城县交通运输局"


@dataclass
class Workbench:
    running: Running
    url: str
    tokens: dict[str, str]

    async def post(self, path: str, body: dict[str, Any], who: str) -> Any:
        async with httpx.AsyncClient(base_url=self.url, timeout=20) as client:
            resp = await client.post(
                path, json=body, headers={"Authorization": f"Bearer {self.tokens[who]}"}
            )
        assert resp.status_code in (200, 201), f"{path}: {resp.status_code} {resp.text}"
        return resp.json()

    async def get(self, path: str, who: str, **params: Any) -> Any:
        async with httpx.AsyncClient(base_url=self.url, timeout=20) as client:
            resp = await client.get(
                path, params=params, headers={"Authorization": f"Bearer {self.tokens[who]}"}
            )
        assert resp.status_code == 200, f"{path}: {resp.status_code} {resp.text}"
        return resp.json()


@pytest.fixture(scope="module")
async def wb(default_stack: Running) -> AsyncIterator[Workbench]:
    running = default_stack  # the shared stack (tests/e2e/conftest.py)
    extra = {
        "group": Principal(id="e2e-lc-group", role=Role.GROUP_MEMBER, jurisdiction=LINCHUAN),
        "nancheng": Principal(id="e2e-nc", role=Role.COUNTY_ADMIN, jurisdiction=NANCHENG),
        "auditor": Principal(id="e2e-auditor", role=Role.AUDITOR, jurisdiction="361000"),
        "custodian": Principal(id="e2e-wb-custodian", role=Role.CUSTODIAN, jurisdiction="361000"),
    }
    tokens = dict(running.tokens)
    for name, principal in extra.items():
        tokens[name] = await auth.create_token_in(running.databases.values(), principal)
    with workbench_nginx(running.urls) as url:
        yield Workbench(running=running, url=url, tokens=tokens)


@pytest.fixture(scope="module")
async def browser(wb: Workbench) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


class Session:
    """One person's browser context: its page, the page errors and every API response."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.api: list[tuple[str, int, str]] = []

    async def watch(self) -> None:
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

        async def record(resp: Any) -> None:
            if "/api/v1/" not in resp.url:
                return
            try:
                body = await resp.text()
            except Exception:
                body = ""
            self.api.append((resp.url, resp.status, body))

        self.page.on("response", lambda r: asyncio.ensure_future(record(r)))


async def open_as(
    browser: Any, wb: Workbench, who: str, timezone: str = "Asia/Shanghai"
) -> Session:
    context = await browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id=timezone
    )
    s = Session(await context.new_page())
    await s.watch()
    await sign_in(s.page, wb.url, wb.tokens[who])
    return s


async def until(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)


async def shot(page: Any, name: str) -> None:
    await page.wait_for_timeout(300)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# ---- 信访受理 ----------------------------------------------------------------------------------


async def test_an_office_records_a_petition_and_sees_the_receipt(wb: Workbench, browser: Any):
    s = await open_as(browser, wb, "linchuan")
    page = s.page
    assert await menu_names(page) == MENUS["county_admin"]
    await page.click('[data-menu="petitions"]')
    await page.wait_for_selector("#petition-form")
    # 临川区 is the only jurisdiction a county office can choose
    await page.locator(".el-select:has(#p-jurisdiction)").click()
    options = page.locator(".el-select-dropdown__item:visible")
    await options.first.wait_for()
    assert await options.all_inner_texts() == ["临川区"]
    await page.keyboard.press("Escape")

    await choose(page, "p-channel", "来访")
    await page.fill("#p-unit", "临川区住房和城乡建设局")
    await page.fill("#p-summary", "反映临川区某小区改造工程偷工减料。")
    await toggle(page, "p-real-name")
    await page.fill("#p-name", "刘桂兰")
    await page.fill("#p-phone", "139-7946 abc")
    await page.fill("#p-id", "36100219800101123X")
    await page.click("#p-submit")
    # the form refuses what the API would refuse, in Chinese, next to the field
    phone_item = page.locator(".el-form-item:has(#p-phone)")
    await phone_item.locator(".el-form-item__error").wait_for()
    assert "电话号码" in await phone_item.inner_text()
    id_item = page.locator(".el-form-item:has(#p-id)")
    # each field's message renders on its own: wait for this one's too (read at once, it was
    # not there yet on a loaded machine)
    await id_item.locator(".el-form-item__error").wait_for()
    assert "校验码" in await id_item.inner_text()
    await shot(page, "petition-form-errors")
    # nothing was lost: the input is still there
    assert await page.input_value("#p-summary") == "反映临川区某小区改造工程偷工减料。"

    await page.fill("#p-phone", "13979461234")
    await page.fill("#p-id", "36100219800101123" + _check_char("36100219800101123"))
    await page.click("#p-submit")
    code = page.locator("#receipt-code")
    await code.wait_for()
    receipt = (await code.inner_text()).strip()
    assert receipt.startswith("XC-") and len(receipt) == 27
    assert await page.locator("#receipt-print-button").is_visible()
    await shot(page, "petition-receipt")
    await page.get_by_role("button", name="我已记下").click()
    await code.wait_for(state="hidden")
    assert receipt not in await page.content()  # shown once

    row = page.locator("#petition-table tbody tr", has_text="临川区住房和城乡建设局")
    await row.first.wait_for()
    assert "来访" in await row.first.inner_text()
    assert "刘桂兰" not in await page.content() and "13979461234" not in await page.content()
    await shot(page, "petitions")
    # 回执码查询: what the office tells a reporter who asks with the code
    await page.fill("#rc-code", receipt.lower())
    await page.click("#rc-submit")
    status = page.locator("#rc-status")
    await status.wait_for()
    assert "办理状态：" in await status.inner_text()
    await page.fill("#rc-code", "XC-AAAA-BBBB-CCCC-DDDD-EEEE")
    await page.click("#rc-submit")
    await page.locator(".el-form-item:has(#rc-code) .el-form-item__error").wait_for()
    assert "未找到该回执码" in await page.inner_text("#receipt-lookup")
    # 来访: a leader takes the walk-in up the same day (R13), recorded from the petition
    await row.first.locator(".open-petition").click()
    walk_in = page.locator("#walk-in-state")
    await walk_in.wait_for()
    assert "待领导当日接待处理" in await walk_in.inner_text()
    await page.click("#w-submit")  # no post given: asked for, nothing sent
    await page.locator(".el-form-item:has(#w-handled-by) .el-form-item__error").wait_for()
    await page.fill("#w-handled-by", "王组长")  # a surname before the title: a person, refused
    await page.click("#w-submit")
    said = page.locator(".el-form-item:has(#w-handled-by) .el-form-item__error")
    await said.filter(has_text="不填姓名或姓氏").wait_for()
    await page.fill("#w-handled-by", "巡察组组长")
    await said.wait_for(state="detached")  # a post: nothing said beside it any more
    await page.fill("#w-summary", "当面接谈，登记线索")
    await page.click("#w-submit")
    await page.locator("#walk-in-state", has_text="已由巡察组组长接待处理").wait_for()
    assert await page.locator("#walk-in-form").count() == 0
    await shot(page, "walk-in-handled")
    # the rule's number explains itself: what R13 says on hover, its row on 期限规则 on a click
    rule = page.get_by_role("link", name=re.compile(r"^R13：来访群众"))
    await rule.click()
    await page.wait_for_url("**/rules?rule=R13")
    await page.locator("#business-rules-table tr.rule-R13.asked").wait_for()
    await page.go_back()
    await page.keyboard.press("Escape")
    # the receipt answers for the reporter through the same origin
    async with httpx.AsyncClient(base_url=wb.url) as client:
        resp = await client.get(f"/api/v1/receipts/{receipt}")
    assert resp.status_code == 200 and resp.json()["status"] in ("received", "registered")
    assert s.errors == []


async def test_a_petition_names_a_registered_unit_picked_from_the_list(
    wb: Workbench, browser: Any
) -> None:
    """信访受理 offers the area's registered units as the name is typed: a picked one names the
    petition's unit by id, which its clue keeps; a name typed as the letter gives it stays a
    name only."""
    name = f"临川区信访测试局{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(base_url=wb.running.urls["intake"], timeout=20) as client:
        resp = await client.post(
            "/api/v1/units",
            json={"jurisdiction": LINCHUAN, "name": name, "kind": "county_department"},
            headers={"Authorization": f"Bearer {wb.tokens['linchuan']}"},
        )
    assert resp.status_code == 201, resp.text
    unit_id = resp.json()["id"]
    s = await open_as(browser, wb, "linchuan")
    page = s.page
    await page.click('[data-menu="petitions"]')
    await page.wait_for_selector("#p-unit")
    await page.click("#p-unit")
    await page.fill("#p-unit", "信访测试局")
    await page.locator(".el-autocomplete-suggestion li:visible", has_text=name).click()
    assert await page.input_value("#p-unit") == name
    assert (await page.locator("#p-unit-hint").inner_text()).strip() == "已登记的被巡察单位"
    await page.fill("#p-summary", "反映该局违规发放津补贴。")
    await page.click("#p-submit")
    await page.locator("#receipt-code").wait_for()
    await page.get_by_role("button", name="我已记下").click()
    listed = await wb.get("/api/v1/petitions", "linchuan", unit=name)
    [petition] = listed["items"]
    clue: dict[str, Any] = {}

    async def clue_registered() -> bool:
        nonlocal clue
        async with httpx.AsyncClient(base_url=wb.url, timeout=20) as client:
            resp = await client.get(
                f"/api/v1/clues/{petition['clue_id']}",
                headers={"Authorization": f"Bearer {wb.tokens['linchuan']}"},
            )
        clue = resp.json() if resp.status_code == 200 else {}
        return bool(clue)

    await until(clue_registered, "the petition's clue")
    assert (clue["unit"], clue["unit_id"]) == (name, unit_id)
    # the name edited after the pick is a name only again
    await page.click("#p-unit")
    await page.fill("#p-unit", f"{name}下属中心")
    assert "可选已登记单位" in await page.locator("#p-unit-hint").inner_text()
    # typed back exactly, it is the registered unit again
    await page.fill("#p-unit", name)
    await page.locator("#p-unit-hint", has_text="已登记的被巡察单位").wait_for()
    assert s.errors == [], s.errors


async def test_the_city_checks_a_countys_inspection_work_and_the_county_reads_it(
    wb: Workbench, browser: Any
) -> None:
    """R29 on 县区巡察督导: the city office records a check of 南城县's inspection work with a
    problem found, puts the county under 重点督办 and lifts it, and makes a village of it a pilot
    point (联系点) in a leader's charge; 南城县 reads all of them, 临川区 none; the office
    summary counts them."""
    s = await open_as(browser, wb, "city")
    page = s.page
    await page.click('[data-menu="county-oversight"]')
    await page.wait_for_selector("#check-form")
    await choose(page, "ck-county", "南城县")
    await page.locator(".finding .aspect").first.click()
    await page.locator(".el-select-dropdown__item:visible", has_text="巡察质量").click()
    description = f"村级巡察推进不力（{uuid.uuid4().hex[:6]}）"
    await page.get_by_label("第1项问题", exact=True).fill(description)
    await page.click("#ck-submit")
    row = page.locator("#oversight-table tbody tr", has_text=description)
    await row.wait_for()
    assert "督导检查" in await row.inner_text() and "南城县" in await row.inner_text()
    await page.get_by_role("tab", name="重点督办").click()
    await choose(page, "ks-county", "南城县")
    reason = f"巡察全覆盖进度慢（{uuid.uuid4().hex[:6]}）"
    await page.fill("#ks-reason", reason)
    await page.click("#ks-submit")
    await page.locator("#oversight-table tbody tr", has_text=reason).wait_for()
    assert "南城县" in await page.inner_text("#ov-totals")
    # 解除重点督办: the form refuses a day before the order, then the supervision is lifted
    key_row = page.locator("#oversight-table tbody tr", has_text=reason)
    await key_row.locator(".lift-button").click()
    await page.fill("#lift-reason", "进度已赶上")
    await page.fill("#lift-date", "2000-01-01")
    await page.press("#lift-date", "Enter")  # the typed day taken, the picker closed
    await page.click("#lift-submit")
    await page.locator("#lift-form .el-form-item__error", has_text="不能早于督办日期").wait_for()
    today = datetime.now(timezone(timedelta(hours=8))).date().isoformat()
    await page.fill("#lift-date", today)
    await page.press("#lift-date", "Enter")
    await page.click("#lift-submit")
    await key_row.locator(".el-tag", has_text="已解除").wait_for()
    assert "进度已赶上" in await key_row.inner_text()
    assert await key_row.locator(".lift-button").count() == 0
    # 联系点: a village of 南城县 in a leader's charge; the same village twice is refused
    village = f"××镇××村{uuid.uuid4().hex[:6]}"
    await page.get_by_role("tab", name="确定联系点").click()
    await page.get_by_text("巡察整改联系点（乡镇、村）").click()
    await choose(page, "pp-county", "南城县")
    await page.fill("#pp-place", village)
    await page.fill("#pp-liaison", "市委常委、组织部部长 张某")
    await page.click("#pp-submit")
    point_row = page.locator("#points-table tbody tr", has_text=village)
    await point_row.wait_for()
    assert "巡察整改联系点" in await point_row.inner_text()
    assert "组织部部长 张某" in await point_row.inner_text()
    await page.fill("#pp-place", village)
    await page.click("#pp-submit")
    await page.locator(".el-alert", has_text="该联系点已于").wait_for()
    await shot(page, "county-oversight")
    # a check with a problem half written is refused by the form, naming what is missing
    await page.get_by_role("tab", name="记录督导检查").click()
    await choose(page, "ck-county", "黎川县")
    await page.get_by_label("第1项问题", exact=True).fill("只写了描述")
    await page.click("#ck-submit")
    await page.locator("#check-form .el-form-item__error", has_text="方面").wait_for()
    # a day to come typed in is refused by the form, not swapped for another day
    await page.get_by_role("tab", name="重点督办").click()
    await choose(page, "ks-county", "黎川县")
    await page.fill("#ks-reason", "进度慢")
    await page.fill("#ks-date", "2999-01-01")
    await page.click("#ks-submit")
    refused = page.locator("#key-form .el-form-item__error", has_text="不能晚于今天")
    await refused.wait_for()
    # said with the day typed, the field emptied: nothing older is sent in its place
    assert "2999-01-01" in await refused.inner_text()
    assert await page.input_value("#ks-date") == ""
    assert s.errors == [], s.errors

    # 南城县 reads what concerns it; 临川区 sees no other county's records
    n = await open_as(browser, wb, "nancheng")
    await n.page.click('[data-menu="county-oversight"]')
    await n.page.locator("#oversight-table tbody tr", has_text=description).wait_for()
    await n.page.locator("#points-table tbody tr", has_text=village).wait_for()
    assert await n.page.locator("#check-form").count() == 0  # a county records none
    assert await n.page.locator(".lift-button").count() == 0
    lc = await open_as(browser, wb, "linchuan")
    await lc.page.click('[data-menu="county-oversight"]')
    await lc.page.locator("#ov-totals").wait_for()
    assert description not in await lc.page.inner_text("#oversight-table")
    assert village not in await lc.page.inner_text("#points-table")
    assert n.errors == [] and lc.errors == []

    async def summarised() -> bool:
        year = datetime.now(timezone(timedelta(hours=8))).year
        doc = await wb.get("/api/v1/views/office-summary", "city", jurisdiction="361000", year=year)
        oversight = doc["county_oversight"]
        return (
            oversight["checks"] >= 1
            and "361021" in oversight["key_supervision_lifted"]
            and oversight["pilot_points"]["villages"] >= 1
        )

    await until(summarised, "the office summary counting the check")


def _check_char(first17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


# ---- 问题线索 → 成果共享 -------------------------------------------------------------------------


async def _petition_clue(wb: Workbench, unit: str, who: str = "linchuan") -> str:
    jurisdiction = NANCHENG if who == "nancheng" else LINCHUAN
    created = await wb.post(
        "/api/v1/petitions",
        {
            "jurisdiction": jurisdiction,
            "unit": unit,
            "channel": "letter",
            "summary": f"反映{unit}问题",
        },
        who,
    )
    # this petition's own clue (the stack is shared: other clues may name the same unit)
    clue_id = str(clue_id_for_petition(uuid.UUID(created["id"])))

    async def registered() -> bool:
        doc = await wb.get("/api/v1/clues", who, jurisdiction=jurisdiction, limit=500)
        return any(i["id"] == clue_id and i.get("unit") == unit for i in doc["items"])

    await until(registered, f"the clue of petition {created['id']}")
    return clue_id


async def test_a_county_transfers_a_clue_and_the_department_signs_for_it(
    wb: Workbench, browser: Any
):
    unit = "临川区自然资源局"
    clue_id = await _petition_clue(wb, unit)
    s = await open_as(browser, wb, "linchuan")
    page = s.page
    await page.click('[data-menu="clues"]')
    await page.locator(f"#clue-table tr.clue-{clue_id}").wait_for()
    await shot(page, "clues")
    await page.locator(f"#clue-table tr.clue-{clue_id} a").click()
    await page.wait_for_selector("#clue-actions")
    assert await page.locator("#clue-status").inner_text() == "已登记"

    # 分类: category, cadre level, topic 四风 → the R2 route (纪委监委) is offered at once
    await page.click("#act-classify")
    await choose(page, "c-category", "进一步了解关注类")
    await choose(page, "c-cadre", "科级干部")
    await choose(page, "c-topics", "四风", close=True)
    await page.wait_for_function(
        "() => document.querySelector('#c-route')?.textContent.includes('纪委监委')"
    )
    await shot(page, "clue-classify")
    await page.click("#c-submit")
    await page.wait_for_function(
        "() => document.querySelector('#clue-status')?.textContent.trim() === '已分类'"
    )

    # 移交: the route preselects 纪委监委
    await page.click("#act-transfer")
    await page.wait_for_function(
        "() => document.querySelector('#t-route')?.textContent.includes('纪委监委')"
    )
    assert "纪委监委" in await page.locator(".el-select:has(#t-department)").inner_text()
    await page.fill("#t-reason", "涉嫌违反中央八项规定精神")
    await shot(page, "clue-transfer")
    await page.click("#t-submit")
    await page.wait_for_function(
        "() => document.querySelector('#clue-status')?.textContent.trim() === '已移交'"
    )
    history = page.locator("#clue-history .el-timeline-item")
    await page.wait_for_function(
        "() => document.querySelectorAll('#clue-history .el-timeline-item').length === 3"
    )
    assert "移交纪委监委" in await history.nth(2).inner_text()
    # nothing left to do but chase the department for its result (催办, R27)
    assert await page.locator("#clue-actions button").all_inner_texts() == ["催办"]
    await shot(page, "clue-transferred")
    await page.click('[data-menu="clues"]')
    listed = page.locator(f"#clue-table tr.clue-{clue_id}")
    await listed.wait_for()
    for text in ("已移交", "进一步了解关注类", "科级干部", "纪委监委"):
        assert text in await listed.inner_text(), text

    # the discipline commission: its own feed only, the item arrives, 签收
    d = await open_as(browser, wb, "discipline")
    dept = d.page
    assert await menu_names(dept) == MENUS["department"]
    row = dept.locator("#feed-table tbody tr", has_text=unit).first
    await row.wait_for(timeout=60_000)  # the feed polls: reporting's projection catches up
    await row.locator(".ack-button").click()
    await dept.locator(".el-message-box input").fill("已签收，转审查调查室")
    await dept.locator(".el-message-box .el-button--primary").click()
    await row.locator(".acked").wait_for()
    # the note given when signing stays with the item (it was kept, and never shown again)
    await row.locator(".ack-note", has_text="备注：已签收，转审查调查室").wait_for()
    await shot(dept, "feed-signed")
    assert s.errors == [] and d.errors == []


async def test_a_clue_the_city_must_see_first_is_reported_up_not_transferred(
    wb: Workbench, browser: Any
):
    clue_id = await _petition_clue(wb, "临川区民政局")
    s = await open_as(browser, wb, "linchuan")
    page = s.page
    await page.goto(f"{wb.url}/clues/{clue_id}")
    await page.click("#act-classify")
    await choose(page, "c-category", "了解关注类")
    await toggle(page, "c-city-managed")  # 市管干部: R12, escalate first
    await page.click("#c-submit")
    await page.wait_for_function(
        "() => document.querySelector('#clue-status')?.textContent.trim() === '已分类'"
    )
    # 移交 is not offered (the service would refuse it, R12): the page says what comes first
    await page.locator("#escalate-first", has_text="须先报市委巡察办").wait_for()
    assert await page.locator("#act-transfer").count() == 0
    await shot(page, "clue-escalate-first")

    # escalate: the county keeps a stub only (不扩大知情范围)
    await page.click("#act-escalate")
    await page.fill("#e-reason", "涉及市管干部")
    await page.click("#e-submit")
    await page.wait_for_function(
        "() => document.querySelector('#clue-status')?.textContent.includes('已报市委巡察办')"
    )
    assert await page.locator("#clue-actions").count() == 0
    assert "临川区民政局" not in await page.locator("main").inner_text()

    # the city office checks it for itself (速查/核查) before deciding; it stays reported up
    c = await open_as(browser, wb, "city")
    city = c.page
    await city.goto(f"{wb.url}/clues/{clue_id}")
    await city.click("#act-verify")
    await city.fill("#v-outcome", "基本属实")
    await city.fill("#v-notes", "市委巡察办调阅民政资金台账")
    await city.click("#v-submit")
    await city.locator("#clue-history", has_text="市委巡察办调阅民政资金台账").wait_for()
    assert "已报市委巡察办" in await city.locator("#clue-status").inner_text()
    assert await city.locator("#act-transfer").count() == 1
    await shot(city, "clue-escalated-checked")
    # the county's stub shows nothing of it
    await page.reload()
    await page.locator("#clue-status", has_text="已报市委巡察办").wait_for()
    assert "调阅民政资金台账" not in await page.locator("main").inner_text()
    assert s.errors == [] and c.errors == []


# ---- 反馈与整改 ---------------------------------------------------------------------------------


async def test_a_units_issue_is_fed_back_and_reported(wb: Workbench, browser: Any):
    unit = "临川区卫生健康委员会"
    s = await open_as(browser, wb, "group")  # an inspection group member enters for the unit
    page = s.page
    assert await menu_names(page) == MENUS["group_member"]
    await page.click('[data-menu="rectification"]')
    await page.wait_for_selector("#feedback-form")
    await page.fill("#f-unit", unit)
    await page.click("#f-submit")  # an issue without a description is refused in place
    desc_item = page.locator(".el-form-item:has(#f-desc-0)")
    await desc_item.locator(".el-form-item__error").wait_for()
    assert "请填写问题描述" in await desc_item.inner_text()
    await page.fill("#f-desc-0", "医疗设备采购程序不规范")
    await choose(page, "f-concerns-0", "审计局", close=True)
    await page.get_by_role("button", name="增加问题").click()
    await page.fill("#f-desc-1", "基层医疗卫生机构绩效考核流于形式")
    await choose(page, "f-type-1", "长期坚持")
    await page.click("#f-submit")
    await page.wait_for_selector("#feedback-done")
    assert "已反馈 2 个问题" in await page.locator("#feedback-done").inner_text()
    await shot(page, "feedback")

    await page.get_by_role("tab", name="问题清单").click()
    row = page.locator("#issue-table tbody tr", has_text=unit).first
    await row.wait_for()
    await row.get_by_role("button").click()
    await page.wait_for_selector("#report-form")
    await choose(page, "r-kind", "整改情况报告")
    await page.locator("#report-form .el-input-number input").fill("100")
    await toggle(page, "r-completed")
    await page.fill("#r-note", "已完成设备采购流程整改，建立采购台账")
    # R1: the two-month report goes with the top leader's report; asked for, then given
    await page.click("#r-submit")
    asked = page.locator("#report-form .el-form-item__error", has_text="主要负责人组织落实情况")
    await asked.wait_for()
    await page.fill("#r-leader", "局党组书记牵头部署，逐项督办")
    # the paper report's scan goes with it, as the unit's own form takes it
    scan = {"name": "采购流程整改报告扫描件.pdf", "mimeType": "application/pdf",
            "buffer": b"%PDF-1.4\n%scan\n"}  # fmt: skip
    await page.set_input_files("#r-file", files=[scan])  # type: ignore[list-item]
    await page.locator("#report-form .evidence", has_text="采购流程整改报告扫描件.pdf").wait_for()
    await page.click("#r-submit")
    await page.wait_for_function(
        "() => document.querySelectorAll('#report-table tbody tr').length === 1"
    )
    assert "整改情况报告" in await page.locator("#report-table").inner_text()
    listed = await wb.get("/api/v1/rectifications", "group", unit=unit)
    docs = [await wb.get(f"/api/v1/rectifications/{i['id']}", "group") for i in listed["items"]]
    [reported] = [d for d in docs if d["reports"]]
    cited = [e["filename"] for e in reported["reports"][-1]["evidence"]]
    assert cited == ["采购流程整改报告扫描件.pdf"]
    await shot(page, "issue-reported")

    # the county office sees it in the 整改台账 (reporting's projection catches up)
    o = await open_as(browser, wb, "linchuan")
    office = o.page
    await office.click('[data-menu="rectification"]')
    await office.get_by_role("tab", name="整改台账").click()

    async def unit_listed() -> bool:
        doc = await wb.get("/api/v1/views/ledger", "linchuan", jurisdiction=LINCHUAN, unit=unit)
        return bool(doc["reports_total"] >= 1)

    await until(unit_listed, "the unit's ledger")
    await office.reload()
    await office.get_by_role("tab", name="整改台账").click()
    await choose(office, "l-unit", unit)
    await office.wait_for_selector("#ledger-summary")
    summary = await office.locator("#ledger-summary").inner_text()
    assert "问题 2" in summary and "已完成 1" in summary
    await shot(office, "ledger")
    assert s.errors == [] and o.errors == []


# ---- 总览 --------------------------------------------------------------------------------------

#: the lowest, leftmost pixel of the chart's petitions colour (#a8071a) on its canvas, in CSS
#: pixels from the chart's corner: the foot of the first petitions bar (the legend is above)
PETITION_BAR_JS = """(el) => {
  const c = el.querySelector("canvas");
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  const r = c.width / c.getBoundingClientRect().width;
  for (let y = c.height - 1; y >= 0; y--)
    for (let x = 0; x < c.width; x++) {
      const i = (y * c.width + x) * 4;
      if (d[i] === 168 && d[i + 1] === 7 && d[i + 2] === 26) return [x / r, y / r];
    }
  return null;
}"""


async def test_the_overview_changes_without_a_reload(wb: Workbench, browser: Any):
    s = await open_as(browser, wb, "city")
    page = s.page
    assert await menu_names(page) == MENUS["city_admin"]
    cell = "#linked-table tr.j-361002 [data-metric=petitions_received]"
    await page.wait_for_selector(cell)
    assert await page.locator("#linked-table tbody tr").count() == 13  # 合计, 市本级, 11
    await page.wait_for_selector("#feed-summary")
    before = int(await page.locator(cell).inner_text())
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    await wb.post(
        "/api/v1/petitions",
        {
            "jurisdiction": LINCHUAN,
            "unit": "临川区教育局",
            "channel": "call",
            "summary": "反映问题",
        },
        "linchuan",
    )
    await page.wait_for_function(
        "([sel, want]) => Number(document.querySelector(sel)?.textContent) >= want",
        arg=[cell, before + 1],
        timeout=60_000,
    )
    assert navigations == []
    await page.wait_for_timeout(600)  # the chart's animation
    await shot(page, "overview")
    # a county's row leads to the lists behind its figures: its clues, its deadlines
    await page.get_by_role("link", name="临川区线索办理漏斗").click()
    await page.wait_for_url(f"**/clue-funnel?jurisdiction={LINCHUAN}")
    rows = page.locator(
        "#funnel-table > .el-table__inner-wrapper > .el-table__body-wrapper tr.el-table__row"
    )
    await rows.first.wait_for()
    assert await rows.count() == 1 and "临川区" in await rows.first.inner_text()
    await page.go_back()
    await page.get_by_role("link", name="临川区期限预警").click()
    await page.wait_for_url(f"**/deadlines?jurisdiction={LINCHUAN}")
    await page.locator("#dl-jurisdiction").wait_for()
    picked = page.locator(".el-select:has(#dl-jurisdiction)")
    assert "临川区" in await picked.inner_text()
    # its rectification board, and the total's: the whole city's (全市（含各县区）)
    await page.go_back()
    await page.get_by_role("link", name="临川区整改督办与销号").click()
    await page.wait_for_url(f"**/supervision?jurisdiction={LINCHUAN}")
    await page.locator("#completion-rate").wait_for()
    assert "临川区" in await page.locator(".el-select:has(#s-jurisdiction)").inner_text()
    await page.go_back()
    await page.locator("#linked-table tr", has_text="合计").get_by_role("link", name="整改").click()
    await page.wait_for_url("**/supervision?jurisdiction=all")
    await page.locator("#completion-rate").wait_for()
    assert "全市（含各县区）" in await page.locator(".el-select:has(#s-jurisdiction)").inner_text()
    # a department's shared items, its open ones from 待签收
    await page.go_back()
    await page.get_by_role("link", name=re.compile(r"^纪委监委待签收 \d+ 项$")).click()
    await page.wait_for_url("**/feeds?department=discipline_commission&state=open")
    await page.locator("#feed-counts").wait_for()
    assert "纪委监委" in await page.locator(".el-select:has(#fd-department)").inner_text()
    assert "待签收" in await page.locator(".el-select:has(#fd-state)").inner_text()
    # a bar of the chart opens the list behind it: 临川区's petitions (the only bar of the
    # series' colour, found on the chart's canvas) its funnel
    await page.go_back()
    chart = page.locator("#workload-card .chart")
    await chart.scroll_into_view_if_needed()  # below the table: clicked where it is seen
    await page.wait_for_timeout(800)  # the chart's animation
    box = await chart.bounding_box()
    spot = await chart.evaluate(PETITION_BAR_JS)
    assert box is not None and spot is not None
    await page.mouse.click(box["x"] + spot[0] + 1, box["y"] + spot[1] - 3)
    await page.wait_for_url(f"**/clue-funnel?jurisdiction={LINCHUAN}")
    # and a place's problems open its issue list
    await page.goto(f"{wb.url}/rectification?jurisdiction={LINCHUAN}")
    assert "临川区" in await page.locator(".el-select:has(#i-jurisdiction)").inner_text()
    assert s.errors == []


# ---- jurisdictions ----------------------------------------------------------------------------


async def test_a_county_never_sees_another_countys_data(wb: Workbench, browser: Any):
    nc_clue = await _petition_clue(wb, NANCHENG_UNIT, who="nancheng")
    lc_clue = await _petition_clue(wb, "临川区审计局")
    s = await open_as(browser, wb, "nancheng")
    page = s.page
    await page.wait_for_selector("#linked-table tr.j-361021")
    assert await page.locator("#linked-table tbody tr").count() == 1
    for name in ("petitions", "clues", "rectification"):
        await page.click(f'[data-menu="{name}"]')
        await page.wait_for_load_state("networkidle")
    await page.click('[data-menu="clues"]')
    await page.locator(f"#clue-table tr.clue-{nc_clue}").wait_for()
    assert await page.locator(f"#clue-table tr.clue-{lc_clue}").count() == 0
    # a deep link to 临川区's clue shows a refusal and nothing of the clue
    await page.goto(f"{wb.url}/clues/{lc_clue}")
    await page.locator(".problem").wait_for()
    assert "临川区审计局" not in await page.content()
    # the pages the county may not open send it home, saying so
    await page.goto(f"{wb.url}/feeds")
    await page.wait_for_url(f"{wb.url}/overview")
    await page.locator(".el-message", has_text="无权打开“成果共享”").wait_for()
    await page.wait_for_load_state("networkidle")
    await shot(page, "county-nancheng")

    assert s.api, "no API response seen"
    refused = f"/api/v1/clues/{lc_clue}"
    for url, status, body in s.api:
        assert "临川" not in body, (url, status, body[:300])
        if url.endswith(refused):
            # another county's clue is the 404 of an unknown id, naming no jurisdiction
            assert status == 404, (url, status)
        assert LINCHUAN not in body, (url, status, body[:300])
        if status == 200 and body.startswith("{"):
            doc = json.loads(body)
            for item in doc.get("items", []):
                assert item.get("jurisdiction") in (None, NANCHENG), (url, item)
    assert s.errors == []


# ---- roles ------------------------------------------------------------------------------------


async def test_the_auditor_verifies_and_travels_back_in_time(wb: Workbench, browser: Any):
    # a clue of its own, so the test needs no other test's records
    clue_id = await _petition_clue(wb, f"临川区审计查阅局{uuid.uuid4().hex[:6]}")
    s = await open_as(browser, wb, "auditor")
    page = s.page
    assert await menu_names(page) == MENUS["auditor"]
    # the auditor reads but acts nowhere
    await page.click('[data-menu="clues"]')
    row = page.locator(f"#clue-table tr.clue-{clue_id}")
    await row.wait_for()
    assert await row.locator("a").first.inner_text() == "查看"  # not 办理
    await row.locator("a").first.click()
    await page.wait_for_selector("#clue-status")
    assert await page.locator("#clue-actions").count() == 0
    # from the clue to its whole history across the services (案件历史), no id typed
    assert page.url.rsplit("/", 1)[-1] == clue_id
    await page.click("#clue-audit-link")
    await page.locator("#history-timeline", has_text="登记问题线索").wait_for()
    assert await page.input_value("#h-stream") == clue_id
    # from a fed-back issue to its history as well: a unit's problem, its two-month report in
    unit = f"临川区审计单位{uuid.uuid4().hex[:6]}"
    feedback = {
        "jurisdiction": LINCHUAN,
        "unit": unit,
        "issues": [{"description": "财务报销审核不严", "rect_type": "time_bound"}],
    }
    issue_id = (await wb.post("/api/v1/feedbacks", feedback, "linchuan"))["issue_ids"][0]
    formal = {"kind": "formal", "progress_percent": 60, "completed": False, "note": "已制定制度",
              "leader_report": "主要负责人组织落实情况报告"}  # fmt: skip
    await wb.post(f"/api/v1/rectifications/{issue_id}/reports", formal, "linchuan")
    # 期限预警's case link of an issue opens that issue over its list
    await page.goto(f"{wb.url}/rectification?issue={issue_id}")
    await page.locator(".el-drawer", has_text=f"{unit} · 问题详情").wait_for()
    assert "财务报销审核不严" in await page.locator(".el-drawer").inner_text()
    await page.keyboard.press("Escape")
    await page.click('[data-menu="rectification"]')
    await page.get_by_role("tab", name="问题清单").click()
    await page.fill("#i-unit", unit)
    await page.keyboard.press("Enter")
    row = page.locator("#issue-table tbody tr", has_text=unit)
    await row.wait_for()
    # no colour once the report is in, and the row says why (R1: its clock has stopped)
    assert "已报送" in await row.inner_text()
    await row.get_by_role("button", name=f"查看问题 {unit}").click()
    await page.click("#issue-audit-link")
    await page.locator("#history-timeline", has_text="反馈问题").wait_for()
    assert await page.input_value("#h-stream") == issue_id
    timeline = await page.locator("#history-timeline").inner_text()
    assert "整改报告" in timeline and "财务报销审核不严" in timeline  # what each event says
    # its own events told apart from linked ones: fed back and reported, nothing linked
    assert "本案事件 2 件，关联事件 0 件" in await page.locator("#history-summary").inner_text()
    # the linked events are shown on demand only (a fed-back issue has tens of them)
    assert await page.locator("#h-linked").get_attribute("aria-checked") == "false"
    # each event's whole content, as the workbook has it, behind its 详情
    assert await page.locator("#history-timeline .details").count() == 0
    await page.locator("#history-timeline .details-toggle").first.click()
    details = await page.locator("#history-timeline .details").first.inner_text()
    assert "问题描述：财务报销审核不严" in details and f"事件流 {issue_id} 第 1 版" in details
    # or found by the unit's name, without a link to follow (按被巡察单位查找)
    await page.goto(f"{wb.url}/audit")
    await page.get_by_role("tab", name="案件历史").click()
    assert await page.input_value("#h-stream") == ""
    await page.fill("#h-unit", unit[-8:])
    await page.click("#h-search")
    found = page.locator("#case-search-table tbody tr")
    await found.first.wait_for()
    assert await found.count() == 1
    assert "反馈问题" in await found.inner_text() and "财务报销审核不严" in await found.inner_text()
    await found.get_by_role("button", name="查看历史 财务报销审核不严").click()
    await page.locator("#history-timeline", has_text="反馈问题").wait_for()
    assert await page.input_value("#h-stream") == issue_id
    # the case's history to file, as a workbook: one row per event
    async with page.expect_download() as download:
        await page.click("#h-export")
    book = load_workbook(io.BytesIO((await (await download.value).path()).read_bytes()))
    assert (await download.value).suggested_filename == f"案件历史-{issue_id}.xlsx"
    events = list(book["事件"].iter_rows(min_row=2, values_only=True))
    assert len(events) == 2 and any("财务报销审核不严" in str(row) for row in events)
    await page.click('[data-menu="audit"]')
    await page.get_by_role("tab", name="完整性核验").click()
    # as the operators' command line: Kafka's copy compared too, unless switched off
    assert await page.locator("#verify-kafka").get_attribute("aria-checked") == "true"
    await page.click("#verify-button")
    await page.wait_for_selector("#verify-result", timeout=120_000)
    result = await page.locator("#verify-result").inner_text()
    assert "全部完整" in result and "已比对 Kafka 副本" in result
    # each store named as the auditors' pages name it, never by its service's code
    services = await page.locator("#verify-table tbody tr td:first-child").all_inner_texts()
    assert services == ["巡察组织与信访受理", "问题线索", "反馈与整改", "统计与共享"]
    headers = await page.locator("#verify-table thead th").all_inner_texts()
    assert "签名检查点" in headers and "Kafka 副本" in headers
    # per store its signed checkpoints (none yet while its checkpointer has not ticked since
    # its first events) and Kafka's copy compared with it
    for cell in await page.locator("#verify-table tbody td.checkpoints").all_inner_texts():
        signed = "个通过签名核验" in cell and "最近一个覆盖" in cell
        assert signed or "尚无签名检查点" in cell, cell
        assert "未通过" not in cell, cell
    for cell in await page.locator("#verify-table tbody td.kafka").all_inner_texts():
        assert cell.startswith("一致 ") and "尚未发布" in cell and "重复消息" in cell, cell
    assert "哈希链证明" in await page.locator("#verify-explained").inner_text()
    assert await page.locator("#verify-problems").count() == 0  # nothing to list when intact
    await shot(page, "audit-verify")
    # 身份查阅记录: whose identity was read, to its petition's history; and the erasures
    informant = {"name": "审计测试举报人", "phone": "0794-8123456"}
    petition = await wb.post(
        "/api/v1/petitions",
        {
            "jurisdiction": LINCHUAN,
            "unit": f"临川区审计查阅单位{uuid.uuid4().hex[:6]}",
            "channel": "letter",
            "summary": "反映该单位违规发放津补贴",
            "informant": informant,
        },
        "linchuan",
    )
    read_reason = f"核实举报人身份以便回访{uuid.uuid4().hex[:6]}"
    await wb.post(
        f"/api/v1/petitions/{petition['id']}/informant", {"reason": read_reason}, "custodian"
    )
    basis = "《个人信息保护法》第四十七条"
    await wb.post(
        f"/api/v1/petitions/{petition['id']}/informant/erasure",
        {"reason": "举报人书面申请删除", "legal_basis": basis},
        "custodian",
    )
    await page.get_by_role("tab", name="身份查阅记录").click()
    await page.click("#reads-refresh")
    assert "信访件" in await page.locator("#reads-table thead th").all_inner_texts()
    erasure = page.locator("#erasures-table tbody tr", has_text=basis)
    await erasure.last.wait_for()
    assert "举报人书面申请删除" in await erasure.last.inner_text()
    # the read's row opens its petition's history (the reads are listed oldest first)
    read_row = page.locator("#reads-table tbody tr", has_text=read_reason)

    async def on_the_last_page() -> bool:  # the latest read, once the list is in
        await page.locator("#reads-pager .el-pager li").last.click()
        return await read_row.count() == 1

    await until(on_the_last_page, "the identity read on 身份查阅记录's last page")
    await read_row.get_by_role("button", name=f"查看信访件历史 {petition['id']}").click()
    await page.locator("#history-timeline", has_text="收到信访举报").wait_for()
    assert await page.input_value("#h-stream") == petition["id"]
    timeline = await page.locator("#history-timeline").inner_text()
    assert "查阅举报人身份" in timeline and informant["name"] not in timeline
    # a browser whose clock is set to UTC: the time picked is still Beijing time (an hour ago
    # there is eight hours ahead here, and was refused as later than now)
    utc = await open_as(browser, wb, "auditor", timezone="UTC")
    await utc.page.goto(f"{wb.url}/audit")
    await utc.page.get_by_role("tab", name="时间回溯").click()
    hour_ago = datetime.now(UTC).astimezone(timezone(timedelta(hours=8))) - timedelta(hours=1)
    await utc.page.fill("#rp-at", hour_ago.strftime("%Y-%m-%d %H:%M:%S"))
    await utc.page.keyboard.press("Enter")
    await utc.page.click("#replay-button")
    await utc.page.wait_for_selector("#replay-table", timeout=120_000)
    assert "不能晚于现在" not in await utc.page.locator(".el-tab-pane:visible").inner_text()
    await utc.page.context.close()
    await page.get_by_role("tab", name="时间回溯").click()
    # a day that is no day (30 February) is refused as typed, never replayed as 2 March
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/audit/replay" in r.url else None)
    await page.fill("#rp-at", "2026-02-30 10:00:00")
    await page.keyboard.press("Enter")
    refused = page.locator(".el-form-item:has(#rp-at) .el-form-item__error")
    await refused.filter(has_text="无法识别“2026-02-30 10:00:00”").wait_for()
    await page.click("#replay-button")
    await page.wait_for_timeout(500)
    assert await page.input_value("#rp-at") == "" and asked == []
    # a time typed after now is kept and refused beside the field, nothing replayed
    await page.fill("#rp-at", "2030-01-01 00:00:00")
    await page.keyboard.press("Enter")
    await page.click("#replay-button")
    await refused.filter(has_text="回溯时间不能晚于现在").wait_for()
    assert await page.locator("#replay-table").count() == 0
    await page.fill("#rp-at", "2020-01-01 00:00:00")
    await page.keyboard.press("Enter")
    await page.click("#replay-button")
    await page.wait_for_selector("#replay-table", timeout=120_000)
    assert "历史状态" in await page.locator(".el-tab-pane:visible").inner_text()
    # what was replayed: per store the events recorded by then (none in 2020), and the
    # deadlines as they stood (none yet)
    replayed_text = await page.locator("#replay-services").inner_text()
    assert "巡察组织与信访受理：重放 0 / 共" in replayed_text, replayed_text
    assert "没有因无法解码而跳过的事件" in replayed_text
    assert "该时刻没有任何期限" in await page.locator("#replay-deadline-states").inner_text()
    assert "尚无任何记录" in await page.locator("#replay-nothing-yet").inner_text()
    # named and counted as 总览 names them: the city's total first, 自报完成 beside 核实销号
    first = await page.locator("#replay-table tbody tr td:first-child").first.inner_text()
    assert first.endswith("（合计）"), first
    headers = await page.locator("#replay-table thead th").all_inner_texts()
    assert "自报完成" in headers and "核实销号" in headers and "整改完成" not in headers
    assert "报市委巡察办" in headers and "整改完成率" in headers  # as 总览 has them
    async with page.expect_download(timeout=120_000) as download:
        await page.click("#rp-export")
    book = load_workbook(io.BytesIO((await (await download.value).path()).read_bytes()))
    rows = list(book["上下联动总览"].iter_rows(min_row=2, values_only=True))
    assert str(rows[0][0]).endswith("（合计）"), rows
    await shot(page, "audit-replay")
    assert s.errors == []


async def test_the_custodian_erases_an_identity_and_its_notices_are_owed_no_more(
    wb: Workbench, browser: Any
):
    """R23 then R8: a real-name petition owes its acceptance notice; the custodian erases the
    reporter's identity from its row (legal basis, reason, typed confirmation); the notice
    leaves the list at once, nobody being left to tell."""
    unit = f"临川区告知测试单位{uuid.uuid4().hex[:6]}"
    await wb.post(
        "/api/v1/petitions",
        {
            "jurisdiction": LINCHUAN,
            "unit": unit,
            "channel": "letter",
            "summary": "反映该单位违规发放津补贴",
            "informant": {"name": "告知测试举报人", "phone": "0794-8123457"},
        },
        "linchuan",
    )
    s = await open_as(browser, wb, "custodian")
    page = s.page
    await page.goto(f"{wb.url}/notices")
    await page.fill("#due-text", unit)
    row = page.locator("#due-table tbody tr", has_text=unit)
    await row.first.wait_for()
    assert "受理告知" in await row.first.inner_text()
    before = int((await page.inner_text("#due-total")).strip("共 件"))
    await row.first.get_by_role("button", name="加密粉碎").click()
    dialog = page.locator("#erasure-dialog")
    await dialog.wait_for()
    await page.fill("#e-basis", "《个人信息保护法》第四十七条")
    await page.fill("#e-reason", "举报人书面申请删除其个人信息")
    await page.fill("#e-confirm", "确认粉碎")
    await page.click("#e-submit")
    await page.locator("#erasure-done").wait_for()
    await row.first.wait_for(state="detached")  # no reload: the notice is owed no more
    after = int((await page.inner_text("#due-total")).strip("共 件"))
    assert after == before - 1
    await shot(page, "notices-after-erasure")
    assert s.errors == []


async def test_sign_in_refuses_a_bad_token_and_signs_out(wb: Workbench, browser: Any):
    context = await browser.new_context(locale="zh-CN")
    page = await context.new_page()
    await page.goto(f"{wb.url}/petitions")
    await page.wait_for_url(re.compile(r"/login\?back=(/|%2F)petitions$"))
    await page.fill("#token-input", "xc_" + "A" * 43)
    await page.click("#sign-in")
    error = page.locator(".el-form-item__error")
    await error.wait_for()
    assert "令牌无效" in await error.inner_text()
    await shot(page, "login-refused")
    await page.fill("#token-input", wb.tokens["linchuan"])
    await page.keyboard.press("Enter")  # the keyboard alone signs in
    await page.wait_for_url(f"{wb.url}/petitions")
    await page.reload()  # the token is kept
    await page.wait_for_selector("#petition-form")
    # a reload while the services cannot check the sign-in (503 while reporting restarts) is no
    # sign-out: the sign-in page says so, keeps the token and opens the page once they answer
    down = {"503": True}

    async def me(route: Any) -> None:
        if down["503"]:
            await route.fulfill(
                status=503,
                content_type="application/problem+json",
                headers={"Retry-After": "1"},
                body='{"type":"about:blank","title":"Service Unavailable","status":503}',
            )
        else:
            await route.continue_()

    await page.route("**/api/v1/me", me)
    await page.reload()
    await page.wait_for_url(re.compile(r"/login\?back=(/|%2F)petitions&unavailable=1$"))
    note = page.locator("#login-unavailable")
    await note.wait_for()
    assert "您的登录仍然保留" in await note.inner_text()
    await shot(page, "login-unavailable")
    assert await page.evaluate("localStorage.getItem('xuncha.workbench.token')")
    down["503"] = False
    await page.wait_for_url(f"{wb.url}/petitions", timeout=15_000)  # retried on its own
    await page.wait_for_selector("#petition-form")
    await page.unroute("**/api/v1/me")
    # the root address and an unknown one, opened signed in (a bookmark, a reload), lead to
    # the role's first page, never to 无可办理事项
    for address in ("/", "/none", "/no-such-page"):
        await page.goto(f"{wb.url}{address}")
        await page.wait_for_url(f"{wb.url}/overview")
    await page.click("#sign-out")
    await page.wait_for_url(f"{wb.url}/login")
    assert await page.evaluate("localStorage.getItem('xuncha.workbench.token')") is None
    await context.close()
