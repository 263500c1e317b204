"""The demo term (``xuncha_shared.cli.demo.rounds``) through the public APIs of the running
services: coverage 31 of 42 = 73.81 (the seeds' figure), round 7 with 7 linked, 5 regular and 7
revisited units in 4 groups, the counties' 39 linked units, 61 revisits and counterpart reports
in the linked view, a pool of 360; its ids are the ones ``demo_round_id`` and friends give."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import pytest
from xuncha_shared.cli.demo import DemoClient, Endpoints
from xuncha_shared.cli.demo.rounds import RoundsLoader
from xuncha_shared.cli.demo.rounds_data import (
    CITY_POOL,
    COUNTY_POOL,
    TERM_NO,
    demo_group_id,
    demo_round_id,
    demo_unit_id,
)

from tests.e2e.stack import Running, service_stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
async def running(infra: Any, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    # the loader is one principal sending about 1,100 requests: without a higher limit it
    # would wait out the per-person one (600/minute; tested in tests/unit/test_http_gate.py)
    async with service_stack(
        infra,
        tmp_path_factory.mktemp("service-logs"),
        extra_env={"XUNCHA_RATE_LIMIT": "100000/minute"},
    ) as stack:
        yield stack


async def _gather(items: Sequence[Any], work: Callable[[Any], Awaitable[None]], _: str) -> None:
    semaphore = asyncio.Semaphore(8)

    async def one(item: Any) -> None:
        async with semaphore:
            await work(item)

    await asyncio.gather(*(one(i) for i in items))


async def test_the_demo_term_has_the_seeds_figures(running: Running) -> None:
    endpoints = Endpoints(**running.urls)
    client = DemoClient(endpoints, {"city_admin": running.tokens["city"]})
    try:
        loader = RoundsLoader(client, endpoints, seed=1)
        assert not await loader.present()
        summary = await loader.run(_gather)
        assert await loader.present()
        assert summary.members == CITY_POOL + COUNTY_POOL == 360
        assert summary.groups == 8 + 11
        assert summary.counterpart_reports == 11

        async def view(path: str) -> dict[str, Any]:
            resp = await client.call("GET", f"{endpoints.reporting}/api/v1{path}", "city_admin")
            doc: dict[str, Any] = resp.json()
            return doc

        deadline = time.monotonic() + 240
        while True:
            coverage = await view(f"/views/coverage?term_no={TERM_NO}")
            city = next(
                (r for r in coverage["jurisdictions"] if r["jurisdiction"] == "361000"), None
            )
            linked = await view("/views/linked")
            counties = linked["counties"]
            pool = await view("/views/talent-pool")  # the evaluations come last (round 6 close)
            if (
                city is not None
                and sum(pool["grades"].values()) == 20
                and city["inspected"] == 31
                and sum(c["revisited_units"] for c in counties) == 61
                and sum(c["counterpart_reports"] for c in counties) == 11
            ):
                break
            assert time.monotonic() < deadline, (city, counties, pool["grades"])
            await asyncio.sleep(1)
        assert (city["planned"], city["inspected"], city["rate"]) == (42, 31, 73.81)
        assert len(city["not_inspected"]) == 11
        assert sum(c["linked_units"] for c in counties) == 39
        assert linked["city"]["linked_units"] == 39 + 7  # the city's own round 7 linked units
        assert linked["city"]["own"]["revisited_units"] == 7

        r7 = await view(f"/views/rounds/{demo_round_id(7)}")
        assert r7["units_by_mode"] == {"regular": 5, "linked": 7, "revisit": 7}
        assert r7["groups"] == 4
        assert 20 <= r7["members"] <= 24
        assert r7["stationings_ended"] == 19
        assert r7["petitions"] == 12
        assert r7["talks"] > 0 and r7["surveys_issued"] > 0
        r6 = await view(f"/views/rounds/{demo_round_id(6)}")
        assert r6["units"] == 12
        assert pool["size"] == 360  # and round 6's 20 inspectors evaluated (waited for above)
        group = await client.call(
            "GET",
            f"{endpoints.intake}/api/v1/groups/{demo_group_id(7, 1)}",
            "city_admin",
        )
        assert str(demo_unit_id("市城管局")) in group.json()["unit_ids"]
    finally:
        await client.aclose()
