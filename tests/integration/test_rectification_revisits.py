"""Revisits (回头看, R18), recurrence (R19) and common-problem lists (未巡先改) against the real
PostgreSQL (the service's composition in this process, real bearer tokens):

- a topic closed out at a unit and fed back to it again records ``RecurrenceDetected`` linking
  both (another unit with the same topic: none);
- a revisit reopening a closed-out issue sends it back to in progress and records the
  recurrence; an issue still being rectified cannot be reopened (409, naming its state);
- revisits and common-problem lists of another jurisdiction or unit are a 404; only the office
  schedules revisits; a unit self-checks only for itself;
- a revisit held by a later round (巡察“回头看”) names one that assigned the unit in mode
  ``revisit``, as rectification learnt it from ``intake.round.v1``; another jurisdiction's round
  reads as an unknown one;
- the ledger lists the day a verified or closed-out issue became so (``settled_on``), which a
  revisit held before cannot overturn; rows written before the column take it from their events.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from xuncha_rectification.adapters.read_model import SETTLED_ON_SQL
from xuncha_rectification.bootstrap import SPEC
from xuncha_shared.clocks import ManualClock
from xuncha_shared.clocks.clock import CST
from xuncha_shared.contracts.intake import (
    InspectionMode,
)
from xuncha_shared.domain.principals import Principal, Role

from tests.support.principals import LINCHUAN, NANCHENG, OFFICES
from tests.support.rectification_rounds import hear as hear_unit
from tests.support.rectification_rounds import plan_round as plan
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)

NOW = datetime(2026, 9, 30, 10, tzinfo=CST)
UNIT, OTHER_UNIT, LATER_UNIT, ROUND = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PRINCIPALS = {
    **OFFICES,
    "unit": Principal(id="u-a", role=Role.INSPECTED_UNIT, jurisdiction=LINCHUAN, unit_id=UNIT),
    "other_unit": Principal(
        id="u-b", role=Role.INSPECTED_UNIT, jurisdiction=LINCHUAN, unit_id=OTHER_UNIT
    ),
    "later_unit": Principal(
        id="u-c", role=Role.INSPECTED_UNIT, jurisdiction=LINCHUAN, unit_id=LATER_UNIT
    ),
}
TOPIC = "公务接待"
LISTS = "/api/v1/common-problem-lists"


def held_after_close_outs() -> date:
    """A revisit's day after the close-outs these tests record: their events are stored at the
    real time, whatever the service's clock says (R18: a revisit does not overturn a later one)."""
    return max(date(2026, 10, 10), datetime.now(CST).date() + timedelta(days=10))


@pytest.fixture
async def svc(infra: Any) -> AsyncIterator[InProcessService]:
    async with in_process_service(infra, SPEC, PRINCIPALS, label="rv") as service:
        service.ctx.now = ManualClock(NOW)
        for unit_id in (UNIT, OTHER_UNIT):
            await hear(service, unit_id)
        yield service


async def hear(svc: InProcessService, unit_id: uuid.UUID) -> None:
    await hear_unit(svc.ctx.pool, ROUND, LINCHUAN, unit_id)


async def post(svc: InProcessService, path: str, who: str, **kw: Any) -> Any:
    return await svc.client.post(path, headers=svc.auth(who), **kw)


async def get(svc: InProcessService, path: str, who: str) -> Any:
    return await svc.client.get(path, headers=svc.auth(who))


async def feed_back(svc: InProcessService, unit_id: uuid.UUID, topics: list[str]) -> str:
    body = {
        "jurisdiction": LINCHUAN,
        "unit": f"单位{str(unit_id)[:4]}",
        "round_id": str(ROUND),
        "unit_id": str(unit_id),
        "issues": [{"description": "超标准公务接待", "rect_type": "immediate", "topics": topics}],
    }
    r = await post(svc, "/api/v1/feedbacks", "county", json=body)
    assert r.status_code == 201, r.text
    issue_id: str = r.json()["issue_ids"][0]
    return issue_id


