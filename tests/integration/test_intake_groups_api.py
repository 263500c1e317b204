"""Steps 2 and 3 in intake against the real PostgreSQL: the talent pool, groups with every
recusal ground, evaluations, stationing on the working-day clock (R14) and 双授权."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import asyncpg
import httpx
import pytest
from xuncha_intake.bootstrap import SPEC
from xuncha_shared.auth.tokens import TokenStore
from xuncha_shared.clocks.calendar import load_calendar
from xuncha_shared.domain.principals import Principal, Role

from tests.support.principals import CITY, LINCHUAN, NANCHENG, OFFICES, PROBLEM
from tests.support.service_api import in_process_service

pytestmark = pytest.mark.timeout(180)


@dataclass
class Api:
    client: httpx.AsyncClient
    pool: asyncpg.Pool
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def post(self, who: str, path: str, body: Any = None) -> httpx.Response:
        return await self.client.post(f"/api/v1{path}", json=body, headers=self.auth(who))

    async def ok(self, who: str, path: str, body: Any = None) -> dict[str, Any]:
        resp = await self.post(who, path, body)
        assert resp.status_code in (200, 201), resp.text
        doc: dict[str, Any] = resp.json()
        return doc

    async def events(self) -> int:
        count: int = await self.pool.fetchval("SELECT count(*) FROM events")
        return count

    async def unit(self, who: str, jurisdiction: str, name: str) -> str:
        body = {"jurisdiction": jurisdiction, "name": name, "kind": "county_department"}
        unit_id: str = (await self.ok(who, "/units", body))["id"]
        return unit_id

    async def member(self, who: str, jurisdiction: str, name: str, home_unit_id: str) -> str:
        body = {
            "name": name,
            "jurisdiction": jurisdiction,
            "home_unit_id": home_unit_id,
            "source": "discipline_commission",
            "specialities": ["discipline", "finance_audit"],
            "rank": "正科级",
            "birth_year": 1978,
        }
        member_id: str = (await self.ok(who, "/talent-pool/members", body))["id"]
        return member_id

    async def round(
        self,
        who: str,
        jurisdiction: str,
        term_no: int,
        round_no: int,
        unit_ids: list[str],
        kind: str = "regular",
        dates: tuple[str, str] = ("2026-09-01", "2026-12-31"),
        term: tuple[str, str] = ("2022-01-01", "2027-12-31"),
    ) -> str:
        if round_no == 1:
            await self.ok(
                who,
                "/term-plans",
                {
                    "jurisdiction": jurisdiction,
                    "term_no": term_no,
                    "starts_on": term[0],
                    "ends_on": term[1],
                    "unit_ids": unit_ids,
                },
            )
        rnd = await self.ok(
            who,
            "/rounds",
            {
                "jurisdiction": jurisdiction,
                "term_no": term_no,
                "round_no": round_no,
                "kind": kind,
                "starts_on": dates[0],
                "ends_on": dates[1],
            },
        )
        units = [{"unit_id": u, "mode": "regular"} for u in unit_ids]
        await self.ok(who, f"/rounds/{rnd['id']}/units", {"units": units})
        round_id: str = rnd["id"]
        return round_id


@pytest.fixture(scope="module")
async def api(infra: Any) -> AsyncIterator[Api]:
    async with in_process_service(infra, SPEC, OFFICES, label="gr") as svc:
        yield Api(client=svc.client, pool=svc.ctx.pool, tokens=svc.tokens)


def assert_problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    doc: dict[str, Any] = resp.json()
    assert doc["status"] == status
    return doc


def group(no: int, members: list[str], units: list[str]) -> dict[str, Any]:
    return {"group_no": no, "leader_id": members[0], "member_ids": members, "unit_ids": units}


async def test_every_recusal_ground_is_refused_and_a_clean_group_accepted(api: Api) -> None:
    j = LINCHUAN
    target = await api.unit("county", j, "临川区审计局")
    other_target = await api.unit("county", j, "临川区统计局")
    office = await api.unit("county", j, "临川区委巡察办")
    round_id = await api.round("county", j, 11, 1, [target, other_target])
    clean = [await api.member("county", j, f"干部{i}", office) for i in range(4)]
    at_home = await api.member("county", j, "张审计", target)
    declared = await api.member("county", j, "李回避", office)
    await api.ok(
        "county",
        f"/talent-pool/members/{declared}/recusals",
        {"unit_id": target, "reason": "配偶在该单位任职"},
    )
    retired = await api.member("county", j, "王出库", office)
    await api.ok("county", f"/talent-pool/members/{retired}/retire")
    assert_problem(await api.post("county", f"/talent-pool/members/{retired}/retire"), 409)

    before = await api.events()
    for member, name, ground in (
        (at_home, "张审计", "home_unit"),
        (declared, "李回避", "declared_recusal"),
        (retired, "王出库", "retired"),
    ):
        doc = assert_problem(
            await api.post(
                "county", f"/rounds/{round_id}/groups", group(1, [*clean, member], [target])
            ),
            409,
        )
        assert doc["member_id"] == member
        assert doc["member_name"] == name
        assert doc["ground"] == ground
        assert name in doc["detail"]
    assert await api.events() == before

    resp = await api.post("county", f"/rounds/{round_id}/groups", group(1, clean, [target]))
    assert resp.status_code == 201, resp.text
    formed = resp.json()
    assert formed["member_ids"] == clean
    assert formed["leader_id"] == clean[0]
    # the same group number again is taken
    assert_problem(
        await api.post(
            "county", f"/rounds/{round_id}/groups", group(1, [declared], [other_target])
        ),
        409,
    )
    # a member of group 1 sits there for the round's dates: a second group cannot take them,
    # neither in this round nor in an overlapping one
    doc = assert_problem(
        await api.post(
            "county", f"/rounds/{round_id}/groups", group(2, [declared, clean[2]], [other_target])
        ),
        409,
    )
    assert doc["member_id"] == clean[2]
    assert doc["ground"] == "overlapping_group"
    later = await api.round("county", j, 11, 2, [other_target], dates=("2027-01-04", "2027-03-31"))
    resp = await api.post(
        "county", f"/rounds/{later}/groups", group(1, [declared, clean[2]], [other_target])
    )
    assert resp.status_code == 201, resp.text


async def test_cross_regional_home_county_ground_and_dual_authorisation(api: Api) -> None:
    host = await api.unit("county", LINCHUAN, "临川区水利局")
    lc_home = await api.unit("county", LINCHUAN, "临川区纪委监委")
    nc_home = await api.unit("other", NANCHENG, "南城县纪委监委")
    round_id = await api.round("county", LINCHUAN, 18, 1, [host], kind="cross_regional")
    local = await api.member("county", LINCHUAN, "临川干部", lc_home)
    visitors = [await api.member("other", NANCHENG, f"南城干部{i}", nc_home) for i in range(4)]
    path = f"/rounds/{round_id}/groups"
    doc = assert_problem(await api.post("city", path, group(1, [*visitors, local], [host])), 409)
    assert doc["member_id"] == local
    assert doc["ground"] == "home_county"
    formed = await api.ok("city", path, group(1, visitors, [host]))

    station = {"unit_id": host, "starts_on": "2026-09-30"}
    before = await api.events()
    doc = assert_problem(
        await api.post("city", f"/groups/{formed['id']}/stationings", station), 409
    )
    assert CITY in doc["detail"]
    assert await api.events() == before
    await api.ok("city", f"/rounds/{round_id}/authorisations", {"authorising_jurisdiction": CITY})
    assert_problem(await api.post("city", f"/groups/{formed['id']}/stationings", station), 409)
    await api.ok(
        "county", f"/rounds/{round_id}/authorisations", {"authorising_jurisdiction": LINCHUAN}
    )
    stationed = await api.ok("city", f"/groups/{formed['id']}/stationings", station)
    assert stationed["starts_on"] == "2026-09-30"


async def test_stationing_lasts_15_working_days_unless_an_end_is_given(api: Api) -> None:
    a = await api.unit("other", NANCHENG, "南城县教育局")
    b = await api.unit("other", NANCHENG, "南城县卫健委")
    home = await api.unit("other", NANCHENG, "南城县委组织部")
    round_id = await api.round("other", NANCHENG, 13, 1, [a, b])
    members = [await api.member("other", NANCHENG, f"组员{i}", home) for i in range(5)]
    g = await api.ok("other", f"/rounds/{round_id}/groups", group(1, members, [a, b]))
    # National Day 1–7 October off, Saturday 10 October worked (调休)
    first = await api.ok(
        "other", f"/groups/{g['id']}/stationings", {"unit_id": a, "starts_on": "2026-09-30"}
    )
    assert first["ends_on"] == "2026-10-27"
    assert first["ended_on"] is None
    assert first["provisional"] is False  # 2026's holidays are known
    row = await api.pool.fetchrow(
        "SELECT payload FROM events WHERE event_type = 'intake.GroupStationed' "
        "AND payload->>'stationing_id' = $1",
        first["id"],
    )
    assert row["payload"]["rule_id"] == "stationing"
    assert row["payload"]["rule_version"] == 1
    given = await api.ok(
        "other",
        f"/groups/{g['id']}/stationings",
        {"unit_id": b, "starts_on": "2026-11-02", "ends_on": "2026-11-20"},
    )
    assert given["ends_on"] == "2026-11-20"
    assert given["provisional"] is False  # an end given by the office, not counted
    assert_problem(
        await api.post(
            "other", f"/groups/{g['id']}/stationings", {"unit_id": a, "starts_on": "2026-11-02"}
        ),
        409,
    )
    before = await api.events()
    for body in (
        {"unit_id": str(uuid.uuid4()), "starts_on": "2026-11-02"},
        {"unit_id": a, "starts_on": "2026-11-02", "ends_on": "2026-11-01"},
        {"unit_id": a, "starts_on": "2026-08-31"},  # before the round (2026-09-01 to 12-31)
        {"unit_id": a, "starts_on": "2027-01-04"},  # after it
    ):
        assert_problem(await api.post("other", f"/groups/{g['id']}/stationings", body), 422)
    assert_problem(
        await api.post("other", f"/stationings/{first['id']}/end", {"ended_on": "2026-09-01"}), 422
    )
    assert await api.events() == before

    # another county sees neither the group nor the stationing
    assert_problem(await api.post("county", f"/stationings/{first['id']}/end"), 404)
    assert_problem(
        await api.client.get(f"/api/v1/groups/{g['id']}", headers=api.auth("county")), 404
    )
    # the group names its round, as a member's page shows it (its token cannot read rounds)
    own = await api.client.get(f"/api/v1/groups/{g['id']}", headers=api.auth("other"))
    assert re.fullmatch(r"南城县第\d+届第\d+轮巡察", own.json()["round_name"]), own.text
    # 结束本轮 waits until no group is stationed: the refusal names the units still stationed
    refused = await api.post("other", f"/rounds/{round_id}/close")
    assert_problem(refused, 409)
    assert "本轮尚有2个单位的进驻未结束（南城县教育局、南城县卫健委）" in refused.json()["detail"]
    ended = await api.ok("other", f"/stationings/{first['id']}/end", {"ended_on": "2026-10-27"})
    assert ended["ended_on"] == "2026-10-27"
    assert_problem(await api.post("other", f"/stationings/{first['id']}/end"), 409)
    refused = await api.post("other", f"/rounds/{round_id}/close")
    assert_problem(refused, 409)
    assert "本轮尚有1个单位的进驻未结束（南城县卫健委）" in refused.json()["detail"]
    ended = await api.ok("other", f"/stationings/{given['id']}/end")  # today
    assert ended["ended_on"] is not None

    # evaluations: after the round (its last day passed, or closed), members of the group only,
    # once each
    rate = {"member_id": members[0], "grade": "优秀"}
    early = assert_problem(await api.post("other", f"/groups/{g['id']}/evaluations", rate), 409)
    assert "本轮巡察尚未结束" in early["detail"]
    shown = (await api.client.get(f"/api/v1/groups/{g['id']}", headers=api.auth("other"))).json()
    assert len(shown["stationings"]) == 2
    # every stationing ended: the round closes, and then no group is stationed in it
    closed = await api.ok("other", f"/rounds/{round_id}/close")
    assert closed["closed"] is True
    await api.ok(
        "other", f"/groups/{g['id']}/evaluations", {"member_id": members[0], "grade": "优秀"}
    )
    assert_problem(
        await api.post(
            "other", f"/groups/{g['id']}/evaluations", {"member_id": members[0], "grade": "称职"}
        ),
        409,
    )
    assert_problem(
        await api.post(
            "other",
            f"/groups/{g['id']}/evaluations",
            {"member_id": str(uuid.uuid4()), "grade": "称职"},
        ),
        422,
    )
    assert_problem(
        await api.post(
            "other", f"/groups/{g['id']}/evaluations", {"member_id": members[1], "grade": "良好"}
        ),
        422,
    )
    shown = (await api.client.get(f"/api/v1/groups/{g['id']}", headers=api.auth("other"))).json()
    assert shown["evaluations"] == {members[0]: "优秀"}
    late = await api.post(
        "other", f"/groups/{g['id']}/stationings", {"unit_id": a, "starts_on": "2026-11-30"}
    )
    assert_problem(late, 409)
    assert "巡察轮次已结束" in late.json()["detail"]


async def test_a_stationing_counted_into_a_year_without_holidays_says_so(api: Api) -> None:
    """R14 counts 15 working days; through a year whose holidays are not published yet (R22)
    weekends only, and the stationing says it is provisional, for the office to check."""
    unit = await api.unit("other", NANCHENG, f"南城县民政局{uuid.uuid4().hex[:6]}")
    home = await api.unit("other", NANCHENG, f"南城县委办{uuid.uuid4().hex[:6]}")
    round_id = await api.round("other", NANCHENG, 31, 1, [unit], dates=("2026-09-01", "2027-03-31"))
    members = [await api.member("other", NANCHENG, f"成员{i}", home) for i in range(3)]
    g = await api.ok("other", f"/rounds/{round_id}/groups", group(1, members, [unit]))
    december = await api.ok(
        "other", f"/groups/{g['id']}/stationings", {"unit_id": unit, "starts_on": "2026-12-21"}
    )
    ends_on = date.fromisoformat(december["ends_on"])
    assert december["provisional"] is bool(load_calendar().missing_years(ends_on, ends_on))
    listed = await api.client.get(f"/api/v1/groups/{g['id']}", headers=api.auth("other"))
    [stationing] = listed.json()["stationings"]
    assert stationing["provisional"] is december["provisional"]


async def test_bad_group_input_gets_a_problem_and_writes_nothing(api: Api) -> None:
    unit = await api.unit("county", LINCHUAN, "临川区林业局")
    stranger = await api.unit("county", LINCHUAN, "临川区气象局")
    home = await api.unit("county", LINCHUAN, "临川区委组织部")
    round_id = await api.round("county", LINCHUAN, 14, 1, [unit])
    members = [await api.member("county", LINCHUAN, f"成员{i}", home) for i in range(4)]
    path = f"/rounds/{round_id}/groups"
    before = await api.events()
    for body, status in (
        ({"group_no": 1, "leader_id": members[0], "member_ids": [], "unit_ids": [unit]}, 422),
        (group(1, [members[0], members[0]], [unit]), 422),
        ({**group(1, members, [unit]), "leader_id": str(uuid.uuid4())}, 422),
        (group(1, [*members, str(uuid.uuid4())], [unit]), 422),
        (group(1, members, [stranger]), 422),  # not assigned to the round
        (group(1, members, []), 422),
        (group(0, members, [unit]), 422),
    ):
        assert_problem(await api.post("county", path, body), status)
    assert_problem(
        await api.post("county", f"/rounds/{uuid.uuid4()}/groups", group(1, members, [unit])), 404
    )
    assert_problem(await api.post("other", path, group(1, members, [unit])), 404)
    for body in (
        {"name": "某人", "jurisdiction": LINCHUAN, "home_unit_id": str(uuid.uuid4()),
         "source": "organisation", "specialities": ["law"], "rank": "科员", "birth_year": 1990},
        {"name": "某人", "jurisdiction": LINCHUAN, "home_unit_id": home,
         "source": "organisation", "specialities": [], "rank": "科员", "birth_year": 1990},
        {"name": "某人", "jurisdiction": LINCHUAN, "home_unit_id": home,
         "source": "army", "specialities": ["law"], "rank": "科员", "birth_year": 1990},
    ):  # fmt: skip
        assert_problem(await api.post("county", "/talent-pool/members", body), 422)
    assert_problem(
        await api.post(
            "county",
            f"/talent-pool/members/{members[0]}/recusals",
            {"unit_id": str(uuid.uuid4()), "reason": "亲属"},
        ),
        422,
    )
    assert await api.events() == before


async def test_concurrent_groups_cannot_share_a_member(api: Api) -> None:
    units = [await api.unit("other", NANCHENG, f"南城县并发单位{i}") for i in range(2)]
    home = await api.unit("other", NANCHENG, "南城县委巡察办")
    round_id = await api.round("other", NANCHENG, 15, 1, units)
    shared = await api.member("other", NANCHENG, "共用干部", home)
    own = [await api.member("other", NANCHENG, f"独立干部{i}", home) for i in range(2)]
    responses = await asyncio.gather(
        api.post("other", f"/rounds/{round_id}/groups", group(1, [own[0], shared], [units[0]])),
        api.post("other", f"/rounds/{round_id}/groups", group(2, [own[1], shared], [units[1]])),
    )
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    refused = next(r for r in responses if r.status_code == 409).json()
    assert refused["member_id"] == shared
    assert refused["ground"] == "overlapping_group"
    # the group it sits in, named with its round
    assert "南城县第15届第1轮巡察第" in refused["detail"], refused["detail"]
    seats = await api.pool.fetchval(
        "SELECT count(*) FROM group_seat_view WHERE member_id = $1", uuid.UUID(shared)
    )
    assert seats == 1


async def test_a_group_members_token_sees_only_its_group(api: Api) -> None:
    units = [await api.unit("county", LINCHUAN, f"临川区分组单位{i}") for i in range(2)]
    home = await api.unit("county", LINCHUAN, "临川区分组工作单位")
    round_id = await api.round("county", LINCHUAN, 16, 1, units)
    people = [await api.member("county", LINCHUAN, f"分组干部{i}", home) for i in range(4)]
    mine = await api.ok("county", f"/rounds/{round_id}/groups", group(1, people[:2], [units[0]]))
    theirs = await api.ok("county", f"/rounds/{round_id}/groups", group(2, people[2:], [units[1]]))
    bound = Principal(
        id="lc-group-1-member",
        role=Role.GROUP_MEMBER,
        jurisdiction=LINCHUAN,
        group_id=uuid.UUID(mine["id"]),
    )
    token = await TokenStore(api.pool).create(bound, label="test")
    auth = {"Authorization": f"Bearer {token}"}

    resp = await api.client.get(f"/api/v1/groups/{mine['id']}", headers=auth)
    assert resp.status_code == 200, resp.text
    assert resp.json()["unit_ids"] == [units[0]]
    # the other group's unit, and the other group: exactly as an unknown id
    other = await api.client.get(f"/api/v1/groups/{theirs['id']}", headers=auth)
    unknown = await api.client.get(f"/api/v1/groups/{uuid.uuid4()}", headers=auth)
    assert other.status_code == unknown.status_code == 404
    assert other.json()["title"] == unknown.json()["title"]
    talk = {
        "kind": "individual_talk",
        "round_id": round_id,
        "occurred_on": "2026-10-12",
        "talks": [{"interviewee": "staff", "persons": 2}],
    }
    before = await api.events()
    resp = await api.client.post(
        "/api/v1/intake-records",
        json={**talk, "group_id": theirs["id"], "unit_id": units[1]},
        headers=auth,
    )
    assert_problem(resp, 404)
    resp = await api.client.post(
        "/api/v1/intake-records",
        json={**talk, "group_id": mine["id"], "unit_id": units[1]},  # not its unit
        headers=auth,
    )
    assert_problem(resp, 422)
    assert await api.events() == before
    clue = {"clues": [{"summary": "反映某股室报销审核不严"}]}
    resp = await api.client.post(
        "/api/v1/intake-records",
        json={**talk, **clue, "group_id": mine["id"], "unit_id": units[0]},
        headers=auth,
    )
    assert resp.status_code == 201, resp.text
    recorded = resp.json()
    # the office records for the other group; the member's list shows only its own
    await api.ok(
        "county", "/intake-records", {**talk, "group_id": theirs["id"], "unit_id": units[1]}
    )
    listed = await api.client.get(f"/api/v1/intake-records?round_id={round_id}", headers=auth)
    assert listed.status_code == 200, listed.text
    assert [r["group_id"] for r in listed.json()] == [mine["id"]]
    # with the clue it gave, to open from the list (the id POST answered)
    [row] = listed.json()
    assert row["clues"] == 1 and row["clue_ids"] == recorded["clue_ids"]
    listed = await api.client.get(f"/api/v1/intake-records?group_id={theirs['id']}", headers=auth)
    assert listed.json() == []
    # its units are its group's; rounds and the pool are the offices'
    listed = await api.client.get("/api/v1/units", headers=auth)
    assert [u["id"] for u in listed.json()] == [units[0]]
    for path in (f"/api/v1/rounds/{round_id}", "/api/v1/talent-pool/members"):
        assert (await api.client.get(path, headers=auth)).status_code == 403
    # only a group member is bound to a group
    with pytest.raises(ValueError, match="group"):
        Principal(id="x", role=Role.COUNTY_ADMIN, jurisdiction=LINCHUAN, group_id=uuid.uuid4())


async def test_more_closes_and_stationings_at_once_than_the_pool_has_connections(api: Api) -> None:
    """结束本轮 and 进驻 hold the round's lock: whatever they read under it is read on their own
    connection, so requests beyond the pool's 20 connections wait their turn, never for ever."""
    a = await api.unit("other", NANCHENG, "南城县水利局")
    b = await api.unit("other", NANCHENG, "南城县林业局")
    home = await api.unit("other", NANCHENG, f"南城县委办{uuid.uuid4().hex[:6]}")
    round_id = await api.round(
        "other",
        NANCHENG,
        16,
        1,
        [a, b],
        dates=("2028-03-01", "2028-12-29"),
        term=("2028-01-01", "2032-12-31"),
    )
    members = [await api.member("other", NANCHENG, f"锁组员{i}", home) for i in range(5)]
    g = await api.ok("other", f"/rounds/{round_id}/groups", group(1, members, [a, b]))
    await api.ok(
        "other",
        f"/groups/{g['id']}/stationings",
        {"unit_id": a, "starts_on": "2028-09-04", "ends_on": "2028-09-22"},
    )
    stationings = [
        api.post(
            "other",
            f"/groups/{g['id']}/stationings",
            {"unit_id": b, "starts_on": f"2028-10-{day:02d}", "ends_on": "2028-12-15"},
        )
        for day in range(12, 17)
    ]
    closes = [api.post("other", f"/rounds/{round_id}/close") for _ in range(40)]
    answers = await asyncio.wait_for(asyncio.gather(*closes, *stationings), 90)
    closed, stationed = answers[:40], answers[40:]
    assert {r.status_code for r in closed} == {409}, {r.text for r in closed}
    assert all("南城县水利局" in r.json()["detail"] for r in closed)
    # the same group is stationed at b once; the other tries are refused as overlapping
    assert sorted(r.status_code for r in stationed) == [201, 409, 409, 409, 409]


