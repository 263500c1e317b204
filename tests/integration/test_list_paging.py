"""Server-side paging of the workbench's clue list (``GET /api/v1/clues``): ``limit``/``offset``
with the ``total`` the filters match, ``sort``, ``unit`` and ``category`` filters, against the
real clues database; a stub (a clue escalated out of the reader's hands) never matches nor orders
by what the reader may not see."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from xuncha_clues.bootstrap import SPEC as CLUES
from xuncha_clues.bootstrap import handlers as handlers_from_context
from xuncha_clues.domain.commands import RegisterClue
from xuncha_shared.domain.commands import Meta
from xuncha_shared.envelope import Actor

from tests.support.principals import LINCHUAN, OFFICES, PROBLEM
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(120)

UNITS = ["临川区教育局", "临川区水利局", "临川区卫健委", "临川区财政局", "临川区水务公司"]


@pytest.fixture(scope="module")
async def clues(infra: Any) -> AsyncIterator[InProcessService]:
    async with in_process_service(infra, CLUES, OFFICES, label="pg") as svc:
        for unit in UNITS:
            await register(svc, unit)
        yield svc


async def register(svc: InProcessService, unit: str) -> uuid.UUID:
    clue_id = uuid.uuid4()
    meta = Meta(actor=Actor(principal_id="clues-consumer", role="system"))
    await handlers_from_context(svc.ctx).register(
        RegisterClue(clue_id=clue_id, jurisdiction=LINCHUAN, unit=unit, summary="反映"), meta
    )
    return clue_id


async def page(svc: InProcessService, who: str = "county", **params: Any) -> dict[str, Any]:
    resp = await svc.client.get(
        "/api/v1/clues",
        params=params,
        headers={"Authorization": f"Bearer {svc.tokens[who]}"},
    )
    assert resp.status_code == 200, resp.text
    doc: dict[str, Any] = resp.json()
    return doc


async def test_pages_carry_the_total_and_never_overlap(clues: InProcessService) -> None:
    first = await page(clues, limit=2, offset=0)
    second = await page(clues, limit=2, offset=2)
    third = await page(clues, limit=2, offset=4)
    assert first["total"] == second["total"] == third["total"] == len(UNITS)
    assert first["sort"] == "-registered_at"
    ids = [i["id"] for p in (first, second, third) for i in p["items"]]
    assert len(ids) == len(set(ids)) == len(UNITS)
    beyond = await page(clues, limit=2, offset=50)
    assert beyond["items"] == [] and beyond["total"] == len(UNITS)


async def test_sort_and_filters(clues: InProcessService) -> None:
    by_unit = await page(clues, sort="unit", limit=100)
    units = [i["unit"] for i in by_unit["items"]]
    assert units == sorted(UNITS)
    assert [i["unit"] for i in (await page(clues, sort="-unit"))["items"]] == units[::-1]
    water = await page(clues, unit="水", sort="unit")
    assert water["total"] == 2
    assert [i["unit"] for i in water["items"]] == ["临川区水利局", "临川区水务公司"]
    unclassified = await page(clues, category="none")
    assert unclassified["total"] == len(UNITS)
    assert (await page(clues, category="inquiry"))["total"] == 0


async def test_a_stub_never_matches_nor_orders_by_what_the_reader_may_not_see(
    clues: InProcessService,
) -> None:
    """A clue the county escalated to the city is a stub for the county: its unit does not
    match the county's unit filter (no oracle on what the city now handles)."""
    clue_id = await register(clues, "临川区escalated审计局")
    resp = await clues.client.post(
        f"/api/v1/clues/{clue_id}/escalate",
        json={"reason": "涉及市管干部"},
        headers={"Authorization": f"Bearer {clues.tokens['county']}"},
    )
    assert resp.status_code == 200, resp.text
    everything = await page(clues)
    [stub] = [i for i in everything["items"] if i["id"] == str(clue_id)]
    assert stub["view"] == "stub" and stub.get("unit") is None
    assert (await page(clues, unit="escalated"))["total"] == 0
    assert (await page(clues, who="city", unit="escalated"))["total"] == 1


@pytest.mark.parametrize(
    "params",
    [{"sort": "summary"}, {"sort": "--unit"}, {"sort": "unit;drop"}, {"category": "x"}],
)
async def test_a_bad_sort_or_filter_is_a_422_problem(
    clues: InProcessService, params: dict[str, str]
) -> None:
    resp = await clues.client.get(
        "/api/v1/clues", params=params, headers={"Authorization": f"Bearer {clues.tokens['city']}"}
    )
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    field = resp.json()["errors"][0]["field"]
    assert field == "query.sort" or field.startswith("query.category"), field
