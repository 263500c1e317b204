"""Intake's clocks R13, R14 and R15 in reporting's deadlines view, against the real PostgreSQL
and Kafka: intake (in this process, its real composition) records a walk-in and a stationing
with its dispatches, its deadline worker fires with the service's clock moved, its outbox relay
publishes, and reporting's consumer projects ``GET /api/v1/views/deadlines`` and its summary:
each clock with its rule id and version, due date, owner and a link to its case; the overdue
ones red; the end of the stationing closes its cadence."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from xuncha_intake.bootstrap import SPEC as INTAKE
from xuncha_reporting.bootstrap import SPEC as REPORTING
from xuncha_shared import provision
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.clocks import DeadlineWorker, ManualClock
from xuncha_shared.clocks.clock import CST
from xuncha_shared.http.app import create_app
from xuncha_shared.relay import OutboxRelay
from xuncha_shared.runtime import ServiceContext, service_context

from tests.integration.test_intake_clocks import stationed
from tests.support.principals import LINCHUAN, OFFICES
from tests.support.service_api import service_settings

pytestmark = pytest.mark.timeout(240)

START = datetime(2026, 10, 12, 9, 30, tzinfo=CST)  # a Monday


@dataclass
class Stack:
    client: httpx.AsyncClient  # intake (``stationed`` posts through ``client``)
    reporting: httpx.AsyncClient
    ctx: ServiceContext
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    @property
    def clock(self) -> ManualClock:
        assert isinstance(self.ctx.now, ManualClock)
        return self.ctx.now

    def worker(self) -> DeadlineWorker:
        return DeadlineWorker(
            self.ctx.pool, self.ctx.store, self.ctx.clocks(), INTAKE.deadline_kinds
        )


async def wait_for(predicate: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
async def stack(infra: Any) -> AsyncIterator[Stack]:
    run = uuid.uuid4().hex[:6]
    prefix = f"{infra.db_prefix}iv{run}_"
    topics = f"{infra.topic_prefix}iv{run}."
    dbs = await provision.create_service_databases(infra.pg_admin_url, prefix)
    await provision.provision_topics(infra.kafka_bootstrap, topics)
    stop = asyncio.Event()
    try:
        async with contextlib.AsyncExitStack() as exits:
            clients: dict[str, httpx.AsyncClient] = {}
            contexts: dict[str, ServiceContext] = {}
            for spec in (INTAKE, REPORTING):
                settings = service_settings(spec.name, infra, dbs, prefix, topics, relay_poll_ms=10)
                ctx = await exits.enter_async_context(service_context(spec, settings))
                if spec.name == "reporting" and spec.build_consumers:
                    spec.build_consumers(ctx.broker, ctx)
                    await ctx.broker.start()
                    exits.push_async_callback(ctx.broker.stop)
                app = create_app(spec.name, title=spec.title)
                app.state.ctx = ctx
                assert spec.build_api is not None
                spec.build_api(app, ctx)
                client = httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url=f"http://{spec.name}"
                )
                exits.push_async_callback(client.aclose)
                clients[spec.name], contexts[spec.name] = client, ctx
            relay = OutboxRelay(
                contexts["intake"].pool,
                bootstrap=infra.kafka_bootstrap,
                service="intake",
                topic_prefix=topics,
                poll_interval=0.01,
            )
            task = asyncio.create_task(relay.run(stop))

            async def stop_relay() -> None:
                stop.set()
                await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 30)

            exits.push_async_callback(stop_relay)
            pools = [contexts["intake"].pool, contexts["reporting"].pool]
            tokens = {n: await create_token_in(pools, p) for n, p in OFFICES.items()}
            contexts["intake"].now = ManualClock(START)
            yield Stack(clients["intake"], clients["reporting"], contexts["intake"], tokens)
    finally:
        await provision.drop_prefixed_databases(infra.pg_admin_url, prefix)
        await provision.delete_prefixed_topics(infra.kafka_bootstrap, topics)


async def view(stack: Stack, who: str = "county", **params: str) -> dict[tuple[str, str], Any]:
    r = await stack.reporting.get("/api/v1/views/deadlines", params=params, headers=stack.auth(who))
    assert r.status_code == 200, r.text
    out: dict[tuple[str, str], Any] = {}
    for item in r.json()["items"]:
        out.setdefault((item["kind"], item["case"]["id"]), []).append(item)
    return out


async def states(stack: Stack, kind: str, case: str, expected: list[str]) -> list[Any]:
    found: list[Any] = []

    async def reached() -> bool:
        nonlocal found
        found = sorted((await view(stack)).get((kind, case), []), key=lambda i: i["due_date"])
        return [i["state"] for i in found] == expected

    await wait_for(reached, f"{kind} of {case}: {expected} in the deadlines view")
    return found


async def test_walk_in_and_stationing_clocks_in_the_view(stack: Stack) -> None:
    stack.clock.set(START)
    r = await stack.client.post(
        "/api/v1/petitions",
        json={"jurisdiction": LINCHUAN, "unit": "某局", "channel": "visit", "summary": "来访"},
        headers=stack.auth("group"),
    )
    assert r.status_code == 201, r.text
    walk_in = r.json()["id"]
    ids = await stationed(stack, "2026-10-12")  # type: ignore[arg-type]
    g, s = ids["group_id"], ids["stationing_id"]

    [item] = await states(stack, "intake.walk_in", walk_in, ["running"])
    assert (item["rule_id"], item["rule_version"], item["due_date"]) == (
        "walk_in_same_day",
        1,
        "2026-10-12",
    )
    assert item["case"] == {
        "type": "petition",
        "id": walk_in,
        "link": f"/api/v1/petitions/{walk_in}",
    }
    [r14] = await states(stack, "intake.stationing", g, ["running"])
    assert (r14["rule_id"], r14["due_date"], r14["owner"]) == ("stationing", "2026-11-02", g)
    assert r14["case"]["link"] == f"/api/v1/groups/{g}"
    [d0] = await states(stack, "intake.dispatch", g, ["running"])
    assert (d0["rule_id"], d0["due_date"], d0["owner"]) == (
        "weekly_dispatch",
        "2026-10-19",
        LINCHUAN,
    )
    await states(stack, "intake.progress_report", g, ["running"])
    # a group's rows name the group and the unit it is stationed at (a walk-in's, nothing), in
    # the whole list as in a page
    for listed in (await view(stack), await view(stack, limit="50")):
        for kind in ("intake.stationing", "intake.dispatch", "intake.progress_report"):
            [row] = listed[(kind, g)]
            assert (row["group_no"], row["unit_name"]) == (1, "临川区甲局"), kind
        [row] = listed[("intake.walk_in", walk_in)]
        assert (row["group_no"], row["unit_name"]) == (None, None)

    # the walk-in not taken up that day, the first week without a dispatch: overdue once each
    stack.clock.set(datetime(2026, 10, 20, 9, tzinfo=CST))
    assert sorted(f.stage.value for f in await stack.worker().fire_due()) == ["overdue"] * 2
    [item] = await states(stack, "intake.walk_in", walk_in, ["overdue"])
    assert item["days_late"] > 0  # counted to the real today
    await states(stack, "intake.dispatch", g, ["overdue"])
    r = await stack.reporting.get(
        "/api/v1/views/deadlines/summary",
        params={"jurisdiction": LINCHUAN},
        headers=stack.auth("county"),
    )
    [counts] = r.json()["jurisdictions"]
    assert (counts["green"], counts["red"], counts["overdue"]) == (2, 2, 2)

    # a late dispatch (met_late) starts the next week's; the stationing ends in time: R14 met,
    # the running cadence closed (met)
    r = await stack.client.post(
        f"/api/v1/stationings/{s}/dispatches",
        json={"on": "2026-10-20"},
        headers=stack.auth("county"),
    )
    assert r.status_code == 201, r.text
    await states(stack, "intake.dispatch", g, ["met_late", "running"])
    r = await stack.client.post(
        f"/api/v1/stationings/{s}/end",
        json={"ended_on": "2026-10-20"},
        headers=stack.auth("county"),
    )
    assert r.status_code == 200, r.text
    await states(stack, "intake.stationing", g, ["met"])
    await states(stack, "intake.dispatch", g, ["met_late", "met"])
    await states(stack, "intake.progress_report", g, ["met"])
    # the other county sees none of it
    r = await stack.reporting.get("/api/v1/views/deadlines", headers=stack.auth("other"))
    assert r.status_code == 200 and r.json()["items"] == []
