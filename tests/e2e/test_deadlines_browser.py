"""The deadlines pages in Debian's chromium (Playwright), against the four services running as
real processes (their deadline workers on the real clock) behind an nginx of this module's own:

- a county office's 期限预警 page: the per-county chart and counts (green, yellow, red,
  overdue), the overdue list with rule id and version, due date, owner and a link to the case,
  most late first; a stationing begun weeks ago has fired R14 and R15 overdue on its own;
- another county sees none of it;
- 期限规则 lists every rule with its id, version and effective date; a group member may read it
  but has no 期限预警 page.

Screenshots go to test-artifacts/workbench/.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from xuncha_shared.contracts.clues import clue_id_for_petition

from tests.e2e.stack import LINCHUAN
from tests.e2e.test_workbench_browser import Workbench, open_as, shot, until

# the browser module's fixtures (its service stack, nginx and chromium)
from tests.e2e.test_workbench_browser import browser, wb  # noqa: F401  isort: skip
from tests.integration.test_intake_clocks import stationed
from tests.support.workbench import menu_names

pytestmark = [pytest.mark.timeout(900)]


class _Api:
    """What ``stationed`` needs (``client`` and ``auth``), through the workbench's nginx."""

    def __init__(self, bench: Workbench, client: httpx.AsyncClient) -> None:
        self.client = client
        self.wb = bench

    def auth(self, who: str) -> dict[str, str]:
        name = {"county": "linchuan"}.get(who, who)
        return {"Authorization": f"Bearer {self.wb.tokens[name]}"}