async def test_a_member_graded_excellent_joins_the_reserve_pool_and_leaves_it(api: Api) -> None:
    """后备干部库 (004:L8): only a member the group's evaluation graded 优秀, once until taken
    out; days not after today, a removal not before the admission; another county's member or
    group is an unknown one; every refusal writes nothing."""
    a = await api.unit("other", NANCHENG, "南城县医疗保障局")
    home = await api.unit("other", NANCHENG, "南城县机关事务中心")
    round_id = await api.round("other", NANCHENG, 11, 1, [a], dates=("2026-09-01", "2026-11-20"))
    members = [await api.member("other", NANCHENG, f"后备{i}", home) for i in range(3)]
    g = await api.ok("other", f"/rounds/{round_id}/groups", group(1, members, [a]))
    for member, grade in ((members[0], "优秀"), (members[1], "称职")):
        await api.ok(
            "other", f"/groups/{g['id']}/evaluations", {"member_id": member, "grade": grade}
        )
    path = f"/talent-pool/members/{members[0]}/reserve"
    admit = {"group_id": g["id"], "admitted_on": "2026-11-30", "note": "第1巡察组组长推荐"}
    before = await api.events()
    refused = (
        ("other", f"/talent-pool/members/{members[1]}/reserve", admit, 409),  # 称职
        ("other", f"/talent-pool/members/{members[2]}/reserve", admit, 422),  # not evaluated
        ("other", path, {**admit, "admitted_on": "2099-01-01"}, 422),
        ("other", path, {**admit, "admitted_on": "2026-11-19"}, 422),  # the round not ended
        ("city", path, admit, 403),  # 南城县's pool: its own office puts members in
        ("other", path, {**admit, "group_id": str(uuid.uuid4())}, 404),
        ("other", f"/talent-pool/members/{uuid.uuid4()}/reserve", admit, 404),
        ("county", path, admit, 404),  # 临川区: another county's member
        ("group", path, admit, 403),
        ("auditor", path, admit, 403),
        ("other", path, {"admitted_on": "2026-11-30"}, 422),
        ("other", f"{path}/removal", {"removed_on": "2026-11-30", "reason": "提拔"}, 409),
    )
    for who, where, body, status in refused:
        assert_problem(await api.post(who, where, body), status)
    assert await api.events() == before

    joined = await api.ok("other", path, admit)
    assert joined["reserve"] == {
        "in_reserve": True,
        "since": "2026-11-30",
        "group_id": g["id"],
        "note": "第1巡察组组长推荐",
        "removed_on": None,
        "removal_reason": None,
        "groups": [g["id"]],
    }
    again = await api.post("other", path, admit)
    assert_problem(again, 409)
    assert "已于 2026-11-30 纳入后备干部库" in again.json()["detail"]
    listed = await api.client.get(
        "/api/v1/talent-pool/members", params={"jurisdiction": NANCHENG}, headers=api.auth("other")
    )
    reserve = {m["id"]: m["reserve"]["in_reserve"] for m in listed.json()}
    assert (reserve[members[0]], reserve[members[1]]) == (True, False)

    early = await api.post("other", f"{path}/removal", {"removed_on": "2026-11-29", "reason": "x"})
    assert_problem(early, 422)
    left = await api.ok(
        "other", f"{path}/removal", {"removed_on": "2026-12-01", "reason": "已提拔"}
    )
    assert left["reserve"]["in_reserve"] is False
    assert (left["reserve"]["removed_on"], left["reserve"]["removal_reason"]) == (
        "2026-12-01",
        "已提拔",
    )
    # not again by the same evaluation: a new 优秀 of a later round is needed
    again = await api.post("other", path, {**admit, "admitted_on": "2026-12-02"})
    assert_problem(again, 409)
    assert "新的优秀评价" in again.json()["detail"]


