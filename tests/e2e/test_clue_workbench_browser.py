"""A clue to its result through the workbench in Debian's chromium, each step as its role, on
the four services as processes behind an nginx of this module's own: the county office registers
a clue its group found (an informant's phone number in the summary is refused next to the
field; the day written in its paper register entered, 补录 R26), classifies, verifies and
transfers it (with the day of its paper transfer letter); the discipline commission signs for it and
reports its result; the office closes it (办结); the funnel shows it; the informant custodian
records a notice. Screenshots go to test-artifacts/workbench/ (clue-*.png)."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from xuncha_shared.auth import tokens as auth
from xuncha_shared.clocks.calendar import add_calendar_months
from xuncha_shared.contracts.clues import clue_id_for_petition
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal, Role

from tests.e2e.stack import Running
from tests.support.workbench import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    MENUS,
    choose,
    menu_names,
    pick_day,
    sign_in,
    workbench_nginx,
)

pytestmark = [pytest.mark.timeout(900)]

COUNTY = "361023"  # 南丰县
UNIT = "南丰县市场监督管理局"
_TODAY = datetime.now(timezone(timedelta(hours=8))).date()
REGISTERED_ON = (_TODAY - timedelta(days=40)).isoformat()
TRANSFERRED_ON = (_TODAY - timedelta(days=30)).isoformat()


@pytest.fixture(scope="module")
async def wb(default_stack: Running) -> AsyncIterator[Any]:
    """The shared stack (tests/e2e/conftest.py); this module's county office and custodian are
    南丰县's, a county no other module sharing the stack touches: its funnel is this module's."""
    running = default_stack
    for name, principal in {
        "county": Principal(id="e2e-nf", role=Role.COUNTY_ADMIN, jurisdiction=COUNTY),
        "custodian": Principal(id="e2e-nf-custodian", role=Role.CUSTODIAN, jurisdiction=COUNTY),
    }.items():
        running.tokens[name] = await auth.create_token_in(running.databases.values(), principal)
    with workbench_nginx(running.urls) as url:
        yield running, url


@pytest.fixture(scope="module")
async def browser(wb: Any) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


async def open_as(browser: Any, url: str, token: str) -> tuple[Any, list[str]]:
    context = await browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await sign_in(page, url, token)
    return page, errors


async def shot(page: Any, name: str) -> None:
    await page.wait_for_timeout(300)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def status_is(page: Any, text: str) -> None:
    await page.wait_for_function(
        f"() => document.querySelector('#clue-status')?.textContent.trim() === '{text}'",
        timeout=30000,
    )


async def test_a_clue_to_its_result_in_the_workbench(wb: Any, browser: Any) -> None:
    running, url = wb
    tokens = running.tokens
    # ---- the county office registers what its group found -------------------------------
    page, errors = await open_as(browser, url, tokens["county"])
    assert "clue-funnel" in await menu_names(page)
    await page.click('[data-menu="clues"]')
    await page.click("#cl-register")
    await page.wait_for_selector("#register-form")
    await page.click("#r-submit")  # nothing chosen: each missing choice is named in place
    round_item = page.locator(".el-form-item:has(#r-round)")
    await round_item.locator(".el-form-item__error").wait_for()
    assert "请选择巡察轮次" in await round_item.inner_text()
    # a round, group and unit intake does not know (this test plans none): their ids pasted
    for input_id in ("r-round", "r-group", "r-unit-id"):
        await page.locator(f".el-select:has(#{input_id})").click()
        await page.locator(f"#{input_id}").fill(str(uuid.uuid4()))
        await page.keyboard.press("Enter")
        await page.keyboard.press("Escape")
    await page.fill("#r-unit", UNIT)
    await page.fill("#r-summary", "个别谈话反映该局副局长违规收受礼品，举报人电话13979461234")
    await page.click("#r-add-person")
    await page.click("#r-submit")
    summary_item = page.locator(".el-form-item:has(#r-summary)")
    # the service's refusal, not the 必填 of the first click still leaving
    await summary_item.locator(".el-form-item__error", has_text="R11").wait_for()
    await shot(page, "clue-register-refused")
    await page.fill("#r-summary", "个别谈话反映该局副局长违规收受礼品，涉及金额约2万元")
    # 补录 (R26): registered on paper 40 days ago, the day written in the register
    await pick_day(page, "#r-registered-on", REGISTERED_ON)
    await page.click("#r-submit")
    await page.wait_for_selector("#clue-actions")
    await status_is(page, "已登记")
    clue_id = page.url.rsplit("/", 1)[-1]
    assert (await page.locator("#clue-registered-on").inner_text()).strip() == REGISTERED_ON
    # where it came from: the channel as registered; a round and group intake does not know
    # (pasted ids) are named by nothing rather than by their ids
    assert (await page.locator("#clue-source").inner_text()).strip() == "个别谈话"
    assert (await page.locator("#clue-round").inner_text()).strip() == "—"
    assert (await page.locator("#clue-group").inner_text()).strip() == "—"

    # 分类 → 核查 → 移交 (移交 only once classified)
    assert await page.locator("#act-transfer").count() == 0
    await page.click("#act-classify")
    await choose(page, "c-category", "进一步了解关注类")
    await choose(page, "c-cadre", "科级干部")
    await choose(page, "c-topics", "违纪", close=True)
    await page.click("#c-submit")
    await status_is(page, "已分类")
    await page.click("#act-verify")
    await page.fill("#v-outcome", "基本属实")
    await page.fill("#v-notes", "调阅了礼品登记台账")
    await shot(page, "clue-verify")
    await page.click("#v-submit")
    await status_is(page, "核查中")
    # the history says what was checked, and which office did it
    history = page.locator("#clue-history")
    await history.locator("text=备注：调阅了礼品登记台账").wait_for()
    assert f"{jurisdictions.name_of(COUNTY)}委巡察办" in await history.inner_text()
    await page.click("#act-transfer")
    await page.fill("#t-reason", "涉嫌违反廉洁纪律，按规定移交")
    # a day after today typed by hand is refused and the field emptied; 移交 then asks whether
    # to date the transfer today rather than doing so silently, and 重新填写日期 goes back
    await page.fill("#t-transferred-on", (_TODAY + timedelta(days=3)).isoformat())
    await page.press("#t-transferred-on", "Enter")
    await page.locator("#transfer-dialog .el-form-item__error", has_text="未采用").wait_for()
    await page.click("#t-submit")
    box = page.locator(".el-message-box", has_text="是否按今天")
    await box.wait_for()
    await box.get_by_role("button", name="重新填写日期").click()
    await box.wait_for(state="hidden")
    # the transfer letter (移交函) was sent 30 days ago: R3 counts from it
    await pick_day(page, "#t-transferred-on", TRANSFERRED_ON)
    await shot(page, "clue-transfer-letter-day")
    await page.click("#t-submit")
    await status_is(page, "已移交")
    assert (await page.locator("#clue-transferred-on").inner_text()).strip() == TRANSFERRED_ON
    assert f"移交函日期：{TRANSFERRED_ON}" in await page.locator("#clue-history").inner_text()
    # 催办 (R27): the office chases the result, R3's last day three months from the letter
    due = add_calendar_months(date.fromisoformat(TRANSFERRED_ON), 3).isoformat()
    assert (await page.locator("#clue-result-due").inner_text()).strip() == due
    assert await page.locator("#clue-result-overdue").count() == 0
    await page.click("#act-urge")
    assert await page.input_value("#u-note") == f"请于{due}前反馈该线索的办理情况。"
    await page.click("#u-submit")
    await page.locator("#clue-urges").wait_for()
    assert (await page.locator("#clue-urges").inner_text()).strip() == (
        f"已催办 1 次，最近一次 {_TODAY.isoformat()}"
    )
    assert (
        f"第1次催办纪委监委（办理期限 {due}）" in await page.locator("#clue-history").inner_text()
    )
    assert await page.locator("#act-urge").is_disabled()  # once a day
    await page.locator("#urged-today").wait_for()
    await shot(page, "clue-urged")
    assert errors == []

    # ---- the discipline commission signs for it and reports its result ------------------
    dept, dept_errors = await open_as(browser, url, tokens["discipline"])
    # the department's clue page asks nothing it may not read (intake's rounds and groups are
    # the offices'): no refused request in the console, no round or group rows to fill
    dept_console: list[str] = []
    dept.on("console", lambda m: m.type == "error" and dept_console.append(m.text))
    assert await menu_names(dept) == MENUS["department"]
    await dept.goto(f"{url}/clues/{clue_id}")
    await dept.wait_for_selector("#act-acknowledge")
    await dept.wait_for_load_state("networkidle")
    assert await dept.locator("#clue-round, #clue-group").count() == 0
    # the matter, never its source: not the talk it came from (the office reads 个别谈话)
    source = (await dept.locator("#clue-source").inner_text()).strip()
    assert source == "巡察移交（具体来源不向接收部门提供）", source
    assert dept_console == []
    await dept.click("#act-acknowledge")  # asked first, with a note, as in its feed
    box = dept.locator(".el-message-box", has_text="签收备注")
    await box.wait_for()
    await box.locator("input").fill("已签收，转第一纪检监察室")
    await box.get_by_role("button", name="签收").click()
    await status_is(dept, "已签收")
    await dept.locator("#clue-history", has_text="签收备注：已签收，转第一纪检监察室").wait_for()
    await dept.click("#act-result")
    await choose(dept, "r-disposition", "谈话函询")
    await dept.fill("#r-summary", "已对其进行谈话提醒，责令退还礼品")
    await shot(dept, "clue-result-form")
    await dept.click("#r-submit")
    await status_is(dept, "已反馈结果")
    assert (await dept.locator("#clue-disposition").inner_text()).strip() == "谈话函询"
    # its feed shows the state of what it received
    await dept.goto(f"{url}/feeds")
    rows = dept.locator("#feed-table tbody tr", has_text=UNIT)
    row = rows.filter(has_text="移交线索")
    await row.first.wait_for()
    # the office's urge, an item of its own with R3's last day
    urge = rows.filter(has_text="催办")
    assert f"期限 {due}" in await urge.first.inner_text()
    assert "已催办 1 次" in await row.first.inner_text()

    async def feed_shows_result() -> bool:
        await dept.click("text=刷新")
        await dept.wait_for_timeout(500)
        return "已反馈结果" in await row.first.inner_text()

    for _ in range(60):
        if await feed_shows_result():
            break
    assert "已签收" in await row.first.inner_text()
    assert "谈话函询" in await row.first.inner_text()
    # the feed's time (its order), and beneath it the day of the letter a paper transfer had
    when = (await row.first.locator("td.feed-time").inner_text()).split()
    assert len(when) == 4 and when[2:] == ["移交函", TRANSFERRED_ON], when
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", when[0]) and re.fullmatch(r"\d{2}:\d{2}", when[1])
    await shot(dept, "clue-feed-result")
    assert dept_errors == []

    # ---- the office closes it; the funnel shows it ---------------------------------------
    await page.reload()
    await page.wait_for_selector("#act-dispose")
    await page.click("#act-dispose")
    await page.fill("#d-note", "处置恰当，予以办结")
    await page.click("#d-submit")
    await status_is(page, "已办结")
    history = await page.locator("#clue-history").inner_text()
    for step in ("线索核查", "部门签收线索", "反馈办理结果", "线索办结"):
        assert step in history
    await shot(page, "clue-disposed")
    await page.click('[data-menu="clue-funnel"]')
    await page.wait_for_selector("#funnel-table")
    for _ in range(60):
        text = await page.locator("#funnel-total").inner_text()
        if "办结 1 件" in text:
            break
        await page.click("text=刷新")
        await page.wait_for_timeout(500)
    assert "办结 1 件" in await page.locator("#funnel-total").inner_text()
    assert "谈话函询" in await page.locator("#funnel-dispositions").inner_text()
    await shot(page, "clue-funnel")
    assert errors == []

    # ---- the informant custodian records a notice to a real-name reporter ---------------
    async with httpx.AsyncClient(base_url=url, timeout=20) as client:
        resp = await client.post(
            "/api/v1/petitions",
            json={
                "jurisdiction": COUNTY,
                "unit": UNIT,
                "channel": "letter",
                "summary": "反映该局违规收受礼品",
                "informant": {"name": "刘桂兰", "phone": "13979461234"},
            },
            headers={"Authorization": f"Bearer {tokens['county']}"},
        )
    assert resp.status_code == 201, resp.text
    petition_id = resp.json()["id"]
    cust, cust_errors = await open_as(browser, url, tokens["custodian"])
    assert await menu_names(cust) == ["notices"]
    # the petition waits in the custodian's to-do (待告知), found by its words, and picking it
    # fills the form
    await cust.fill("#due-text", "违规收受礼品")
    owed = cust.locator("#due-table tbody tr", has_text="反映该局违规收受礼品")
    await owed.wait_for()
    assert await cust.locator("#due-table tbody tr").count() == 1  # only what matches
    assert "受理告知" in await owed.inner_text()
    await owed.get_by_role("button", name="登记告知").click()
    assert await cust.input_value("#n-petition") == petition_id
    # the petition named as the custodian knows it, not by its id alone
    picked = await cust.inner_text("#n-picked")
    assert "受理 · 反映该局违规收受礼品" in picked and petition_id not in picked
    # only what is owed can be told: no result before the clue is disposed of (R8)
    assert await cust.locator("#n-kind label.is-disabled", has_text="办理结果告知").count() == 1
    assert "待告知：受理告知" in await cust.inner_text("#n-kind-hint")
    await cust.click("#n-submit")
    await cust.locator("#notice-table").wait_for()
    told = await cust.locator("#notice-table").inner_text()
    assert "受理告知" in told and "反映该局违规收受礼品" in told and petition_id not in told
    await owed.wait_for(state="detached")  # told: no longer owed
    await shot(cust, "clue-notice")
    # recorded notices are the service's: still listed after a reload
    await cust.reload()
    await cust.locator("#notice-table", has_text="反映该局违规收受礼品").wait_for()
    # a petition named by its 回执码 is found (in no list once told), and fills the forms
    await cust.fill("#rc-code", resp.json()["receipt_code"])
    await cust.click("#rc-find")
    await cust.locator("#i-picked", has_text="反映该局违规收受礼品").wait_for()
    assert await cust.input_value("#i-petition") == petition_id
    await cust.fill("#rc-code", "XC-AAAA-AAAA-AAAA-AAAA-AAAA")
    await cust.click("#rc-find")
    await cust.locator("#receipt-find .el-form-item__error", has_text="未找到该回执码").wait_for()
    assert cust_errors == []

    # the clue registered from the petition leads back to it (来源 → 信访受理's petition)
    from_petition = clue_id_for_petition(uuid.UUID(petition_id))
    async with httpx.AsyncClient(base_url=url, timeout=20) as client:
        for _ in range(200):  # registered by clues' consumer of intake's petitions
            seen = await client.get(
                f"/api/v1/clues/{from_petition}",
                headers={"Authorization": f"Bearer {tokens['county']}"},
            )
            if seen.status_code == 200:
                break
            await asyncio.sleep(0.3)
    await page.goto(f"{url}/clues/{from_petition}")
    source = page.locator("a#clue-source")
    await source.wait_for()
    assert (await source.inner_text()).strip() == "信访件（来信）"
    await source.click()
    shown = page.locator("#petition-shown")
    await shown.wait_for()
    text = await shown.inner_text()
    assert "反映该局违规收受礼品" in text and "刘桂兰" not in text and "13979461234" not in text
    assert errors == []


async def test_an_anonymous_petitions_numbers_are_sealed_and_read_by_the_custodian(
    wb: Any, browser: Any
) -> None:
    """R11 in the workbench: the county office records an anonymous letter whose summary has
    the reporter's phone number; the form says it will be sealed on its own (no refusal), the
    receipt counts it, the list shows the mark; the informant custodian's recorded read shows
    the number and no identity."""
    running, url = wb
    tokens = running.tokens
    page, errors = await open_as(browser, url, tokens["county"])
    await page.click('[data-menu="petitions"]')
    await page.wait_for_selector("#petition-form")
    await choose(page, "p-channel", "来信")
    await page.fill("#p-unit", UNIT)
    await page.fill("#p-summary", "匿名来信反映该局违规发放津补贴，可拨打13979460000核实")
    note = page.locator("#p-summary-sealing")
    await note.wait_for()
    assert "匿名举报不留举报人身份" in await note.inner_text()
    await shot(page, "petition-anonymous-sealing")
    await page.click("#p-submit")
    await page.locator("#receipt-code").wait_for()
    assert "1 个号码已加密保存" in await page.locator("#receipt-sealed").inner_text()
    await page.get_by_role("button", name="我已记下").click()
    row = page.locator("#petition-table tbody tr", has_text="［已密封的电话号码1］")
    await row.first.wait_for()
    assert "13979460000" not in await page.content()
    # the petition opened from its row (GET /api/v1/petitions/{id}), the number still sealed
    await row.first.locator(".open-petition").click()
    shown = page.locator("#petition-shown")
    await shown.wait_for()
    assert (
        "［已密封的电话号码1］" in await shown.inner_text()
        and "13979460000" not in await shown.inner_text()
    )
    await page.keyboard.press("Escape")
    assert errors == []

    async with httpx.AsyncClient(base_url=url, timeout=20) as client:
        listed = await client.get(
            "/api/v1/petitions",
            params={"unit": UNIT, "limit": 50},
            headers={"Authorization": f"Bearer {tokens['county']}"},
        )
    assert listed.status_code == 200, listed.text
    [petition_id] = [
        p["id"] for p in listed.json()["items"] if "［已密封的电话号码1］" in p["summary"]
    ]
    cust, cust_errors = await open_as(browser, url, tokens["custodian"])
    await cust.fill("#i-petition", petition_id)
    await cust.fill("#i-reason", "核实匿名来信中的联系电话")
    await cust.click("#i-submit")
    await cust.locator("#identity-shown").wait_for()
    assert "匿名举报" in await cust.locator("#identity-anonymous").inner_text()
    assert "13979460000" in await cust.locator("#identity-summary-numbers").inner_text()
    await shot(cust, "petition-anonymous-numbers-read")
    assert cust_errors == []