async def test_the_deadlines_page_shows_counties_colours_and_the_overdue_list(
    wb: Workbench,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    # a walk-in today (red: due today, R10), a clue transferred today (R3: three months,
    # green), and a stationing that began on 1 September: its 15 working days, its first
    # week's dispatch and fortnight's report are long past
    await wb.post(
        "/api/v1/petitions",
        {"jurisdiction": LINCHUAN, "unit": "临川区某局", "channel": "visit", "summary": "来访反映"},
        "linchuan",
    )
    letter = await wb.post(
        "/api/v1/petitions",
        {
            "jurisdiction": LINCHUAN,
            "unit": "临川区某局",
            "channel": "letter",
            "summary": "来信反映",
        },
        "linchuan",
    )
    clue_id = str(clue_id_for_petition(uuid.UUID(str(letter["id"]))))

    async def registered() -> bool:
        clues = await wb.get("/api/v1/clues", "linchuan", limit=200)
        return any(c["id"] == clue_id for c in clues["items"])

    await until(registered, "the letter's clue")
    await wb.post(f"/api/v1/clues/{clue_id}/classify", {"category": "inquiry"}, "linchuan")
    transfer = {"department": "discipline_commission", "reason": "按规定移交"}
    await wb.post(f"/api/v1/clues/{clue_id}/transfer", transfer, "linchuan")
    # the planning routes are not behind the workbench's nginx: straight to intake
    async with httpx.AsyncClient(base_url=wb.running.urls["intake"], timeout=20) as client:
        ids = await stationed(_Api(wb, client), "2026-09-01")  # type: ignore[arg-type]
    group_id = ids["group_id"]

    async def fired() -> bool:
        doc = await wb.get("/api/v1/views/deadlines", "linchuan", state="overdue")
        kinds = {i["kind"] for i in doc["items"] if i["case"]["id"] == group_id}
        running = await wb.get("/api/v1/views/deadlines", "linchuan", state="running")
        transferred = any(i["case"]["id"] == clue_id for i in running["items"])
        return transferred and kinds == {
            "intake.stationing",
            "intake.dispatch",
            "intake.progress_report",
        }

    await until(fired, "R14 and R15 overdue in the view (fired by intake's own worker)")

    s = await open_as(browser, wb, "linchuan")
    page = s.page
    assert "deadlines" in await menu_names(page) and "rules" in await menu_names(page)
    await page.click('#main-menu [data-menu="deadlines"]')
    await page.wait_for_selector("#deadline-table .state-overdue")
    assert await page.title() == "期限预警 · 巡察工作台"
    # the county's counts: its overdue ones, and the walk-in still green
    summary = page.locator("#deadline-summary")
    await summary.get_by_text("临川区").wait_for()
    overdue = int(await summary.locator('[data-colour="overdue"]').first.inner_text())
    assert overdue >= 3
    assert int(await summary.locator('[data-colour="green"]').first.inner_text()) >= 1
    assert await page.locator("canvas").count() >= 1  # the ECharts chart
    # the list: most late first, each with its rule (title, R id, id and version), due date,
    # owner, case
    rows = page.locator("#deadline-table .el-table__body-wrapper tr.state-overdue")
    assert await rows.count() >= 3
    # the most late: the first week's dispatch (due 8 September), the office's, on the group
    first = await rows.first.inner_text()
    assert "每周调度" in first and "第1版" in first
    # the rule's id beside its version, for an auditor, not in the text
    rule = rows.first.locator(".rule")
    assert await rule.get_attribute("data-rule") == "weekly_dispatch"
    assert "weekly_dispatch" in (await rule.get_attribute("title") or "")
    assert "weekly_dispatch" not in first
    assert "每周调度、每周小结" in first and "R15" in first  # the rule named, not only its id
    assert "2026-09-08" in first and "临川区委巡察办" in first and "巡察组" in first
    # which group and where: the stationing's group number and unit (`stationed`'s)
    assert "第1巡察组 · 临川区甲局" in first
    assert "已逾期" in first
    stationing_row = rows.filter(has_text="进驻期限").first
    stationing = await stationing_row.inner_text()
    # 1 Sep + 15 working days, Sunday 20 September worked (调休 before National Day)
    assert await stationing_row.locator(".rule").get_attribute("data-rule") == "stationing"
    assert "2026-09-21" in stationing
    assert "进驻约15个工作日" in stationing and "R14" in stationing
    assert "第1巡察组 · 临川区甲局" in stationing  # and the group, by its number, must act
    lates = [
        int(t.split()[0])
        for t in await page.locator(
            "#deadline-table .el-table__body-wrapper tr td:nth-child(2)"
        ).all_inner_texts()
        if t.strip() and t.strip() != "—"
    ]
    assert lates == sorted(lates, reverse=True)
    rules = await page.locator("#deadline-table .rule").evaluate_all(
        "els => els.map(e => e.dataset.rule)"
    )
    assert "weekly_dispatch" in rules and "biweekly_report" in rules
    await shot(page, "deadlines-county")

    # 全部: the whole history a page at a time, the pager counting what reporting counts
    await page.locator(".el-select:has(#dl-state)").click()
    await page.locator(".el-select-dropdown__item:visible").get_by_text("全部", exact=True).click()
    pager = page.locator(".el-pagination__total")
    body = page.locator("#deadline-table .el-table__body-wrapper tbody tr")

    async def paged() -> bool:
        whole = await wb.get("/api/v1/views/deadlines", "linchuan", limit=1)
        text = await pager.inner_text()
        return text.replace(" ", "") == f"共{whole['total']}条" and await body.count() == min(
            whole["total"], 20
        )

    await until(paged, "the whole history's first page and its total in the pager")
    asked = [url for url, _, _ in s.api if "/views/deadlines?" in url]
    assert "limit=20" in asked[-1] and "offset=0" in asked[-1] and "state=" not in asked[-1]
    await shot(page, "deadlines-all-paged")
    assert not s.errors, s.errors

    # the city office: every county's counts, Linchuan's overdue ones among them
    city = await open_as(browser, wb, "city")
    await city.page.click('#main-menu [data-menu="deadlines"]')
    await city.page.locator("#deadline-summary").get_by_text("临川区").wait_for()
    await city.page.wait_for_selector("#deadline-table .state-overdue")
    assert await city.page.locator("#dl-jurisdiction").count() == 1  # it may pick a county
    await shot(city.page, "deadlines-city")
    assert not city.errors, city.errors

    # another county: nothing of Linchuan's
    other = await open_as(browser, wb, "nancheng")
    await other.page.click('#main-menu [data-menu="deadlines"]')
    await other.page.wait_for_selector("#deadline-table")
    await other.page.wait_for_timeout(500)
    assert group_id not in str(other.api)
    assert "临川区" not in await other.page.locator("#deadline-summary").inner_text()
    assert await other.page.locator("#deadline-table tr.state-overdue").count() == 0

    # the rules, as a group member reads them
    member = await open_as(browser, wb, "group")
    assert "deadlines" not in await menu_names(member.page)
    await member.page.click('#main-menu [data-menu="rules"]')
    await member.page.wait_for_selector('#rules-table [data-rule="stationing"]')
    text = await member.page.locator("#rules-table").inner_text()
    for rule_id in ("xunshi_2015_art27", "walk_in_same_day", "weekly_dispatch", "warning_colours"):
        assert rule_id in text
    assert "15 个工作日" in text and "每 7 天" in text and "2015-08-03" in text
    # every business rule a page cites (建议移交部门（R2）, （R11） …) said and how it is held
    business = member.page.locator("#business-rules-table tbody tr")
    assert await business.count() == 29
    r11 = await member.page.locator("#business-rules-table tr.rule-R11").inner_text()
    assert "举报人身份" in r11 and "举报人信息保管员" in r11
    await shot(member.page, "deadline-rules")
    assert not member.errors, member.errors
