"""Issue 13, the linked view's linkage figures against the real PostgreSQL and Kafka: per
county the units inspected in linkage, revisited, and the counterpart reports it provided under
its linkage plan (以下看上); a petition received by a group counts in its round's statistics."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.integration.test_intake_records import Stack, setup_group, stack, wait_for
from tests.support.principals import CITY, LINCHUAN, NANCHENG, PROBLEM

__all__ = ["stack"]  # the module's fixture

pytestmark = pytest.mark.timeout(240)


async def _unit(stack: Stack, who: str, jurisdiction: str, name: str, kind: str) -> str:
    body = {"jurisdiction": jurisdiction, "name": name, "kind": kind}
    unit_id: str = (await stack.ok(who, "/units", body))["id"]
    return unit_id


async def _post(stack: Stack, who: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
    resp = await stack.intake.post(f"/api/v1{path}", json=body, headers=stack.auth(who))
    if resp.status_code >= 400:
        assert resp.headers["content-type"].startswith(PROBLEM)
    return resp.status_code, resp.json()


async def _linked(stack: Stack, who: str = "city") -> dict[str, Any]:
    resp = await stack.reporting.get("/api/v1/views/linked", headers=stack.auth(who))
    assert resp.status_code == 200, resp.text
    doc: dict[str, Any] = resp.json()
    return doc


def _row(view: dict[str, Any], code: str) -> dict[str, Any]:
    row: dict[str, Any] = next(c for c in view["counties"] if c["jurisdiction"] == code)
    return row


async def test_linked_view_counts_linked_revisited_units_and_counterpart_reports(
    stack: Stack,
) -> None:
    city_units = [
        await _unit(stack, "city", CITY, f"市联动单位{i}", "city_department") for i in range(2)
    ]
    city_plan = await stack.ok(
        "city",
        "/linkage-plans",
        {
            "jurisdiction": CITY,
            "title": "四届市委第七轮巡察上下联动工作方案",
            "issued_on": "2026-10-14",
            "trigger": "九届省委第七轮巡视",
        },
    )
    county_plan = await stack.ok(
        "county",
        "/linkage-plans",
        {
            "jurisdiction": LINCHUAN,
            "title": "临川区巡视巡察上下联动工作方案",
            "issued_on": "2026-10-20",
            "trigger": "九届省委第七轮巡视",
            "parent_plan_id": city_plan["id"],
        },
    )
    units = [
        await _unit(stack, "county", LINCHUAN, f"临川区联动单位{i}", "county_department")
        for i in range(4)
    ]
    await stack.ok(
        "county",
        "/term-plans",
        {
            "jurisdiction": LINCHUAN,
            "term_no": 31,
            "starts_on": "2022-01-01",
            "ends_on": "2027-12-31",
            "unit_ids": units,
        },
    )
    rnd = await stack.ok(
        "county",
        "/rounds",
        {
            "jurisdiction": LINCHUAN,
            "term_no": 31,
            "round_no": 1,
            "kind": "regular",
            "starts_on": "2026-10-21",
            "ends_on": "2026-12-31",
            "linkage_plan_id": county_plan["id"],
        },
    )
    modes = ["linked", "linked", "revisit", "regular"]
    await stack.ok(
        "county",
        f"/rounds/{rnd['id']}/units",
        {"units": [{"unit_id": u, "mode": m} for u, m in zip(units, modes, strict=True)]},
    )
    path = f"/linkage-plans/{county_plan['id']}/counterpart-reports"
    report = {
        "unit_id": units[3],
        "counterpart_unit_id": city_units[0],
        "provided_on": "2026-10-30",
    }
    status, body = await _post(stack, "county", path, report)
    assert status == 201, body
    assert body["counterpart_unit_id"] == city_units[0]
    before = await stack.intake_pool.fetchval("SELECT count(*) FROM events")
    for who, where, doc, expected in (
        ("county", path, report, 409),  # the same report twice
        ("county", path, {**report, "unit_id": city_units[1]}, 422),  # not the county's unit
        ("county", path, {**report, "counterpart_unit_id": units[0]}, 422),  # not the city's
        ("county", path, {**report, "provided_on": "2026-10-01"}, 422),  # before the plan
        ("other", path, report, 404),  # another county's plan: as an unknown one
        ("county", f"/linkage-plans/{uuid.uuid4()}/counterpart-reports", report, 404),
        ("city", f"/linkage-plans/{city_plan['id']}/counterpart-reports", report, 422),
    ):
        status, body = await _post(stack, who, where, doc)
        assert status == expected, (doc, body)
    assert await stack.intake_pool.fetchval("SELECT count(*) FROM events") == before
    second = {**report, "counterpart_unit_id": city_units[1]}
    assert (await _post(stack, "county", path, second))[0] == 201

    expected = {"linked_units": 2, "revisited_units": 1, "counterpart_reports": 2}

    async def projected() -> bool:
        row = _row(await _linked(stack), LINCHUAN)
        return all(row[k] == v for k, v in expected.items())

    await wait_for(projected, "the linkage figures in the linked view")
    view = await _linked(stack)
    assert {k: _row(view, NANCHENG)[k] for k in expected} == dict.fromkeys(expected, 0)
    for key, value in expected.items():
        assert view["city"][key] >= value  # the city sums its counties
        assert view["city"]["own"][key] == 0
    county_view = await _linked(stack, "county")
    assert county_view["city"] is None
    assert {k: county_view["counties"][0][k] for k in expected} == expected
    # its own plan, and the city's it hangs under (its 上级方案); not another county's
    listed = await stack.intake.get("/api/v1/linkage-plans", headers=stack.auth("county"))
    own = [p["id"] for p in listed.json() if p["jurisdiction"] != CITY]
    assert own == [county_plan["id"]]
    assert county_plan["parent_plan_id"] in {p["id"] for p in listed.json()}


async def test_a_petition_received_by_a_group_counts_in_its_round(stack: Stack) -> None:
    ids = await setup_group(stack, 33)
    for _ in range(2):
        await stack.ok(
            "county",
            "/petitions",
            {
                "jurisdiction": LINCHUAN,
                "channel": "visit",
                "summary": "反映该局干部违规收受礼金",
                "group_id": ids["group_id"],
                "unit_id": ids["a"],
            },
        )
    url = f"/api/v1/views/rounds/{ids['round_id']}"

    async def counted() -> bool:
        resp = await stack.reporting.get(url, headers=stack.auth("county"))
        return resp.status_code == 200 and resp.json()["petitions"] == 2

    await wait_for(counted, "the round's petitions")
    stats = (await stack.reporting.get(url, headers=stack.auth("county"))).json()
    assert "受理信访举报2件次" in stats["summary_zh"]