async def test_a_round_closed_before_its_planned_end_ended_on_the_day_it_closed(api: Api) -> None:
    """A round closed early: its members join the reserve pool from the day it was closed, not
    only after the end it was planned with."""
    today = datetime.now(timezone(timedelta(hours=8))).date()  # the services' day (China)
    a = await api.unit("other", NANCHENG, "南城县提前结束测试局")
    home = await api.unit("other", NANCHENG, "南城县提前结束测试局机关")
    dates = ((today - timedelta(days=40)).isoformat(), (today + timedelta(days=20)).isoformat())
    round_id = await api.round("other", NANCHENG, 19, 1, [a], dates=dates)
    [member] = [await api.member("other", NANCHENG, "提前结束", home)]
    g = await api.ok("other", f"/rounds/{round_id}/groups", group(1, [member], [a]))
    rate = {"member_id": member, "grade": "优秀"}
    refused = assert_problem(await api.post("other", f"/groups/{g['id']}/evaluations", rate), 409)
    assert f"本轮巡察尚未结束（{dates[1]} 结束）" in refused["detail"]
    await api.ok("other", f"/rounds/{round_id}/close")
    await api.ok("other", f"/groups/{g['id']}/evaluations", rate)
    path = f"/talent-pool/members/{member}/reserve"
    admit = {"group_id": g["id"], "admitted_on": today.isoformat()}
    joined = await api.ok("other", path, admit)
    assert joined["reserve"]["since"] == today.isoformat()


