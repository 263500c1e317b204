"""Problems, inspection reports, hearings and immediate consultations (clues, 8002) and the office
summary (reporting, 8000) against the real PostgreSQL and Kafka.

Intake, clues and reporting run in this process with their real composition (schema, consumers,
outbox relays, HTTP apps) on databases and topics of their own: petitions posted to intake become
clues over Kafka; a group formed in intake's store reaches clues' ``group_unit_view`` over Kafka;
a hearing's ``clues.InspectionReportHeard`` is read back from ``clues.inspection-report.v1``; the
office summary is read from reporting's projection of what was recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from xuncha_clues.bootstrap import SPEC as CLUES
from xuncha_intake.bootstrap import SPEC as INTAKE
from xuncha_reporting.bootstrap import SPEC as REPORTING
from xuncha_shared import provision
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.clocks.clock import CST
from xuncha_shared.contracts.clues import clue_id_for_petition
from xuncha_shared.contracts.intake import GroupFormed
from xuncha_shared.contracts.topics import topic_for
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.envelope import Actor, EventEnvelope
from xuncha_shared.eventstore.base import NewEvent
from xuncha_shared.http.app import create_app
from xuncha_shared.kafka import client_options
from xuncha_shared.relay import OutboxRelay
from xuncha_shared.runtime import ServiceSpec, service_context

from tests.support.principals import LINCHUAN, NANCHENG, OFFICES, PROBLEM
from tests.support.service_api import service_settings

pytestmark = pytest.mark.timeout(300)

LICHUAN = "361022"  # 黎川县: only the office-summary test records there
GROUP_ID = uuid.uuid4()
GROUP_ROUND = uuid.uuid4()
GROUP_UNIT, OTHER_UNIT = uuid.uuid4(), uuid.uuid4()
PRINCIPALS = {
    **OFFICES,
    "lichuan": Principal(id="lic-office", role=Role.COUNTY_ADMIN, jurisdiction=LICHUAN),
    "bound": Principal(
        id="lc-group-7", role=Role.GROUP_MEMBER, jurisdiction=LINCHUAN, group_id=GROUP_ID
    ),
}


@dataclass
class Stack:
    intake: httpx.AsyncClient
    clues: httpx.AsyncClient
    reporting: httpx.AsyncClient
    pools: dict[str, asyncpg.Pool]
    stores: dict[str, Any]
    tokens: dict[str, str]
    topics: str
    bootstrap: str

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def clue_events(self) -> int:
        return int(await self.pools["clues"].fetchval("SELECT count(*) FROM events"))


async def wait_for(
    predicate: Callable[[], Awaitable[bool]], what: str, timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
async def stack(infra: Any) -> AsyncIterator[Stack]:
    run = uuid.uuid4().hex[:6]
    prefix = f"{infra.db_prefix}fd{run}_"
    topics = f"{infra.topic_prefix}fd{run}."
    dbs = await provision.create_service_databases(infra.pg_admin_url, prefix)
    await provision.provision_topics(infra.kafka_bootstrap, topics)
    stop = asyncio.Event()
    async with contextlib.AsyncExitStack() as exits:
        clients: dict[str, httpx.AsyncClient] = {}
        pools: dict[str, asyncpg.Pool] = {}
        stores: dict[str, Any] = {}
        tasks: list[asyncio.Task[None]] = []
        for spec in (INTAKE, CLUES, REPORTING):
            assert isinstance(spec, ServiceSpec)
            settings = service_settings(spec.name, infra, dbs, prefix, topics, relay_poll_ms=10)
            ctx = await exits.enter_async_context(service_context(spec, settings))
            assert spec.build_api is not None
            assert spec.build_consumers is not None
            spec.build_consumers(ctx.broker, ctx)
            await ctx.broker.start()
            exits.push_async_callback(ctx.broker.stop)
            if spec is not REPORTING:
                relay = OutboxRelay(
                    ctx.pool,
                    bootstrap=infra.kafka_bootstrap,
                    service=spec.name,
                    topic_prefix=topics,
                    poll_interval=0.01,
                )
                tasks.append(asyncio.create_task(relay.run(stop)))
            app = create_app(spec.name, title=spec.title)
            app.state.ctx = ctx
            spec.build_api(app, ctx)
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=f"http://{spec.name}"
            )
            exits.push_async_callback(client.aclose)
            clients[spec.name] = client
            pools[spec.name] = ctx.pool
            stores[spec.name] = ctx.store

        async def stop_relays() -> None:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)

        exits.push_async_callback(stop_relays)
        tokens = {
            name: await create_token_in(list(pools.values()), p) for name, p in PRINCIPALS.items()
        }
        yield Stack(
            intake=clients["intake"],
            clues=clients["clues"],
            reporting=clients["reporting"],
            pools=pools,
            stores=stores,
            tokens=tokens,
            topics=topics,
            bootstrap=infra.kafka_bootstrap,
        )
    await provision.drop_prefixed_databases(infra.pg_admin_url, prefix)
    await provision.delete_prefixed_topics(infra.kafka_bootstrap, topics)


# ---- helpers -------------------------------------------------------------------------------


async def new_clue(stack: Stack, jurisdiction: str = LINCHUAN, who: str = "county") -> str:
    """A petition posted to intake; the id of the clue the clues service registered for it."""
    resp = await stack.intake.post(
        "/api/v1/petitions",
        json={
            "jurisdiction": jurisdiction,
            "unit": "某局",
            "channel": "visit",
            "summary": "反映某局违规发放津补贴问题",
        },
        headers=stack.auth(who),
    )
    assert resp.status_code == 201, resp.text
    clue_id = str(clue_id_for_petition(uuid.UUID(resp.json()["id"])))

    async def registered() -> bool:
        return bool(
            await stack.pools["clues"].fetchval(
                "SELECT count(*) FROM clue_view WHERE clue_id = $1", uuid.UUID(clue_id)
            )
        )

    await wait_for(registered, f"clue {clue_id}")
    return clue_id


async def post(stack: Stack, path: str, body: dict[str, Any], who: str) -> httpx.Response:
    return await stack.clues.post(path, json=body, headers=stack.auth(who))


A_PROBLEM = {
    "round_id": str(GROUP_ROUND),
    "unit_id": str(GROUP_UNIT),
    "title": "落实全面从严治党主体责任不到位",
    "topics": ["两个责任"],
}


async def record_problem(
    stack: Stack, who: str = "county", expect: int = 201, **body: Any
) -> dict[str, Any]:
    doc = {**A_PROBLEM, **body}
    resp = await post(stack, "/api/v1/problems", doc, who)
    assert resp.status_code == expect, resp.text
    result: dict[str, Any] = resp.json()
    return result


def assert_problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    doc: dict[str, Any] = resp.json()
    return doc


def today() -> date:
    return datetime.now(CST).date()


async def heard_on_kafka(stack: Stack, report_id: str) -> list[EventEnvelope]:
    """The ``InspectionReportHeard`` envelopes of ``report_id`` on clues.inspection-report.v1
    (keyed by the report id), read from the beginning until one arrives."""
    consumer = AIOKafkaConsumer(
        topic_for("inspection_report", stack.topics),
        bootstrap_servers=stack.bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **client_options(),
    )
    await consumer.start()
    found: list[EventEnvelope] = []
    try:
        deadline = time.monotonic() + 60
        while not found and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for messages in batches.values():
                for m in messages:
                    env = EventEnvelope.from_wire(m.value)
                    if (
                        env.event_type == "clues.InspectionReportHeard"
                        and m.key == report_id.encode()
                    ):
                        found.append(env)
    finally:
        await consumer.stop()
    return found


# ---- tests ---------------------------------------------------------------------------------


async def test_a_hearing_appends_inspection_report_heard_with_unit_ids_and_it_reaches_kafka(
    stack: Stack,
):
    clue_id = await new_clue(stack)
    pointed = await record_problem(
        stack, topics=["四风", "微腐败", "四风"], clue_ids=[clue_id], pointed=True
    )
    assert pointed["topics"] == ["四风", "微腐败"]
    assert pointed["jurisdiction"] == LINCHUAN
    other = await record_problem(stack, title="选人用人把关不严", topics=["选人用人"])
    assert other["organisation_topics"] == ["选人用人"]
    resp = await post(
        stack,
        "/api/v1/inspection-reports",
        {
            "round_id": str(GROUP_ROUND),
            "kind": "unit",
            "unit_id": str(GROUP_UNIT),
            "problem_ids": [pointed["id"], other["id"]],
        },
        "group",
    )
    assert resp.status_code == 201, resp.text
    report = resp.json()
    assert report["status"] == "drafted"
    assert report["kind_zh"] == "分报告"
    assert report["unit_ids"] == [str(GROUP_UNIT)]
    resp = await post(
        stack,
        f"/api/v1/inspection-reports/{report['id']}/hearings",
        {
            "meeting": "secretary_meeting",
            "held_on": today().isoformat(),
            "pointed_problem_ids": [pointed["id"]],
            "decisions": "全面接受反馈意见，立行立改；点人点事问题由巡察办督办",
        },
        "county",
    )
    assert resp.status_code == 201, resp.text
    heard = resp.json()
    assert heard["status"] == "heard"
    assert heard["status_zh"] == "已听取汇报"
    assert [h["meeting_zh"] for h in heard["hearings"]] == ["书记专题会"]
    assert heard["pointed_problem_ids"] == [pointed["id"]]
    # the store holds the event with every unit of the report
    rows = await stack.pools["clues"].fetch(
        "SELECT event_type, stream_type, payload FROM events WHERE stream_id = $1 "
        "ORDER BY stream_version",
        report["id"],
    )
    assert [(r["event_type"], r["stream_type"]) for r in rows] == [
        ("clues.InspectionReportDrafted", "inspection_report"),
        ("clues.InspectionReportHeard", "inspection_report"),
    ]
    payload = rows[1]["payload"]
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert payload["unit_ids"] == [str(GROUP_UNIT)]
    assert payload["meeting"] == "secretary_meeting"
    # and Kafka carries it on clues.inspection-report.v1 for rectification (R16)
    [envelope] = await heard_on_kafka(stack, report["id"])
    assert envelope.stream_type == "inspection_report"
    assert envelope.jurisdiction == LINCHUAN
    assert envelope.payload["unit_ids"] == [str(GROUP_UNIT)]
    assert envelope.payload["pointed_problem_ids"] == [pointed["id"]]
    # the list shows it to the county office, the city and the auditor
    for who in ("county", "city", "auditor"):
        resp = await stack.clues.get("/api/v1/inspection-reports", headers=stack.auth(who))
        assert report["id"] in [r["id"] for r in resp.json()["items"]], who


async def test_illegal_inputs_and_transitions_are_refused_and_write_nothing(stack: Stack):
    rnd = str(uuid.uuid4())  # a round of its own: its unit report is the first
    clue_id = await new_clue(stack)
    other_county_clue = await new_clue(stack, NANCHENG, "other")
    a = await record_problem(stack, round_id=rnd)
    b = await record_problem(stack, round_id=rnd, unit_id=str(OTHER_UNIT))
    report = (
        await post(
            stack,
            "/api/v1/inspection-reports",
            {
                "round_id": rnd,
                "kind": "unit",
                "unit_id": str(GROUP_UNIT),
                "problem_ids": [a["id"]],
            },
            "county",
        )
    ).json()
    heard = await post(
        stack,
        f"/api/v1/inspection-reports/{report['id']}/hearings",
        {"meeting": "standing_committee", "held_on": today().isoformat(), "decisions": "同意"},
        "county",
    )
    assert heard.status_code == 201, heard.text
    before = await stack.clue_events()
    hearing = f"/api/v1/inspection-reports/{report['id']}/hearings"
    unknown = str(uuid.uuid4())
    cases: list[tuple[str, dict[str, Any], str, int]] = [
        # problems: unknown or another county's clue (404), no title, a stray field (422)
        (
            "/api/v1/problems",
            {
                "round_id": rnd,
                "unit_id": str(GROUP_UNIT),
                "title": "t",
                "clue_ids": [unknown],
            },
            "county",
            404,
        ),
        (
            "/api/v1/problems",
            {
                "round_id": rnd,
                "unit_id": str(GROUP_UNIT),
                "title": "t",
                "clue_ids": [other_county_clue],
            },
            "county",
            404,
        ),
        (
            "/api/v1/problems",
            {"round_id": rnd, "unit_id": str(GROUP_UNIT), "title": " "},
            "county",
            422,
        ),
        (
            "/api/v1/problems",
            {"round_id": "x", "unit_id": str(GROUP_UNIT), "title": "t"},
            "county",
            422,
        ),
        (
            "/api/v1/problems",
            {"round_id": rnd, "unit_id": str(GROUP_UNIT), "title": "t", "severity": 3},
            "county",
            422,
        ),
        # reports: a unit report without its unit, another unit's problem, a second unit
        # report of the unit (409), an unknown problem (404), a bad kind
        (
            "/api/v1/inspection-reports",
            {"round_id": rnd, "kind": "unit"},
            "county",
            422,
        ),
        (
            "/api/v1/inspection-reports",
            {
                "round_id": rnd,
                "kind": "unit",
                "unit_id": str(uuid.uuid4()),  # not b's unit
                "problem_ids": [b["id"]],
            },
            "county",
            422,
        ),
        (
            "/api/v1/inspection-reports",
            {"round_id": rnd, "kind": "unit", "unit_id": str(GROUP_UNIT)},
            "county",
            409,
        ),
        (
            "/api/v1/inspection-reports",
            {"round_id": rnd, "kind": "thematic", "problem_ids": [unknown]},
            "county",
            404,
        ),
        (
            "/api/v1/inspection-reports",
            {"round_id": rnd, "kind": "annual"},
            "county",
            422,
        ),
        # hearings: the same meeting twice (409), in the future, a problem not in the report,
        # an unknown meeting (422), a group may not record one (403), unknown report (404)
        (
            hearing,
            {
                "meeting": "standing_committee",
                "held_on": today().isoformat(),
                "decisions": "再次听取",
            },
            "county",
            409,
        ),
        (
            hearing,
            {
                "meeting": "secretary_meeting",
                "held_on": (today() + timedelta(days=1)).isoformat(),
                "decisions": "d",
            },
            "county",
            422,
        ),
        (
            hearing,
            {
                "meeting": "secretary_meeting",
                "held_on": today().isoformat(),
                "pointed_problem_ids": [b["id"]],
                "decisions": "d",
            },
            "county",
            422,
        ),
        (
            hearing,
            {"meeting": "plenary", "held_on": today().isoformat(), "decisions": "d"},
            "county",
            422,
        ),
        (
            hearing,
            {"meeting": "secretary_meeting", "held_on": today().isoformat(), "decisions": "d"},
            "group",
            403,
        ),
        (
            f"/api/v1/inspection-reports/{unknown}/hearings",
            {"meeting": "secretary_meeting", "held_on": today().isoformat(), "decisions": "d"},
            "county",
            404,
        ),
        # consultations: unknown or another county's clue (404), future, no participant (422)
        (
            "/api/v1/consultations",
            {
                "clue_ids": [unknown],
                "held_on": today().isoformat(),
                "participants": ["主任"],
                "decision": "d",
            },
            "county",
            404,
        ),
        (
            "/api/v1/consultations",
            {
                "clue_ids": [other_county_clue],
                "held_on": today().isoformat(),
                "participants": ["主任"],
                "decision": "d",
            },
            "county",
            404,
        ),
        (
            "/api/v1/consultations",
            {
                "clue_ids": [clue_id],
                "held_on": (today() + timedelta(days=3)).isoformat(),
                "participants": ["主任"],
                "decision": "d",
            },
            "county",
            422,
        ),
        (
            "/api/v1/consultations",
            {
                "clue_ids": [clue_id],
                "held_on": today().isoformat(),
                "participants": [],
                "decision": "d",
            },
            "county",
            422,
        ),
        # a department has no business here
        (
            "/api/v1/problems",
            {"round_id": rnd, "unit_id": str(GROUP_UNIT), "title": "t"},
            "auditor",
            403,
        ),
    ]
    for path, body, who, status in cases:
        problem = assert_problem(await post(stack, path, body, who), status)
        assert problem["status"] == status
        if status == 409:
            assert (
                "已听取汇报" in problem["detail"]
                or "已形成报告" in problem["detail"]
                or ("状态" in problem["detail"])
            ), problem
    assert await stack.clue_events() == before
    # a consultation on the county's own clue is recorded
    resp = await post(
        stack,
        "/api/v1/consultations",
        {
            "clue_ids": [clue_id],
            "held_on": today().isoformat(),
            "participants": ["区委巡察办主任", "第三巡察组组长"],
            "decision": "线索移交区纪委监委",
        },
        "group",
    )
    assert resp.status_code == 201, resp.text
    assert await stack.clue_events() == before + 1


async def test_jurisdiction_and_group_isolation_answer_404(stack: Stack):
    clue_id = await new_clue(stack)
    problem = await record_problem(stack, clue_ids=[clue_id])
    report = (
        await post(
            stack,
            "/api/v1/inspection-reports",
            {"round_id": str(GROUP_ROUND), "kind": "thematic", "problem_ids": [problem["id"]]},
            "county",
        )
    ).json()
    consultation = (
        await post(
            stack,
            "/api/v1/consultations",
            {
                "clue_ids": [clue_id],
                "held_on": today().isoformat(),
                "participants": ["主任"],
                "decision": "会商意见",
            },
            "county",
        )
    ).json()
    paths = [
        f"/api/v1/problems/{problem['id']}",
        f"/api/v1/inspection-reports/{report['id']}",
        f"/api/v1/consultations/{consultation['id']}",
    ]
    for path in paths:
        assert (await stack.clues.get(path, headers=stack.auth("county"))).status_code == 200
        assert (await stack.clues.get(path, headers=stack.auth("city"))).status_code == 200
        other = await stack.clues.get(path, headers=stack.auth("other"))
        assert_problem(other, 404)
        unknown = await stack.clues.get(
            path.rsplit("/", 1)[0] + f"/{uuid.uuid4()}", headers=stack.auth("other")
        )
        assert assert_problem(unknown, 404)["title"] == assert_problem(other, 404)["title"]
    for listing, key in (
        ("/api/v1/problems", problem["id"]),
        ("/api/v1/inspection-reports", report["id"]),
        ("/api/v1/consultations", consultation["id"]),
    ):
        items = (await stack.clues.get(listing, headers=stack.auth("other"))).json()["items"]
        assert key not in [i["id"] for i in items]
        mine = (await stack.clues.get(listing, headers=stack.auth("county"))).json()["items"]
        assert key in [i["id"] for i in mine]
    # another county cannot hear the report or point at its problems: 404
    before = await stack.clue_events()
    resp = await post(
        stack,
        f"/api/v1/inspection-reports/{report['id']}/hearings",
        {"meeting": "secretary_meeting", "held_on": today().isoformat(), "decisions": "d"},
        "other",
    )
    assert_problem(resp, 404)
    assert await stack.clue_events() == before

    # a member bound to a group sees only its group's units in its round (intake's GroupFormed,
    # followed over Kafka); before clues knows the group it sees no unit at all
    assert_problem(await stack.clues.get(paths[0], headers=stack.auth("bound")), 404)
    formed = GroupFormed(
        group_id=GROUP_ID,
        round_id=GROUP_ROUND,
        jurisdiction=LINCHUAN,
        group_no=7,
        leader_id=uuid.uuid4(),
        member_ids=[uuid.uuid4()],
        unit_ids=[GROUP_UNIT],
        starts_on=today(),
        ends_on=today() + timedelta(days=30),
    )
    actor = Actor(principal_id="lc-office", role="county_admin")
    await stack.stores["intake"].append(
        "group", str(GROUP_ID), 0, [NewEvent(formed, LINCHUAN, actor)]
    )

    async def known() -> bool:
        return bool(
            await stack.pools["clues"].fetchval(
                "SELECT count(*) FROM group_unit_view WHERE group_id = $1", GROUP_ID
            )
        )

    await wait_for(known, "the group's units in clues")
    assert (await stack.clues.get(paths[0], headers=stack.auth("bound"))).status_code == 200
    # once the round's groups are known, a problem of the round is at one of their units, in
    # the round's area (422); another county does not learn the round exists (404)
    before = await stack.clue_events()
    wrong_unit = await post(
        stack, "/api/v1/problems", {**A_PROBLEM, "unit_id": str(OTHER_UNIT)}, "county"
    )
    assert "不在所选轮次的巡察范围内" in assert_problem(wrong_unit, 422)["detail"]
    wrong_area = await post(
        stack, "/api/v1/problems", {**A_PROBLEM, "jurisdiction": LICHUAN}, "city"
    )
    assert "不是该地区的轮次" in assert_problem(wrong_area, 422)["detail"]
    assert_problem(await post(stack, "/api/v1/problems", A_PROBLEM, "other"), 404)
    assert await stack.clue_events() == before
    elsewhere = await record_problem(
        stack, unit_id=str(OTHER_UNIT), round_id=str(uuid.uuid4())
    )  # a round clues knows no group of: taken as given
    resp = await stack.clues.get(f"/api/v1/problems/{elsewhere['id']}", headers=stack.auth("bound"))
    assert_problem(resp, 404)
    items = (await stack.clues.get("/api/v1/problems", headers=stack.auth("bound"))).json()["items"]
    assert elsewhere["id"] not in [i["id"] for i in items]
    assert problem["id"] in [i["id"] for i in items]
    before = await stack.clue_events()
    await record_problem(stack, who="bound", unit_id=str(OTHER_UNIT), expect=404)
    await record_problem(stack, who="bound", round_id=str(uuid.uuid4()), expect=404)
    assert await stack.clue_events() == before
    mine = await record_problem(stack, who="bound")
    assert mine["group_id"] == str(GROUP_ID)


async def test_the_office_summary_equals_what_was_recorded(stack: Stack):
    """黎川县: 2 reports, heard by the secretary meeting (pointing 2 problems) and the standing
    committee; 3 problems at 2 units; 1 consultation; 2 clues transferred to the discipline
    commission, 1 to the organisation department."""
    who = "lichuan"
    round_id = str(uuid.uuid4())
    unit_a, unit_b = str(uuid.uuid4()), str(uuid.uuid4())
    clues = [await new_clue(stack, LICHUAN, who) for _ in range(3)]
    for clue_id, department in zip(
        clues, ["discipline_commission", "discipline_commission", "organisation"], strict=True
    ):
        resp = await post(
            stack,
            f"/api/v1/clues/{clue_id}/classify",
            {"category": "further_inquiry", "cadre_level": "section"},
            who,
        )
        assert resp.status_code == 200, resp.text
        resp = await post(
            stack,
            f"/api/v1/clues/{clue_id}/transfer",
            {"department": department, "reason": "按规定移交"},
            who,
        )
        assert resp.status_code == 200, resp.text
    p1 = await record_problem(
        stack, who, round_id=round_id, unit_id=unit_a, topics=["四风"], pointed=True
    )
    p2 = await record_problem(
        stack, who, round_id=round_id, unit_id=unit_a, topics=["选人用人"], pointed=True
    )
    p3 = await record_problem(stack, who, round_id=round_id, unit_id=unit_b, topics=["惠民资金"])
    unit_report = (
        await post(
            stack,
            "/api/v1/inspection-reports",
            {
                "round_id": round_id,
                "kind": "unit",
                "unit_id": unit_a,
                "problem_ids": [p1["id"], p2["id"]],
            },
            who,
        )
    ).json()
    overall = (
        await post(
            stack,
            "/api/v1/inspection-reports",
            {
                "round_id": round_id,
                "kind": "overall",
                "problem_ids": [p1["id"], p2["id"], p3["id"]],
            },
            who,
        )
    ).json()
    assert overall["unit_ids"] == [unit_a, unit_b]
    for report_id, meeting, pointed in (
        (unit_report["id"], "secretary_meeting", [p1["id"], p2["id"]]),
        (overall["id"], "standing_committee", []),
    ):
        resp = await post(
            stack,
            f"/api/v1/inspection-reports/{report_id}/hearings",
            {
                "meeting": meeting,
                "held_on": today().isoformat(),
                "pointed_problem_ids": pointed,
                "decisions": "听取汇报",
            },
            who,
        )
        assert resp.status_code == 201, resp.text
    resp = await post(
        stack,
        "/api/v1/consultations",
        {
            "clue_ids": clues[:2],
            "held_on": today().isoformat(),
            "participants": ["主任", "组长"],
            "decision": "即时移交",
        },
        who,
    )
    assert resp.status_code == 201, resp.text

    url = f"/api/v1/views/office-summary?jurisdiction={LICHUAN}&year={today().year}"
    view: dict[str, Any] = {}

    async def projected() -> bool:
        nonlocal view
        resp = await stack.reporting.get(url, headers=stack.auth(who))
        assert resp.status_code == 200, resp.text
        view = resp.json()
        return bool(
            view["hearings"]["total"] == 2
            and view["transfers"]["total"] == 3
            and view["consultations"]["held"] == 1
            and view["problems"]["recorded"] == 3
        )

    await wait_for(projected, "the office summary")
    assert view["hearings"]["by_meeting"] == {
        "standing_committee": 1,
        "secretary_meeting": 1,
        "leading_group": 0,
    }
    assert view["hearings"]["reports_heard"] == 2
    assert view["reports"]["by_kind"] == {"unit": 1, "overall": 1, "thematic": 0}
    assert view["problems"]["marked_pointed"] == 2
    assert view["pointed"]["problems"] == 2
    assert sorted(view["pointed"]["problem_ids"]) == sorted([p1["id"], p2["id"]])
    assert [
        (r["department"], r["transferred"], r["pending"])
        for r in view["transfers"]["by_department"]
    ] == [("discipline_commission", 2, 2), ("organisation", 1, 1)]
    assert view["consultations"] == {"held": 1, "clues": 2}
    assert "1次向县委常委会汇报巡察工作" in view["rendering_zh"]
    assert "移交问题线索3件（纪委监委2件、组织部1件）" in view["rendering_zh"]
    text = await stack.reporting.get(url + "&format=text", headers=stack.auth(who))
    assert text.status_code == 200
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text == view["rendering_zh"]
    # another county may not read it; the city may
    assert (await stack.reporting.get(url, headers=stack.auth("other"))).status_code == 403
    assert (await stack.reporting.get(url, headers=stack.auth("city"))).status_code == 200
    # a year still to come has no summary (422, the field named)
    future = url.replace(f"year={today().year}", f"year={today().year + 1}")
    refused = await stack.reporting.get(future, headers=stack.auth(who))
    assert assert_problem(refused, 422)["errors"][0]["field"] == "query.year"
