"""巡察规划调整 (R6) in intake against the real PostgreSQL: a running term's plan amended, its
amendments listed, and every refusal a problem that writes nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from xuncha_intake.adapters.planning import lock_term, term_lock_name
from xuncha_intake.bootstrap import SPEC
from xuncha_shared.clocks.clock import local_day
from xuncha_shared.db import lock_key

from tests.integration.test_intake_rounds_api import Api, assert_problem
from tests.support.principals import LINCHUAN, NANCHENG, OFFICES
from tests.support.service_api import in_process_service

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
async def api(infra: Any) -> AsyncIterator[Api]:
    async with in_process_service(infra, SPEC, OFFICES, label="ta") as svc:
        yield Api(client=svc.client, pool=svc.ctx.pool, tokens=svc.tokens)


async def adopt(api: Api, term_no: int, starts_on: date, ends_on: date, units: list[str]) -> str:
    resp = await api.post(
        "county",
        "/term-plans",
        {
            "jurisdiction": LINCHUAN,
            "term_no": term_no,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "unit_ids": units,
        },
    )
    assert resp.status_code == 201, resp.text
    plan_id: str = resp.json()["id"]
    return plan_id


async def plan_round(api: Api, term_no: int, starts_on: date) -> str:
    """Round 1 of the term in 临川区, from ``starts_on`` for 60 days; its id."""
    rnd = await api.post(
        "county",
        "/rounds",
        {
            "jurisdiction": LINCHUAN,
            "term_no": term_no,
            "round_no": 1,
            "kind": "regular",
            "starts_on": starts_on.isoformat(),
            "ends_on": (starts_on + timedelta(days=60)).isoformat(),
        },
    )
    assert rnd.status_code == 201, rnd.text
    round_id: str = rnd.json()["id"]
    return round_id


async def listed(api: Api, term_no: int) -> dict[str, Any]:
    got = await api.client.get(f"/api/v1/term-plans?term_no={term_no}", headers=api.auth("county"))
    assert got.status_code == 200, got.text
    [plan] = got.json()
    assert isinstance(plan, dict)
    return plan


async def test_a_running_terms_plan_is_amended_and_lists_its_amendments(api: Api) -> None:
    today = local_day(datetime.now(UTC))
    a, b, c = [await api.unit("county", LINCHUAN, f"临川区调整单位{i}") for i in "甲乙丙"]
    plan_id = await adopt(api, 21, today - timedelta(days=400), today + timedelta(days=900), [a, b])
    # b is being inspected: a round of the term has it
    round_id = await plan_round(api, 21, today)
    units = {"units": [{"unit_id": b, "mode": "regular"}]}
    assigned = await api.post("county", f"/rounds/{round_id}/units", units)
    assert assigned.status_code == 200, assigned.text

    body = {"add_unit_ids": [c], "remove_unit_ids": [a], "reason": "机构改革：甲撤并，丙新组建"}
    resp = await api.post("county", f"/term-plans/{plan_id}/amendments", body)
    assert resp.status_code == 201, resp.text
    plan = resp.json()
    assert plan["unit_ids"] == [b, c]
    assert plan["amendments"] == [
        {
            "amendment_no": 1,
            "amended_on": today.isoformat(),
            "added_unit_ids": [c],
            "removed_unit_ids": [a],
            "reason": "机构改革：甲撤并，丙新组建",
        }
    ]
    assert await listed(api, 21) == plan
    # the city office amends its county's plan, as it may adopt it
    resp = await api.post(
        "city", f"/term-plans/{plan_id}/amendments", {"add_unit_ids": [a], "reason": "恢复设置"}
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["unit_ids"] == [b, c, a]
    assert [m["amendment_no"] for m in resp.json()["amendments"]] == [1, 2]


async def test_refusals_are_problems_that_write_nothing(api: Api) -> None:
    today = local_day(datetime.now(UTC))
    a, b, c = [await api.unit("county", LINCHUAN, f"临川区拒绝单位{i}") for i in "甲乙丙"]
    foreign = await api.unit("other", NANCHENG, "南城县拒绝单位")
    office = await api.unit("county", LINCHUAN, "临川区委巡察办（调整）", "inspection_office")
    plan_id = await adopt(api, 31, today - timedelta(days=400), today + timedelta(days=900), [a, b])
    ended_id = await adopt(api, 33, date(2015, 1, 1), date(2019, 12, 31), [a])
    path = f"/term-plans/{plan_id}/amendments"
    before = await api.events()
    for who, where, body, status, words in (
        ("county", path, {"reason": "无"}, 422, "请选择纳入或移出"),
        ("county", path, {"add_unit_ids": [c], "reason": "  "}, 422, None),
        ("county", path, {"add_unit_ids": [c]}, 422, None),  # no reason
        ("county", path, {"add_unit_ids": [a], "reason": "重复"}, 422, "已在本届巡察规划内"),
        ("county", path, {"add_unit_ids": [foreign], "reason": "他县"}, 422, "未知的被巡察单位"),
        ("county", path, {"add_unit_ids": [office], "reason": "R28"}, 422, "是巡察机构"),
        ("county", path, {"remove_unit_ids": [c], "reason": "不在"}, 422, "不在本届巡察规划内"),
        ("county", path, {"remove_unit_ids": [a, b], "reason": "清空"}, 422, "至少包含一个"),
        ("county", path, {"add_unit_ids": [c], "reason": "x", "term_no": 3}, 422, None),
        (
            "county",
            f"/term-plans/{ended_id}/amendments",
            {"add_unit_ids": [b], "reason": "届满后"},
            409,
            "届满",
        ),
        # another county's plan reads as an unknown one; an auditor writes nothing
        ("other", path, {"add_unit_ids": [c], "reason": "越权"}, 404, "未找到巡察规划"),
        ("county", f"/term-plans/{uuid.uuid4()}/amendments", {"reason": "无"}, 404, None),
        ("auditor", path, {"add_unit_ids": [c], "reason": "审计"}, 403, None),
        ("group", path, {"add_unit_ids": [c], "reason": "组员"}, 403, None),
    ):
        doc = assert_problem(await api.post(who, where, body), status)
        if words is not None:
            assert words in doc["detail"], (body, doc)
    assert await api.events() == before
    # nothing leaks: the other county's 404 is the unknown plan's
    unknown = await api.post("county", f"/term-plans/{uuid.uuid4()}/amendments", {"reason": "x"})
    theirs = await api.post("other", path, {"reason": "x"})
    assert unknown.json()["title"] == theirs.json()["title"]
    assert (await listed(api, 31))["amendments"] == []


async def test_amendments_at_once_are_numbered_without_gaps(api: Api) -> None:
    today = local_day(datetime.now(UTC))
    units = [await api.unit("county", LINCHUAN, f"临川区并发单位{i}") for i in range(5)]
    plan_id = await adopt(
        api, 41, today - timedelta(days=400), today + timedelta(days=900), units[:1]
    )

    async def amend(unit: str) -> httpx.Response:
        return await api.post(
            "county",
            f"/term-plans/{plan_id}/amendments",
            {"add_unit_ids": [unit], "reason": "新组建"},
        )

    answers = await asyncio.gather(*(amend(u) for u in units[1:]))
    assert {r.status_code for r in answers} <= {201, 409}, [r.text for r in answers]
    added = [u for u, r in zip(units[1:], answers, strict=True) if r.status_code == 201]
    assert added
    plan = await listed(api, 41)
    assert [m["amendment_no"] for m in plan["amendments"]] == list(range(1, len(added) + 1))
    assert sorted(plan["unit_ids"]) == sorted([units[0], *added])


async def test_an_amendment_and_an_assignment_of_the_term_wait_for_one_lock(api: Api) -> None:
    """An amendment taking a unit out and a round of the term assigning it must not both read
    the other's "before" (the unit would leave the plan while being inspected): each takes the
    term's lock (``adapters.planning.lock_term``). Shown without racing: the lock is held here,
    both requests are seen waiting for exactly it, and both are answered once it is let go."""
    today = local_day(datetime.now(UTC))
    a, b = [await api.unit("county", LINCHUAN, f"临川区锁单位{i}") for i in "甲乙"]
    plan_id = await adopt(api, 51, today - timedelta(days=400), today + timedelta(days=900), [a, b])
    round_id = await plan_round(api, 51, today)
    key = lock_key(term_lock_name(LINCHUAN, 51))
    waiting_sql = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND classid::bigint = $1 AND objid::bigint = $2"
    )
    async with api.pool.acquire() as holder, holder.transaction():
        await lock_term(holder, LINCHUAN, 51)
        amend = asyncio.ensure_future(
            api.post(
                "county",
                f"/term-plans/{plan_id}/amendments",
                {"remove_unit_ids": [a], "reason": "机构改革：甲撤并"},
            )
        )
        assign = asyncio.ensure_future(
            api.post(
                "county",
                f"/rounds/{round_id}/units",
                {"units": [{"unit_id": a, "mode": "regular"}]},
            )
        )
        async with api.pool.acquire() as watcher:
            for _ in range(600):  # both reach the lock (at most 30 s)
                waiting = await watcher.fetchval(
                    waiting_sql, (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
                )
                if waiting == 2 or amend.done() or assign.done():
                    break
                await asyncio.sleep(0.05)
        assert waiting == 2 and not amend.done() and not assign.done()
    amended, assigned = await asyncio.gather(amend, assign)
    # whichever went first, the other read what it wrote: the unit is planned and assigned, or
    # it left the plan before the round took it (a round may take an unplanned unit)
    assert assigned.status_code == 200, assigned.text
    assert amended.status_code in (201, 409), amended.text
    if amended.status_code == 409:
        assert "临川区锁单位甲" in amended.json()["detail"]
