"""R1 under the real rectification flow, against the real PostgreSQL: a feedback starts the
formal-report deadline in its own transaction, the service's deadline worker (with the service's
clock moved, never slept) fires yellow, red and overdue once each as events on the issue's
stream, a formal report before the due date is ``met`` and nothing fires, after it ``met_late``.
``GET /api/v1/rules`` lists the rules the service runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from xuncha_rectification.adapters.deadlines import FORMAL_REPORT
from xuncha_rectification.bootstrap import SPEC
from xuncha_shared.clocks import DeadlineWorker, ManualClock
from xuncha_shared.clocks.clock import CST

from tests.support.principals import LINCHUAN, OFFICES
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)

FEEDBACK_AT = datetime(2026, 9, 30, 10, tzinfo=CST)  # R1 due 2026-11-30


@pytest.fixture
async def svc(infra: Any) -> AsyncIterator[InProcessService]:
    async with in_process_service(infra, SPEC, OFFICES, label="rd") as service:
        service.ctx.now = ManualClock(FEEDBACK_AT)
        yield service


def clock(svc: InProcessService) -> ManualClock:
    assert isinstance(svc.ctx.now, ManualClock)
    return svc.ctx.now


def worker(svc: InProcessService) -> DeadlineWorker:
    return DeadlineWorker(svc.ctx.pool, svc.ctx.store, svc.ctx.clocks(), SPEC.deadline_kinds)


async def feed_back(svc: InProcessService) -> tuple[str, str]:
    body = {
        "jurisdiction": LINCHUAN,
        "unit": "临川区某局",
        "issues": [{"description": "落实主体责任不到位", "concerns": ["discipline_commission"]}],
    }
    r = await svc.client.post("/api/v1/feedbacks", json=body, headers=svc.auth("county"))
    assert r.status_code == 201, r.text
    return r.json()["issue_ids"][0], r.json()["due_date"]


async def report(svc: InProcessService, issue_id: str, kind: str = "formal") -> None:
    body = {"kind": kind, "progress_percent": 60, "completed": False, "note": "整改推进中"}
    if kind != "progress":
        body["leader_report"] = "主要负责人组织落实情况报告"  # R1
    r = await svc.client.post(
        f"/api/v1/rectifications/{issue_id}/reports", json=body, headers=svc.auth("county")
    )
    assert r.status_code == 201, r.text


async def deadline_row(svc: InProcessService, issue_id: str) -> Any:
    return await svc.ctx.pool.fetchrow(
        "SELECT * FROM deadlines WHERE kind = $1 AND key = $2", FORMAL_REPORT.name, issue_id
    )


async def event_types(svc: InProcessService, issue_id: str) -> list[str]:
    return [e.event_type for e in await svc.ctx.store.read_stream(issue_id)]


async def test_feedback_starts_r1_in_its_transaction_and_the_worker_fires_each_stage_once(
    svc: InProcessService,
) -> None:
    issue_id, due = await feed_back(svc)
    row = await deadline_row(svc, issue_id)
    assert row["due_date"].isoformat() == due == "2026-11-30"
    assert (row["rule_id"], row["rule_version"], row["state"]) == (
        "xunshi_2015_art27",
        1,
        "running",
    )
    assert row["calendar_version"].startswith("chinesecalendar-")
    started_by = (await svc.ctx.store.read_stream(issue_id))[0]
    assert row["started_by"] == started_by.event_id
    assert row["jurisdiction"] == LINCHUAN and row["owner"] == "临川区某局"

    w = worker(svc)
    assert await w.fire_due() == []  # nothing is due on the day of the feedback
    clock(svc).set(datetime(2026, 11, 10, 0, 1, tzinfo=CST))  # 20 days before: yellow
    assert [f.stage.value for f in await w.fire_due()] == ["yellow"]
    assert await w.fire_due() == []  # once
    clock(svc).set(datetime(2026, 11, 30, 9, tzinfo=CST))  # the due date: red
    assert [f.stage.value for f in await w.fire_due()] == ["red"]
    clock(svc).set(datetime(2026, 12, 1, 0, 0, tzinfo=CST))  # the day after: overdue
    assert [f.stage.value for f in await w.fire_due()] == ["overdue"]
    clock(svc).advance(timedelta(days=40))
    assert await w.fire_due() == []
    assert await event_types(svc, issue_id) == [
        "rectification.IssueFedBack",
        "rectification.DeadlineWarningRaised",
        "rectification.DeadlineWarningRaised",
        "rectification.RectificationOverdue",
    ]
    fired = (await svc.ctx.store.read_stream(issue_id))[1:]
    assert [e.payload["colour"] for e in fired[:2]] == ["yellow", "red"]
    assert all(e.payload["due_date"] == "2026-11-30" for e in fired)
    assert all(e.causation_id == started_by.event_id for e in fired)
    assert (await deadline_row(svc, issue_id))["state"] == "overdue"

    # a late formal report still ends the clock, as met_late
    await report(svc, issue_id)
    assert (await deadline_row(svc, issue_id))["state"] == "met_late"


async def test_formal_report_before_the_due_date_is_met_and_never_fires(
    svc: InProcessService,
) -> None:
    issue_id, _ = await feed_back(svc)
    clock(svc).advance(timedelta(days=3))
    await report(svc, issue_id, kind="progress")  # a progress report does not satisfy R1
    assert (await deadline_row(svc, issue_id))["state"] == "running"
    await report(svc, issue_id)
    row = await deadline_row(svc, issue_id)
    assert row["state"] == "met" and row["next_fire_at"] is None
    clock(svc).advance(timedelta(days=365))
    assert await worker(svc).fire_due() == []
    assert await event_types(svc, issue_id) == [
        "rectification.IssueFedBack",
        "rectification.RectificationReported",
        "rectification.RectificationReported",
    ]


async def test_formal_report_after_the_due_date_is_met_late_before_any_worker_ran(
    svc: InProcessService,
) -> None:
    issue_id, _ = await feed_back(svc)
    clock(svc).set(datetime(2026, 12, 2, 10, tzinfo=CST))
    await report(svc, issue_id)
    assert (await deadline_row(svc, issue_id))["state"] == "met_late"
    assert await worker(svc).fire_due() == []  # ended: nothing fires any more


async def test_rules_lists_r1_and_the_warning_colours(svc: InProcessService) -> None:
    r = await svc.client.get("/api/v1/rules")
    assert r.status_code == 200
    ids = {(rule["id"], rule["version"]) for rule in r.json()["rules"]}
    assert ids == {
        ("xunshi_2015_art27", 1),
        ("rectification_task_due", 1),
        ("supervision_due", 1),
        ("cadre_opinion_reply", 1),
        ("biweekly_report", 1),
        ("warning_colours", 1),
    }


async def test_a_failed_feedback_leaves_no_deadline(svc: InProcessService) -> None:
    body = {"jurisdiction": LINCHUAN, "unit": "某局", "issues": []}
    r = await svc.client.post("/api/v1/feedbacks", json=body, headers=svc.auth("county"))
    assert r.status_code == 422
    assert await svc.ctx.pool.fetchval("SELECT count(*) FROM deadlines") == 0
