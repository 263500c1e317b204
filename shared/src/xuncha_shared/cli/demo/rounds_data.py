"""The demo term's tables (see ``rounds`` for what it loads and why): the city's and the
counties' units, the rounds' dates, the groups and their units, and the generated pool members
and records of every channel. All of it synthetic (演示数据).

Ids others may rely on are derived, not random (``xuncha_shared.contracts.intake``): a unit's
from jurisdiction and name (:func:`demo_unit_id`), a round's from jurisdiction, term and number
(:func:`demo_round_id`), a group's from its round and number (:func:`demo_group_id`). Pool
members, records and stationings get fresh ids.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from xuncha_shared.cli.demo.data import GIVEN, SURNAMES
from xuncha_shared.contracts.intake import group_id_for, round_id_for, unit_id_for
from xuncha_shared.domain import jurisdictions

CITY = jurisdictions.CITY.code
TERM_NO = 4  # 四届市委
TERM = (date(2021, 9, 1), date(2026, 8, 31))

# the city's 42 units of the term plan (000:L37: 73.81 = 31 / 42)
ROUND6_UNITS: tuple[str, ...] = (
    "市水利局",
    "市市场监管局",
    "市人社局",
    "市民政局",
    "市发改委",
    "市科技局",
    "市工信局",
    "市司法局",
    "市生态环境局",
    "市城市建设投资集团",
    "市交通投资集团",
    "市水务集团",
)
ROUND7_LINKED: tuple[str, ...] = (
    "市城管局",
    "市商务局",
    "市文广新旅局",
    "市退役军人事务局",
    "市应急管理局",
    "市国资委",
    "市医保局",
)
ROUND7_REGULAR: tuple[str, ...] = ("市体育局", "市统计局", "市林业局", "市行政审批局", "市信访局")
#: inspected in an earlier round of the term (rounds 1–5: only round 5 is loaded, without its
#: stationings), revisited in round 7
ROUND7_REVISITS: tuple[str, ...] = (
    "市财政局",
    "市住建局",
    "市交通运输局",
    "市自然资源局",
    "市农业农村局",
    "市教育局",
    "市卫生健康委",
)
NOT_INSPECTED: tuple[str, ...] = (
    "市公安局",
    "市审计局",
    "市机关事务管理局",
    "市供销社",
    "市总工会",
    "团市委",
    "市妇联",
    "市残联",
    "市农业发展投资集团",
    "市金融控股集团",
    "市文化旅游投资集团",
)
PLANNED = ROUND6_UNITS + ROUND7_LINKED + ROUND7_REGULAR + ROUND7_REVISITS + NOT_INSPECTED
#: the pool's home bodies at city level (never inspected in the demo: no home-unit recusal)
CITY_OFFICES = {"市纪委监委": "discipline_commission", "市委组织部": "organisation"}
CITY_OFFICES["市委巡察办"] = "inspection_office"
COUNTY_UNITS: tuple[str, ...] = (
    "农业农村局",
    "住建局",
    "教育体育局",
    "卫生健康委",
    "民政局",
    "自然资源局",
    "财政局",
    "水利局",
    "交通运输局",
    "市场监管局",
    "人社局",
    "审计局",
    "统计局",
    "林业局",
    "商务局",
    "应急管理局",
)
#: per county (in ``jurisdictions.COUNTIES`` order): units in linkage (39) and revisits (61)
COUNTY_LINKED = (4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3)
COUNTY_REVISITS = (6, 6, 6, 6, 6, 6, 5, 5, 5, 5, 5)
COUNTY_EXTRA = 3  # planned, inspected in the county's earlier rounds (not loaded)
# every county plans all of COUNTY_UNITS in the term (16 units)
CITY_POOL, COUNTY_POOL = 300, 60

#: round 5 (四届市委第五轮), whose 9 units were fed back the demo's 289 city problems (000:L40):
#: planned, its units assigned and closed, so its rectification names it (轮次 and 本单位整改);
#: its groups and stationings came before the demo and are not loaded (its units count as
#: inspected only where a later round stationed at them)
FEEDBACK_ROUND_NO = 5
FEEDBACK_ROUND = (date(2024, 9, 2), date(2024, 11, 29))
FEEDBACK_ROUND_UNITS: tuple[str, ...] = (
    "市财政局",
    "市住建局",
    "市交通运输局",
    "市自然资源局",
    "市教育局",
    "市卫生健康委",
    "市水利局",
    "市农业农村局",
    "市国资委",
)
ROUNDS = {
    6: (date(2025, 4, 7), date(2025, 6, 30), date(2025, 4, 8)),
    7: (date(2025, 10, 20), date(2026, 1, 23), date(2025, 10, 21)),
}
COUNTY_ROUND_NO = 1
COUNTY_ROUND = (date(2025, 10, 27), date(2026, 1, 23), date(2025, 10, 28))
LINKAGE_TRIGGER = "九届省委第七轮巡视"
RANKS = ("正处级", "副处级", "正科级", "正科级", "副科级", "副科级", "科员")
SPECIALITIES = ("discipline", "personnel", "law", "finance_audit", "engineering", "agriculture")
GRADES = ("优秀", "称职", "称职", "称职", "基本称职")


def demo_grade(member_index: int, group_no: int) -> str:
    """The grade the demo gives a member of a group (about one in five 优秀)."""
    return GRADES[(member_index + group_no) % len(GRADES)]


RECUSAL_REASONS = ("配偶在该单位任职", "近亲属在该单位担任领导职务", "曾在该单位工作未满三年")
CLUES = (
    "反映该单位个别领导干部违规收受管理服务对象礼金",
    "反映该单位项目招投标中存在围标串标问题",
    "反映该单位违规发放津补贴",
    "反映该单位干部选拔任用程序不规范",
)
PETITIONS = (
    ("letter", "来信反映该单位公车私用问题"),
    ("visit", "来访反映该单位办事推诿、作风不实"),
    ("call", "来电反映该单位惠民资金发放不透明"),
)


def demo_unit_id(name: str, jurisdiction: str = CITY) -> UUID:
    """The id of a demo unit (e.g. ``demo_unit_id("市城管局")``)."""
    return unit_id_for(jurisdiction, name)


def demo_round_id(round_no: int, jurisdiction: str = CITY) -> UUID:
    """The id of the city's round 6 or 7 of term 4, or (``jurisdiction`` a county) of the
    county's linked round (``COUNTY_ROUND_NO``)."""
    return round_id_for(jurisdiction, TERM_NO, round_no)


