"""One task's 对账销号 against the real PostgreSQL (the service's composition in this process,
real bearer tokens, the service's clock moved):

- the unit reports a task done, the office returns it with a new due date, the unit reports it
  again and the office closes it out; the issue answers each task's state, turn and due date;
- the deadline of each turn: the first ends on the day the task was done (met), a return starts
  the next, which fires ``TaskOverdue`` with its turn when its new day passes;
- who may do what: a group or a unit cannot close out or return (403), another unit's token
  reads the 404 of an unknown issue, an unknown task is a 404, a step out of turn a 409, a day
  out of range a 422; a refusal writes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from xuncha_rectification.bootstrap import SPEC
from xuncha_shared.clocks import DeadlineWorker, ManualClock
from xuncha_shared.clocks.clock import CST

from tests.integration.test_rectification_plans import PRINCIPALS, ROUND, UNIT, fed_back, post
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)

# the service's clock at the wall clock's day: an issue's feedback is the moment it was recorded
NOW = datetime.now(CST).replace(hour=10, minute=0, second=0, microsecond=0)


def plan(issues: list[str]) -> dict[str, Any]:
    return {
        "round_id": str(ROUND),
        "unit_id": str(UNIT),
        "responsible_leader": "李书记",
        "tasks": [
            {"issue_id": issues[0], "measure": "立即修订议事规则", "owner": "办公室",
             "type": "immediate", "due_on": day(20)},
            {"issue_id": issues[1], "measure": "建立干部监督长效机制", "owner": "组织人事科",
             "type": "long_term", "due_on": day(200)},
        ],
    }  # fmt: skip


@pytest.fixture
async def svc(infra: Any) -> AsyncIterator[InProcessService]:
    async with in_process_service(infra, SPEC, PRINCIPALS, label="rt") as service:
        service.ctx.now = ManualClock(NOW)
        yield service


def day(n: int) -> str:
    return (NOW.date() + timedelta(days=n)).isoformat()


async def test_a_task_reported_returned_reported_again_and_closed_out(
    svc: InProcessService,
) -> None:
    issues = await fed_back(svc)
    pid = (await post(svc, "/api/v1/rectification-plans", "unit", json=plan(issues))).json()["id"]
    assert (
        await post(svc, f"/api/v1/rectification-plans/{pid}/approve", "county")
    ).status_code == 200
    issue = issues[0]
    got = await svc.client.get(f"/api/v1/rectifications/{issue}", headers=svc.auth("unit"))
    [task] = got.json()["tasks"]
    assert (task["status"], task["status_zh"], task["attempt"]) == ("open", "整改中", 1)
    base = f"/api/v1/rectifications/{issue}/tasks/{task['task_id']}"
    events = "SELECT count(*) FROM events"
    before = await svc.ctx.pool.fetchval(events)

    # refusals, none of which writes anything
    done = f"{base}/completion"
    refusals = [
        (f"{base}/close-out", "county", {"note": "核对"}, 409, "须先报告完成"),
        (done, "unit", {"completed_on": day(1), "note": "完成"}, 422, "不能晚于今天"),
        (done, "unit", {"completed_on": day(-1), "note": "完成"}, 422, "不能早于问题反馈日期"),
        (done, "other_unit", {"completed_on": day(0), "note": "完成"}, 404, "未找到问题"),
        (f"/api/v1/rectifications/{issue}/tasks/{issues[1]}/completion", "unit",
         {"completed_on": day(0), "note": "完成"}, 404, "没有编号为"),
        (done, "unit", {"completed_on": day(0)}, 422, ""),
    ]  # fmt: skip
    for path, who, body, status, words in refusals:
        r = await post(svc, path, who, json=body)
        assert r.status_code == status, (path, who, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert words in r.json().get("detail", "")
    assert await svc.ctx.pool.fetchval(events) == before

    # the unit reports it done on the day
    r = await post(
        svc, f"{base}/completion", "unit", json={"completed_on": day(0), "note": "已修订"}
    )
    assert r.status_code == 201, r.text
    [shown] = r.json()["tasks"]
    assert (shown["status"], shown["completed_on"], shown["colour"]) == ("completed", day(0), None)
    # only an office closes out or returns
    for who in ("group", "unit"):
        for step, body in (
            ("close-out", {"note": "核对"}),
            ("return", {"reason": "不实", "due_on": day(5)}),
        ):
            assert (await post(svc, f"{base}/{step}", who, json=body)).status_code == 403
    r = await post(svc, f"{base}/return", "county", json={"reason": "佐证不足", "due_on": day(-1)})
    assert r.status_code == 422 and "不能早于今天" in r.json()["detail"]
    r = await post(svc, f"{base}/return", "county", json={"reason": "佐证不足", "due_on": day(5)})
    assert r.status_code == 200, r.text
    [shown] = r.json()["tasks"]
    assert (shown["status"], shown["attempt"], shown["due_on"]) == ("open", 2, day(5))
    assert shown["planned_due_on"] == day(20) and shown["returned_reason"] == "佐证不足"

    # the first turn's deadline was met on the day done; the second's fires when its day passes
    rows = await svc.ctx.pool.fetch(
        "SELECT key, state, due_date FROM deadlines WHERE kind = 'rectification.task_due' "
        "AND aggregate_id = $1 ORDER BY started_at",
        issue,
    )
    assert [(r["key"], r["state"]) for r in rows] == [
        (task["task_id"], "met"),
        (f"{task['task_id']}:2", "running"),
    ]
    worker = DeadlineWorker(svc.ctx.pool, svc.ctx.store, svc.ctx.clocks(), SPEC.deadline_kinds)
    assert isinstance(svc.ctx.now, ManualClock)
    svc.ctx.now.set(NOW + timedelta(days=7))
    await worker.fire_due()
    overdue = [
        e
        for e in await svc.ctx.store.read_stream(issue)
        if e.event_type == "rectification.TaskOverdue"
    ]
    assert [(e.payload["task_id"], e.payload["attempt"]) for e in overdue] == [(task["task_id"], 2)]

    # reported again (its second turn), then closed out
    r = await post(
        svc, f"{base}/completion", "unit", json={"completed_on": day(6), "note": "补充佐证"}
    )
    assert r.status_code == 201, r.text
    r = await post(svc, f"{base}/close-out", "county", json={"note": "对账无误"})
    assert r.status_code == 200, r.text
    [shown] = r.json()["tasks"]
    assert (shown["status"], shown["status_zh"], shown["closed_out_note"]) == (
        "closed_out", "已销号", "对账无误"
    )  # fmt: skip
    again = await post(svc, f"{base}/close-out", "county", json={"note": "再销"})
    assert again.status_code == 409 and "已销号" in again.json()["detail"]
    types = [e.event_type for e in await svc.ctx.store.read_stream(issue)]
    assert [t for t in types if "RectificationTask" in t] == [
        "rectification.RectificationTaskCompleted",
        "rectification.RectificationTaskReturned",
        "rectification.RectificationTaskCompleted",
        "rectification.RectificationTaskClosedOut",
    ]
    states = await svc.ctx.pool.fetch(
        "SELECT state FROM deadlines WHERE kind = 'rectification.task_due' AND aggregate_id = $1 "
        "ORDER BY started_at",
        issue,
    )
    assert [s["state"] for s in states] == ["met", "met_late"]
