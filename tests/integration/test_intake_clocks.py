"""R13, R14 and R15 under the real intake flow, against the real PostgreSQL, the service's clock
moved (nothing sleeps): a walk-in starts a same-day deadline that ``WalkInHandled`` satisfies
or that fires ``intake.WalkInOverdue`` once; a stationing starts R14 (``StationingOverdue``
once unless ended) and the R15 cadence (a dispatch every week, a progress report every two
weeks: each satisfies the running deadline and starts the next; a missed one fires
``intake.CadenceOverdue`` once; the end of the stationing closes them)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from xuncha_intake.adapters.deadlines import DISPATCH, PROGRESS_REPORT, STATIONING, WALK_IN
from xuncha_intake.bootstrap import SPEC
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.clocks import DeadlineWorker, ManualClock
from xuncha_shared.clocks.clock import CST
from xuncha_shared.contracts.clues import clue_id_for_petition
from xuncha_shared.domain.principals import Principal, Role

from tests.support.principals import LINCHUAN, OFFICES, PROBLEM
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)

VISIT_AT = datetime(2026, 10, 12, 9, 30, tzinfo=CST)  # a Monday


@pytest.fixture
async def svc(infra: Any) -> AsyncIterator[InProcessService]:
    async with in_process_service(infra, SPEC, OFFICES, label="ck") as service:
        service.ctx.now = ManualClock(VISIT_AT)
        yield service


def clock(svc: InProcessService) -> ManualClock:
    assert isinstance(svc.ctx.now, ManualClock)
    return svc.ctx.now


def worker(svc: InProcessService) -> DeadlineWorker:
    return DeadlineWorker(svc.ctx.pool, svc.ctx.store, svc.ctx.clocks(), SPEC.deadline_kinds)


async def post(svc: InProcessService, path: str, body: Any, who: str = "county") -> Any:
    return await svc.client.post(f"/api/v1{path}", json=body, headers=svc.auth(who))


async def ok(svc: InProcessService, path: str, body: Any, who: str = "county") -> dict[str, Any]:
    r = await post(svc, path, body, who)
    assert r.status_code in (200, 201), r.text
    doc: dict[str, Any] = r.json()
    return doc


async def deadline(svc: InProcessService, kind: str, key: str) -> Any:
    return await svc.ctx.pool.fetchrow(
        "SELECT * FROM deadlines WHERE kind = $1 AND key = $2", kind, key
    )


async def stream_types(svc: InProcessService, stream_id: str) -> list[str]:
    return [e.event_type for e in await svc.ctx.store.read_stream(stream_id)]


# ---- R13: a walk-in is taken up the same day ---------------------------------------------------


async def walk_in(svc: InProcessService, channel: str = "visit") -> str:
    doc = await ok(
        svc,
        "/petitions",
        {"jurisdiction": LINCHUAN, "unit": "临川区某局", "channel": channel, "summary": "来访"},
        who="group",
    )
    return str(doc["id"])


async def test_a_walk_in_not_taken_up_fires_walk_in_overdue_once(svc: InProcessService) -> None:
    petition_id = await walk_in(svc)
    row = await deadline(svc, WALK_IN.name, petition_id)
    assert (row["rule_id"], row["rule_version"]) == ("walk_in_same_day", 1)
    assert row["due_date"].isoformat() == "2026-10-12" and row["owner"] == LINCHUAN
    clock(svc).set(datetime(2026, 10, 12, 23, 59, tzinfo=CST))
    assert await worker(svc).fire_due() == []  # the day itself is still in time
    clock(svc).set(datetime(2026, 10, 13, 0, 0, tzinfo=CST))
    assert [f.stage.value for f in await worker(svc).fire_due()] == ["overdue"]
    clock(svc).advance(timedelta(days=10))
    assert await worker(svc).fire_due() == []
    assert await stream_types(svc, petition_id) == [
        "intake.PetitionReceived",
        "intake.WalkInOverdue",
    ]
    stream = await svc.ctx.store.read_stream(petition_id)
    assert stream[1].payload["due_date"] == "2026-10-12"
    # taken up the next day: met_late
    r = await post(svc, f"/petitions/{petition_id}/handling", {"handled_by": "巡察组组长"})
    assert r.status_code == 201, r.text
    assert (await deadline(svc, WALK_IN.name, petition_id))["state"] == "met_late"


async def test_handling_the_walk_in_the_same_day_satisfies_r13(svc: InProcessService) -> None:
    petition_id = await walk_in(svc)

    async def shown() -> Any:  # the petition as 信访受理 shows it (the item and the list)
        one = await svc.client.get(f"/api/v1/petitions/{petition_id}", headers=svc.auth("county"))
        listed = await svc.client.get("/api/v1/petitions?channel=visit", headers=svc.auth("county"))
        [item] = [i for i in listed.json()["items"] if i["id"] == petition_id]
        assert one.json()["walk_in_handled_by"] == item["walk_in_handled_by"]
        assert one.json()["walk_in_summary"] == item["walk_in_summary"]
        # and the clue clues registers for it, which the dialog opens (查看问题线索)
        expected = str(clue_id_for_petition(uuid.UUID(petition_id)))
        assert one.json()["clue_id"] == item["clue_id"] == expected
        return item["walk_in_handled_by"]

    assert await shown() is None
    clock(svc).set(datetime(2026, 10, 12, 16, tzinfo=CST))
    # the leader's post, never a person: a name, or a surname before a title, is a 422 on the
    # field, and nothing is recorded
    for person in ("张三", "王组长", "李副主任"):
        r = await post(svc, f"/petitions/{petition_id}/handling", {"handled_by": person})
        assert r.status_code == 422, (person, r.text)
        [error] = r.json()["errors"]
        assert error["field"] == "body.handled_by" and "不填姓名或姓氏" in error["msg"], r.text
    assert await shown() is None
    # R11: the note is read with the petition, so no phone or ID number goes in it
    r = await post(
        svc,
        f"/petitions/{petition_id}/handling",
        {"handled_by": "巡察组组长", "summary": "来访人留下电话13979461234"},
    )
    assert r.status_code == 422 and "处理情况不得包含电话号码" in r.json()["detail"], r.text
    assert "13979461234" not in r.text
    assert await shown() is None
    r = await post(
        svc,
        f"/petitions/{petition_id}/handling",
        {"handled_by": "巡察组组长", "summary": "当面接谈，登记线索"},
        who="group",
    )
    assert r.status_code == 201, r.text
    assert r.json()["event_types"][-1] == "intake.WalkInHandled"
    assert await shown() == "巡察组组长"
    one = await svc.client.get(f"/api/v1/petitions/{petition_id}", headers=svc.auth("county"))
    assert one.json()["walk_in_summary"] == "当面接谈，登记线索"  # the leader's note, shown
    assert (await deadline(svc, WALK_IN.name, petition_id))["state"] == "met"
    clock(svc).advance(timedelta(days=5))
    assert await worker(svc).fire_due() == []
    # once only; a letter is no walk-in; another county gets the uniform 404
    again = await post(svc, f"/petitions/{petition_id}/handling", {"handled_by": "组长"})
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    letter = await walk_in(svc, channel="letter")
    assert await deadline(svc, WALK_IN.name, letter) is None
    r = await post(svc, f"/petitions/{letter}/handling", {"handled_by": "组长"})
    assert r.status_code == 409
    other = await post(svc, f"/petitions/{petition_id}/handling", {"handled_by": "组长"}, "other")
    unknown = await post(
        svc,
        "/petitions/00000000-0000-7000-8000-000000000000/handling",
        {"handled_by": "组长"},
        "county",
    )
    assert other.status_code == unknown.status_code == 404
    assert other.json()["title"] == unknown.json()["title"]


async def test_a_group_member_takes_up_only_the_walk_ins_its_group_sees(
    svc: InProcessService,
) -> None:
    """A member bound to a group is told of another round's walk-in what it is told of an
    unknown petition (404, not its channel nor that it was handled), and nothing is written."""
    member = Principal(
        id="lc-g7", role=Role.GROUP_MEMBER, jurisdiction=LINCHUAN, group_id=uuid.uuid4()
    )
    token = await create_token_in([svc.ctx.pool], member)
    headers = {"Authorization": f"Bearer {token}"}
    another_round = await ok(
        svc,
        "/petitions",
        {"jurisdiction": LINCHUAN, "unit": "临川区某局", "channel": "visit",
         "summary": "来访", "round_id": "第4届第9轮"},  # another round, named in words
    )  # fmt: skip
    path = f"/api/v1/petitions/{another_round['id']}/handling"
    refused = await svc.client.post(path, json={"handled_by": "组长"}, headers=headers)
    assert refused.status_code == 404, refused.text
    assert "未找到来信来访" in refused.json()["detail"] and "渠道" not in refused.json()["detail"]
    assert await stream_types(svc, another_round["id"]) == ["intake.PetitionReceived"]
    # the office takes it up as before
    done = await post(svc, f"/petitions/{another_round['id']}/handling", {"handled_by": "组长"})
    assert done.status_code == 201, done.text


# ---- R14 and R15: a stationed group -----------------------------------------------------------


async def stationed(svc: InProcessService, starts_on: str = "2026-10-12") -> dict[str, str]:
    """A Linchuan round with one group stationed at one unit from ``starts_on``."""
    units = [
        (
            await ok(
                svc,
                "/units",
                {"jurisdiction": LINCHUAN, "name": name, "kind": "county_department"},
            )
        )["id"]
        for name in ("临川区甲局", "临川区组织部")
    ]
    await ok(
        svc,
        "/term-plans",
        {
            "jurisdiction": LINCHUAN,
            "term_no": 1,
            "starts_on": "2022-01-01",
            "ends_on": "2027-12-31",
            "unit_ids": units[:1],
        },
    )
    rnd = await ok(
        svc,
        "/rounds",
        {
            "jurisdiction": LINCHUAN,
            "term_no": 1,
            "round_no": 1,
            "kind": "regular",
            "starts_on": "2026-09-01",
            "ends_on": "2026-12-31",
        },
    )
    assigned = {"units": [{"unit_id": units[0], "mode": "regular"}]}
    await ok(svc, f"/rounds/{rnd['id']}/units", assigned)
    members = [
        (
            await ok(
                svc,
                "/talent-pool/members",
                {
                    "name": f"组员{i}",
                    "jurisdiction": LINCHUAN,
                    "home_unit_id": units[1],
                    "source": "organisation",
                    "specialities": ["personnel"],
                    "rank": "正科级",
                    "birth_year": 1975,
                },
            )
        )["id"]
        for i in range(3)
    ]
    group = await ok(
        svc,
        f"/rounds/{rnd['id']}/groups",
        {"group_no": 1, "leader_id": members[0], "member_ids": members, "unit_ids": units[:1]},
    )
    st = await ok(
        svc, f"/groups/{group['id']}/stationings", {"unit_id": units[0], "starts_on": starts_on}
    )
    return {"group_id": group["id"], "stationing_id": st["id"]}


async def test_a_stationing_starts_r14_and_the_r15_cadence(svc: InProcessService) -> None:
    ids = await stationed(svc)
    g, s = ids["group_id"], ids["stationing_id"]
    r14 = await deadline(svc, STATIONING.name, f"{g}/{s}")
    assert (r14["rule_id"], r14["rule_version"]) == ("stationing", 1)
    # Monday 12 Oct + 15 working days (the start day not counted): Monday 2 November
    assert r14["due_date"].isoformat() == "2026-11-02" and r14["owner"] == g
    dispatch0 = await deadline(svc, DISPATCH.name, f"{g}/{s}/dispatch/0")
    report0 = await deadline(svc, PROGRESS_REPORT.name, f"{g}/{s}/report/0")
    assert dispatch0["due_date"].isoformat() == "2026-10-19" and dispatch0["owner"] == LINCHUAN
    assert report0["due_date"].isoformat() == "2026-10-26" and report0["owner"] == g
    assert (dispatch0["rule_id"], report0["rule_id"]) == ("weekly_dispatch", "biweekly_report")

    # a dispatch in the first week satisfies it and starts the second week's
    clock(svc).set(datetime(2026, 10, 16, 10, tzinfo=CST))
    r = await post(svc, f"/stationings/{s}/dispatches", {"summary": "调度进驻工作"})
    assert r.status_code == 201, r.text
    assert r.json()["seq"] == 1 and r.json()["on"] == "2026-10-16"
    assert (await deadline(svc, DISPATCH.name, f"{g}/{s}/dispatch/0"))["state"] == "met"
    dispatch1 = await deadline(svc, DISPATCH.name, f"{g}/{s}/dispatch/1")
    assert dispatch1["due_date"].isoformat() == "2026-10-23"

    # no dispatch in the second week: the cadence fires once
    clock(svc).set(datetime(2026, 10, 24, 0, 0, tzinfo=CST))
    assert [f.stage.value for f in await worker(svc).fire_due()] == ["overdue"]
    [late] = [e for e in await svc.ctx.store.read_stream(g) if e.event_type.endswith("Overdue")]
    assert late.event_type == "intake.CadenceOverdue"
    assert (late.payload["cadence"], late.payload["seq"]) == ("dispatch", 2)
    assert late.payload["due_date"] == "2026-10-23"
    clock(svc).set(datetime(2026, 10, 24, 12, 0, tzinfo=CST))
    assert await worker(svc).fire_due() == []
    # the group reports in its second week (in time) — from the group's own token
    r = await post(svc, f"/stationings/{s}/progress-reports", {"on": "2026-10-23"}, who="group")
    assert r.status_code == 201, r.text
    assert (await deadline(svc, PROGRESS_REPORT.name, f"{g}/{s}/report/0"))["state"] == "met"
    # the late dispatch: met_late, and the next one runs from its day
    r = await post(svc, f"/stationings/{s}/dispatches", {"on": "2026-10-24"})
    assert r.json()["seq"] == 2
    assert (await deadline(svc, DISPATCH.name, f"{g}/{s}/dispatch/1"))["state"] == "met_late"

    # R14: not ended by its last working day: StationingOverdue once
    due = r14["due_date"]
    clock(svc).set(datetime.combine(due + timedelta(days=1), datetime.min.time(), CST))
    assert len(await worker(svc).fire_due()) >= 1
    assert await worker(svc).fire_due() == []
    types = await stream_types(svc, g)
    assert types.count("intake.StationingOverdue") == 1
    assert types.count("intake.CadenceOverdue") >= 1
    [overdue] = [
        e for e in await svc.ctx.store.read_stream(g) if e.event_type == "intake.StationingOverdue"
    ]
    assert overdue.payload["stationing_id"] == s and overdue.payload["due_date"] == due.isoformat()

    # ending the stationing: R14 met_late, the running cadence deadlines closed; later
    # dispatches are refused
    ended_on = (due + timedelta(days=1)).isoformat()
    r = await post(svc, f"/stationings/{s}/end", {"ended_on": ended_on})
    assert r.status_code == 200, r.text
    assert (await deadline(svc, STATIONING.name, f"{g}/{s}"))["state"] == "met_late"
    open_rows = await svc.ctx.pool.fetchval(
        "SELECT count(*) FROM deadlines WHERE starts_with(key, $1) "
        "AND state IN ('running', 'warning_yellow', 'warning_red', 'overdue')",
        f"{g}/{s}",
    )
    assert open_rows == 0
    r = await post(svc, f"/stationings/{s}/dispatches", {})
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM
    clock(svc).advance(timedelta(days=60))
    assert await worker(svc).fire_due() == []


async def test_ending_the_stationing_in_time_meets_r14(svc: InProcessService) -> None:
    ids = await stationed(svc)
    g, s = ids["group_id"], ids["stationing_id"]
    clock(svc).set(datetime(2026, 10, 16, 10, tzinfo=CST))
    r = await post(svc, f"/stationings/{s}/end", {"ended_on": "2026-10-16"})
    assert r.status_code == 200, r.text
    states = {
        row["kind"]: row["state"]
        for row in await svc.ctx.pool.fetch(
            "SELECT kind, state FROM deadlines WHERE starts_with(key, $1)", f"{g}/{s}"
        )
    }
    assert states == {STATIONING.name: "met", DISPATCH.name: "met", PROGRESS_REPORT.name: "met"}
    clock(svc).advance(timedelta(days=60))
    assert await worker(svc).fire_due() == []


async def test_cadence_refusals(svc: InProcessService) -> None:
    ids = await stationed(svc)
    s = ids["stationing_id"]
    before = await post(svc, f"/stationings/{s}/dispatches", {"on": "2026-10-01"})
    future = await post(svc, f"/stationings/{s}/dispatches", {"on": "2026-10-20"})
    assert before.status_code == future.status_code == 422
    other = await post(svc, f"/stationings/{s}/dispatches", {}, who="other")
    unknown = await post(svc, "/stationings/00000000-0000-7000-8000-000000000000/dispatches", {})
    assert other.status_code == unknown.status_code == 404
    by_group = await post(svc, f"/stationings/{s}/dispatches", {}, who="group")
    assert by_group.status_code == 403  # the office dispatches; the group reports


async def test_rules_lists_r8_r13_r14_r15(svc: InProcessService) -> None:
    r = await svc.client.get("/api/v1/rules")
    assert [rule["id"] for rule in r.json()["rules"]] == [
        "jianju_2020_acceptance",
        "jianju_2020_result",
        "walk_in_same_day",
        "stationing",
        "weekly_dispatch",
        "biweekly_report",
        "informant_retention",
    ]
