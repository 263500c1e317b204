"""Demo data for 补录 (R26): clues a county's inspection group registered on paper about five
months before the load and its office transferred to the discipline commission (纪委监委) by a
letter about four months before, entered now with the days written on paper. No result was
reported, so their R3 clocks (3 months from the transfer letter) are past due when they are
loaded: the clues service's deadline worker fires ``clues.TransferResultOverdue`` for each on
its first ticks, and reporting's 期限预警 shows them overdue with the same due dates. The
office chases the department for the first one's result (催办, R27), so the department's feed
holds an urge.

The days are relative to the load day (China time), the rest fixed, so every load does the
same. The group (临川区's group of its linked round) registers when the demo has its token,
the county office classifies and transfers; a deployment without a county token uses the
city's office and round 7's first group instead. Everything goes through the public clues API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from xuncha_shared.cli.demo.rounds_data import (
    CITY,
    COUNTY_ROUND_NO,
    ROUND7_LINKED,
    county_unit_names,
    demo_county_group_id,
    demo_group_id,
    demo_round_id,
    demo_unit_id,
)
from xuncha_shared.clocks.clock import CST
from xuncha_shared.contracts.common import Department
from xuncha_shared.domain import jurisdictions

#: the county whose office and group have demo tokens (``xuncha tokens demo``'s default)
COUNTY = "361002"
#: the registration on paper: about five months before the load day (minus 2 days a clue)
REGISTERED_DAYS_AGO = 152
#: the transfer letter: about four months before the load day, so R3 (3 months) is past due
TRANSFERRED_DAYS_AGO = 122
#: (summary, topic, cadre level) of each clue
CLUES: tuple[tuple[str, str, str], ...] = (
    ("个别谈话反映该局副局长违规收受管理服务对象礼金（纸质登记，补录）", "廉洁", "section"),
    ("实地检查发现该局公务接待超标准、公车私用问题（纸质登记，补录）", "四风", "section"),
    ("查阅账目发现该局以会议费名义违规发放津补贴（纸质登记，补录）", "四风", "staff"),
    ("民主测评反映该局二级机构负责人在项目验收中吃拿卡要（纸质登记，补录）", "微腐败", "section"),
)
CHANNELS = ("individual_talk", "site_check", "records_review", "survey")
TRANSFER_REASON = "涉嫌违反中央八项规定精神及廉洁纪律，按干部管理权限移交（移交函补录）"
#: the office's urge (催办, R27) of the first clue's result, past R3's three months
URGE_NOTE = "该线索已超过3个月办理期限，请于5个工作日内反馈办理情况。"

Call = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class PaperClue:
    """One clue registered and transferred on paper, and who enters it."""

    jurisdiction: str
    round_id: str
    group_id: str
    unit_id: str
    unit: str
    source_channel: str
    summary: str
    topic: str
    cadre_level: str
    registered_on: date
    transferred_on: date

    def registration(self) -> dict[str, Any]:
        return {
            "jurisdiction": self.jurisdiction,
            "round_id": self.round_id,
            "group_id": self.group_id,
            "unit_id": self.unit_id,
            "unit": self.unit,
            "source_channel": self.source_channel,
            "summary": self.summary,
            "persons": [{"cadre_level": self.cadre_level, "city_managed": False}],
            "registered_on": self.registered_on.isoformat(),
        }


def load_day() -> date:
    """Today in China Standard Time: the day the demo is loaded."""
    return datetime.now(CST).date()


def paper_clues(today: date, *, county: bool = True) -> list[PaperClue]:
    """The clues entered on ``today``: 临川区's (``county``) or else the city's."""
    if county:
        index = [j.code for j in jurisdictions.COUNTIES].index(COUNTY)
        code, units = COUNTY, county_unit_names(index, COUNTY)[0]
        round_id, group_id = demo_round_id(COUNTY_ROUND_NO, code), demo_county_group_id(code)
    else:
        code, units = CITY, list(ROUND7_LINKED)
        round_id, group_id = demo_round_id(7), demo_group_id(7, 1)
    out = []
    for k, (summary, topic, level) in enumerate(CLUES):
        unit = units[k % len(units)]
        out.append(
            PaperClue(
                jurisdiction=code,
                round_id=str(round_id),
                group_id=str(group_id),
                unit_id=str(demo_unit_id(unit, code)),
                unit=unit,
                source_channel=CHANNELS[k % len(CHANNELS)],
                summary=summary,
                topic=topic,
                cadre_level=level,
                registered_on=today - timedelta(days=REGISTERED_DAYS_AGO - 2 * k),
                transferred_on=today - timedelta(days=TRANSFERRED_DAYS_AGO - 2 * k),
            )
        )
    return out


async def load_paper_transfers(
    call: Call, clues_url: str, tokens: dict[str, str], today: date | None = None
) -> list[str]:
    """Register, classify and transfer each clue with its days written on paper, and urge the
    first one's result; returns the clue ids."""
    county = "county_admin" in tokens
    office = "county_admin" if county else "city_admin"
    group = "group_member" if county and "group_member" in tokens else office
    url = f"{clues_url}/api/v1/clues"
    ids: list[str] = []
    for clue in paper_clues(today or load_day(), county=county):
        resp = await call("POST", url, group, clue.registration())
        clue_id = str(resp.json()["id"])
        classification = {
            "category": "further_inquiry",
            "cadre_level": clue.cadre_level,
            "topics": [clue.topic],
        }
        await call("POST", f"{url}/{clue_id}/classify", group, classification)
        transfer = {
            "department": Department.DISCIPLINE.value,
            "reason": TRANSFER_REASON,
            "transferred_on": clue.transferred_on.isoformat(),
        }
        await call("POST", f"{url}/{clue_id}/transfer", office, transfer)
        ids.append(clue_id)
    await call("POST", f"{url}/{ids[0]}/urges", office, {"note": URGE_NOTE})
    return ids