async def close_out(svc: InProcessService, issue_id: str, *, verify_only: bool = False) -> None:
    done = {"kind": "formal", "progress_percent": 100, "completed": True, "note": "已整改",
            "leader_report": "主要负责人组织落实情况报告"}  # fmt: skip
    r = await post(svc, f"/api/v1/rectifications/{issue_id}/reports", "county", json=done)
    assert r.status_code == 201, r.text
    ok = {"outcome": "accepted", "note": "核实通过"}
    r = await post(svc, f"/api/v1/rectifications/{issue_id}/verification", "county", json=ok)
    assert r.status_code == 200, r.text
    if verify_only:
        return
    r = await post(svc, f"/api/v1/rectifications/{issue_id}/close-out", "county", json={})
    assert r.json()["status"] == "closed_out", r.text


async def settled_on(svc: InProcessService, issue_id: str) -> str | None:
    """The issue's ``settled_on`` as the ledger lists it (the unit's issues)."""
    r = await get(svc, f"/api/v1/rectifications?unit_id={UNIT}&limit=200", "county")
    assert r.status_code == 200, r.text
    [item] = [i for i in r.json()["items"] if i["id"] == issue_id]
    day: str | None = item["settled_on"]
    return day


async def recurrences(svc: InProcessService, issue_id: str) -> list[dict[str, Any]]:
    rows = await svc.ctx.pool.fetch(
        "SELECT payload FROM events WHERE stream_id = $1 "
        "AND event_type = 'rectification.RecurrenceDetected' ORDER BY stream_version",
        issue_id,
    )
    out = []
    for r in rows:
        payload = r["payload"]
        out.append(payload if isinstance(payload, dict) else json.loads(payload))
    return out


async def test_a_closed_out_topic_fed_back_again_is_a_recurrence(svc: InProcessService) -> None:
    first = await feed_back(svc, UNIT, [TOPIC])
    # not closed out yet: the same topic again is no recurrence
    early = await feed_back(svc, UNIT, [TOPIC])
    assert await recurrences(svc, early) == []
    await close_out(svc, first)
    again = await feed_back(svc, UNIT, [TOPIC, "会议费"])
    [found] = await recurrences(svc, again)
    assert found["earlier_issue_id"] == first and found["cause"] == "fed_back_again"
    assert found["topics"] == [TOPIC] and found["unit_id"] == str(UNIT)
    body = (await get(svc, f"/api/v1/rectifications/{again}", "county")).json()
    assert body["recurs"] == [first] and body["topics"] == [TOPIC, "会议费"]
    # another unit, or another topic: none
    assert await recurrences(svc, await feed_back(svc, OTHER_UNIT, [TOPIC])) == []
    assert await recurrences(svc, await feed_back(svc, UNIT, ["公车私用"])) == []


