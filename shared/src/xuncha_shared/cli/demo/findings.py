"""Demo data of step 7 and the immediate consultation: problems, inspection reports, hearings
with pointed problems (点人点事) and consultations (即时会商), shaped like the city office's
annual summary (000:L34, L40).

The city (抚州市, round 5 of the 4th term: 四届市委第五轮, whose 9 units were fed back 289
problems, 000:L40): 9 units — the demo's nine fed-back city units — each with the problems its
feedback gives it (289, worded as fed back; 45 marked 点人点事, five a unit), a unit report per
unit, an overall report and a thematic report on 惠民资金 (11 reports). The standing committee
hears all 11 (000:L34: 11次向市委常委会汇报), the secretary meeting 3 of them
(3次向市委书记专题会汇报) and points 42 problems at the overall report (40余项点人点事问题); the
leading group hears all 11 (synthetic: the seed's 40余次 counts other work besides reports). Each
county: its fed-back unit with the problems its feedback gives it (one pointed), a unit report
heard by the county's standing committee and its secretary meeting. Consultations: 6 by the city
office on transferred clues, one by the 临川区 office. Counts beyond the seed's are synthetic.

Round and unit ids are the ids intake gives them (``unit/<code>/<name>``, ``round/<code>/<term>/
<no>`` in intake's namespace), so a feedback that names its round and unit matches the hearing
(R16). Everything goes through the public clues API; a report that exists already (a second load
with ``--force``) is skipped with its hearings.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from xuncha_shared.cli.demo.client import DemoClient, Endpoints
from xuncha_shared.cli.demo.plan import DemoPlan
from xuncha_shared.contracts.intake import round_id_for, unit_id_for
from xuncha_shared.domain import jurisdictions

#: intake's id namespace (xuncha_intake.domain.planning.ID_NAMESPACE), to name the same units
CITY_TERM, CITY_ROUND = 4, 5
#: a county's linked round (``rounds_data.COUNTY_ROUND_NO``), the one its fed-back unit was in
COUNTY_TERM, COUNTY_ROUND = 4, 1
MORE_CITY_UNITS = ("市教育局", "市卫生健康委", "市水利局", "市农业农村局", "市国资委")
#: problems of a city unit no feedback of the demo names (``MORE_CITY_UNITS``)
PROBLEMS_PER_CITY_UNIT = 8
#: how a fed-back problem's wording names its topic (问题主题), first match; else the next topic
TOPIC_WORDS: tuple[tuple[str, str], ...] = (
    ("主体责任", "两个责任"),
    ("一岗双责", "一岗双责"),
    ("三重一大", "三重一大"),
    ("八项规定", "四风"),
    ("形式主义", "四风"),
    ("公务接待", "四风"),
    ("民主集中制", "民主集中制"),
    ("议事规则", "民主集中制"),
    ("选拔任用", "选人用人"),
    ("借调", "选人用人"),
    ("补助", "惠民资金"),
    ("补贴", "惠民资金"),
    ("津贴", "惠民资金"),
    ("低保", "惠民资金"),
    ("奖补", "惠民资金"),
    ("惠民", "惠民资金"),
    ("惠农", "惠民资金"),
    ("收费", "微腐败"),
    ("群众反映强烈", "群众关切"),
    ("政府采购", "政府采购"),
    ("工程", "工程项目"),
    ("项目监管", "工程项目"),
    ("财务", "财务"),
    ("资产", "国有资产"),
    ("创新理论", "理论学习"),
    ("意识形态", "意识形态"),
    ("党组织建设", "基层党建"),
    ("整改不彻底", "整改落实"),
)
POINTED_AT_SECRETARY_MEETING = 42  # 000:L40: 40余项
TOPICS = (
    "两个责任",
    "一岗双责",
    "三重一大",
    "四风",
    "微腐败",
    "民主集中制",
    "选人用人",
    "惠民资金",
)
TITLES = {
    "两个责任": "党组落实全面从严治党主体责任不到位，对下属单位管党治党压力传导层层递减",
    "一岗双责": "班子成员履行“一岗双责”不到位，对分管领域廉政风险点排查不深入",
    "三重一大": "“三重一大”事项集体决策制度执行不严格，个别大额资金支出未经班子集体研究",
    "四风": "违反中央八项规定精神问题仍有发生，公务接待、公车使用管理不规范",
    "微腐败": "基层站所收费不规范，群众身边“微腐败”问题仍然存在",
    "民主集中制": "民主集中制执行不到位，党组会议议事规则不健全，个人说了算现象依然存在",
    "选人用人": "选人用人工作不规范，干部选拔任用程序执行不严格，档案审核把关不严",
    "惠民资金": "惠民惠农资金发放管理不规范，存在虚报冒领、优亲厚友问题",
}
CONSULTATION_DECISIONS = (
    "线索涉及市管干部，即时报市委巡察办，按程序移交市纪委监委",
    "问题紧急，边巡边改，督促被巡察单位立行立改",
    "线索涉及多个县区，由市委巡察办统筹移交",
)
COUNTY_CONSULTATION_DECISION = "问题紧急，边巡边改，督促被巡察单位立行立改，线索按程序办理"
_CST = timezone(timedelta(hours=8))


def topic_of(text: str, fallback: str) -> str:
    """The topic a fed-back problem's wording names (``TOPIC_WORDS``), else ``fallback``."""
    return next((topic for word, topic in TOPIC_WORDS if word in text), fallback)