async def test_an_evaluation_is_corrected_with_its_reason_and_the_first_stays_in_history(
    api: Api,
) -> None:
    """更正评价: the office corrects a grade with a reason; not a grade not given, not to the
    same grade, not while this group's 优秀 keeps the member in the reserve pool; the first grade
    stays in the group's stream; every refusal writes nothing."""
    a = await api.unit("other", NANCHENG, "南城县自然资源局")
    home = await api.unit("other", NANCHENG, "南城县档案馆")
    round_id = await api.round("other", NANCHENG, 11, 2, [a], dates=("2026-09-01", "2026-11-20"))
    members = [await api.member("other", NANCHENG, f"更正{i}", home) for i in range(2)]
    g = await api.ok("other", f"/rounds/{round_id}/groups", group(1, members, [a]))
    await api.ok(
        "other",
        f"/groups/{g['id']}/evaluations",
        {"member_id": members[0], "grade": "优秀", "remarks": "统筹有力"},
    )
    await api.ok("other", f"/talent-pool/members/{members[0]}/reserve",
                 {"group_id": g["id"], "admitted_on": "2026-11-30"})  # fmt: skip
    path = f"/groups/{g['id']}/evaluations/{members[0]}/correction"
    fix = {"grade": "称职", "reason": "复核后调整：个别工作进度滞后"}
    before = await api.events()
    refused = (
        ("other", path, fix, 409),  # in the reserve pool by this 优秀
        ("other", f"/groups/{g['id']}/evaluations/{members[1]}/correction", fix, 409),
        ("other", path, {**fix, "grade": "优秀"}, 422),  # the same grade
        ("other", path, {"grade": "称职"}, 422),  # no reason
        ("other", path, {**fix, "grade": "良好"}, 422),  # not a grade
        ("other", f"/groups/{uuid.uuid4()}/evaluations/{members[0]}/correction", fix, 404),
        ("county", path, fix, 404),  # 临川区: another county's group
        ("group", path, fix, 403),
        ("auditor", path, fix, 403),
    )
    for who, where, body, status in refused:
        assert_problem(await api.post(who, where, body), status)
    assert await api.events() == before

    await api.ok("other", f"/talent-pool/members/{members[0]}/reserve/removal",
                 {"removed_on": "2026-12-01", "reason": "评价复核"})  # fmt: skip
    corrected = await api.ok("other", path, fix)
    assert corrected["evaluations"][members[0]] == "称职"
    assert corrected["evaluation_notes"][members[0]] == "复核后调整：个别工作进度滞后"
    assert corrected["corrections"] == {members[0]: 1}
    stream = await api.client.get(f"/api/v1/groups/{g['id']}", headers=api.auth("other"))
    assert stream.json()["evaluations"][members[0]] == "称职"
    history = await api.pool.fetch(
        "SELECT event_type, payload->>'grade' AS grade FROM events WHERE stream_id = $1 "
        "AND event_type LIKE 'intake.InspectorEvaluat%' ORDER BY stream_version",
        g["id"],
    )
    assert [(r["event_type"], r["grade"]) for r in history] == [
        ("intake.InspectorEvaluated", "优秀"),
        ("intake.InspectorEvaluationCorrected", "称职"),
    ]