async def test_a_revisit_reopens_a_closed_out_issue(svc: InProcessService) -> None:
    closed = await feed_back(svc, UNIT, [TOPIC])
    await close_out(svc, closed)
    open_issue = await feed_back(svc, UNIT, ["公车私用"])
    # the close-out above is stored at the store's (real) time: the revisit comes after it
    day = held_after_close_outs()
    body = {"unit_id": str(UNIT), "round_id": str(ROUND), "scheduled_on": day.isoformat()}
    assert (await post(svc, "/api/v1/revisits", "group", json=body)).status_code == 403
    assert (await post(svc, "/api/v1/revisits", "other", json=body)).status_code == 404
    r = await post(svc, "/api/v1/revisits", "county", json=body)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    # nothing is found before the revisit's day (409 naming it); on the day, findings may come
    early = {"checked_issue_ids": [closed]}
    r = await post(svc, f"/api/v1/revisits/{rid}/findings", "county", json=early)
    assert r.status_code == 409 and f"回头看定于 {day} 开展" in r.json()["detail"], r.text
    assert isinstance(svc.ctx.now, ManualClock)
    svc.ctx.now.set(datetime.combine(day, time(9), tzinfo=CST))
    # an issue still being rectified cannot be reopened: 409 naming its state, nothing recorded
    bad = {"checked_issue_ids": [closed], "reopened_issue_ids": [open_issue]}
    r = await post(svc, f"/api/v1/revisits/{rid}/findings", "county", json=bad)
    assert r.status_code == 409 and "已反馈" in r.json()["detail"]
    unchanged = (await get(svc, f"/api/v1/revisits/{rid}", "county")).json()
    assert unchanged["findings_recorded"] is False
    # another jurisdiction's office: 404 for the revisit
    good = {"checked_issue_ids": [open_issue], "reopened_issue_ids": [closed],
            "new_problems": ["接待清单仍不完整"]}  # fmt: skip
    r = await post(svc, f"/api/v1/revisits/{rid}/findings", "other", json=good)
    assert r.status_code == 404
    r = await post(svc, f"/api/v1/revisits/{rid}/findings", "county", json=good)
    assert r.status_code == 200, r.text
    assert r.json()["reopened_issue_ids"] == [closed]
    issue = (await get(svc, f"/api/v1/rectifications/{closed}", "county")).json()
    assert issue["status"] == "in_progress" and issue["reopened_by"] == [rid]
    assert await settled_on(svc, closed) is None  # reopened: no longer settled
    [found] = await recurrences(svc, closed)
    assert found["cause"] == "reopened" and found["revisit_id"] == rid
    assert found["earlier_issue_id"] == closed
    # findings once; the unit sees its own revisit, another unit does not
    again = await post(svc, f"/api/v1/revisits/{rid}/findings", "county", json=good)
    assert again.status_code == 409
    assert (await get(svc, f"/api/v1/revisits/{rid}", "unit")).status_code == 200
    assert (await get(svc, f"/api/v1/revisits/{rid}", "other_unit")).status_code == 404
    assert (await get(svc, f"/api/v1/revisits/{rid}", "other")).status_code == 404
    # the reopened issue is rectified again: reported, verified, closed out
    await close_out(svc, closed)
    svc.ctx.now.set(NOW)  # the module's other tests run on its day


async def plan_round(
    svc: InProcessService, jurisdiction: str, round_no: int, units: dict[uuid.UUID, InspectionMode]
) -> uuid.UUID:
    """A round as rectification's consumers of ``intake.round.v1`` keep it: planned (its name
    and days) and its units assigned with their modes."""
    round_id = uuid.uuid4()
    await plan(svc.ctx.pool, round_id, jurisdiction, round_no, units, NOW, redelivered=True)
    return round_id


