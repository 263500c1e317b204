"""R25 against the real PostgreSQL and Kafka: rectification learns clues and their jurisdictions
from ``clues.clue.v1`` (consumer ``rectification.clues``: the clues service's events, appended to
its store and relayed by its outbox) and a feedback cites only its jurisdiction's own clues; an
unknown clue and another county's answer the same 422."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from xuncha_clues.bootstrap import SPEC as CLUES
from xuncha_rectification.bootstrap import SPEC as RECTIFICATION
from xuncha_shared import provision
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.contracts.clues import ClueEscalated, ClueRegistered
from xuncha_shared.envelope import Actor, EventPayload
from xuncha_shared.eventstore.base import NewEvent
from xuncha_shared.http.app import create_app
from xuncha_shared.relay import OutboxRelay
from xuncha_shared.runtime import service_context

from tests.support.principals import CITY, LINCHUAN, NANCHENG, OFFICES, PROBLEM
from tests.support.service_api import service_settings

pytestmark = pytest.mark.timeout(180)


@dataclass
class Stack:
    rect: httpx.AsyncClient
    ctxs: dict[str, Any]
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture(scope="module")
async def stack(infra: Any) -> AsyncIterator[Stack]:
    run = uuid.uuid4().hex[:6]
    prefix = f"{infra.db_prefix}cb{run}_"
    topics = f"{infra.topic_prefix}cb{run}."
    dbs = await provision.create_service_databases(
        infra.pg_admin_url, prefix, ["clues", "rectification"]
    )
    await provision.provision_topics(infra.kafka_bootstrap, topics)
    stop = asyncio.Event()
    async with contextlib.AsyncExitStack() as exits:
        ctxs: dict[str, Any] = {}
        for spec in (CLUES, RECTIFICATION):
            settings = service_settings(spec.name, infra, dbs, prefix, topics, relay_poll_ms=10)
            ctxs[spec.name] = await exits.enter_async_context(service_context(spec, settings))
        rect = ctxs["rectification"]
        assert RECTIFICATION.build_consumers is not None and RECTIFICATION.build_api is not None
        RECTIFICATION.build_consumers(rect.broker, rect)
        await rect.broker.start()
        exits.push_async_callback(rect.broker.stop)
        relay = OutboxRelay(
            ctxs["clues"].pool,
            bootstrap=infra.kafka_bootstrap,
            service="clues",
            topic_prefix=topics,
            poll_interval=0.01,
        )
        task = asyncio.create_task(relay.run(stop))

        async def stop_relay() -> None:
            stop.set()
            await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 30)

        exits.push_async_callback(stop_relay)
        app = create_app("rectification", title=RECTIFICATION.title)
        RECTIFICATION.build_api(app, rect)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r")
        exits.push_async_callback(client.aclose)
        tokens = {n: await create_token_in([rect.pool], p) for n, p in OFFICES.items()}
        yield Stack(rect=client, ctxs=ctxs, tokens=tokens)
    await provision.drop_prefixed_databases(infra.pg_admin_url, prefix)
    await provision.delete_prefixed_topics(infra.kafka_bootstrap, topics)


async def clue_event(stack: Stack, clue_id: uuid.UUID, version: int, event: EventPayload) -> None:
    actor = Actor(principal_id="lc-office", role="county_admin")
    await stack.ctxs["clues"].store.append(
        "clue", str(clue_id), version, [NewEvent(event, LINCHUAN, actor)]
    )


def registered(clue_id: uuid.UUID, jurisdiction: str) -> ClueRegistered:
    return ClueRegistered(
        clue_id=clue_id, jurisdiction=jurisdiction, unit="某局", summary="反映违规发放津补贴问题"
    )


async def learnt(stack: Stack, clue_id: uuid.UUID, jurisdiction: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if await stack.ctxs["rectification"].pool.fetchval(
            "SELECT count(*) FROM known_clue WHERE clue_id = $1 AND jurisdiction = $2",
            clue_id,
            jurisdiction,
        ):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"rectification never learnt clue {clue_id} of {jurisdiction}")


def feedback(jurisdiction: str, *clues: uuid.UUID) -> dict[str, Any]:
    return {
        "jurisdiction": jurisdiction,
        "unit": "某局",
        "issues": [
            {"description": "违规发放津补贴", "clue_ids": [str(c) for c in clues]},
            {"description": "选人用人不规范"},
        ],
    }


async def test_feedback_cites_only_its_jurisdictions_clues(stack: Stack) -> None:
    own, foreign, escalated = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await clue_event(stack, own, 0, registered(own, LINCHUAN))
    await clue_event(stack, foreign, 0, registered(foreign, NANCHENG))
    await clue_event(stack, escalated, 0, registered(escalated, LINCHUAN))
    await clue_event(
        stack,
        escalated,
        1,
        ClueEscalated(
            clue_id=escalated, from_jurisdiction=LINCHUAN, to_jurisdiction=CITY, reason="市管干部"
        ),
    )
    await learnt(stack, own, LINCHUAN)
    await learnt(stack, foreign, NANCHENG)
    await learnt(stack, escalated, CITY)

    post = stack.rect.post
    ok = await post("/api/v1/feedbacks", json=feedback(LINCHUAN, own), headers=stack.auth("county"))
    assert ok.status_code == 201, ok.text
    [issue_id, _] = ok.json()["issue_ids"]
    got = await stack.rect.get(f"/api/v1/rectifications/{issue_id}", headers=stack.auth("county"))
    assert got.json()["clue_ids"] == [str(own)]

    # another county's clue and a clue nobody registered: the same 422, nothing recorded
    before = await stack.ctxs["rectification"].pool.fetchval("SELECT count(*) FROM events")
    details = []
    for clue in (foreign, uuid.uuid4()):
        resp = await post(
            "/api/v1/feedbacks", json=feedback(LINCHUAN, own, clue), headers=stack.auth("county")
        )
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"].startswith(PROBLEM)
        details.append(resp.json()["detail"].replace(str(clue), "<id>"))
        assert NANCHENG not in resp.text
    assert details[0] == details[1]
    assert "R25" in details[0]
    after = await stack.ctxs["rectification"].pool.fetchval("SELECT count(*) FROM events")
    assert after == before

    # the escalated clue is the city's too; the other county cannot cite Linchuan's clue
    city = await post(
        "/api/v1/feedbacks", json=feedback(CITY, escalated), headers=stack.auth("city")
    )
    assert city.status_code == 201, city.text
    other = await post(
        "/api/v1/feedbacks", json=feedback(NANCHENG, own), headers=stack.auth("other")
    )
    assert other.status_code == 422, other.text
    # a feedback without clue_ids is accepted as before
    plain = await post("/api/v1/feedbacks", json=feedback(LINCHUAN), headers=stack.auth("county"))
    assert plain.status_code == 201, plain.text