def petition_round_id(jurisdiction: str) -> UUID:
    """The round a demo petition names: the city's round 7, or a county's linked round (its
    round statistics count it; the clue it becomes names the round by its title)."""
    if jurisdiction == CITY:
        return demo_round_id(7)
    return demo_round_id(COUNTY_ROUND_NO, jurisdiction)


def demo_group_id(round_no: int, group_no: int, jurisdiction: str = CITY) -> UUID:
    """The id of group ``group_no`` (1–4 in the city's rounds, 1 in a county's)."""
    return group_id_for(demo_round_id(round_no, jurisdiction), group_no)


def demo_county_group_id(county: str) -> UUID:
    """The id of the group of ``county``'s linked round: the demo group member's
    (``xuncha tokens demo`` binds its token to it; its paper transfers are that group's)."""
    return demo_group_id(COUNTY_ROUND_NO, 1, county)


def county_unit_names(index: int, code: str) -> tuple[list[str], list[str], list[str]]:
    """(linked, revisited, extra) units of the ``index``-th county."""
    name = jurisdictions.name_of(code)
    names = [f"{name}{u}" for u in COUNTY_UNITS]
    linked, revisits = COUNTY_LINKED[index], COUNTY_REVISITS[index]
    return (
        names[:linked],
        names[linked : linked + revisits],
        names[linked + revisits : linked + revisits + COUNTY_EXTRA],
    )


@dataclass(frozen=True)
class GroupPlan:
    jurisdiction: str
    round_no: int
    group_no: int
    member_indexes: tuple[int, ...]
    units: tuple[str, ...]


def city_groups() -> list[GroupPlan]:
    """Four groups per round: round 6 three units each, round 7 its 19 units (5, 5, 5, 4)."""
    out = [
        GroupPlan(CITY, 6, g + 1, tuple(range(5 * g, 5 * g + 5)), ROUND6_UNITS[3 * g : 3 * g + 3])
        for g in range(4)
    ]
    # per group: (linked, regular, revisit) slices
    slices: list[tuple[tuple[int, int], ...]] = [
        ((0, 2), (0, 1), (0, 2)),
        ((2, 4), (1, 2), (2, 4)),
        ((4, 6), (2, 4), (4, 5)),
        ((6, 7), (4, 5), (5, 7)),
    ]
    sizes, start = (5, 6, 5, 6), 20
    for g, ((l0, l1), (r0, r1), (v0, v1)) in enumerate(slices):
        units = ROUND7_LINKED[l0:l1] + ROUND7_REGULAR[r0:r1] + ROUND7_REVISITS[v0:v1]
        out.append(GroupPlan(CITY, 7, g + 1, tuple(range(start, start + sizes[g])), units))
        start += sizes[g]
    return out


#: given names of the pool's synthetic members: with ``SURNAMES``, a name for each of the first
#: ``len(SURNAMES) * len(POOL_GIVEN)`` members, none twice (``person_name``)
POOL_GIVEN = (
    *GIVEN, "晓东", "卫国", "淑芬", "红梅", "德明", "玉兰", "振华", "金凤", "永康", "慧敏",
    "建军", "丽娟", "国庆", "雪梅", "志刚", "秋菊", "宏伟", "美玲", "伟民", "素琴",
    "明辉", "爱萍", "正阳", "婷婷", "立新", "春燕", "学军", "静怡", "长青",
)  # fmt: skip