@dataclass
class FindingsSummary:
    problems: int = 0
    pointed: int = 0
    reports: int = 0
    hearings: dict[str, int] = field(default_factory=dict)
    consultations: int = 0
    #: each problem recorded, by (jurisdiction, unit id, title): its id and topics, which a
    #: feedback of the same words names (``IssueFedBack.problem_id``), as 反馈问题 picks them
    recorded: dict[tuple[str, str, str], tuple[str, list[str]]] = field(default_factory=dict)


class FindingsLoader:
    """Loads the findings after the clues were classified and transferred (and before the
    feedbacks, which need the hearings: R16)."""

    def __init__(
        self,
        client: DemoClient,
        endpoints: Endpoints,
        plan: DemoPlan,
        transferred_clues: list[tuple[str, uuid.UUID]],
        writer: Callable[[str], str],
        seed: int,
    ) -> None:
        self.client = client
        self.url = f"{endpoints.clues}/api/v1"
        self.plan = plan
        self.clues = transferred_clues
        self.writer = writer
        self.rng = random.Random(seed + 7)
        self.summary = FindingsSummary()
        self.today = datetime.now(_CST).date()

    def day(self, days_ago: int) -> str:
        return (self.today - timedelta(days=days_ago)).isoformat()

    async def problem(
        self, code: str, round_id: uuid.UUID, unit_id: uuid.UUID, topic: str, pointed: bool,
        title: str | None = None,
    ) -> str:  # fmt: skip
        clues = [c for j, c in self.clues if j == code]
        body: dict[str, Any] = {
            "jurisdiction": code,
            "round_id": str(round_id),
            "unit_id": str(unit_id),
            "title": title or TITLES[topic],
            "topics": [topic],
            "clue_ids": [str(self.rng.choice(clues))] if clues and self.rng.random() < 0.3 else [],
            "pointed": pointed,
        }
        resp = await self.client.call("POST", f"{self.url}/problems", self.writer(code), body)
        self.summary.problems += 1
        self.summary.pointed += int(pointed)
        problem_id: str = resp.json()["id"]
        self.summary.recorded[(code, str(unit_id), body["title"])] = (problem_id, [topic])
        return problem_id

    async def report(
        self, code: str, round_id: uuid.UUID, kind: str, unit_id: uuid.UUID | None,
        problem_ids: list[str],
    ) -> str | None:  # fmt: skip
        body = {
            "jurisdiction": code,
            "round_id": str(round_id),
            "kind": kind,
            "unit_id": str(unit_id) if unit_id else None,
            "problem_ids": problem_ids,
        }
        resp = await self.client.call(
            "POST", f"{self.url}/inspection-reports", self.writer(code), body, ok=(201, 409)
        )
        if resp.status_code == 409:
            return None  # loaded before (--force): keep the first one
        self.summary.reports += 1
        report_id: str = resp.json()["id"]
        return report_id

    async def hear(
        self, code: str, report_id: str, meeting: str, days_ago: int, pointed: list[str],
        decisions: str,
    ) -> None:  # fmt: skip
        body = {
            "meeting": meeting,
            "held_on": self.day(days_ago),
            "pointed_problem_ids": pointed,
            "decisions": decisions,
        }
        await self.client.call(
            "POST", f"{self.url}/inspection-reports/{report_id}/hearings", self.writer(code), body
        )
        self.summary.hearings[meeting] = self.summary.hearings.get(meeting, 0) + 1

    async def city(self) -> None:
        code = jurisdictions.CITY.code
        round_id = round_id_for(code, CITY_TERM, CITY_ROUND)
        # each fed-back unit's problems as its feedback words them (round 5's 289)
        worded = {
            f.unit: [i.description for i in f.issues]
            for f in self.plan.feedbacks
            if f.jurisdiction == code
        }
        units = [*worded, *MORE_CITY_UNITS][:9]
        by_unit: dict[str, list[str]] = {}
        pointed: list[str] = []
        thematic: list[str] = []
        for u, unit in enumerate(units):
            unit_id = unit_id_for(code, unit)
            titles: list[str | None] = list(worded.get(unit, ())) or [None] * PROBLEMS_PER_CITY_UNIT
            for i, title in enumerate(titles):
                topic = TOPICS[(u + i) % len(TOPICS)]
                if title is not None:
                    topic = topic_of(title, topic)
                marked = i < 5  # 9 × 5 = 45 marked 点人点事
                problem_id = await self.problem(code, round_id, unit_id, topic, marked, title)
                by_unit.setdefault(unit, []).append(problem_id)
                if marked:
                    pointed.append(problem_id)
                if topic == "惠民资金":
                    thematic.append(problem_id)
        reports: list[tuple[str, str]] = []
        for unit in units:
            rid = await self.report(code, round_id, "unit", unit_id_for(code, unit), by_unit[unit])
            if rid:
                reports.append(("unit", rid))
        everything = [p for unit in units for p in by_unit[unit]]
        overall = await self.report(code, round_id, "overall", None, everything)
        special = await self.report(code, round_id, "thematic", None, thematic)
        if overall:
            reports.append(("overall", overall))
        if special:
            reports.append(("thematic", special))
        # in the order the meetings sit: the leading group, the secretary's meeting
        # (书记专题会), then the standing committee (常委会)
        for n, (kind, rid) in enumerate(reports):
            days = 240 - 20 * n
            await self.hear(
                code, rid, "leading_group", days + 6, [], "审议巡察报告，同意提交市委常委会"
            )
            if kind in ("overall", "thematic") or n == 0:
                points = pointed[:POINTED_AT_SECRETARY_MEETING] if kind == "overall" else []
                await self.hear(
                    code, rid, "secretary_meeting", days + 3, points,
                    "对点人点事问题逐项交办，由市委巡察办跟踪督办",
                )  # fmt: skip
            await self.hear(
                code, rid, "standing_committee", days, [],
                "全面接受巡察反馈意见，被巡察党组织落实整改主体责任，立行立改",
            )  # fmt: skip

    async def counties(self) -> None:
        for f in self.plan.feedbacks:
            code = f.jurisdiction
            if jurisdictions.is_city(code):
                continue
            round_id = round_id_for(code, COUNTY_TERM, COUNTY_ROUND)
            unit_id = unit_id_for(code, f.unit)
            topics = self.rng.sample(TOPICS, 3)
            ids = [
                await self.problem(
                    code, round_id, unit_id, topic_of(issue.description, topics[i % 3]), i == 0,
                    issue.description,
                )
                for i, issue in enumerate(f.issues)
            ]  # fmt: skip
            rid = await self.report(code, round_id, "unit", unit_id, ids)
            if rid is None:
                continue
            await self.hear(code, rid, "secretary_meeting", 62, ids[:1], "点人点事问题交办督办")
            await self.hear(code, rid, "standing_committee", 60, [], "全面接受反馈意见，立行立改")

    async def consultations(self) -> None:
        city = jurisdictions.CITY.code
        every = [c for _, c in self.clues]
        plans = [(city, every[i * 3 : i * 3 + 2]) for i in range(6)]
        own = [c for j, c in self.clues if j == "361002"]
        if own:
            plans.append(("361002", own[:1]))
        for n, (code, clue_ids) in enumerate(plans):
            if not clue_ids:
                continue
            if code == city:  # the city's four groups; its decisions in turn
                office, group = "市委巡察办", n % 4 + 1
                decision = CONSULTATION_DECISIONS[n % len(CONSULTATION_DECISIONS)]
            else:  # a county's one group; a county clue needs no city-level decision
                office, group = f"{jurisdictions.name_of(code)}委巡察办", 1
                decision = COUNTY_CONSULTATION_DECISION
            body = {
                "jurisdiction": code,
                "clue_ids": [str(c) for c in clue_ids],
                "held_on": self.day(200 - 25 * n),
                "participants": [f"{office}主任", f"第{group}巡察组组长", "巡察组副组长"],
                "decision": decision,
            }
            await self.client.call("POST", f"{self.url}/consultations", self.writer(code), body)
            self.summary.consultations += 1

    async def run(self) -> FindingsSummary:
        await self.consultations()
        await self.city()
        await self.counties()
        return self.summary