async def test_a_revisit_held_by_a_round_names_one_revisiting_the_unit(
    svc: InProcessService,
) -> None:
    await feed_back(svc, UNIT, [TOPIC])
    revisiting = await plan_round(
        svc, LINCHUAN, 7, {UNIT: InspectionMode.REVISIT, OTHER_UNIT: InspectionMode.REGULAR}
    )
    regular = await plan_round(svc, LINCHUAN, 8, {OTHER_UNIT: InspectionMode.REVISIT})
    elsewhere = await plan_round(svc, NANCHENG, 7, {UNIT: InspectionMode.REVISIT})
    stored = await svc.ctx.pool.fetch(
        "SELECT unit_id, mode FROM round_unit WHERE round_id = $1 ORDER BY mode", revisiting
    )
    assert [(r["unit_id"], r["mode"]) for r in stored] == [
        (OTHER_UNIT, "regular"),
        (UNIT, "revisit"),
    ]

    def body(in_round: uuid.UUID | str, on: str = "2026-09-20") -> dict[str, str]:
        return {"unit_id": str(UNIT), "round_id": str(ROUND), "scheduled_on": on,
                "in_round_id": str(in_round)}  # fmt: skip

    refusals = {
        # a round that does not assign the unit in mode revisit; another jurisdiction's round and
        # an unknown one read alike; the round revisited itself; a day before the round starts
        "未以“回头看”方式巡察": body(regular),
        f"未找到开展回头看的巡察轮次 {elsewhere}": body(elsewhere),
        "未找到开展回头看的巡察轮次": body(uuid.uuid4()),
        "不能早于临川区第4届第7轮巡察开始日期 2026-09-07": body(revisiting, "2026-09-06"),
    }
    for words, refused in refusals.items():
        r = await post(svc, "/api/v1/revisits", "county", json=refused)
        assert r.status_code == 422 and words in r.json()["detail"], (words, r.text)
        assert "南城县" not in r.json()["detail"]
    r = await post(svc, "/api/v1/revisits", "county", json=body(revisiting))
    assert r.status_code == 201, r.text
    assert r.json()["in_round_id"] == str(revisiting) and r.json()["round_id"] == str(ROUND)
    got = await get(svc, f"/api/v1/revisits/{r.json()['id']}", "county")
    assert got.json()["in_round_id"] == str(revisiting)
    # the office's own revisit, outside any round, as before
    own = {"unit_id": str(UNIT), "round_id": str(ROUND), "scheduled_on": "2026-09-21"}
    r = await post(svc, "/api/v1/revisits", "county", json=own)
    assert r.status_code == 201 and r.json()["in_round_id"] is None, r.text


async def test_a_round_revisits_a_unit_nothing_was_fed_back_to_here(svc: InProcessService) -> None:
    """A unit inspected before the office moved onto the system: its 回头看 names the round
    holding it and the unit's name, no round revisited; its findings are new problems."""
    revisiting = await plan_round(svc, LINCHUAN, 7, {LATER_UNIT: InspectionMode.REVISIT})
    body = {"unit_id": str(LATER_UNIT), "scheduled_on": "2026-09-20",
            "in_round_id": str(revisiting)}  # fmt: skip
    r = await post(svc, "/api/v1/revisits", "county", json=body)
    assert r.status_code == 422 and "请填写被巡察单位名称" in r.json()["detail"], r.text
    named = {**body, "unit": "临川区某乡"}
    # another jurisdiction's office, a unit the round does not revisit, no round: the 404 of an
    # unknown unit, naming nothing of the round
    for who, sent in (
        ("other", named),
        ("county", {**named, "unit_id": str(uuid.uuid4())}),
        ("county", {k: v for k, v in named.items() if k != "in_round_id"}),
    ):
        r = await post(svc, "/api/v1/revisits", who, json=sent)
        assert r.status_code == 404 and "第7轮" not in r.text, (who, r.text)
    r = await post(svc, "/api/v1/revisits", "county", json=named)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert (doc["round_id"], doc["in_round_id"], doc["unit"]) == (
        None,
        str(revisiting),
        "临川区某乡",
    )
    path = f"/api/v1/revisits/{doc['id']}/findings"
    foreign = await feed_back(svc, OTHER_UNIT, [TOPIC])
    r = await post(svc, path, "county", json={"checked_issue_ids": [foreign]})
    assert r.status_code == 422 and foreign in r.json()["detail"], r.text
    r = await post(svc, path, "county", json={"new_problems": ["村级财务公开不及时"]})
    assert r.status_code == 200 and r.json()["new_problems"] == ["村级财务公开不及时"], r.text


