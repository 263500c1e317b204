"""R29 in intake against the real PostgreSQL: the city office records its checks of its
counties' inspection work (督导检查) and the counties it puts under key supervision (重点督办);
a county office reads its own county's only; every refusal is a problem and writes nothing."""

from __future__ import annotations

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
    )
    for who, path, body, status in refusals:
        resp = await post(svc, who, path, body)
        assert resp.status_code == status, (who, body, resp.text)
        assert resp.headers["content-type"].startswith(PROBLEM)
    assert await events(svc) == before

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
