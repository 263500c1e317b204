"""Rounds, groups and the talent pool in the workbench (Debian's chromium, Playwright), against
the four services as real processes behind this module's own nginx: the city office plans a
round and assigns its units, forms a group from the pool (a recusal is flagged in the picker and
the service's refusal is explained, naming the member and the ground), stations the group
(15 working days), a member of the group records a talk with its own token, the round's live
statistics count it and the coverage chart shows the term's rate; a form sent incomplete has
each field the service names marked (the round's dates, the term plan's), and the 五年规划 tab
lists the plans adopted for its term.

Screenshots go to test-artifacts/workbench/ (rounds-*.png).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from xuncha_shared.auth import tokens as auth
from xuncha_shared.domain.principals import Principal, Role

from tests.e2e.stack import Running
from tests.support.workbench import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    choose,
    selects_closed,
    sign_in,
)
from tests.support.workbench import workbench_nginx as nginx

pytestmark = [pytest.mark.timeout(1500)]

CITY = "361000"
TERM = 9
UNITS = ("市测试一局", "市测试二局", "市测试三局")
#: a unit set up after the term plan was adopted: the plan is amended to take it in (R6)
NEW_UNIT = "市测试新组建局"
HOME = "市测试巡察办"


class Office:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token

    async def post(self, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.url, timeout=20) as client:
            resp = await client.post(
                path, json=body, headers={"Authorization": f"Bearer {self.token}"}
            )
        assert resp.status_code in (200, 201), f"{path}: {resp.status_code} {resp.text}"
        return resp.json()

    async def get(self, path: str) -> Any:
        async with httpx.AsyncClient(base_url=self.url, timeout=20) as client:
            resp = await client.get(path, headers={"Authorization": f"Bearer {self.token}"})
        assert resp.status_code == 200, f"{path}: {resp.status_code} {resp.text}"
        return resp.json()


@pytest.fixture(scope="module")
async def site(default_stack: Running) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    running = default_stack  # the shared stack (tests/e2e/conftest.py)
    with nginx(running.urls) as url:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield running, url, browser
            finally:
                await browser.close()


async def page_as(browser: Any, url: str, token: str) -> Any:
    context = await browser.new_context(
        viewport={"width": 1440, "height": 1000}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(120_000)  # a loaded machine: waits are for events, not speed
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    try:
        await sign_in(page, url, token)
    except Exception:
        await page.screenshot(path=str(ARTIFACTS / "rounds-sign-in-failed.png"))
        raise AssertionError(f"sign-in failed: {errors} {console}") from None
    return page


async def shot(page: Any, name: str) -> None:
    await page.wait_for_timeout(400)
    await page.screenshot(path=str(ARTIFACTS / f"rounds-{name}.png"), full_page=True)


async def choose_many(page: Any, input_id: str, labels: Sequence[str]) -> None:
    """Pick each of ``labels`` in the multiple el-select whose input has ``input_id`` (it stays
    open between picks), then close it."""
    await selects_closed(page)
    await page.locator(f".el-select:has(#{input_id})").click()
    for label in labels:
        option = page.locator(".el-select-dropdown__item:visible", has_text=label).first
        await option.click()
    await page.keyboard.press("Escape")
    await selects_closed(page)


async def fill_date(page: Any, input_id: str, value: str) -> None:
    await page.fill(f"#{input_id}", value)
    await page.keyboard.press("Enter")


async def test_plan_a_round_form_a_group_station_it_record_a_talk(site: Any) -> None:
    running, url, browser = site
    office = Office(url, running.tokens["city"])
    ids = {}
    for name in (*UNITS, HOME, NEW_UNIT):
        unit = await office.post(
            "/api/v1/units", {"jurisdiction": CITY, "name": name, "kind": "city_department"}
        )
        ids[name] = unit["id"]
    await office.post(
        "/api/v1/term-plans",
        {
            "jurisdiction": CITY,
            "term_no": TERM,
            "starts_on": "2026-01-01",
            "ends_on": "2030-12-31",
            "unit_ids": [ids[n] for n in UNITS],
        },
    )
    people = {}
    for name, home in (
        ("赵清廉", HOME),
        ("钱守正", HOME),
        ("孙明察", HOME),
        ("李本单位", UNITS[0]),
    ):
        member = await office.post(
            "/api/v1/talent-pool/members",
            {
                "name": name,
                "jurisdiction": CITY,
                "home_unit_id": ids[home],
                "source": "discipline_commission",
                "specialities": ["discipline"],
                "rank": "正科级",
                "birth_year": 1980,
            },
        )
        people[name] = member["id"]

    page = await page_as(browser, url, running.tokens["city"])
    await page.click('[data-menu="rounds"]')
    await page.wait_for_selector("#round-table")
    # no term picked: each area's own term of today, and every round not closed yet
    await page.locator(".el-select__placeholder", has_text="各地区本届").wait_for()
    await page.click("#r-new")
    await page.wait_for_selector("#round-form")
    # the term in view and its next round proposed (none deployed yet: the first)
    assert await page.input_value("#r-term") == str(TERM)
    assert await page.input_value("#r-no") == "1"
    # sent without its dates: both date fields marked, each saying what it needs, nothing sent
    await page.click("#r-submit")
    await page.locator("#round-form .el-form-item__error").nth(1).wait_for()
    marked = await page.locator("#round-form .el-form-item.is-error label").all_inner_texts()
    assert marked == ["开始日期", "结束日期"], marked
    assert await page.locator("#round-form .el-form-item__error").all_inner_texts() == [
        "请选择开始日期",
        "请选择结束日期",
    ]
    # an end before the start: the end marked
    await fill_date(page, "r-start", "2026-11-02")
    await fill_date(page, "r-end", "2026-11-01")
    await page.click("#r-submit")
    end_item = page.locator(".el-form-item:has(#r-end)")
    await end_item.locator(".el-form-item__error", has_text="结束日期不能早于开始日期").wait_for()
    # R6: the term's dates beside it; the pickers take no day beyond them
    assert "本届规划期限 2026-01-01 至 2030-12-31" in await page.inner_text("#r-term-dates")
    assert await page.locator("#r-term-notice").count() == 0  # a term of today, planned
    await fill_date(page, "r-start", "2030-12-01")
    await fill_date(page, "r-end", "2031-01-31")
    await page.click("#r-term-dates")  # the picker left: a day it does not offer is dropped
    assert await page.input_value("#r-start") == "2030-12-01"
    assert await page.input_value("#r-end") != "2031-01-31"
    # a term with no plan is said as soon as it is chosen, and nothing is sent
    await page.fill("#r-term", str(TERM + 1))
    await page.keyboard.press("Tab")
    notice = page.locator("#r-term-notice", has_text=f"第{TERM + 1}届巡察规划尚未制定")
    await notice.wait_for()
    await page.click("#r-submit")
    assert await office.get(f"/api/v1/rounds?term_no={TERM + 1}") == []
    assert await office.get(f"/api/v1/rounds?term_no={TERM}") == []
    await page.fill("#r-term", str(TERM))
    await page.keyboard.press("Tab")
    await page.fill("#r-no", "1")
    await page.keyboard.press("Tab")
    await fill_date(page, "r-start", "2026-11-02")
    await fill_date(page, "r-end", "2026-12-31")
    await page.click("#r-submit")
    await page.wait_for_selector("#round-title")
    assert f"第{TERM}届第1轮巡察" in await page.inner_text("#round-title")
    # a next round whose dates meet it is said before it is deployed (allowed: a 专项 may run
    # beside it)
    await page.click("#r-new")
    await page.wait_for_selector("#round-form")
    await fill_date(page, "r-start", "2026-12-01")
    await fill_date(page, "r-end", "2026-12-20")
    overlap = page.locator("#r-overlap")
    await overlap.wait_for()
    assert f"第{TERM}届第1轮（2026-11-02至2026-12-31）" in await overlap.inner_text()
    dialog = page.locator(".el-dialog", has=page.locator("#round-form"))
    await dialog.locator("button", has_text="取消").click()
    await dialog.wait_for(state="hidden")

    # each form of the round sent empty marks what it needs, beside itself, sending nothing
    await page.click("#a-submit")
    await page.locator("#assign-form .el-form-item.is-error").first.wait_for()
    marked = await page.locator("#assign-form .el-form-item.is-error label").all_inner_texts()
    assert marked == ["单位"], marked
    await page.click("#g-submit")
    await page.locator("#group-form .el-form-item.is-error").nth(2).wait_for()
    marked = await page.locator("#group-form .el-form-item.is-error label").all_inner_texts()
    assert marked == ["本组负责单位", "组员", "组长"], marked
    assert "请补全标红的字段" in await page.inner_text("#group-form")
    assert await page.locator("#round-units tbody tr").count() == 0

    # a unit outside the term plan is marked, and asked about before it is assigned (R6)
    await choose_many(page, "a-units", (HOME,))
    assert HOME in await page.inner_text("#a-outside")
    await page.click("#a-submit")
    box = page.locator(".el-message-box", has_text="规划外单位")
    await box.wait_for()
    await box.locator("button", has_text="取消").click()
    await page.locator(".el-select:has(#a-units) .el-tag__close").click()
    await page.locator("#a-outside").wait_for(state="detached")
    assert await page.locator("#round-units tbody tr").count() == 0
    await choose_many(page, "a-units", UNITS)
    await page.click("#a-submit")
    await page.locator("#round-units tbody tr").nth(2).wait_for()

    # the picker flags the member whose home unit is inspected; the service refuses and says why
    await choose_many(page, "g-units", UNITS[:2])
    await choose_many(page, "g-members", ("赵清廉", "钱守正", "李本单位"))
    hints = page.locator("#recusal-hints")
    await hints.wait_for()
    assert "李本单位" in await hints.inner_text()
    assert "工作单位" in await hints.inner_text()
    await choose(page, "g-leader", "赵清廉")
    await page.click("#g-submit")
    refusal = page.locator(".el-card:has(#group-form) .problem")
    await refusal.wait_for()
    text = await refusal.inner_text()
    assert "李本单位不得参加本组" in text and "工作单位" in text, text
    assert text.count("李本单位") == 1, text  # named once
    await shot(page, "recusal-refused")

    # without that member the group is formed; had they been chosen as leader, the leader goes
    # with them
    await choose(page, "g-leader", "李本单位")
    tag = page.locator(".el-select:has(#g-members) .el-tag", has_text="李本单位")
    await tag.locator(".el-tag__close").click()
    leader = page.locator(".el-select:has(#g-leader)")
    await page.wait_for_function(
        "() => !document.querySelector('.el-select:has(#g-leader)').innerText.includes('李本单位')"
    )
    assert "请选择" in await leader.inner_text()
    await choose(page, "g-leader", "赵清廉")
    await choose_many(page, "g-members", ("孙明察",))
    await page.click("#g-submit")
    header = page.locator(".el-collapse-item__header", has_text="第1巡察组")
    await header.wait_for()
    # a member of group 1 offered for another group of the round: the form says where they sit
    await choose_many(page, "g-members", ("赵清廉",))
    seated = page.locator("#recusal-hints", has_text="同期已在其他巡察组")
    await seated.wait_for()
    assert f"第{TERM}届第1轮巡察第1巡察组" in await seated.inner_text()
    await shot(page, "member-seated")
    tag = page.locator(".el-select:has(#g-members) .el-tag", has_text="赵清廉")
    await tag.locator(".el-tag__close").click()
    await page.locator("#recusal-hints").wait_for(state="detached")
    await header.click()
    # 考核评价 waits for the round's end (2026-12-31): the button says so
    rate = page.locator(".eval-open").first
    await rate.wait_for()
    today = datetime.now(timezone(timedelta(hours=8))).date().isoformat()
    if today < "2026-12-31":  # the round runs on the day of the run (China time)
        assert await rate.is_disabled()
        assert "本轮巡察结束后评价（2026-12-31 结束" in (await rate.get_attribute("title") or "")
    row = page.locator(".group-units tbody tr", has_text=UNITS[0])
    await row.locator("button", has_text="进驻").click()  # no day yet: said at the row
    missing = row.locator(".row-error", has_text="请选择进驻日期（2026-11-02 至 2026-12-31）")
    await missing.wait_for()
    day = row.locator("input")
    await day.fill("2026-11-03")
    await day.press("Enter")
    assert await day.input_value() == "2026-11-03"
    await row.locator("button", has_text="进驻").click()
    # R14: 15 working days from 2026-11-03 (not counting it)
    stationed = page.locator(".group-units tbody tr", has_text="2026-11-24")
    try:
        await stationed.wait_for()
    except Exception:  # say what the page shows instead (a refusal, or nothing at all)
        await shot(page, "group-not-stationed")
        problems = await page.locator(".problem").all_inner_texts()
        raise AssertionError(f"no stationing shown; the page's problems: {problems}") from None
    await shot(page, "group-stationed")

    rnd = (await office.get(f"/api/v1/rounds?term_no={TERM}"))[0]
    [group] = await office.get(f"/api/v1/rounds/{rnd['id']}/groups")
    bound = Principal(
        id="e2e-group-1",
        role=Role.GROUP_MEMBER,
        jurisdiction=CITY,
        group_id=group["id"],
    )
    member_token = await auth.create_token_in(running.databases.values(), bound)
    member_office = Office(url, member_token)
    assert (await member_office.get("/api/v1/me"))["group_id"] == group["id"]
    assert (await member_office.get(f"/api/v1/groups/{group['id']}"))["id"] == group["id"]

    # a member of the group records a talk with its own token
    member = await page_as(browser, url, member_token)
    await member.click('[data-menu="group-work"]')
    await member.wait_for_selector("#record-form")
    assert "第1巡察组" in await member.inner_text("#group-title")
    # nothing is preset: saving the untouched form records nothing and says what is missing
    await member.click("#w-submit")
    await member.get_by_text("请选择被巡察单位和日期").wait_for()
    # the date field says which days it takes (a day typed outside them is cleared)
    date_item = member.locator(".el-form-item:has(#w-date)")
    window = f"请选择本轮巡察期间的日期（{group['starts_on']} 至 {group['ends_on']}）"
    await date_item.locator(".el-form-item__error", has_text=window).wait_for()
    await choose(member, "w-unit", UNITS[0])
    await member.fill("#w-date", group["starts_on"])
    await member.keyboard.press("Enter")  # takes the typed date; Enter never saves the form
    await member.fill("#w-persons-0", "7")
    await member.keyboard.press("Enter")
    await member.wait_for_timeout(500)
    assert await member.locator("#record-table tbody tr").count() == 0
    # a clue with the reporter's phone number in it is not sent (R11), the field says why
    await member.fill("#w-clue", "谈话对象反映该局违规发放补贴，联系电话13907941234")
    await member.click("#w-submit")
    clue_item = member.locator(".el-form-item:has(#w-clue)")
    await clue_item.locator(".el-form-item__error", has_text="R11").wait_for()
    assert await member.locator("#record-table tbody tr").count() == 0
    await member.fill("#w-clue", "")
    await member.click("#w-submit")
    await member.locator("#record-table tbody tr", has_text="领导班子成员7人次").wait_for()
    assert await member.locator("#record-table tbody tr").count() == 1
    await shot(member, "talk-recorded")
    # 记录 again at once saves no second copy: the day is chosen afresh for the next record
    await member.click("#w-submit")
    await date_item.locator(".el-form-item__error", has_text=window).wait_for()
    assert await member.locator("#record-table tbody tr").count() == 1

    # the round's statistics count it (live, from reporting); the coverage chart shows the term
    await page.locator("#stat-talks", has_text="7").wait_for(timeout=60_000)
    assert "个别谈话7人次" in await page.inner_text("#round-summary")
    # 结束本轮 while the group is stationed: told which unit to end first, nothing closed
    await page.click("#round-close")
    box = page.locator(".el-message-box", has_text="进驻未结束")
    await box.wait_for()
    assert UNITS[0] in await box.inner_text()
    await box.locator("button", has_text="知道了").click()
    assert await page.locator("#round-close").count() == 1
    # R15 while stationed: the week's 调度 recorded at the row, with today's day
    await row.locator("button", has_text="调度/报告").click()
    cadence = page.locator(".el-dialog", has_text="调度与报告")
    await cadence.wait_for()
    await cadence.locator("#cad-submit").click()
    await page.locator(".el-message", has_text="已记录第 1 次调度").wait_for()
    await cadence.wait_for(state="hidden")
    await row.locator("button", has_text="结束进驻").click()
    # the day the group left, today unless said otherwise; a day to come is refused with why
    ending = page.locator(".el-dialog", has_text="结束后不能撤销")
    await ending.wait_for()
    today = datetime.now(timezone(timedelta(hours=8))).date()  # the workbench's day (China)
    assert await page.input_value("#end-day") == today.isoformat()
    await page.fill("#end-day", (today + timedelta(days=3)).isoformat())
    await page.keyboard.press("Tab")
    await ending.locator(".el-form-item__error", has_text="不能晚于今天").wait_for()
    await ending.locator("#end-submit").click()  # not sent: the field says why
    await ending.locator(".el-form-item__error", has_text="不能晚于今天").wait_for()
    await page.fill("#end-day", today.isoformat())
    await page.keyboard.press("Tab")  # the picker takes a typed day on change (blur)
    await shot(page, "end-stationing")
    await ending.locator("#end-submit").click()
    await page.locator(".group-units tbody tr", has_text="已结束").wait_for()
    await page.click('[data-menu="planning"]')
    await page.wait_for_selector("#coverage-chart canvas")
    # each area's own term of today first, said so, and each row names its term
    await page.locator(".el-select__placeholder", has_text="各地区本届").wait_for()
    # (the site's other tests may have planned other areas, in other terms: the total then
    # says it sums each area's own term, 各地区本届合计; the city's row is this test's)
    city_row = page.locator("#coverage-table tbody tr", has_text="市本级")
    for _ in range(60):
        if await city_row.filter(has_text="33.33%").count():
            break
        await page.click("text=刷新")
        await page.wait_for_timeout(1000)
    cells = await city_row.locator("td").all_inner_texts()
    assert cells[2:6] == [f"第{TERM}届", "3", "1", "33.33%"], cells
    total = await page.inner_text("#coverage-city")
    terms = set(await page.locator("#coverage-table tbody tr td:nth-child(3)").all_inner_texts())
    assert ("各地区本届合计" in total) == (len(terms) > 1), (total, terms)
    # the term's dates beside its rate; years before its end, no R6 warning
    assert "2026-01-01 至 2030-12-31" in await city_row.inner_text()
    assert f"第{TERM}届" in await city_row.inner_text()
    assert await city_row.locator(".cov-warning").count() == 0
    await shot(page, "coverage-chart")
    # the 五年规划 tab proposes the next term, from the day after this one ends, for five years
    await page.click("#tab-term")
    assert await page.input_value("#t-term") == str(TERM + 1)
    assert await page.input_value("#t-start") == "2031-01-01"
    assert await page.input_value("#t-end") == "2035-12-31"
    # Enter in a date field takes the typed day and sends nothing half filled
    await page.click("#t-start")
    await page.fill("#t-start", "2031-02-01")
    await page.keyboard.press("Enter")
    await page.wait_for_timeout(500)
    assert await page.input_value("#t-start") == "2031-02-01"
    assert await page.locator("#term-form .el-form-item.is-error").count() == 0
    await page.keyboard.press("Escape")
    for picker in ("t-start", "t-end"):  # cleared, as a person would start over
        await fill_date(page, picker, "")
    # it lists the plans adopted for the term its form names
    await page.fill("#t-term", str(TERM))
    await page.keyboard.press("Tab")
    plans = page.locator("#term-plan-table tbody tr", has_text="市本级")
    await plans.wait_for()
    assert "3" in await plans.inner_text()
    # 巡察规划调整: the running term's plan takes in a unit set up since; its units are all in
    # a round of the term, so none may be taken out, and the dialog says so
    await page.keyboard.press("Escape")  # the date picker's panel, still open from above
    await page.locator(".el-date-picker:visible").first.wait_for(state="hidden")
    await plans.locator("button", has_text="调整规划").click()
    amend = page.locator(".el-dialog", has_text=f"调整市本级第{TERM}届巡察规划")
    await amend.locator("#amend-plan", has_text="现规划巡察 3 个单位").wait_for()
    removing = amend.locator(".el-form-item", has_text="移出规划")
    assert await removing.locator(".el-select__wrapper.is-disabled").count() == 1
    assert "规划内单位均已列入巡察轮次" in await amend.inner_text()
    await amend.locator("#amend-submit").click()  # nothing chosen, no reason: both marked
    await amend.locator(".el-form-item__error", has_text="请选择纳入或移出规划的单位").wait_for()
    await amend.locator(".el-form-item__error", has_text="请说明调整原因").wait_for()
    await choose_many(page, "amend-add", [NEW_UNIT])
    await page.fill("#amend-reason", "机构改革后新组建，纳入本届巡察规划")
    await amend.locator("#amend-submit").click()
    box = page.locator(".el-message-box", has_text="调整巡察规划")
    await box.wait_for()
    assert "纳入 1 个单位，调整后规划巡察 4 个单位" in await box.inner_text()
    await shot(page, "term-plan-amend")
    await box.get_by_role("button", name="确认调整").click()
    await plans.filter(has_text="已调整 1 次").wait_for()
    cells = await plans.locator("td").all_inner_texts()
    assert cells[1] == "4", cells  # planned: the plan as amended
    await shot(page, "term-plan-amended")
    await plans.locator("button", has_text="调整规划").click()
    await amend.locator("#amend-history", has_text=f"纳入 {NEW_UNIT}").wait_for()
    assert "原因：机构改革后新组建，纳入本届巡察规划" in await amend.inner_text()
    await amend.get_by_role("button", name="取消").click()
    await page.click("#t-submit")  # nothing filled in but the term: each field it needs marked
    await page.locator("#term-form .el-form-item.is-error").nth(1).wait_for()
    marked = await page.locator("#term-form .el-form-item.is-error label").all_inner_texts()
    assert {"开始日期", "结束日期", "规划巡察单位"} <= set(marked), marked
    # each field's message renders on its own: waited for, not read at once
    await page.locator(
        "#term-form .el-form-item__error", has_text="请选择本届规划巡察的单位"
    ).wait_for()
    await shot(page, "term-plan-refused")
    # filled in, it asks before adopting; adopted, it says so above the table, which lists the
    # plan just adopted, and the form proposes the next term with no unit chosen yet
    await page.fill("#t-term", str(TERM + 1))
    await page.keyboard.press("Tab")
    await fill_date(page, "t-start", "2031-01-01")
    await fill_date(page, "t-end", "2035-12-31")
    await page.keyboard.press("Escape")
    await choose_many(page, "t-units", UNITS[:2])
    await page.click("#t-submit")
    box = page.locator(".el-message-box", has_text=f"通过市本级第{TERM + 1}届五年规划")
    await box.wait_for()
    said = await box.inner_text()
    assert "规划巡察 2 个单位" in said
    # the area's other units, left out of the plan (and so of its full coverage), are counted
    assert re.search(r"本地区已登记的 \d+ 个可巡察单位中，另有 \d+ 个未列入", said), said
    await box.screenshot(path=str(ARTIFACTS / "term-plan-confirm.png"))
    await box.get_by_role("button", name="确认通过").click()
    adopted = page.locator("#term-adopted", has_text=f"市本级第{TERM + 1}届五年规划已通过")
    await adopted.wait_for()
    assert "2031-01-01 至 2035-12-31" in await adopted.inner_text()
    row = page.locator("#term-plan-table tbody tr", has_text="市本级")
    await row.wait_for()
    assert "2031-01-01 至 2035-12-31" in await row.inner_text()
    assert await page.input_value("#t-term") == str(TERM + 2)
    assert await page.input_value("#t-start") == "2036-01-01"
    assert await page.locator(".el-select:has(#t-units) .el-tag").count() == 0
    await shot(page, "term-plan-adopted")

    # 入库 presets nothing a person could save by accident; sent empty, it marks every field
    await page.click('[data-menu="talent-pool"]')
    await page.wait_for_selector("#member-form")
    assert await page.input_value("#m-rank") == "" and await page.input_value("#m-birth") == ""
    await page.click("#m-submit")
    await page.locator("#member-form .el-form-item.is-error").nth(5).wait_for()
    marked = await page.locator("#member-form .el-form-item.is-error label").all_inner_texts()
    assert marked == ["姓名", "工作单位", "抽调来源", "专业特长", "职级", "出生年份"], marked
    # filled in, it enrols; the 职级 is chosen from the ranks, the 工作单位 from the chosen
    # area's units first; the card counts the new member without a reload
    size = int(await page.inner_text("#pool-size"))

    async def enrol_wang() -> None:
        await page.fill("#m-name", "王入库")
        await page.locator(".el-select:has(#m-home)").click()
        first_group = page.locator(".el-select-group__title:visible").first
        assert (await first_group.inner_text()).strip() == "市本级单位"
        await page.locator(".el-select-dropdown__item:visible", has_text=UNITS[1]).first.click()
        await choose(page, "m-source", "纪委监委")
        await choose_many(page, "m-spec", ["财务审计"])
        await choose(page, "m-rank", "二级主任科员")
        await page.fill("#m-birth", "1985")
        await page.click("#m-submit")

    await enrol_wang()
    await page.wait_for_function(
        f"() => document.querySelector('#pool-size')?.textContent.trim() === '{size + 1}'"
    )
    # the same person again (name, unit, birth year) is asked about before it is sent
    await enrol_wang()
    twin = page.locator(".el-message-box", has_text="可能重复入库")
    await twin.wait_for()
    assert "人才库中已有 王入库" in await twin.inner_text()
    await twin.locator("button", has_text="取消").click()
    assert int(await page.inner_text("#pool-size")) == size + 1
    # 出库 of a member who still sits in group 1 of the open round says so before the choice
    row = page.locator("#member-table .el-table__body tr.el-table__row", has_text="赵清廉")
    await row.locator(".seated-tag").wait_for()
    await row.locator("button", has_text="出库").click()
    leaving = page.locator(".el-message-box", has_text="移出巡察人才库")
    await leaving.wait_for()
    assert f"赵清廉 仍在抚州市第{TERM}届第1轮巡察第1巡察组" in await leaving.inner_text()
    await leaving.locator("button", has_text="取消").click()
    assert page.errors == [] and member.errors == []