def person_name(i: int) -> str:
    """The ``i``-th pool member's name (演示数据): surname and given name both vary, so names
    look like people's and no two of the demo's members share one."""
    given = POOL_GIVEN[(i // len(SURNAMES)) % len(POOL_GIVEN)]
    return f"{SURNAMES[i % len(SURNAMES)]}{given}"


def member_body(i: int, code: str, home: UUID, source: str, rng: random.Random) -> dict[str, Any]:
    """The enrolment of the ``i``-th pool member (``POST /talent-pool/members``)."""
    specialities = rng.sample(SPECIALITIES, k=1 + (i % 2))
    return {
        "name": person_name(i),
        "jurisdiction": code,
        "home_unit_id": str(home),
        "source": source,
        "specialities": specialities,
        "rank": RANKS[(i * 3) % len(RANKS)] if i % 5 else RANKS[i % 2],
        "birth_year": 1966 + (i * 7) % 30,
    }


def record_bodies(
    groups: list[GroupPlan], counties: list[tuple[int, str]], rng: random.Random
) -> list[dict[str, Any]]:
    """Every channel: per unit a talk and a 民主测评; per group a questionnaire, a symposium,
    a site check, a records review, a personal-matters check and a referral; per county
    unit in linkage a talk. Every third city talk brings a clue."""
    out: list[dict[str, Any]] = []
    for g in groups:
        rnd = demo_round_id(g.round_no)
        group = demo_group_id(g.round_no, g.group_no)
        day = ROUNDS[g.round_no][2] + timedelta(days=3)
        for k, unit in enumerate(g.units):
            base = {
                "round_id": str(rnd),
                "group_id": str(group),
                "unit_id": str(demo_unit_id(unit)),
                "occurred_on": (day + timedelta(days=k)).isoformat(),
            }
            talk: dict[str, Any] = {
                **base,
                "kind": "individual_talk",
                "talks": [
                    {"interviewee": "leadership", "persons": rng.randint(5, 9)},
                    {"interviewee": "middle_manager", "persons": rng.randint(8, 20)},
                    {"interviewee": "staff", "persons": rng.randint(15, 40)},
                    {"interviewee": "retired_cadre", "persons": rng.randint(1, 4)},
                ],
            }
            if len(out) % 3 == 0:
                talk["clues"] = [{"summary": CLUES[len(out) % len(CLUES)]}]
            issued = rng.randint(60, 160)
            out += [
                talk,
                {
                    **base,
                    "kind": "survey",
                    "survey": "democratic_assessment",
                    "copies_issued": issued,
                    "copies_returned": issued - rng.randint(0, 5),
                },
            ]
        base = {
            "round_id": str(rnd),
            "group_id": str(group),
            "unit_id": str(demo_unit_id(g.units[0])),
            "occurred_on": (day + timedelta(days=1)).isoformat(),
        }
        issued = rng.randint(200, 400)
        out += [
            {
                **base,
                "kind": "survey",
                "survey": "questionnaire",
                "copies_issued": issued,
                "copies_returned": issued - rng.randint(5, 30),
            },
            {**base, "kind": "symposium", "meetings": 2, "participants": rng.randint(18, 36)},
            {**base, "kind": "site_check", "checks": rng.randint(1, 4)},
            {**base, "kind": "records_review", "items": rng.randint(60, 240)},
            {
                **base,
                "kind": "personal_matters_check",
                "cadres_checked": rng.randint(8, 16),
                "discrepancies": rng.randint(0, 2),
            },
            {
                **base,
                "kind": "referral",
                "source": ("audit", "petitions", "discipline_commission", "staffing")[
                    g.group_no - 1
                ],
                "items": rng.randint(1, 5),
            },
            # 走访调研: villages and service windows of the unit (figures fixed per group: the
            # draws above stay as they were)
            {
                **base,
                "kind": "field_visit",
                "sites": 2 + g.group_no,
                "persons_heard": 12 * g.group_no,
            },
        ]
    for index, code in counties:
        for unit in county_unit_names(index, code)[0]:
            out.append(
                {
                    "kind": "individual_talk",
                    "round_id": str(demo_round_id(COUNTY_ROUND_NO, code)),
                    "group_id": str(demo_group_id(COUNTY_ROUND_NO, 1, code)),
                    "unit_id": str(demo_unit_id(unit, code)),
                    "occurred_on": (COUNTY_ROUND[2] + timedelta(days=3)).isoformat(),
                    "talks": [
                        {"interviewee": "leadership", "persons": rng.randint(3, 6)},
                        {"interviewee": "staff", "persons": rng.randint(10, 25)},
                    ],
                }
            )
    return out
