"""Step 1 of the lifecycle in intake against the real PostgreSQL: inspected units, term plans,
linkage plans, rounds (units, 双授权, close). Every refusal is a problem and writes nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from xuncha_intake.bootstrap import SPEC

from tests.support.principals import CITY, LINCHUAN, NANCHENG, OFFICES, PROBLEM
from tests.support.service_api import in_process_service

pytestmark = pytest.mark.timeout(120)


@dataclass
class Api:
    client: httpx.AsyncClient
    pool: asyncpg.Pool
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def post(self, who: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.client.post(f"/api/v1{path}", json=body, headers=self.auth(who))

    async def events(self) -> int:
        count: int = await self.pool.fetchval("SELECT count(*) FROM events")
        return count

    async def unit(self, who: str, jurisdiction: str, name: str, kind: str = "township") -> str:
        resp = await self.post(
            who, "/units", {"jurisdiction": jurisdiction, "name": name, "kind": kind}
        )
        assert resp.status_code == 201, resp.text
        unit_id: str = resp.json()["id"]
        return unit_id

    async def term(self, who: str, jurisdiction: str, term_no: int, unit_ids: list[str]) -> None:
        resp = await self.post(
            who,
            "/term-plans",
            {
                "jurisdiction": jurisdiction,
                "term_no": term_no,
                "starts_on": "2022-01-01",
                "ends_on": "2026-12-31",
                "unit_ids": unit_ids,
            },
        )
        assert resp.status_code == 201, resp.text


@pytest.fixture(scope="module")
async def api(infra: Any) -> AsyncIterator[Api]:
    async with in_process_service(infra, SPEC, OFFICES, label="rd") as svc:
        yield Api(client=svc.client, pool=svc.ctx.pool, tokens=svc.tokens)


def assert_problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    doc: dict[str, Any] = resp.json()
    assert doc["status"] == status
    return doc


def round_body(jurisdiction: str, term_no: int, round_no: int, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "jurisdiction": jurisdiction,
        "term_no": term_no,
        "round_no": round_no,
        "kind": "regular",
        "starts_on": "2024-03-01",
        "ends_on": "2024-05-31",
    }
    body.update(over)
    return body


async def test_units_registered_listed_and_unique_per_jurisdiction(api: Api) -> None:
    a = await api.unit("county", LINCHUAN, "临川区上顿渡镇")
    # the same name is free in another county
    b = await api.unit("other", NANCHENG, "临川区上顿渡镇")
    assert a != b
    before = await api.events()
    again = await api.post(
        "county", "/units", {"jurisdiction": LINCHUAN, "name": " 临川区上顿渡镇 ", "kind": "other"}
    )
    doc = assert_problem(again, 409)
    assert "临川区上顿渡镇" in doc["detail"]
    # a name holds a word: digits or symbols alone are no unit's name (422 on the field)
    symbols = await api.post(
        "county", "/units", {"jurisdiction": LINCHUAN, "name": "!!!@@@###", "kind": "other"}
    )
    [error] = assert_problem(symbols, 422)["errors"]
    assert error["field"] == "body.name" and "应包含文字" in error["msg"], error
    assert await api.events() == before

    resp = await api.client.get(
        f"/api/v1/units?jurisdiction={LINCHUAN}", headers=api.auth("county")
    )
    assert resp.status_code == 200, resp.text
    assert {u["id"] for u in resp.json()} >= {a}
    assert b not in {u["id"] for u in resp.json()}
    # the city sees its counties' units; a county may not ask for another
    resp = await api.client.get("/api/v1/units", headers=api.auth("city"))
    assert {a, b} <= {u["id"] for u in resp.json()}
    assert_problem(
        await api.client.get(f"/api/v1/units?jurisdiction={NANCHENG}", headers=api.auth("county")),
        403,
    )
    row = await api.pool.fetchrow("SELECT * FROM events WHERE stream_id = $1", a)
    assert row["event_type"] == "intake.UnitRegistered"
    assert row["stream_type"] == "unit"
    assert row["jurisdiction"] == LINCHUAN


async def test_unit_bad_input_is_refused_and_writes_nothing(api: Api) -> None:
    before = await api.events()
    cases = [
        ({"jurisdiction": "999900", "name": "某单位", "kind": "other"}, "county", 422),
        ({"jurisdiction": LINCHUAN, "name": "某单位", "kind": "ministry"}, "county", 422),
        ({"jurisdiction": LINCHUAN, "name": "", "kind": "other"}, "county", 422),
        ({"jurisdiction": NANCHENG, "name": "某单位", "kind": "other"}, "county", 403),
        ({"jurisdiction": LINCHUAN, "name": "某单位", "kind": "other"}, "group", 403),
        ({"jurisdiction": LINCHUAN, "name": "某单位", "kind": "other"}, "auditor", 403),
    ]
    for body, who, status in cases:
        assert_problem(await api.post(who, "/units", body), status)
    assert await api.events() == before


async def test_concurrent_duplicate_unit_only_one_succeeds(api: Api) -> None:
    body = {"jurisdiction": CITY, "name": "抚州市并发测试局", "kind": "city_department"}
    responses = await asyncio.gather(*(api.post("city", "/units", body) for _ in range(4)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409], [r.text for r in responses]
    count = await api.pool.fetchval(
        "SELECT count(*) FROM unit_view WHERE jurisdiction = $1 AND name = $2", CITY, body["name"]
    )
    assert count == 1


async def test_term_plan_and_its_refusals(api: Api) -> None:
    units = [await api.unit("county", LINCHUAN, f"临川区规划单位{i}") for i in range(3)]
    foreign = await api.unit("other", NANCHENG, "南城县规划单位")
    office = await api.unit("county", LINCHUAN, "临川区委巡察办（规划）", "inspection_office")
    base = {
        "jurisdiction": LINCHUAN,
        "term_no": 13,
        "starts_on": "2022-01-01",
        "ends_on": "2026-12-31",
        "unit_ids": units,
    }
    before = await api.events()
    for over in (
        {"unit_ids": [*units, str(uuid.uuid4())]},  # unknown unit
        {"unit_ids": [*units, foreign]},  # a unit of another county looks unknown
        {"unit_ids": []},
        {"unit_ids": [units[0], units[0]]},
        {"unit_ids": [*units, office]},  # the office itself (R28)
        {"starts_on": "2027-01-01"},  # dates reversed
        {"term_no": 0},
    ):
        assert_problem(await api.post("county", "/term-plans", {**base, **over}), 422)
    assert await api.events() == before
    refused = await api.post("county", "/term-plans", {**base, "unit_ids": [*units, office]})
    assert "临川区委巡察办（规划）是巡察机构" in refused.json()["detail"]
    resp = await api.post("county", "/term-plans", base)
    assert resp.status_code == 201, resp.text
    assert resp.json()["unit_ids"] == units
    assert_problem(await api.post("county", "/term-plans", base), 409)
    assert await api.events() == before + 1

    # listed with its units to those who see its county, filtered by term
    async def listed(who: str, query: str) -> list[dict[str, object]]:
        got = await api.client.get(f"/api/v1/term-plans{query}", headers=api.auth(who))
        assert got.status_code == 200, got.text
        plans: list[dict[str, object]] = got.json()
        return plans

    [plan] = await listed("county", "?term_no=13")
    assert (plan["jurisdiction"], plan["unit_ids"]) == (LINCHUAN, units)
    assert await listed("county", "?term_no=12") == []
    assert [
        p["jurisdiction"] for p in await listed("city", f"?jurisdiction={LINCHUAN}&term_no=13")
    ] == [LINCHUAN]
    # another county's plan is not in its view
    assert all(p["jurisdiction"] == NANCHENG for p in await listed("other", "?term_no=13"))
    assert_problem(
        await api.client.get(
            f"/api/v1/term-plans?jurisdiction={LINCHUAN}", headers=api.auth("other")
        ),
        403,
    )


async def test_rounds_planned_unique_per_term_with_units_and_close(api: Api) -> None:
    units = [await api.unit("county", LINCHUAN, f"临川区轮次单位{i}") for i in range(4)]
    await api.term("county", LINCHUAN, 4, units)
    before = await api.events()
    for body, status in (
        (round_body(LINCHUAN, 5, 1), 422),  # no plan for term 5
        (round_body(LINCHUAN, 4, 1, ends_on="2024-02-01"), 422),  # dates reversed
        (round_body(LINCHUAN, 4, 1, starts_on="2021-06-01"), 422),  # outside the term
        (round_body(LINCHUAN, 4, 1, kind="campaign"), 422),
        (round_body(LINCHUAN, 4, 1, linkage_plan_id=str(uuid.uuid4())), 422),
        (round_body(NANCHENG, 4, 1), 403),
    ):
        assert_problem(await api.post("county", "/rounds", body), status)
    assert await api.events() == before

    resp = await api.post("county", "/rounds", round_body(LINCHUAN, 4, 1))
    assert resp.status_code == 201, resp.text
    rnd = resp.json()
    assert rnd["fully_authorised"] is True
    assert rnd["required_authorisations"] == []
    round_id = rnd["id"]
    doc = assert_problem(await api.post("county", "/rounds", round_body(LINCHUAN, 4, 1)), 409)
    assert "1" in doc["detail"]

    # units: bad input first, nothing written
    before = await api.events()
    for body in (
        {"units": []},
        {"units": [{"unit_id": str(uuid.uuid4()), "mode": "regular"}]},
        {"units": [{"unit_id": units[0], "mode": "sideways"}]},
    ):
        assert_problem(await api.post("county", f"/rounds/{round_id}/units", body), 422)
    assert await api.events() == before
    resp = await api.post(
        "county",
        f"/rounds/{round_id}/units",
        {
            "units": [
                {"unit_id": units[0], "mode": "regular"},
                {"unit_id": units[1], "mode": "linked"},
                {"unit_id": units[2], "mode": "revisit"},
            ]
        },
    )
    assert resp.status_code == 200, resp.text
    modes = {u["unit_id"]: u["mode"] for u in resp.json()["units"]}
    assert modes == {units[0]: "regular", units[1]: "linked", units[2]: "revisit"}
    assert_problem(
        await api.post(
            "county",
            f"/rounds/{round_id}/units",
            {"units": [{"unit_id": units[1], "mode": "regular"}]},
        ),
        409,
    )
    # another county: the round does not exist for it
    assert_problem(await api.post("other", f"/rounds/{round_id}/close"), 404)
    assert_problem(
        await api.client.get(f"/api/v1/rounds/{round_id}", headers=api.auth("other")), 404
    )
    assert_problem(await api.post("county", f"/rounds/{uuid.uuid4()}/close"), 404)

    resp = await api.post("county", f"/rounds/{round_id}/close")
    assert resp.status_code == 200, resp.text
    assert resp.json()["closed"] is True
    assert_problem(await api.post("county", f"/rounds/{round_id}/close"), 409)
    assert_problem(
        await api.post(
            "county",
            f"/rounds/{round_id}/units",
            {"units": [{"unit_id": units[3], "mode": "regular"}]},
        ),
        409,
    )
    listed = await api.client.get(
        f"/api/v1/rounds?jurisdiction={LINCHUAN}&term_no=4", headers=api.auth("city")
    )
    assert listed.status_code == 200, listed.text
    [row] = listed.json()
    assert row["closed"] is True
    assert len(row["units"]) == 3
    types = [
        r["event_type"]
        for r in await api.pool.fetch(
            "SELECT event_type FROM events WHERE stream_id = $1 ORDER BY stream_version", round_id
        )
    ]
    assert types == ["intake.RoundPlanned", "intake.RoundUnitsAssigned", "intake.RoundClosed"]


async def test_concurrent_duplicate_round_only_one_succeeds(api: Api) -> None:
    unit = await api.unit("other", NANCHENG, "南城县并发轮次单位")
    await api.term("other", NANCHENG, 6, [unit])
    responses = await asyncio.gather(
        *(api.post("other", "/rounds", round_body(NANCHENG, 6, 2)) for _ in range(4))
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    count = await api.pool.fetchval(
        "SELECT count(*) FROM events WHERE event_type = 'intake.RoundPlanned' "
        "AND payload->>'jurisdiction' = $1 AND (payload->>'term_no')::int = 6",
        NANCHENG,
    )
    assert count == 1


async def test_cross_regional_round_needs_city_and_host_county(api: Api) -> None:
    unit = await api.unit("county", LINCHUAN, "临川区交叉巡察单位")
    await api.term("county", LINCHUAN, 7, [unit])
    # the city plans it; a cross-regional round belongs to its host county
    assert_problem(
        await api.post("city", "/rounds", round_body(CITY, 7, 1, kind="cross_regional")), 422
    )
    resp = await api.post("city", "/rounds", round_body(LINCHUAN, 7, 1, kind="cross_regional"))
    assert resp.status_code == 201, resp.text
    rnd = resp.json()
    assert rnd["required_authorisations"] == [CITY, LINCHUAN]
    assert rnd["fully_authorised"] is False
    path = f"/rounds/{rnd['id']}/authorisations"
    before = await api.events()
    # only each jurisdiction's own office authorises for it; a third one is not a party
    assert_problem(await api.post("county", path, {"authorising_jurisdiction": CITY}), 403)
    assert_problem(await api.post("city", path, {"authorising_jurisdiction": LINCHUAN}), 403)
    assert_problem(await api.post("other", path, {"authorising_jurisdiction": NANCHENG}), 404)
    assert_problem(await api.post("city", path, {"authorising_jurisdiction": "12"}), 422)
    assert await api.events() == before

    resp = await api.post("city", path, {"authorising_jurisdiction": CITY})
    assert resp.status_code == 200, resp.text
    assert resp.json()["fully_authorised"] is False
    assert_problem(await api.post("city", path, {"authorising_jurisdiction": CITY}), 409)
    resp = await api.post("county", path, {"authorising_jurisdiction": LINCHUAN})
    assert resp.status_code == 200, resp.text
    assert resp.json()["fully_authorised"] is True
    assert resp.json()["authorisations"] == [CITY, LINCHUAN]


async def test_linkage_plans_city_first_then_counties(api: Api) -> None:
    before = await api.events()
    city_plan = {
        "jurisdiction": CITY,
        "title": "抚州市委关于配合省委第五轮巡视开展联动巡察的工作方案",
        "issued_on": "2024-03-01",
        "trigger": "省委第五轮巡视",
    }
    assert_problem(
        await api.post(
            "city", "/linkage-plans", {**city_plan, "parent_plan_id": str(uuid.uuid4())}
        ),
        422,
    )
    resp = await api.post("city", "/linkage-plans", city_plan)
    assert resp.status_code == 201, resp.text
    city_id = resp.json()["id"]
    county_plan = {
        "jurisdiction": LINCHUAN,
        "title": "临川区联动巡察工作方案",
        "issued_on": "2024-03-05",
        "trigger": "市委联动工作方案",
    }
    assert_problem(await api.post("county", "/linkage-plans", county_plan), 422)
    assert_problem(
        await api.post(
            "county",
            "/linkage-plans",
            {**county_plan, "parent_plan_id": city_id, "issued_on": "2024-02-01"},
        ),
        422,
    )
    resp = await api.post("county", "/linkage-plans", {**county_plan, "parent_plan_id": city_id})
    assert resp.status_code == 201, resp.text
    county_id = resp.json()["id"]
    # a county plan is not a parent, and counties cannot hang under it
    assert_problem(
        await api.post(
            "other",
            "/linkage-plans",
            {**county_plan, "jurisdiction": NANCHENG, "parent_plan_id": county_id},
        ),
        422,
    )
    assert await api.events() == before + 2

    unit = await api.unit("county", LINCHUAN, "临川区联动单位")
    await api.term("county", LINCHUAN, 10, [unit])
    # a round links only to a plan of its own jurisdiction
    assert_problem(
        await api.post("county", "/rounds", round_body(LINCHUAN, 10, 1, linkage_plan_id=city_id)),
        422,
    )
    resp = await api.post(
        "county", "/rounds", round_body(LINCHUAN, 10, 1, linkage_plan_id=county_id)
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["linkage_plan_id"] == county_id

    # the county lists the city's plan beside its own (its 上级方案), with the units the city's
    # rounds inspect in linkage under it (what its counterpart reports answer); not another
    # county's plans
    city_unit = await api.unit("city", CITY, "市联动被巡察局")
    regular = await api.unit("city", CITY, "市常规被巡察局")
    await api.term("city", CITY, 10, [city_unit, regular])
    resp = await api.post("city", "/rounds", round_body(CITY, 10, 1, linkage_plan_id=city_id))
    assert resp.status_code == 201, resp.text
    units = [{"unit_id": city_unit, "mode": "linked"}, {"unit_id": regular, "mode": "regular"}]
    resp = await api.post("city", f"/rounds/{resp.json()['id']}/units", {"units": units})
    assert resp.status_code == 200, resp.text
    await api.post(
        "other",
        "/linkage-plans",
        {**county_plan, "jurisdiction": NANCHENG, "parent_plan_id": city_id},
    )
    resp = await api.client.get("/api/v1/linkage-plans", headers=api.auth("county"))
    assert resp.status_code == 200, resp.text
    listed = {p["id"]: p for p in resp.json()}
    assert {p["jurisdiction"] for p in listed.values()} == {CITY, LINCHUAN}
    assert listed[city_id]["linked_units"] == [{"unit_id": city_unit, "name": "市联动被巡察局"}]
    assert listed[county_id]["linked_units"] == []
