"""R26 补录 against the real PostgreSQL: a clue a group registered on paper and transferred by a
letter months ago is recorded with the days written on paper; R3 then counts from the transfer
letter and R7 from the registration, so the deadline worker fires ``clues.TransferResultOverdue``
(or ``clues.EscalationOverdue``) on its next tick without the clock moving; a result reported
later still ends R3 (met late). Without the days nothing changed: the clocks count from the
recording. Days after today, beyond a term or a transfer before the registration are 422
problems naming the dates, and write nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from xuncha_clues.adapters import findings
from xuncha_clues.adapters.deadlines import ESCALATION, TRANSFER_RESULT
from xuncha_clues.adapters.read_model import REGISTERED_ON_SQL
from xuncha_clues.bootstrap import SPEC
from xuncha_shared.clocks import DeadlineWorker, ManualClock, system_now
from xuncha_shared.clocks.calendar import add_calendar_months
from xuncha_shared.clocks.clock import local_day, start_of_day
from xuncha_shared.contracts.common import Department

from tests.support.principals import LINCHUAN, NANCHENG, OFFICES, PROBLEM, department
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
async def svc(infra: Any) -> AsyncIterator[InProcessService]:
    principals = {**OFFICES, "jw": department("jw", Department.DISCIPLINE)}
    async with in_process_service(infra, SPEC, principals, label="pd") as service:
        service.ctx.now = ManualClock(system_now())
        yield service


def today(svc: InProcessService) -> date:
    return local_day(svc.ctx.now())


def months_back(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the 28th at the latest: no clipping)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(y, m + 1, min(day.day, 28))


def worker(svc: InProcessService) -> DeadlineWorker:
    return DeadlineWorker(svc.ctx.pool, svc.ctx.store, svc.ctx.clocks(), SPEC.deadline_kinds)


async def call(svc: InProcessService, path: str, body: Any, who: str = "county") -> Any:
    return await svc.client.post(f"/api/v1/clues{path}", json=body, headers=svc.auth(who))


async def ok(svc: InProcessService, path: str, body: Any, who: str = "county") -> dict[str, Any]:
    resp = await call(svc, path, body, who)
    assert resp.status_code in (200, 201), resp.text
    doc: dict[str, Any] = resp.json()
    return doc


async def register(svc: InProcessService, **extra: Any) -> dict[str, Any]:
    body = {
        "jurisdiction": LINCHUAN,
        "round_id": str(uuid.uuid4()),
        "group_id": str(uuid.uuid4()),
        "unit_id": str(uuid.uuid4()),
        "unit": "临川区某局",
        "source_channel": "individual_talk",
        "summary": "个别谈话反映该局副局长违规发放津补贴",
        **extra,
    }
    return await ok(svc, "", body)


async def classified(svc: InProcessService, **extra: Any) -> str:
    clue_id: str = (await register(svc, **extra))["id"]
    await ok(svc, f"/{clue_id}/classify", {"category": "inquiry", "topics": ["四风"]})
    return clue_id


def transfer(**extra: Any) -> dict[str, Any]:
    return {"department": "discipline_commission", "reason": "按规定移交", **extra}


async def deadline(svc: InProcessService, kind: str, clue_id: str) -> Any:
    return await svc.ctx.pool.fetchrow(
        "SELECT * FROM deadlines WHERE kind = $1 AND key = $2", kind, clue_id
    )


async def types(svc: InProcessService, clue_id: str) -> list[str]:
    return [e.event_type for e in await svc.ctx.store.read_stream(clue_id)]


async def test_a_transfer_letter_of_four_months_ago_is_overdue_on_the_next_tick(
    svc: InProcessService,
) -> None:
    registered_on = months_back(today(svc), 5)
    letter = months_back(today(svc), 4)
    clue_id = await classified(svc, registered_on=registered_on.isoformat())
    doc = await ok(svc, f"/{clue_id}/transfer", transfer(transferred_on=letter.isoformat()))
    assert (doc["registered_on"], doc["transferred_on"]) == (
        registered_on.isoformat(),
        letter.isoformat(),
    )
    r3 = await deadline(svc, TRANSFER_RESULT.name, clue_id)
    assert r3["started_at"] == start_of_day(letter)  # the letter's day, not the data entry
    assert r3["started_on"] == letter
    assert r3["due_date"] == add_calendar_months(letter, 3) < today(svc)
    stream = await svc.ctx.store.read_stream(clue_id)
    assert local_day(stream[-1].occurred_at) == today(svc)  # recorded now: nothing backdated
    # the worker's next tick, the clock not moved: overdue once (the warnings it overtook are
    # not raised late)
    w = worker(svc)
    assert [f.stage.value for f in await w.fire_due()] == ["overdue"]
    assert await w.fire_due() == []
    overdue = (await svc.ctx.store.read_stream(clue_id))[-1]
    assert overdue.event_type == "clues.TransferResultOverdue"
    assert overdue.payload["due_date"] == r3["due_date"].isoformat()
    # the department's result, reported later, still ends it (late), and nothing fires again
    await ok(svc, f"/{clue_id}/acknowledge", {}, who="jw")
    result = {
        "disposition": "talk_or_letter",
        "concluded_on": (letter + timedelta(days=40)).isoformat(),
        "summary": "经谈话函询，予以批评教育",
    }
    # concluded before the letter's day: refused, naming that day
    early = {**result, "concluded_on": (letter - timedelta(days=1)).isoformat()}
    refused = await call(svc, f"/{clue_id}/result", early, "jw")
    assert refused.status_code == 422, refused.text
    assert f"办结日期早于移交日期 {letter.isoformat()}" in refused.json()["detail"], refused.text
    await ok(svc, f"/{clue_id}/result", result, who="jw")
    assert (await deadline(svc, TRANSFER_RESULT.name, clue_id))["state"] == "met_late"
    svc.ctx.now.advance(timedelta(days=200))  # type: ignore[union-attr]
    assert await w.fire_due() == []
    assert (await types(svc, clue_id)).count("clues.TransferResultOverdue") == 1


async def test_without_the_days_the_clocks_count_from_the_recording(
    svc: InProcessService,
) -> None:
    clue_id = await classified(svc)
    doc = await ok(svc, f"/{clue_id}/transfer", transfer())
    assert (doc["registered_on"], doc["transferred_on"]) == (None, None)
    transferred = (await svc.ctx.store.read_stream(clue_id))[-1]
    assert transferred.event_type == "clues.ClueTransferred"
    assert transferred.payload["transferred_on"] is None
    r3 = await deadline(svc, TRANSFER_RESULT.name, clue_id)
    assert r3["started_at"] == transferred.occurred_at
    assert r3["due_date"] > today(svc) and r3["yellow_at"] is not None
    assert await worker(svc).fire_due() == []


async def test_r7_counts_from_the_registration_day_written_on_paper(
    svc: InProcessService,
) -> None:
    registered_on = today(svc) - timedelta(days=30)
    clue_id: str = (await register(svc, registered_on=registered_on.isoformat()))["id"]
    await ok(svc, f"/{clue_id}/classify", {"category": "inquiry", "city_managed": True})
    r7 = await deadline(svc, ESCALATION.name, clue_id)
    assert r7["started_at"] == start_of_day(registered_on)
    assert r7["due_date"] < today(svc)
    w = worker(svc)
    assert [f.stage.value for f in await w.fire_due()] == ["overdue"]
    assert (await types(svc, clue_id))[-1] == "clues.EscalationOverdue"
    # the history reads in the order it was recorded: the firing, dated its past due moment,
    # comes last and names the due date it fired for
    resp = await svc.client.get(f"/api/v1/clues/{clue_id}/history", headers=svc.auth("county"))
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    recorded = [datetime.fromisoformat(i["recorded_at"]) for i in items]
    assert recorded == sorted(recorded)
    fired = items[-1]
    assert fired["detail_zh"] == f"到期日：{r7['due_date']}"
    assert datetime.fromisoformat(fired["occurred_at"]) < recorded[-1]


def problem(resp: Any) -> str:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    detail: str = resp.json()["detail"]
    return detail


async def test_paper_days_after_today_beyond_a_term_or_before_the_registration_are_422(
    svc: InProcessService,
) -> None:
    before = await svc.ctx.pool.fetchval("SELECT count(*) FROM events")
    tomorrow = today(svc) + timedelta(days=1)
    body = {
        "jurisdiction": LINCHUAN,
        "round_id": str(uuid.uuid4()),
        "group_id": str(uuid.uuid4()),
        "unit_id": str(uuid.uuid4()),
        "source_channel": "individual_talk",
        "summary": "反映问题",
    }
    detail = problem(await call(svc, "", {**body, "registered_on": tomorrow.isoformat()}))
    assert "登记日期不能晚于今天" in detail and "is after today" in detail
    assert tomorrow.isoformat() in detail and "R26" in detail
    long_ago = today(svc) - timedelta(days=5 * 366)
    detail = problem(await call(svc, "", {**body, "registered_on": long_ago.isoformat()}))
    assert "5年前" in detail and "more than 5 years" in detail and long_ago.isoformat() in detail
    assert await svc.ctx.pool.fetchval("SELECT count(*) FROM events") == before

    registered_on = today(svc) - timedelta(days=20)
    clue_id = await classified(svc, registered_on=registered_on.isoformat())
    version = len(await types(svc, clue_id))
    early = registered_on - timedelta(days=1)
    detail = problem(await call(svc, f"/{clue_id}/transfer", transfer(transferred_on=str(early))))
    assert "移交日期不能早于线索登记日期" in detail
    assert early.isoformat() in detail and registered_on.isoformat() in detail
    detail = problem(
        await call(svc, f"/{clue_id}/transfer", transfer(transferred_on=tomorrow.isoformat()))
    )
    assert "移交日期不能晚于今天" in detail and "transferred_on" in detail
    assert len(await types(svc, clue_id)) == version  # nothing written
    assert await deadline(svc, TRANSFER_RESULT.name, clue_id) is None


async def test_the_history_names_the_days_written_on_paper(svc: InProcessService) -> None:
    registered_on = today(svc) - timedelta(days=12)
    letter = today(svc) - timedelta(days=3)
    clue_id = await classified(svc, registered_on=registered_on.isoformat())
    await ok(svc, f"/{clue_id}/transfer", transfer(transferred_on=letter.isoformat()))
    resp = await svc.client.get(f"/api/v1/clues/{clue_id}/history", headers=svc.auth("county"))
    assert resp.status_code == 200, resp.text
    details = [i["detail_zh"] or "" for i in resp.json()["items"]]
    assert f"登记日期（补录）：{registered_on.isoformat()}" in details[0]
    assert f"移交函日期：{letter.isoformat()}" in details[-1]


async def test_the_clue_list_gives_the_day_written_on_paper(svc: InProcessService) -> None:
    """The list (问题线索, 案件历史's search, pickers) shows a 补录 clue's paper day; a clue
    listed before the column came gets it from its stored registration (migration clues 1)."""
    registered_on = today(svc) - timedelta(days=40)
    recorded: str = (await register(svc))["id"]
    paper: str = (await register(svc, registered_on=registered_on.isoformat()))["id"]

    async def listed() -> dict[str, Any]:
        resp = await svc.client.get(
            "/api/v1/clues", params={"limit": 200}, headers=svc.auth("county")
        )
        assert resp.status_code == 200, resp.text
        return {i["id"]: i for i in resp.json()["items"]}

    items = await listed()
    assert items[paper]["registered_on"] == registered_on.isoformat()
    assert items[recorded]["registered_on"] is None
    # newest first by the day shown: the paper clue, recorded last, was registered 40 days ago
    order = list(items)
    assert order.index(recorded) < order.index(paper)
    resp = await svc.client.get(
        "/api/v1/clues", params={"sort": "registered_at"}, headers=svc.auth("county")
    )
    order = [i["id"] for i in resp.json()["items"]]
    assert order.index(paper) < order.index(recorded)
    # as a database written before the column: the migration's backfill fills it again
    async with svc.ctx.pool.acquire() as conn:
        await conn.execute("UPDATE clue_view SET registered_on = NULL")
        assert (await listed())[paper]["registered_on"] is None
        await conn.execute(REGISTERED_ON_SQL)
    items = await listed()
    assert items[paper]["registered_on"] == registered_on.isoformat()
    assert items[recorded]["registered_on"] is None


async def test_a_group_registers_only_in_its_round_and_not_before_the_round_began(
    svc: InProcessService,
) -> None:
    """The group as clues knows it from intake's ``GroupFormed`` (its row written by the
    consumer's own adapter): a clue it registers names its round, area and a unit it inspects,
    and a day on paper not before the round's first day (R26); another county's group is as
    unknown to a county office as a group that never was (404), and nothing is written."""
    round_id, group_id, unit_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    starts_on = today(svc) - timedelta(days=30)
    lookups = findings.SqlLookups(svc.ctx.pool)
    await lookups.record_group(None, group_id, round_id, LINCHUAN, [unit_id], starts_on)
    body = {
        "jurisdiction": LINCHUAN,
        "round_id": str(round_id),
        "group_id": str(group_id),
        "unit_id": str(unit_id),
        "unit": "临川区某局",
        "source_channel": "individual_talk",
        "summary": "个别谈话反映问题",
    }
    before = await svc.ctx.pool.fetchval("SELECT count(*) FROM events")
    early = starts_on - timedelta(days=1)
    detail = problem(await call(svc, "", {**body, "registered_on": early.isoformat()}))
    assert "登记日期不能早于该轮巡察开始日期" in detail and starts_on.isoformat() in detail
    detail = problem(await call(svc, "", {**body, "round_id": str(uuid.uuid4())}))
    assert "所选巡察组不属于该巡察轮次" in detail
    detail = problem(await call(svc, "", {**body, "unit_id": str(uuid.uuid4())}))
    assert "不是所选巡察组巡察的单位" in detail
    other = await call(svc, "", {**body, "jurisdiction": NANCHENG}, who="other")
    assert other.status_code == 404, other.text
    assert LINCHUAN not in other.text and str(round_id) not in other.text
    assert await svc.ctx.pool.fetchval("SELECT count(*) FROM events") == before

    doc = await ok(svc, "", {**body, "registered_on": starts_on.isoformat()})
    assert doc["registered_on"] == starts_on.isoformat()
    # a group formed again (GroupFormed redelivered without a day) keeps the day it had
    await lookups.record_group(None, group_id, round_id, LINCHUAN, [unit_id], None)
    group = await lookups.registering_group(group_id)
    assert group is not None and group.starts_on == starts_on
