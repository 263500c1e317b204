"""The deadlines view against the real PostgreSQL and Kafka: rectification (in this process, its
real composition) records feedbacks and reports, its deadline worker fires with the service's
clock moved, its outbox relay publishes to Kafka, and the reporting service's consumer projects
everything into ``GET /api/v1/views/deadlines``. A county sees only its own deadlines; a replay
as of a past moment shows the clocks as they stood then."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from xuncha_rectification.bootstrap import SPEC as RECTIFICATION
from xuncha_reporting.adapters import deadline_pages
from xuncha_reporting.bootstrap import SPEC as REPORTING
from xuncha_reporting.replay import replay_as_of
from xuncha_shared import provision
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.clocks import DeadlineWorker, ManualClock
from xuncha_shared.clocks.clock import CST
from xuncha_shared.http.app import create_app
from xuncha_shared.relay import OutboxRelay
from xuncha_shared.runtime import ServiceContext, service_context
from xuncha_shared.settings import Settings

from tests.support.principals import LINCHUAN, NANCHENG, OFFICES
from tests.support.service_api import service_settings

pytestmark = pytest.mark.timeout(240)

FEEDBACK_AT = datetime(2026, 9, 30, 10, tzinfo=CST)  # R1 due 2026-11-30


@dataclass
class Stack:
    rect: httpx.AsyncClient
    reporting: httpx.AsyncClient
    rect_ctx: ServiceContext
    reporting_settings: Settings
    tokens: dict[str, str]
    reporting_app: Any
    reporting_ctx: ServiceContext

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    @property
    def clock(self) -> ManualClock:
        assert isinstance(self.rect_ctx.now, ManualClock)
        return self.rect_ctx.now

    def worker(self) -> DeadlineWorker:
        ctx = self.rect_ctx
        return DeadlineWorker(ctx.pool, ctx.store, ctx.clocks(), RECTIFICATION.deadline_kinds)


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
    prefix = f"{infra.db_prefix}dv{run}_"
    topics = f"{infra.topic_prefix}dv{run}."
    dbs = await provision.create_service_databases(infra.pg_admin_url, prefix)
    await provision.provision_topics(infra.kafka_bootstrap, topics)
    stop = asyncio.Event()
    try:
        async with contextlib.AsyncExitStack() as exits:
            clients: dict[str, httpx.AsyncClient] = {}
            apps: dict[str, Any] = {}
            contexts: dict[str, ServiceContext] = {}
            for spec in (RECTIFICATION, REPORTING):
                settings = service_settings(spec.name, infra, dbs, prefix, topics, relay_poll_ms=10)
                ctx = await exits.enter_async_context(service_context(spec, settings))
                if spec.build_consumers:
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
                apps[spec.name] = app
            relay = OutboxRelay(
                contexts["rectification"].pool,
                bootstrap=infra.kafka_bootstrap,
                service="rectification",
                topic_prefix=topics,
                poll_interval=0.01,
            )
            task = asyncio.create_task(relay.run(stop))

            async def stop_relay() -> None:
                stop.set()
                await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 30)

            exits.push_async_callback(stop_relay)
            pools = [contexts["rectification"].pool, contexts["reporting"].pool]
            tokens = {n: await create_token_in(pools, p) for n, p in OFFICES.items()}
            contexts["rectification"].now = ManualClock(FEEDBACK_AT)
            yield Stack(
                rect=clients["rectification"],
                reporting=clients["reporting"],
                rect_ctx=contexts["rectification"],
                reporting_settings=contexts["reporting"].settings,
                tokens=tokens,
                reporting_app=apps["reporting"],
                reporting_ctx=contexts["reporting"],
            )
    finally:
        await provision.drop_prefixed_databases(infra.pg_admin_url, prefix)
        await provision.delete_prefixed_topics(infra.kafka_bootstrap, topics)


async def feed_back(stack: Stack, jurisdiction: str, who: str) -> str:
    body = {
        "jurisdiction": jurisdiction,
        "unit": "某局",
        "issues": [{"description": "落实主体责任不到位"}],
    }
    r = await stack.rect.post("/api/v1/feedbacks", json=body, headers=stack.auth(who))
    assert r.status_code == 201, r.text
    return str(r.json()["issue_ids"][0])


async def formal_report(stack: Stack, issue_id: str) -> None:
    body = {"kind": "formal", "progress_percent": 100, "completed": True, "note": "已整改",
            "leader_report": "主要负责人组织落实情况报告"}  # fmt: skip
    r = await stack.rect.post(
        f"/api/v1/rectifications/{issue_id}/reports", json=body, headers=stack.auth("county")
    )
    assert r.status_code == 201, r.text


async def view(stack: Stack, who: str = "city", **params: str) -> dict[str, Any]:
    r = await stack.reporting.get("/api/v1/views/deadlines", params=params, headers=stack.auth(who))
    assert r.status_code == 200, r.text
    return {i["case"]["id"]: i for i in r.json()["items"]}


async def state_of(stack: Stack, issue_id: str, expected: str) -> None:
    async def reached() -> bool:
        item = (await view(stack)).get(issue_id)
        return item is not None and item["state"] == expected

    await wait_for(reached, f"{issue_id} {expected} in the deadlines view")


async def test_the_view_follows_r1_from_running_to_met_late_and_replays_as_of(
    stack: Stack,
) -> None:
    stack.clock.set(FEEDBACK_AT)
    late = await feed_back(stack, LINCHUAN, "county")
    on_time = await feed_back(stack, LINCHUAN, "county")
    other = await feed_back(stack, NANCHENG, "other")
    await state_of(stack, late, "running")
    item = (await view(stack))[late]
    assert (item["rule_id"], item["rule_version"], item["due_date"]) == (
        "xunshi_2015_art27",
        1,
        "2026-11-30",
    )
    assert item["owner"] == "某局" and item["jurisdiction"] == LINCHUAN
    assert item["case"] == {"type": "issue", "id": late, "link": f"/api/v1/rectifications/{late}"}
    # what it concerns: the issue's unit (no group)
    assert (item["unit_name"], item["group_no"]) == ("某局", None)
    assert item["waits_for"] == "rectification.RectificationReported(kind=formal)"

    # a formal report before the due date: met, and the worker never fires it
    stack.clock.set(datetime(2026, 10, 20, 10, tzinfo=CST))
    await formal_report(stack, on_time)
    await state_of(stack, on_time, "met")

    stack.clock.set(datetime(2026, 11, 12, 9, tzinfo=CST))  # yellow for both counties
    assert len(await stack.worker().fire_due()) == 2
    await state_of(stack, late, "warning_yellow")
    await state_of(stack, other, "warning_yellow")
    yellow_moment = datetime.now(UTC)
    await asyncio.sleep(0.05)  # recorded_at of later events is strictly after this moment

    stack.clock.set(datetime(2026, 12, 3, 9, tzinfo=CST))  # overdue (red skipped: overtaken)
    fired = await stack.worker().fire_due()
    assert sorted(f.stage.value for f in fired) == ["overdue", "overdue"]
    await state_of(stack, late, "overdue")
    r = await stack.reporting.get(
        "/api/v1/views/deadlines",
        params={"state": "overdue", "jurisdiction": LINCHUAN},
        headers=stack.auth("county"),
    )
    assert [i["case"]["id"] for i in r.json()["items"]] == [late]
    assert r.json()["items"][0]["days_late"] > 0

    summary = await stack.reporting.get(
        "/api/v1/views/deadlines/summary", headers=stack.auth("city")
    )
    counts = {c["jurisdiction"]: c for c in summary.json()["jurisdictions"]}
    assert (counts[LINCHUAN]["green"], counts[LINCHUAN]["red"], counts[LINCHUAN]["overdue"]) == (
        0,
        1,
        1,
    )
    assert counts[NANCHENG]["red"] == 1

    # the late formal report: met_late
    stack.clock.set(datetime(2026, 12, 5, 9, tzinfo=CST))
    await formal_report(stack, late)
    await state_of(stack, late, "met_late")
    # several states: open ones only (read without the history), or with an ended one
    for states, expected in (
        (["overdue", "warning_red", "warning_yellow"], set()),
        (["overdue", "met_late"], {late}),
        (["met", "met_late"], {late, on_time}),
    ):
        r = await stack.reporting.get(
            "/api/v1/views/deadlines",
            params={"state": states, "jurisdiction": LINCHUAN},
            headers=stack.auth("county"),
        )
        assert {i["case"]["id"] for i in r.json()["items"]} == expected, states

    # the clocks as they stood at the yellow warnings
    report = await replay_as_of(stack.reporting_settings, yellow_moment, jurisdiction=LINCHUAN)
    then = {d["case"]["id"]: d["state"] for d in report.deadlines}
    assert then == {late: "warning_yellow", on_time: "met"}
    now = await replay_as_of(stack.reporting_settings, datetime.now(UTC), jurisdiction=LINCHUAN)
    assert {d["case"]["id"]: d["state"] for d in now.deadlines} == {
        late: "met_late",
        on_time: "met",
    }


async def test_a_county_sees_only_its_own_deadlines(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.clock.set(FEEDBACK_AT)
    mine = await feed_back(stack, LINCHUAN, "county")
    theirs = await feed_back(stack, NANCHENG, "other")
    await state_of(stack, theirs, "running")
    await state_of(stack, mine, "running")
    own = await view(stack, "county")
    assert mine in own and theirs not in own
    assert all(i["jurisdiction"] == LINCHUAN for i in own.values())
    r = await stack.reporting.get(
        "/api/v1/views/deadlines", params={"jurisdiction": NANCHENG}, headers=stack.auth("county")
    )
    assert r.status_code == 403
    assert theirs not in r.text
    r = await stack.reporting.get(
        "/api/v1/views/deadlines/summary",
        params={"jurisdiction": NANCHENG},
        headers=stack.auth("county"),
    )
    assert r.status_code == 403
    r = await stack.reporting.get(
        "/api/v1/views/deadlines", params={"state": "late"}, headers=stack.auth("city")
    )
    assert r.status_code == 422

    # a page at a time: the pages put together are the whole list, whose total they give; a
    # county's pages count its own deadlines only. The whole list (no limit) is read through a
    # cursor and written as it is read: here one row at a time
    monkeypatch.setattr(deadline_pages, "STREAM_CHUNK", 1)
    for who in ("city", "county"):
        r = await stack.reporting.get("/api/v1/views/deadlines", headers=stack.auth(who))
        whole = r.json()
        assert (whole["total"], whole["limit"], whole["offset"]) == (len(whole["items"]), None, 0)
        assert whole["total"] >= 1 + (who == "city")
        assert datetime.fromisoformat(whole["generated_at"]).tzinfo is not None
        r = await stack.reporting.get(
            "/api/v1/views/deadlines", params={"offset": "1"}, headers=stack.auth(who)
        )
        assert r.json()["items"] == whole["items"][1:]
        assert (r.json()["total"], r.json()["offset"]) == (whole["total"], 1)
        paged: list[dict[str, Any]] = []
        while len(paged) < whole["total"]:
            r = await stack.reporting.get(
                "/api/v1/views/deadlines",
                params={"limit": "1", "offset": str(len(paged))},
                headers=stack.auth(who),
            )
            body = r.json()
            assert (body["total"], body["limit"], len(body["items"])) == (whole["total"], 1, 1)
            paged += body["items"]
        assert [(i["kind"], i["case"]["id"]) for i in paged] == [
            (i["kind"], i["case"]["id"]) for i in whole["items"]
        ]
        assert (theirs in {i["case"]["id"] for i in paged}) is (who == "city")
    for bad in ({"limit": "0"}, {"limit": "501"}, {"offset": "-1"}):
        r = await stack.reporting.get(
            "/api/v1/views/deadlines", params=bad, headers=stack.auth("city")
        )
        assert r.status_code == 422, bad
        assert r.headers["content-type"].startswith("application/problem+json")

    # the database down when the whole list is asked for: a 503 problem, not a 200 cut short
    async def down(*_: object, **__: object) -> None:
        raise ConnectionRefusedError(111, "Connect call failed")

    with monkeypatch.context() as m:
        m.setattr(deadline_pages.DeadlinePages, "stream", down)
        r = await stack.reporting.get("/api/v1/views/deadlines", headers=stack.auth("city"))
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"]


async def test_whole_lists_at_once_are_bounded_and_a_client_gone_gives_back_its_connection(
    stack: Stack,
) -> None:
    """Two whole lists (no ``limit``) being written hold the copy's turns: a third is a 503
    with Retry-After while pages still answer; clients that go away mid-answer give back their
    connection and their turn."""
    stack.clock.set(FEEDBACK_AT)
    issue = await feed_back(stack, LINCHUAN, "county")
    await state_of(stack, issue, "running")
    auth = [(b"authorization", f"Bearer {stack.tokens['city']}".encode())]
    first_chunks = 0
    both_in, never = asyncio.Event(), asyncio.Event()

    async def a_slow_client() -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/api/v1/views/deadlines",
            "raw_path": b"/api/v1/views/deadlines",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"reporting"), *auth],
            "client": ("127.0.0.1", 40000),
            "server": ("reporting", 80),
        }

        async def receive() -> dict[str, Any]:
            await never.wait()  # the client says nothing more (nor that it left)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal first_chunks
            if message["type"] == "http.response.start":
                assert message["status"] == 200
            elif message.get("body"):
                first_chunks += 1
                if first_chunks == 2:
                    both_in.set()
                await never.wait()  # and reads no further

        await stack.reporting_app(scope, receive, send)

    slow = [asyncio.create_task(a_slow_client()) for _ in range(2)]
    try:
        await asyncio.wait_for(both_in.wait(), 30)
        r = await stack.reporting.get("/api/v1/views/deadlines", headers=stack.auth("city"))
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"]
        assert "limit" in r.json()["detail"]
        r = await stack.reporting.get(
            "/api/v1/views/deadlines", params={"limit": "5"}, headers=stack.auth("city")
        )
        assert r.status_code == 200
    finally:
        for task in slow:
            task.cancel()  # the clients went away
        await asyncio.gather(*slow, return_exceptions=True)

    pool = stack.reporting_ctx.pool

    async def all_back() -> bool:
        return bool(pool.get_idle_size() == pool.get_size())

    await wait_for(all_back, "the stalled answers' connections back in the pool")
    answers = await asyncio.gather(
        *(
            stack.reporting.get("/api/v1/views/deadlines", headers=stack.auth("city"))
            for _ in range(2)
        )
    )
    assert [a.status_code for a in answers] == [200, 200]
    assert issue in {i["case"]["id"] for i in answers[0].json()["items"]}
