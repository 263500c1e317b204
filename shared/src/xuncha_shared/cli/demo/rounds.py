"""Demo term of the city committee (四届市委), shaped after the seeds' figures (000:L37–L39), all
of it synthetic, loaded through intake's public API before the petitions of ``loader``:

* 42 units in the city's term plan; round 6 inspects 12 (市直单位和市属国有企业), round 7 12
  (7 linked 省市联动 + 5 regular) plus 7 revisits (回头看) — every stationing ended, so the
  coverage view shows 31 of 42 = 73.81 (000:L37: "第七轮巡察结束后，将完成巡察全覆盖任务的
  73.81"); the 11 other units are not inspected yet (the drill-down).
* The city's linkage plan (10月14日, after 九届省委第七轮巡视) and each county's under it; the
  11 counties' rounds inspect 39 units in linkage and revisit 61 (000:L38), and each county
  provides a counterpart report (以下看上) on one of the city's 7 linked units.
* A talent pool of 360 (300 of the city, 60 of the counties; sources 纪委监委/组织部/巡察办),
  4 city groups of 5–6 per round and one group of 4 per county, recusals declared by some
  members not in those groups, evaluations of round 6's inspectors, the first three of them
  graded 优秀 put into the reserve pool of cadres (后备干部库, 004:L8); round 6 closed.
* Records of every channel (talks, surveys, symposia, site checks, records reviews,
  personal-matters checks, referrals), some with clues, and petitions received by round 7's
  groups about their units.

The tables and the ids others may rely on (``demo_unit_id``, ``demo_round_id``,
``demo_group_id``) are in ``rounds_data``.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from xuncha_shared.cli.demo.client import DemoClient, Endpoints
from xuncha_shared.cli.demo.rounds_data import (
    CITY,
    CITY_OFFICES,
    CITY_POOL,
    COUNTY_ROUND,
    COUNTY_ROUND_NO,
    COUNTY_UNITS,
    FEEDBACK_ROUND,
    FEEDBACK_ROUND_NO,
    FEEDBACK_ROUND_UNITS,
    LINKAGE_TRIGGER,
    NOT_INSPECTED,
    PETITIONS,
    PLANNED,
    RECUSAL_REASONS,
    ROUND6_UNITS,
    ROUND7_LINKED,
    ROUND7_REGULAR,
    ROUND7_REVISITS,
    ROUNDS,
    TERM,
    TERM_NO,
    GroupPlan,
    city_groups,
    county_unit_names,
    demo_grade,
    demo_group_id,
    demo_round_id,
    demo_unit_id,
    member_body,
    record_bodies,
)
from xuncha_shared.domain import jurisdictions


@dataclass
class RoundsSummary:
    units: int = 0
    members: int = 0
    recusals: int = 0
    groups: int = 0
    stationings: int = 0
    records: int = 0
    petitions: int = 0
    counterpart_reports: int = 0
    reserve_cadres: int = 0
    coverage: dict[str, Any] = field(default_factory=dict)


#: how many of round 6's inspectors graded 优秀 the demo puts into the reserve pool of cadres
RESERVE_CADRES = 3

Gather = Callable[[Sequence[Any], Callable[[Any], Awaitable[None]], str], Awaitable[None]]


def _each(work: Callable[[Any], Awaitable[None]]) -> Callable[[list[Any]], Awaitable[None]]:
    """``work`` on each item of a batch, in turn (one stream, one writer at a time)."""

    async def run(batch: list[Any]) -> None:
        for item in batch:
            await work(item)

    return run


def _by_group(items: list[tuple[GroupPlan, str, date, str]]) -> list[list[Any]]:
    out: dict[tuple[str, int, int], list[Any]] = {}
    for item in items:
        g = item[0]
        out.setdefault((item[3], g.round_no, g.group_no), []).append(item)
    return list(out.values())


class RoundsLoader:
    """Loads the term through intake's API: the city office's plans, rounds and groups (it
    writes for the counties too), each county's units and pool members by its own office when
    its token is there (``DemoClient.writer``)."""

    def __init__(self, client: DemoClient, endpoints: Endpoints, seed: int) -> None:
        self.client = client
        self.url = f"{endpoints.intake}/api/v1"
        self.reporting = f"{endpoints.reporting}/api/v1"
        self.rng = random.Random(seed * 13 + 7)
        self.summary = RoundsSummary()
        self.members: list[str] = []  # city pool, by index
        self.county_members: dict[str, list[str]] = {}
        self.stationings: list[tuple[str, str, str, date]] = []  # (id, group, unit, ends_on)

    async def post(
        self, path: str, body: Any = None, ok: Sequence[int] = (200, 201), who: str = "city_admin"
    ) -> Any:
        resp = await self.client.call("POST", f"{self.url}{path}", who, body, ok=ok)
        return resp.json()

    async def present(self) -> bool:
        resp = await self.client.call(
            "GET", f"{self.url}/rounds/{demo_round_id(7)}", "city_admin", ok=(200, 404)
        )
        return resp.status_code == 200

    async def unit(self, item: tuple[str, str, str]) -> None:
        code, name, kind = item
        body = {"jurisdiction": code, "name": name, "kind": kind}
        await self.post("/units", body, (201, 409), who=self.client.writer(code))
        self.summary.units += 1

    async def run(self, gather: Gather) -> RoundsSummary:
        rng = self.rng
        counties = [c.code for c in jurisdictions.COUNTIES]
        units: list[tuple[str, str, str]] = [
            (CITY, n, "city_state_owned_enterprise" if n.endswith("集团") else "city_department")
            for n in PLANNED
        ]
        # the pool's home bodies; the office itself is a 巡察机构, never inspected here (R28)
        units += [
            (CITY, n, "inspection_office" if source == "inspection_office" else "other")
            for n, source in CITY_OFFICES.items()
        ]
        for code in counties:
            name = jurisdictions.name_of(code)
            units += [(code, f"{name}{u}", "county_department") for u in COUNTY_UNITS]
            units.append((code, f"{jurisdictions.name_of(code)}委巡察办", "inspection_office"))
        await gather(units, self.unit, "被巡察单位 (intake)")

        # the talent pool (巡察人才库): 300 of the city, 60 of the counties
        homes = [*CITY_OFFICES, *NOT_INSPECTED]
        sources = list(CITY_OFFICES.values())
        pool: list[dict[str, Any]] = []
        for i in range(CITY_POOL):
            home = homes[i % len(homes)]
            source = CITY_OFFICES.get(home) or sources[i % 3]
            pool.append(member_body(i, CITY, demo_unit_id(home), source, rng))
        per_county = [6 if i < 5 else 5 for i in range(len(counties))]
        for c, code in enumerate(counties):
            office = demo_unit_id(f"{jurisdictions.name_of(code)}委巡察办", code)
            for k in range(per_county[c]):
                pool.append(
                    member_body(CITY_POOL + 10 * c + k, code, office, "inspection_office", rng)
                )
        ids: dict[int, str] = {}

        async def enrol(item: tuple[int, dict[str, Any]]) -> None:
            index, body = item
            who = self.client.writer(body["jurisdiction"])
            ids[index] = (await self.post("/talent-pool/members", body, who=who))["id"]
            self.summary.members += 1

        await gather(list(enumerate(pool)), enrol, "巡察人才库 (intake)")
        self.members = [ids[i] for i in range(CITY_POOL)]
        start = CITY_POOL
        for c, code in enumerate(counties):
            self.county_members[code] = [ids[start + k] for k in range(per_county[c])]
            start += per_county[c]
        # recusals (回避) declared by members who sit in none of the demo's groups
        round7_units = ROUND7_LINKED + ROUND7_REGULAR + ROUND7_REVISITS
        recusals = [
            (self.members[100 + i], round7_units[(3 * i) % len(round7_units)], i) for i in range(12)
        ]

        async def declare(item: tuple[str, str, int]) -> None:
            member, unit, i = item
            body = {"unit_id": str(demo_unit_id(unit)), "reason": RECUSAL_REASONS[i % 3]}
            await self.post(f"/talent-pool/members/{member}/recusals", body)
            self.summary.recusals += 1

        await gather(recusals, declare, "回避申报 (intake)")

        # the term plan, the linkage plans, the rounds
        await self.post(
            "/term-plans",
            {
                "jurisdiction": CITY,
                "term_no": TERM_NO,
                "starts_on": TERM[0].isoformat(),
                "ends_on": TERM[1].isoformat(),
                "unit_ids": [str(demo_unit_id(n)) for n in PLANNED],
            },
            (201, 409),
        )
        city_plan = await self.post(
            "/linkage-plans",
            {
                "jurisdiction": CITY,
                "title": "四届市委第七轮巡察上下联动工作方案",
                "issued_on": "2025-10-14",
                "trigger": LINKAGE_TRIGGER,
            },
        )
        # round 5, of the feedbacks: planned, its units assigned, closed (see FEEDBACK_ROUND)
        starts5, ends5 = FEEDBACK_ROUND
        await self.post(
            "/rounds",
            {
                "jurisdiction": CITY,
                "term_no": TERM_NO,
                "round_no": FEEDBACK_ROUND_NO,
                "kind": "regular",
                "starts_on": starts5.isoformat(),
                "ends_on": ends5.isoformat(),
            },
        )
        assign5 = [
            {"unit_id": str(demo_unit_id(n)), "mode": "regular"} for n in FEEDBACK_ROUND_UNITS
        ]
        await self.post(f"/rounds/{demo_round_id(FEEDBACK_ROUND_NO)}/units", {"units": assign5})
        await self.post(f"/rounds/{demo_round_id(FEEDBACK_ROUND_NO)}/close")
        for round_no, (starts, ends, _) in ROUNDS.items():
            body: dict[str, Any] = {
                "jurisdiction": CITY,
                "term_no": TERM_NO,
                "round_no": round_no,
                "kind": "regular",
                "starts_on": starts.isoformat(),
                "ends_on": ends.isoformat(),
            }
            if round_no == 7:
                body["linkage_plan_id"] = city_plan["id"]
            await self.post("/rounds", body)
        assign6 = [{"unit_id": str(demo_unit_id(n)), "mode": "regular"} for n in ROUND6_UNITS]
        await self.post(f"/rounds/{demo_round_id(6)}/units", {"units": assign6})
        assign7 = [
            {"unit_id": str(demo_unit_id(n)), "mode": mode}
            for names, mode in (
                (ROUND7_LINKED, "linked"),
                (ROUND7_REGULAR, "regular"),
                (ROUND7_REVISITS, "revisit"),
            )
            for n in names
        ]
        await self.post(f"/rounds/{demo_round_id(7)}/units", {"units": assign7})

        county_items = list(enumerate(counties))

        async def county(item: tuple[int, str]) -> None:
            await self.county(item[0], item[1], city_plan["id"])

        await gather(county_items, county, "县区联动方案、轮次 (intake)")

        # the city's groups, stationed, their records, ended
        groups = city_groups()

        async def form(g: GroupPlan) -> None:
            members = [self.members[i] for i in g.member_indexes]
            await self.post(
                f"/rounds/{demo_round_id(g.round_no)}/groups",
                {
                    "group_no": g.group_no,
                    "leader_id": members[0],
                    "member_ids": members,
                    "unit_ids": [str(demo_unit_id(u)) for u in g.units],
                },
            )
            self.summary.groups += 1

        await gather(groups, form, "巡察组组建 (intake)")
        stationings = [(g, u, ROUNDS[g.round_no][2], CITY) for g in groups for u in g.units] + [
            (GroupPlan(code, COUNTY_ROUND_NO, 1, (), ()), u, COUNTY_ROUND[2], code)
            for i, code in county_items
            for u in (*county_unit_names(i, code)[0], *county_unit_names(i, code)[1])
        ]
        # one group's stationings, ends and evaluations append to one stream: in turn
        await gather(_by_group(stationings), _each(self.station), "进驻 (intake)")
        records = record_bodies(groups, county_items, rng)
        await gather(records, self.record, "谈话、测评、座谈等 (intake)")
        petitions = [
            (g, g.units[k % len(g.units)], k) for g in groups if g.round_no == 7 for k in range(3)
        ]
        await gather(petitions, self.petition, "巡察组受理信访 (intake)")
        to_end: dict[str, list[tuple[str, str, str, date]]] = {}
        for s in self.stationings:
            to_end.setdefault(s[1], []).append(s)
        await gather(list(to_end.values()), _each(self.end), "进驻结束 (intake)")

        async def evaluate(item: tuple[GroupPlan, int]) -> None:
            g, i = item
            grade = demo_grade(i, g.group_no)
            await self.post(
                f"/groups/{demo_group_id(g.round_no, g.group_no)}/evaluations",
                {"member_id": self.members[i], "grade": grade, "remarks": "演示数据"},
            )

        evaluations = [[(g, i) for i in g.member_indexes] for g in groups if g.round_no == 6]
        await gather(evaluations, _each(evaluate), "巡察干部考核评价 (intake)")
        # 后备干部库 (004:L8): the first three graded 优秀 in round 6, a week after it ended
        excellent = [
            (g, i)
            for g in groups
            if g.round_no == 6
            for i in g.member_indexes
            if demo_grade(i, g.group_no) == "优秀"
        ]
        for g, i in excellent[:RESERVE_CADRES]:
            body = {
                "group_id": str(demo_group_id(g.round_no, g.group_no)),
                "admitted_on": (ROUNDS[6][1] + timedelta(days=7)).isoformat(),
                "note": "巡察期间担当作为、工作实绩突出（演示）",
            }
            await self.post(f"/talent-pool/members/{self.members[i]}/reserve", body)
            self.summary.reserve_cadres += 1
        await self.post(f"/rounds/{demo_round_id(6)}/close")
        return self.summary

    async def county(self, index: int, code: str, city_plan_id: str) -> None:
        """A county's linkage plan under the city's, its term plan and linked round, its group
        of four from its own pool members, and one counterpart report."""
        name = jurisdictions.name_of(code)
        linked, revisits, extra = county_unit_names(index, code)
        plan = await self.post(
            "/linkage-plans",
            {
                "jurisdiction": code,
                "title": f"{name}巡视巡察上下联动工作方案",
                "issued_on": (date(2025, 10, 16) + timedelta(days=index)).isoformat(),
                "trigger": LINKAGE_TRIGGER,
                "parent_plan_id": city_plan_id,
            },
        )
        planned = [f"{name}{u}" for u in COUNTY_UNITS]
        await self.post(
            "/term-plans",
            {
                "jurisdiction": code,
                "term_no": TERM_NO,
                "starts_on": TERM[0].isoformat(),
                "ends_on": TERM[1].isoformat(),
                "unit_ids": [str(demo_unit_id(n, code)) for n in planned],
            },
            (201, 409),
        )
        rnd = await self.post(
            "/rounds",
            {
                "jurisdiction": code,
                "term_no": TERM_NO,
                "round_no": COUNTY_ROUND_NO,
                "kind": "regular",
                "starts_on": COUNTY_ROUND[0].isoformat(),
                "ends_on": COUNTY_ROUND[1].isoformat(),
                "linkage_plan_id": plan["id"],
            },
        )
        units = [{"unit_id": str(demo_unit_id(n, code)), "mode": "linked"} for n in linked]
        units += [{"unit_id": str(demo_unit_id(n, code)), "mode": "revisit"} for n in revisits]
        await self.post(f"/rounds/{rnd['id']}/units", {"units": units})
        members = self.county_members[code][:4]
        await self.post(
            f"/rounds/{rnd['id']}/groups",
            {
                "group_no": 1,
                "leader_id": members[0],
                "member_ids": members,
                "unit_ids": [u["unit_id"] for u in units],
            },
        )
        self.summary.groups += 1
        await self.post(
            f"/linkage-plans/{plan['id']}/counterpart-reports",
            {
                "unit_id": str(demo_unit_id(extra[0], code)),
                "counterpart_unit_id": str(demo_unit_id(ROUND7_LINKED[index % 7])),
                "provided_on": "2025-11-03",
            },
        )
        self.summary.counterpart_reports += 1

    async def station(self, item: tuple[GroupPlan, str, date, str]) -> None:
        g, unit, starts_on, code = item
        group_id = demo_group_id(g.round_no, g.group_no, code)
        unit_id = demo_unit_id(unit, code)
        body = {"unit_id": str(unit_id), "starts_on": starts_on.isoformat()}  # R14: 15 wd
        doc = await self.post(f"/groups/{group_id}/stationings", body)
        self.stationings.append(
            (doc["id"], str(group_id), str(unit_id), date.fromisoformat(doc["ends_on"]))
        )
        self.summary.stationings += 1

    async def end(self, item: tuple[str, str, str, date]) -> None:
        stationing_id, _, _, ends_on = item
        await self.post(f"/stationings/{stationing_id}/end", {"ended_on": ends_on.isoformat()})

    async def record(self, body: dict[str, Any]) -> None:
        await self.post("/intake-records", body)
        self.summary.records += 1

    async def petition(self, item: tuple[GroupPlan, str, int]) -> None:
        g, unit, k = item
        channel, summary = PETITIONS[k % len(PETITIONS)]
        await self.post(
            "/petitions",
            {
                "jurisdiction": CITY,
                "channel": channel,
                "summary": summary,
                "group_id": str(demo_group_id(g.round_no, g.group_no)),
                "unit_id": str(demo_unit_id(unit)),
            },
        )
        self.summary.petitions += 1

    async def coverage(self) -> dict[str, Any]:
        resp = await self.client.call(
            "GET", f"{self.reporting}/views/coverage?term_no={TERM_NO}", "city_admin"
        )
        doc: dict[str, Any] = resp.json()
        return doc