async def test_the_pool_lists_each_members_seats_in_rounds_not_yet_closed(api: Api) -> None:
    """组建巡察组: the pool's list names the groups a member still sits in (a group past its
    dates holds its members until its round is closed), for the reader's own area; a closed
    round's seats are not listed."""
    today = datetime.now(timezone(timedelta(hours=8))).date()
    a = await api.unit("other", NANCHENG, "南城县在组成员测试局")
    home = await api.unit("other", NANCHENG, "南城县在组成员测试局机关")
    dates = ((today - timedelta(days=90)).isoformat(), (today - timedelta(days=10)).isoformat())
    round_id = await api.round("other", NANCHENG, 21, 1, [a], dates=dates)
    member = await api.member("other", NANCHENG, "在组成员", home)
    free = await api.member("other", NANCHENG, "未在组成员", home)
    g = await api.ok("other", f"/rounds/{round_id}/groups", group(3, [member], [a]))

    async def listed(who: str) -> dict[str, Any]:
        resp = await api.client.get("/api/v1/talent-pool/members", headers=api.auth(who))
        assert resp.status_code == 200, resp.text
        return {m["id"]: m for m in resp.json()}

    for who in ("other", "city"):
        members = await listed(who)
        [seat] = members[member]["open_seats"]
        assert seat == {
            "group_id": g["id"], "group_no": 3, "round_id": round_id,
            "round_name": "南城县第21届第1轮巡察", "starts_on": dates[0], "ends_on": dates[1],
        }  # fmt: skip
        assert members[free]["open_seats"] == []
    # seconded to a group of the city's round, the county's member sits there for the county too
    city_unit = await api.unit("city", CITY, "市在组成员测试局")
    later = ((today + timedelta(days=5)).isoformat(), (today + timedelta(days=60)).isoformat())
    city_round = await api.round("city", CITY, 21, 1, [city_unit], dates=later)
    await api.ok("city", f"/rounds/{city_round}/groups", group(1, [member], [city_unit]))
    seated = [s["round_name"] for s in (await listed("other"))[member]["open_seats"]]
    assert seated == ["南城县第21届第1轮巡察", "抚州市第21届第1轮巡察"]
    # the answers about one member do not carry the list
    assert (await api.ok("other", f"/talent-pool/members/{free}/retire"))["open_seats"] is None
    await api.ok("other", f"/rounds/{round_id}/close")
    seated = [s["round_name"] for s in (await listed("other"))[member]["open_seats"]]
    assert seated == ["抚州市第21届第1轮巡察"]
