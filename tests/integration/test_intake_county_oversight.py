"""R29 in intake against the real PostgreSQL: the city office records its checks of its
counties' inspection work (督导检查) and the counties it puts under key supervision (重点督办);
a county office reads its own county's only; every refusal is a problem and writes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from xuncha_intake.bootstrap import SPEC

from tests.support.principals import CITY, LINCHUAN, NANCHENG, OFFICES, PROBLEM
from tests.support.service_api import in_process_service

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
async def svc(infra: Any) -> AsyncIterator[Any]:
    async with in_process_service(infra, SPEC, OFFICES, label="ov") as service:
        yield service


def auth(svc: Any, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {svc.tokens[who]}"}


async def events(svc: Any) -> int:
    count: int = await svc.ctx.pool.fetchval("SELECT count(*) FROM events")
    return count


async def post(svc: Any, who: str, path: str, body: dict[str, Any]) -> httpx.Response:
    return await svc.client.post(f"/api/v1{path}", json=body, headers=auth(svc, who))


async def listed(svc: Any, who: str, query: str = "") -> httpx.Response:
    return await svc.client.get(f"/api/v1/county-oversight{query}", headers=auth(svc, who))


async def test_the_city_checks_and_supervises_its_counties_work(svc: Any) -> None:
    today = date.today()
    check = {
        "county": NANCHENG,
        "checked_on": (today - timedelta(days=2)).isoformat(),
        "findings": [
            {"aspect": "组织建设", "description": "巡察机构人员到位率低"},
            {"aspect": "巡察质量", "description": "村级巡察推进不力"},
        ],
        "note": "全面检查",
    }
    resp = await post(svc, "city", "/county-checks", check)
    assert resp.status_code == 201, resp.text
    doc = resp.json()
    assert (doc["kind"], doc["kind_zh"], doc["county_name"]) == ("check", "督导检查", "南城县")
    assert [f["aspect"] for f in doc["findings"]] == ["组织建设", "巡察质量"]
    key = {"county": LINCHUAN, "ordered_on": today.isoformat(), "reason": "全覆盖进度慢"}
    resp = await post(svc, "city", "/county-key-supervisions", key)
    assert resp.status_code == 201, resp.text
    assert resp.json()["kind_zh"] == "重点督办"

    before = await events(svc)
    refusals = (
        ("county", "/county-checks", check, 403),  # a county office records none
        ("city", "/county-checks", {**check, "county": "361000"}, 422),  # the city itself
        ("city", "/county-checks", {**check, "county": "999999"}, 422),  # unknown
        ("city", "/county-checks", {**check, "checked_on": "2999-01-01"}, 422),
        ("city", "/county-checks", {**check, "findings": [{"aspect": "", "description": ""}]}, 422),
        ("city", "/county-key-supervisions", {**key, "reason": ""}, 422),
        ("auditor", "/county-key-supervisions", key, 403),
        # the same check sent again; a second key supervision while the first runs
        ("city", "/county-checks", check, 409),
        ("city", "/county-key-supervisions", {**key, "reason": "又一次"}, 409),
    )
    for who, path, body, status in refusals:
        resp = await post(svc, who, path, body)
        assert resp.status_code == status, (who, body, resp.text)
        assert resp.headers["content-type"].startswith(PROBLEM)
    assert await events(svc) == before
    twice = await post(svc, "city", "/county-key-supervisions", key)
    assert f"临川区已在重点督办中（自 {today} 起），解除后才能再次下达" in twice.json()["detail"]
    again = await post(svc, "city", "/county-checks", check)
    assert "这次督导检查已登记，内容相同" in again.json()["detail"], again.text
    # another check of that county the same day, with other findings, is its own
    other = {**check, "findings": [{"aspect": "巡察质量", "description": "反馈问题不具体"}]}
    assert (await post(svc, "city", "/county-checks", other)).status_code == 201

    city = (await listed(svc, "city", f"?year={today.year}")).json()
    mine = [i for i in city["items"] if i["county"] in (NANCHENG, LINCHUAN)]
    assert {i["kind"] for i in mine} == {"check", "key_supervision"}
    assert city["checks"] >= 1 and city["findings"] >= 2
    assert LINCHUAN in city["counties_under_key_supervision"]
    assert (await listed(svc, "auditor")).status_code == 200
    # a county reads its own county's records only; another county's is a 403
    own = (await listed(svc, "county")).json()
    assert {i["county"] for i in own["items"]} == {LINCHUAN}
    assert own["counties_under_key_supervision"] == [LINCHUAN] and own["checks"] == 0
    assert (await listed(svc, "county", f"?county={NANCHENG}")).status_code == 403
    assert (await listed(svc, "group")).status_code == 403
    assert doc["jurisdiction"] == CITY


async def test_a_key_supervision_lifted_and_pilot_points_designated(svc: Any) -> None:
    today = date.today()
    ordered = (today - timedelta(days=5)).isoformat()
    key = {"county": "361023", "ordered_on": ordered, "reason": "村级巡察推动不力"}
    resp = await post(svc, "city", "/county-key-supervisions", key)
    assert resp.status_code == 201, resp.text
    supervision = resp.json()["id"]
    lift_path = f"/county-key-supervisions/{supervision}/lift"
    lift = {"lifted_on": today.isoformat(), "reason": "村级巡察已全面推开"}

    county_point = {
        "county": "361023",
        "kind": "normalisation",
        "liaison": "市委巡察工作领导小组成员 李某",
        "designated_on": ordered,
    }
    village = {
        **county_point,
        "kind": "rectification",
        "level": "village_or_community",
        "place": "××镇××村",
        "note": "整改联系点",
    }
    before = await events(svc)
    refusals = (
        ("county", lift_path, lift, 403),  # a county office lifts none
        ("city", lift_path, {**lift, "lifted_on": "2999-01-01"}, 422),
        ("city", lift_path, {**lift, "lifted_on": "2000-01-01"}, 422),  # before it was ordered
        ("city", lift_path, {**lift, "reason": " "}, 422),
        ("city", "/county-key-supervisions/00000000-0000-0000-0000-000000000000/lift", lift, 404),
        ("county", "/county-pilot-points", county_point, 403),
        ("city", "/county-pilot-points", {**county_point, "place": "××镇"}, 422),
        ("city", "/county-pilot-points", {**village, "level": None}, 422),
        ("city", "/county-pilot-points", {**village, "level": "city"}, 422),
        ("city", "/county-pilot-points", {**village, "liaison": ""}, 422),
        ("city", "/county-pilot-points", {**village, "county": "361000"}, 422),
    )
    for who, path, body, status in refusals:
        resp = await post(svc, who, path, body)
        assert resp.status_code == status, (who, path, body, resp.text)
        assert resp.headers["content-type"].startswith(PROBLEM)
    assert await events(svc) == before

    resp = await post(svc, "city", lift_path, lift)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["lifted_on"], resp.json()["lift_reason"]) == (
        today.isoformat(),
        "村级巡察已全面推开",
    )
    again = await post(svc, "city", lift_path, lift)
    assert again.status_code == 409 and "已于" in again.json()["detail"]
    for body in (county_point, village):
        resp = await post(svc, "city", "/county-pilot-points", body)
        assert resp.status_code == 201, resp.text
        again = await post(svc, "city", "/county-pilot-points", body)
        assert again.status_code == 409, again.text
    point = resp.json()["point"]
    assert (point["kind_zh"], point["level_zh"], point["place"]) == (
        "巡察整改联系点",
        "村（社区）",
        "××镇××村",
    )

    listing = (await listed(svc, "city", "?county=361023")).json()
    assert listing["counties_key_supervision_lifted"] == ["361023"]
    # lifted: the county may be put under key supervision again
    resp = await post(
        svc, "city", "/county-key-supervisions", {**key, "ordered_on": lift["lifted_on"]}
    )
    assert resp.status_code == 201, resp.text
    assert listing["pilot_points"] == {"counties": 1, "townships": 0, "villages": 1}
    kinds = sorted(i["kind"] for i in listing["items"])
    assert kinds == ["key_supervision", "pilot_point", "pilot_point"]


async def test_two_key_supervisions_of_a_county_at_once_make_one(svc: Any) -> None:
    """Sent at the same moment, four orders for one county: the per-county lock lets one in and
    the others read it (409), whichever comes first."""
    key = {"county": "361024", "ordered_on": date.today().isoformat()}
    orders = [{**key, "reason": f"同时下达{n}"} for n in range(4)]
    answers = await asyncio.gather(
        *(post(svc, "city", "/county-key-supervisions", order) for order in orders)
    )
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [201, 409, 409, 409], [a.text for a in answers]