async def test_a_revisit_cannot_overturn_a_close_out_that_came_after_it(
    svc: InProcessService,
) -> None:
    assert isinstance(svc.ctx.now, ManualClock)
    svc.ctx.now.set(datetime.now(CST))  # the service's day is the store's here
    later = await feed_back(svc, UNIT, ["会议费"])
    verified = await feed_back(svc, UNIT, ["差旅费"])
    await close_out(svc, verified, verify_only=True)
    await close_out(svc, later)  # closed out now
    closed_on = datetime.now(CST).date()
    # the ledger says the day each was settled, so the workbench can say it before sending;
    # rows listed before the column came take it from their events
    assert await settled_on(svc, later) == await settled_on(svc, verified) == str(closed_on)
    assert await settled_on(svc, await feed_back(svc, UNIT, ["培训费"])) is None
    await svc.ctx.pool.execute("UPDATE issue_view SET settled_on = NULL WHERE unit_id = $1", UNIT)
    await svc.ctx.pool.execute(SETTLED_ON_SQL)
    assert await settled_on(svc, later) == await settled_on(svc, verified) == str(closed_on)
    held = closed_on - timedelta(days=1)  # a revisit held the day before, entered now
    body = {"unit_id": str(UNIT), "round_id": str(ROUND), "scheduled_on": held.isoformat()}
    r = await post(svc, "/api/v1/revisits", "county", json=body)
    assert r.status_code == 201, r.text
    path = f"/api/v1/revisits/{r.json()['id']}/findings"
    r = await post(svc, path, "county", json={"reopened_issue_ids": [later]})
    assert r.status_code == 422, r.text
    assert f"于 {closed_on} 销号，晚于回头看日期 {held}" in r.json()["detail"], r.text
    issue = (await get(svc, f"/api/v1/rectifications/{later}", "county")).json()
    assert issue["status"] == "closed_out"  # nothing recorded
    # checked and found fine, it may be
    r = await post(svc, path, "county", json={"checked_issue_ids": [later]})
    assert r.status_code == 200, r.text
    svc.ctx.now.set(NOW)  # the module's other tests run on its day


async def test_common_problem_list_and_self_checks(svc: InProcessService) -> None:
    body = {
        "jurisdiction": LINCHUAN,
        "term_no": 2,
        "items": [{"aspect": "落实中央八项规定精神", "description": "超标准公务接待",
                   "topics": [TOPIC]}],
        "unit_ids": [str(LATER_UNIT), str(OTHER_UNIT)],
    }  # fmt: skip
    assert (await post(svc, "/api/v1/common-problem-lists", "other", json=body)).status_code == 403
    assert (await post(svc, "/api/v1/common-problem-lists", "unit", json=body)).status_code == 403
    r = await post(svc, "/api/v1/common-problem-lists", "county", json=body)
    assert r.status_code == 201, r.text
    lid = r.json()["id"]
    assert r.json()["self_checked"] == 0 and len(r.json()["units"]) == 2
    check = {"unit_id": str(LATER_UNIT), "findings": "发现接待超标2次", "measures": "退赔并建章"}
    path = f"/api/v1/common-problem-lists/{lid}/self-checks"
    # another jurisdiction's office, a unit the list did not go to, a unit for another: 404
    assert (await post(svc, path, "other", json=check)).status_code == 404
    assert (await post(svc, path, "unit", json=check)).status_code == 404
    assert (await post(svc, path, "other_unit", json=check)).status_code == 404
    r = await post(svc, path, "later_unit", json=check)
    assert r.status_code == 200, r.text
    [own] = r.json()["units"]  # the unit sees its own line only
    assert own["unit_id"] == str(LATER_UNIT) and own["reported"] is True
    office_check = {**check, "unit_id": str(OTHER_UNIT)}
    r = await post(svc, path, "county", json=office_check)
    assert r.status_code == 200 and r.json()["self_checked"] == 2
    assert (await get(svc, f"/api/v1/common-problem-lists/{lid}", "unit")).status_code == 404
    # the list of lists: a unit's token sees only the lists sent to it
    mine = (await get(svc, "/api/v1/common-problem-lists", "later_unit")).json()["items"]
    assert [i["id"] for i in mine] == [lid] and len(mine[0]["units"]) == 1
    assert (await get(svc, "/api/v1/common-problem-lists", "unit")).json()["items"] == []
    assert (await get(svc, "/api/v1/common-problem-lists", "other")).json()["items"] == []
    listed = (await get(svc, "/api/v1/common-problem-lists", "county")).json()["items"]
    assert lid in [i["id"] for i in listed]
    assert (await get(svc, f"/api/v1/common-problem-lists/{lid}", "other")).status_code == 404


