"""Demo data for 干部任用征求巡察意见 (R4, 004:L6): the organisation department (its own demo
token, ``department:organisation``) asks the offices for their opinions on cadres of units the
inspections know (the city's and 临川区's) and of one unit never inspected, before promotions,
commendations and the annual review; the offices answer most of them from the service's drafts
(``GET /api/v1/cadre-opinions/{id}/draft``), and two wait: one within its day, one past it
(逾期未回复). The cadres' names are placeholders (某某), each request noted 演示数据. Nothing
is loaded twice: a department that has asked already is left as it is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from xuncha_shared.cli.demo.client import department_key

Call = Callable[..., Awaitable[Any]]

ORGANISATION = department_key("organisation")
#: a unit of the city no round inspected (the answer says so)
NOT_INSPECTED_UNIT = "市机关事务管理局（演示）"


@dataclass(frozen=True)
class Ask:
    jurisdiction: str
    pick: int  # which of the area's inspected units (in name order), -1: one never inspected
    cadre_name: str
    cadre_post: str
    purpose: str
    days_ago: int  # asked so many days before the load
    reply_in: int | None  # the answer asked for so many days after the asking
    answer: str | None  # the office's conclusion; None: not answered yet


ASKS: tuple[Ask, ...] = (
    Ask("361000", 0, "张某某", "副局长", "promotion", 12, 5, "no_adverse"),
    Ask("361000", 1, "李某某", "党组书记、局长", "annual_review", 10, 7, "no_adverse"),
    Ask("361000", 2, "王某某", "副主任", "commendation", 9, 5, "adverse"),
    Ask("361000", -1, "赵某某", "副局长", "promotion", 8, 5, "not_inspected"),
    Ask("361002", 0, "刘某某", "党委副书记", "promotion", 11, 5, "no_adverse"),
    Ask("361002", 0, "陈某某", "副局长", "promotion", 9, 3, None),  # past its day
    Ask("361000", 3, "杨某某", "副局长", "promotion", 1, 7, None),
)
#: what the office found of the one cadre it reports on (the adverse draft's blank): from the
#: talks, whatever the unit's feedback was (its figures may say nothing was fed back yet)
FINDING = "个别谈话中反映其分管领域存在超标准公务接待问题，相关问题线索已按规定移交（演示）"
#: what the office checked of a cadre it found nothing against (the favourable draft's blank)
CHECKED = "未收到反映其本人的问题线索和信访举报，个别谈话中未反映其本人的问题（演示）"


def post_at(unit: str, post: str) -> str:
    """The cadre's post as the unit has it: a company has no 局长, a township no 主任."""
    if "集团" in unit or "公司" in unit:
        company = {"副局长": "副总经理", "副主任": "副总经理", "党组书记、局长": "党委书记、董事长"}
        return company.get(post, post)
    if unit.endswith(("镇", "乡", "街道")) or "镇党委" in unit or "乡党委" in unit:
        return "党委副书记" if "副" in post else "党委书记"
    return post


async def load_cadre_opinions(
    call: Call,
    rectification: str,
    tokens: dict[str, str],
    writer: Callable[[str], str],
    today: date,
) -> int:
    """Ask and answer; returns how many requests were made."""
    if ORGANISATION not in tokens:
        return 0
    asked = await call("GET", f"{rectification}/api/v1/cadre-opinions", ORGANISATION)
    if asked.json()["items"]:
        return 0
    units: dict[str, list[dict[str, Any]]] = {}
    known = await call("GET", f"{rectification}/api/v1/cadre-opinion-units", ORGANISATION)
    for unit in known.json():  # the inspected ones, in name order
        if unit.get("inspected", True):
            units.setdefault(unit["jurisdiction"], []).append(unit)
    made = 0
    for ask in ASKS:
        area = units.get(ask.jurisdiction, [])
        if ask.pick >= len(area):
            continue
        unit = (
            {"unit": NOT_INSPECTED_UNIT}
            if ask.pick < 0
            else {"unit_id": area[ask.pick]["unit_id"], "unit": area[ask.pick]["unit"]}
        )
        asked_on = today - timedelta(days=ask.days_ago)
        body = {
            "jurisdiction": ask.jurisdiction,
            **unit,
            "cadre_name": ask.cadre_name,
            "cadre_post": post_at(unit["unit"], ask.cadre_post),
            "purpose": ask.purpose,
            "requested_on": asked_on.isoformat(),
            "note": "演示数据",
            **(
                {"reply_by": (asked_on + timedelta(days=ask.reply_in)).isoformat()}
                if ask.reply_in is not None
                else {}
            ),
        }
        resp = await call("POST", f"{rectification}/api/v1/cadre-opinions", ORGANISATION, body)
        made += 1
        if ask.answer is not None:  # three days after the asking, within the day asked for
            given_on = min(asked_on + timedelta(days=3), today)
            who = writer(ask.jurisdiction)
            await _answer(call, rectification, who, resp.json()["id"], ask.answer, given_on)
    return made


async def _answer(
    call: Call, rectification: str, who: str, request_id: str, conclusion: str, given_on: date
) -> None:
    """The office's answer: the service's draft, its blank filled."""
    path = f"{rectification}/api/v1/cadre-opinions/{request_id}"
    draft = await call("GET", f"{path}/draft?conclusion={conclusion}", who)
    filled = FINDING if conclusion == "adverse" else CHECKED
    text = draft.json()["text"].replace("____", filled)
    body = {"conclusion": conclusion, "text": text, "given_on": given_on.isoformat()}
    await call("POST", f"{path}/opinion", who, body, ok=(200, 409))
