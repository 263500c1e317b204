"""Step 4 and its views against the real PostgreSQL and Kafka: every channel recorded against a
round, group and unit; the clues a record brings become clues in the clues service (over Kafka,
consumer ``clues.register-from-records``) with their source channel; bad input writes nothing;
reporting's coverage reaches exactly the planned figure and a round's statistics equal the sum
of its records."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from xuncha_clues.bootstrap import SPEC as CLUES
from xuncha_intake.bootstrap import SPEC as INTAKE
from xuncha_reporting.bootstrap import SPEC as REPORTING
from xuncha_reporting.domain.lifecycle import coverage_warning
from xuncha_shared import provision
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.clocks.clock import local_day
from xuncha_shared.contracts.clues import ClueRegistered, clue_id_for_record
from xuncha_shared.http.app import create_app
from xuncha_shared.relay import OutboxRelay
from xuncha_shared.runtime import service_context

from tests.support.principals import CITY, LINCHUAN, OFFICES, PROBLEM
from tests.support.service_api import service_settings

pytestmark = pytest.mark.timeout(240)


@dataclass
class Stack:
    intake: httpx.AsyncClient
    clues: httpx.AsyncClient
    intake_pool: asyncpg.Pool
    clues_pool: asyncpg.Pool
    tokens: dict[str, str]
    reporting: httpx.AsyncClient

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def ok(self, who: str, path: str, body: Any = None) -> dict[str, Any]:
        resp = await self.intake.post(f"/api/v1{path}", json=body, headers=self.auth(who))
        assert resp.status_code in (200, 201), resp.text
        doc: dict[str, Any] = resp.json()
        return doc


async def wait_for(
    predicate: Callable[[], Awaitable[bool]], what: str, timeout: float = 60
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
    prefix = f"{infra.db_prefix}rc{run}_"
    topics = f"{infra.topic_prefix}rc{run}."
    dbs = await provision.create_service_databases(
        infra.pg_admin_url, prefix, ["intake", "clues", "rectification", "reporting"]
    )
    await provision.provision_topics(infra.kafka_bootstrap, topics)
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    try:
        async with contextlib.AsyncExitStack() as exits:
            clients: dict[str, httpx.AsyncClient] = {}
            pools: dict[str, asyncpg.Pool] = {}
            for spec in (INTAKE, CLUES, REPORTING):
                settings = service_settings(spec.name, infra, dbs, prefix, topics, relay_poll_ms=10)
                ctx = await exits.enter_async_context(service_context(spec, settings))
                assert spec.build_api is not None
                assert spec.build_consumers is not None
                spec.build_consumers(ctx.broker, ctx)
                await ctx.broker.start()
                exits.push_async_callback(ctx.broker.stop)
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

            async def stop_relays() -> None:
                stop.set()
                await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)

            exits.push_async_callback(stop_relays)
            tokens = {
                name: await create_token_in(list(pools.values()), p) for name, p in OFFICES.items()
            }
            yield Stack(
                clients["intake"],
                clients["clues"],
                pools["intake"],
                pools["clues"],
                tokens,
                clients["reporting"],
            )
    finally:
        await provision.drop_prefixed_databases(infra.pg_admin_url, prefix)
        await provision.delete_prefixed_topics(infra.kafka_bootstrap, topics)


async def setup_group(stack: Stack, term_no: int) -> dict[str, str]:
    """A Linchuan round with one group of four at two units."""
    unit_ids = []
    for name in (
        f"临川区第{term_no}届甲局",
        f"临川区第{term_no}届乙局",
        f"临川区第{term_no}届组织部",
    ):
        unit_ids.append(
            (
                await stack.ok(
                    "county",
                    "/units",
                    {"jurisdiction": LINCHUAN, "name": name, "kind": "county_department"},
                )
            )["id"]
        )
    a, b, home = unit_ids
    await stack.ok(
        "county",
        "/term-plans",
        {
            "jurisdiction": LINCHUAN,
            "term_no": term_no,
            "starts_on": "2022-01-01",
            "ends_on": "2027-12-31",
            "unit_ids": [a, b],
        },
    )
    rnd = await stack.ok(
        "county",
        "/rounds",
        {
            "jurisdiction": LINCHUAN,
            "term_no": term_no,
            "round_no": 1,
            "kind": "regular",
            "starts_on": "2026-09-01",
            "ends_on": "2026-12-31",
        },
    )
    await stack.ok(
        "county",
        f"/rounds/{rnd['id']}/units",
        {"units": [{"unit_id": a, "mode": "regular"}, {"unit_id": b, "mode": "linked"}]},
    )
    members = []
    for i in range(4):
        members.append(
            (
                await stack.ok(
                    "county",
                    "/talent-pool/members",
                    {
                        "name": f"组员{term_no}-{i}",
                        "jurisdiction": LINCHUAN,
                        "home_unit_id": home,
                        "source": "organisation",
                        "specialities": ["personnel"],
                        "rank": "正科级",
                        "birth_year": 1975,
                    },
                )
            )["id"]
        )
    group = await stack.ok(
        "county",
        f"/rounds/{rnd['id']}/groups",
        {"group_no": 1, "leader_id": members[0], "member_ids": members, "unit_ids": [a, b]},
    )
    return {"round_id": rnd["id"], "group_id": group["id"], "a": a, "b": b, "home": home}


def record(ids: dict[str, str], kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "round_id": ids["round_id"],
        "group_id": ids["group_id"],
        "unit_id": ids["a"],
        "occurred_on": "2026-10-12",
        **fields,
    }


EVERY_CHANNEL: list[tuple[str, dict[str, Any], str]] = [
    (
        "individual_talk",
        {
            "talks": [
                {"interviewee": "leadership", "persons": 7},
                {"interviewee": "staff", "persons": 31},
            ]
        },
        "intake.IndividualTalkRecorded",
    ),
    (
        "survey",
        {"survey": "democratic_assessment", "copies_issued": 120, "copies_returned": 117},
        "intake.SurveyConducted",
    ),
    ("symposium", {"meetings": 2, "participants": 26}, "intake.SymposiumHeld"),
    ("site_check", {"checks": 3}, "intake.SiteCheckConducted"),
    ("field_visit", {"sites": 4, "persons_heard": 36}, "intake.FieldVisitRecorded"),
    ("records_review", {"items": 85}, "intake.RecordsReviewed"),
    (
        "personal_matters_check",
        {"cadres_checked": 12, "discrepancies": 1},
        "intake.PersonalMattersChecked",
    ),
    ("referral", {"source": "procuratorate", "items": 2}, "intake.ReferralReceived"),
]


async def test_every_channel_is_recorded_and_its_clues_reach_clues(stack: Stack) -> None:
    ids = await setup_group(stack, 11)
    made: list[tuple[str, str]] = []
    for kind, fields, event_type in EVERY_CHANNEL:
        clue = {"summary": f"{kind} 中反映该局负责人违规问题"}
        out = await stack.ok(
            "group" if kind == "individual_talk" else "county",
            "/intake-records",
            record(ids, kind, clues=[clue], **fields),
        )
        assert out["event_type"] == event_type
        [clue_id] = out["clue_ids"]
        assert clue_id == str(clue_id_for_record(uuid.UUID(out["id"]), 0))
        made.append((clue_id, kind))
        row = await stack.intake_pool.fetchrow(
            "SELECT stream_type, payload FROM events WHERE stream_id = $1", out["id"]
        )
        assert row["stream_type"] == "intake_record"
        for name, value in fields.items():
            assert row["payload"][name] == value
    # a record without clues makes none
    await stack.ok("county", "/intake-records", record(ids, "site_check", checks=1))

    async def all_registered() -> bool:
        count = await stack.clues_pool.fetchval(
            "SELECT count(*) FROM events WHERE event_type = 'clues.ClueRegistered'"
        )
        return int(count) >= len(made)

    await wait_for(all_registered, "clues of the records")
    for clue_id, kind in made:
        row = await stack.clues_pool.fetchrow(
            "SELECT schema_version, payload FROM events WHERE stream_id = $1", clue_id
        )
        assert row["schema_version"] == ClueRegistered.schema_version
        assert row["payload"]["source_channel"] == kind
        assert row["payload"]["unit"] == "临川区第11届甲局"
        assert row["payload"]["round_id"] == ids["round_id"]
        assert row["payload"]["unit_id"] == ids["a"]
        # entered after the record's day: registered on that day, as on paper (R26)
        assert row["payload"]["registered_on"] == "2026-10-12", row["payload"]
    total = await stack.clues_pool.fetchval(
        "SELECT count(*) FROM events WHERE event_type = 'clues.ClueRegistered'"
    )
    assert total == len(made)
    listed = await stack.intake.get(
        f"/api/v1/intake-records?round_id={ids['round_id']}", headers=stack.auth("county")
    )
    assert listed.status_code == 200, listed.text
    assert len(listed.json()) == len(EVERY_CHANNEL) + 1


async def test_bad_records_get_a_problem_and_write_nothing(stack: Stack) -> None:
    ids = await setup_group(stack, 13)
    before = await stack.intake_pool.fetchval("SELECT count(*) FROM events")
    talks = {"talks": [{"interviewee": "staff", "persons": 3}]}
    for body, status in (
        (record(ids, "survey", survey="questionnaire", copies_issued=10, copies_returned=11), 422),
        (record(ids, "survey", copies_issued=10, copies_returned=1), 422),  # no survey kind
        (record(ids, "referral", source="newspaper", items=1), 422),
        (record(ids, "individual_talk", talks=[]), 422),
        (record(ids, "individual_talk", **talks, colour="red"), 422),  # not a field of talks
        (record(ids, "symposium", meetings=-1, participants=3), 422),
        (record(ids, "dinner", **talks), 422),
        ({**record(ids, "individual_talk", **talks), "unit_id": ids["home"]}, 422),
        ({**record(ids, "individual_talk", **talks), "group_id": str(uuid.uuid4())}, 422),
        ({**record(ids, "individual_talk", **talks), "occurred_on": "2027-01-05"}, 422),
        ({**record(ids, "individual_talk", **talks), "round_id": str(uuid.uuid4())}, 404),
        # R11: no phone or ID number in what the record says or the clues it brings
    ):
        resp = await stack.intake.post(
            "/api/v1/intake-records", json=body, headers=stack.auth("county")
        )
        assert resp.status_code == status, (body, resp.text)
        assert resp.headers["content-type"].startswith(PROBLEM)
    # R11: no phone or ID number in what the record says or in the clues it brings
    talk = record(ids, "individual_talk", **talks)
    for body, where in (
        ({**talk, "clues": [{"summary": "反映人电话 13907941234"}]}, "第1条线索"),
        ({**talk, "summary": "谈话对象身份证 36100219800101123X"}, "情况摘要"),
    ):
        resp = await stack.intake.post(
            "/api/v1/intake-records", json=body, headers=stack.auth("county")
        )
        assert resp.status_code == 422, resp.text
        detail = resp.json()["detail"]
        assert detail.startswith(f"{where}不得包含电话号码或身份证号 (R11)"), detail
        assert "13907941234" not in detail and "36100219800101123X" not in detail
    # another county: the round does not exist for it
    resp = await stack.intake.post(
        "/api/v1/intake-records",
        json=record(ids, "individual_talk", **talks),
        headers=stack.auth("other"),
    )
    assert resp.status_code == 404, resp.text
    assert await stack.intake_pool.fetchval("SELECT count(*) FROM events") == before


async def view(stack: Stack, path: str, who: str = "county") -> dict[str, Any]:
    resp = await stack.reporting.get(f"/api/v1{path}", headers=stack.auth(who))
    assert resp.status_code == 200, resp.text
    doc: dict[str, Any] = resp.json()
    return doc


async def eventually(
    stack: Stack, path: str, check: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    last: dict[str, Any] = {}

    async def done() -> bool:
        nonlocal last
        resp = await stack.reporting.get(f"/api/v1{path}", headers=stack.auth("county"))
        if resp.status_code != 200:
            return False
        last = resp.json()
        return check(last)

    try:
        await wait_for(done, path)
    except AssertionError:
        raise AssertionError(f"{path}: last seen {last}") from None
    return last


async def test_coverage_reaches_exactly_the_planned_figure(stack: Stack) -> None:
    ids = await setup_group(stack, 3)  # plan: units a and b; the group inspects both
    stationings = [
        await stack.ok(
            "county",
            f"/groups/{ids['group_id']}/stationings",
            {"unit_id": unit, "starts_on": "2026-09-07"},
        )
        for unit in (ids["a"], ids["b"])
    ]
    assert stationings[0]["ends_on"] == "2026-09-28"  # 15 working days (R14)

    def row(doc: dict[str, Any]) -> dict[str, Any]:
        [mine] = [r for r in doc["jurisdictions"] if r["jurisdiction"] == LINCHUAN]
        return mine

    doc = await eventually(stack, "/views/coverage?term_no=3", lambda d: bool(d["jurisdictions"]))
    assert row(doc)["planned"] == 2
    assert row(doc)["inspected"] == 0  # stationed, not ended
    assert row(doc)["rate"] == 0.0
    # the plan's dates and R6's watch: the days left of the term on the service's day
    today = local_day(datetime.now(UTC))
    assert (row(doc)["starts_on"], row(doc)["ends_on"]) == ("2022-01-01", "2027-12-31")
    assert (row(doc)["days_left"], row(doc)["warning"]) == coverage_warning("2027-12-31", 2, today)
    await stack.ok("county", f"/stationings/{stationings[0]['id']}/end", {"ended_on": "2026-09-28"})
    doc = await eventually(stack, "/views/coverage?term_no=3", lambda d: row(d)["inspected"] == 1)
    assert row(doc)["rate"] == 50.0
    assert [u["unit_id"] for u in row(doc)["not_inspected"]] == [ids["b"]]
    assert row(doc)["not_inspected"][0]["name"] == "临川区第3届乙局"
    await stack.ok("county", f"/stationings/{stationings[1]['id']}/end", {"ended_on": "2026-09-28"})
    doc = await eventually(stack, "/views/coverage?term_no=3", lambda d: row(d)["inspected"] == 2)
    assert row(doc)["planned"] == row(doc)["inspected"] == 2
    assert row(doc)["rate"] == 100.0
    assert row(doc)["not_inspected"] == []
    # a county office sees its own county: the total is its county's, named so (not the
    # city's name over one county's figures); the city office's total is the city's
    assert doc["jurisdictions"] == [row(doc)]
    assert doc["city"] == {
        "jurisdiction": LINCHUAN,
        "name": "临川区",
        "planned": 2,
        "inspected": 2,
        "rate": 100.0,
    }
    city = await view(stack, "/views/coverage?term_no=3", "city")
    assert (city["city"]["jurisdiction"], city["city"]["name"]) == (CITY, "抚州市")
    assert city["city"]["planned"] == sum(r["planned"] for r in city["jurisdictions"])
    # another term plans nothing here
    other = await view(stack, "/views/coverage?term_no=9")
    assert other["jurisdictions"] == []
    assert other["city"]["rate"] is None
    # without a term: the term of today, and the plans in view (a county office: its own only)
    plan = {
        "term_no": 3,
        "jurisdiction": LINCHUAN,
        "starts_on": "2022-01-01",
        "ends_on": "2027-12-31",
    }
    mine = await view(stack, "/views/coverage")
    assert plan in mine["term_plans"]
    assert {p["jurisdiction"] for p in mine["term_plans"]} == {LINCHUAN}
    assert mine["term_no"] == mine["current_term_no"] is not None
    [running] = [p for p in mine["term_plans"] if p["term_no"] == mine["term_no"]]
    assert running["starts_on"] <= today.isoformat() <= running["ends_on"]
    assert plan in city["term_plans"]


async def test_coverage_counts_the_plan_as_amended(stack: Stack) -> None:
    """巡察规划调整 (R6): the coverage view counts the amended plan, and says it was amended."""
    today = local_day(datetime.now(UTC))
    x, y, z = [
        (
            await stack.ok(
                "county",
                "/units",
                {
                    "jurisdiction": LINCHUAN,
                    "name": f"临川区第7届{n}局",
                    "kind": "county_department",
                },
            )
        )["id"]
        for n in "戊己庚"
    ]
    plan = await stack.ok(
        "county",
        "/term-plans",
        {
            "jurisdiction": LINCHUAN,
            "term_no": 7,
            "starts_on": (today - timedelta(days=400)).isoformat(),
            "ends_on": (today + timedelta(days=900)).isoformat(),
            "unit_ids": [x, y],
        },
    )
    await eventually(stack, "/views/coverage?term_no=7", lambda d: bool(d["jurisdictions"]))
    await stack.ok(
        "county",
        f"/term-plans/{plan['id']}/amendments",
        {"add_unit_ids": [z], "remove_unit_ids": [x], "reason": "机构改革"},
    )
    doc = await eventually(
        stack, "/views/coverage?term_no=7", lambda d: d["jurisdictions"][0]["amendments"] == 1
    )
    [row] = doc["jurisdictions"]
    assert (row["planned"], row["inspected"], row["amended_on"]) == (2, 0, today.isoformat())
    assert [u["name"] for u in row["not_inspected"]] == ["临川区第7届己局", "临川区第7届庚局"]
    assert (row["starts_on"], row["ends_on"]) == (plan["starts_on"], plan["ends_on"])


async def test_round_statistics_equal_the_sum_of_its_records(stack: Stack) -> None:
    ids = await setup_group(stack, 15)
    talks = [(7, 31), (2, 12)]
    for lead, staff in talks:
        await stack.ok(
            "group",
            "/intake-records",
            record(
                ids,
                "individual_talk",
                talks=[
                    {"interviewee": "leadership", "persons": lead},
                    {"interviewee": "staff", "persons": staff},
                ],
            ),
        )
    surveys = [
        ("democratic_assessment", 120, 117),
        ("questionnaire", 300, 288),
        ("democratic_assessment", 40, 40),
    ]
    for kind, issued, returned in surveys:
        await stack.ok(
            "county",
            "/intake-records",
            record(ids, "survey", survey=kind, copies_issued=issued, copies_returned=returned),
        )
    await stack.ok(
        "county", "/intake-records", record(ids, "symposium", meetings=2, participants=26)
    )
    await stack.ok(
        "county", "/intake-records", record(ids, "symposium", meetings=1, participants=9)
    )
    for sites, persons in ((3, 27), (2, 14)):  # 走访调研: villages and service windows
        await stack.ok(
            "group",
            "/intake-records",
            record(ids, "field_visit", sites=sites, persons_heard=persons),
        )
    refused = await stack.intake.post(
        "/api/v1/intake-records",
        json=record(ids, "field_visit", sites=-1, persons_heard=3),
        headers=stack.auth("group"),
    )
    assert refused.status_code == 422, refused.text
    referral = await stack.ok(
        "county",
        "/intake-records",
        record(
            ids,
            "referral",
            source="audit",
            items=3,
            clues=[{"summary": "审计移交：专项资金挪用"}, {"summary": "审计移交：违规发放补贴"}],
        ),
    )
    talk = await stack.ok(
        "group",
        "/intake-records",
        record(
            ids,
            "individual_talk",
            talks=[{"interviewee": "service_user", "persons": 4}],
            clues=[{"summary": "群众反映办事吃拿卡要"}],
        ),
    )
    petition = await stack.intake.post(
        "/api/v1/petitions",
        json={
            "jurisdiction": LINCHUAN,
            "unit": "临川区第15届甲局",
            "channel": "letter",
            "summary": "反映该局负责人违规问题",
            "round_id": ids["round_id"],
        },
        headers=stack.auth("county"),
    )
    assert petition.status_code == 201, petition.text
    clue_ids = [*referral["clue_ids"], *talk["clue_ids"]]

    async def clues_registered() -> bool:
        n = await stack.clues_pool.fetchval(
            "SELECT count(*) FROM events WHERE event_type = 'clues.ClueRegistered' "
            "AND payload->>'round_id' = $1",
            ids["round_id"],
        )
        return int(n) == 4

    await wait_for(clues_registered, "the round's clues")
    levels = ["division", "section", "staff"]
    for clue_id, category, level in zip(
        clue_ids, ["further_inquiry", "inquiry", "reference"], levels, strict=True
    ):
        resp = await stack.clues.post(
            f"/api/v1/clues/{clue_id}/classify",
            json={"category": category, "cadre_level": level},
            headers=stack.auth("county"),
        )
        assert resp.status_code == 200, resp.text
    resp = await stack.clues.post(
        f"/api/v1/clues/{clue_ids[1]}/transfer",
        json={"department": "audit", "reason": "按规定移交"},
        headers=stack.auth("county"),
    )
    assert resp.status_code == 200, resp.text

    expected_talks = sum(lead + staff for lead, staff in talks) + 4
    stats = await eventually(
        stack,
        f"/views/rounds/{ids['round_id']}",
        lambda d: (
            d["transfers"] == 1
            and d["clues_unclassified"] == 1
            and d["petitions"] == 1
            and d["talks"] == expected_talks
        ),
    )
    assert stats["units"] == 2
    assert stats["units_by_mode"] == {"regular": 1, "linked": 1, "revisit": 0}
    assert stats["groups"] == 1
    assert stats["members"] == 4
    assert stats["talks_by_interviewee"] == {"leadership": 9, "service_user": 4, "staff": 43}
    assert stats["surveys"]["democratic_assessment"] == {"issued": 160, "returned": 157}
    assert stats["surveys"]["questionnaire"] == {"issued": 300, "returned": 288}
    assert stats["surveys"]["democratic_appraisal"] == {"issued": 0, "returned": 0}
    assert stats["symposia"] == {"meetings": 3, "participants": 35}
    assert stats["field_visits"] == {"sites": 5, "persons_heard": 41}
    assert stats["referrals_by_source"] == {"audit": 3}
    assert stats["clues"] == 4  # three from records, one from the petition
    assert stats["clues_by_category"] == {"further_inquiry": 1, "inquiry": 1, "reference": 1}
    assert stats["clues_by_cadre_level"] == {"division": 1, "section": 1, "staff": 1}
    assert stats["clues_by_channel"] == {"individual_talk": 1, "letter": 1, "referral": 2}
    summary = stats["summary_zh"]
    assert f"个别谈话{expected_talks}人次" in summary
    # the surveys the round issued, no "0份" of the one it did not
    assert "发放民主测评160份、问卷调查300份，召开座谈会" in summary
    assert "民主评议" not in summary
    assert "召开座谈会3场（35人参加），走访调研5处（走访群众、服务对象41人次），" in summary
    assert "受理信访举报1件次" in summary
    assert "进一步了解关注类1件、了解关注类1件、参考类1件" in summary
    assert "已移交1件" in summary
    # another county sees no such round
    resp = await stack.reporting.get(
        f"/api/v1/views/rounds/{ids['round_id']}", headers=stack.auth("other")
    )
    assert resp.status_code == 404, resp.text


async def test_talent_pool_view_sizes_service_and_grades(stack: Stack) -> None:
    ids = await setup_group(stack, 17)
    group = (
        await stack.intake.get(f"/api/v1/groups/{ids['group_id']}", headers=stack.auth("county"))
    ).json()
    leader, second = group["member_ids"][0], group["member_ids"][1]
    await stack.ok("county", f"/rounds/{ids['round_id']}/close")  # rated after the round
    await stack.ok(
        "county", f"/groups/{ids['group_id']}/evaluations", {"member_id": leader, "grade": "优秀"}
    )
    await stack.ok(
        "county", f"/groups/{ids['group_id']}/evaluations", {"member_id": second, "grade": "称职"}
    )
    await stack.ok("county", f"/talent-pool/members/{group['member_ids'][3]}/retire")

    def member(doc: dict[str, Any], member_id: str) -> dict[str, Any]:
        [m] = [m for m in doc["members"] if m["member_id"] == member_id]
        return m

    doc = await eventually(
        stack,
        "/views/talent-pool",
        lambda d: (
            any(m["member_id"] == leader and m["grades"] for m in d["members"])
            and any(m["member_id"] == second and m["grades"] for m in d["members"])
            and any(m["member_id"] == group["member_ids"][3] and m["retired"] for m in d["members"])
        ),
    )
    served = member(doc, leader)["served"]
    assert [(s["term_no"], s["round_no"], s["group_no"], s["leader"]) for s in served] == [
        (17, 1, 1, True)
    ]
    assert member(doc, leader)["grades"] == [{"group_id": ids["group_id"], "grade": "优秀"}]
    assert member(doc, second)["grades"][0]["grade"] == "称职"
    active = [m for m in doc["members"] if not m["retired"]]
    assert doc["size"] == len(active)
    assert sum(doc["by_source"].values()) == sum(doc["by_rank"].values()) == doc["size"]
    assert doc["by_speciality"]["personnel"] == doc["size"]
    assert doc["grades"]["优秀"] >= 1
    assert doc["retired"] >= 1