async def test_the_office_chases_units_yet_to_send_their_self_check(svc: InProcessService) -> None:
    """催报: the office of the list's area chases the units that have not answered (all of them
    when none is named); each unit reads its own urges with the list; a unit that answered, a
    reply day in the past, a blank note, another area's office and a unit's token are refused,
    and the urge is an event of the list's stream."""
    body = {
        "jurisdiction": LINCHUAN,
        "term_no": 2,
        "items": [{"aspect": "选人用人", "description": "干部档案管理不规范"}],
        "unit_ids": [str(LATER_UNIT), str(OTHER_UNIT)],
    }
    r = await post(svc, "/api/v1/common-problem-lists", "county", json=body)
    assert r.status_code == 201, r.text
    lid = r.json()["id"]
    check = {"unit_id": str(LATER_UNIT), "findings": "档案缺页3份", "measures": "补齐并专人管理"}
    assert (
        await post(svc, f"{LISTS}/{lid}/self-checks", "later_unit", json=check)
    ).status_code == 200
    path = f"{LISTS}/{lid}/urges"
    ask = {"note": "请于本周内报送自查情况", "reply_by": "2026-10-09"}
    assert (await post(svc, path, "other", json=ask)).status_code == 404
    assert (await post(svc, path, "other_unit", json=ask)).status_code == 403
    answered = await post(svc, path, "county", json={**ask, "unit_ids": [str(LATER_UNIT)]})
    assert answered.status_code == 409 and "已报送自查" in answered.json()["detail"]
    past = await post(svc, path, "county", json={**ask, "reply_by": "2026-09-29"})
    assert past.status_code == 422 and "早于今天" in past.json()["detail"]
    assert (await post(svc, path, "county", json={**ask, "note": "  "})).status_code == 422
    r = await post(svc, path, "county", json=ask)  # none named: the one yet to answer
    assert r.status_code == 200, r.text
    units = {u["unit_id"]: u for u in r.json()["units"]}
    assert units[str(OTHER_UNIT)]["urged"] == 1 and units[str(LATER_UNIT)]["urged"] == 0
    assert units[str(OTHER_UNIT)]["last_urged_on"] == "2026-09-30"
    assert units[str(OTHER_UNIT)]["reply_by"] == "2026-10-09"
    again = await post(
        svc, path, "county", json={"note": "再次催报", "unit_ids": [str(OTHER_UNIT)]}
    )
    assert again.status_code == 409 and "今天已催报" in again.json()["detail"]  # once a day
    svc.ctx.now.advance(timedelta(days=1))  # type: ignore[attr-defined]
    r = await post(svc, path, "county", json={"note": "再次催报", "unit_ids": [str(OTHER_UNIT)]})
    assert r.status_code == 200, r.text
    [own] = (await get(svc, f"{LISTS}/{lid}", "other_unit")).json()["units"]
    assert (own["urged"], own["urge_note"], own["reply_by"]) == (2, "再次催报", None)
    rows = await svc.ctx.pool.fetch(
        "SELECT payload FROM events WHERE stream_id = $1 "
        "AND event_type = 'rectification.CommonProblemSelfCheckUrged' ORDER BY stream_version",
        lid,
    )
    payloads = [p if isinstance(p, dict) else json.loads(p) for p in (r["payload"] for r in rows)]
    assert [p["unit_ids"] for p in payloads] == [[str(OTHER_UNIT)]] * 2
