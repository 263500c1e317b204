"""What the office reads on the 挂图作战 board and in its two workbooks: the 整改台账's per-task
columns line up task by task; the board's workbook gives each task its own evidence by file name
and the issue's record in words; tasks the unit reported done count as waiting for the office's
销号, per issue and per unit; a plan's submissions and returns are in its issues' history and a
returned plan keeps its reason and time."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from xuncha_reporting.domain.board import board
from xuncha_reporting.domain.board_sheets import (
    BOARD_HEADERS,
    LEDGER_HEADERS,
    board_rows,
    ledger_rows,
)
from xuncha_shared.contracts import rectification as r
from xuncha_shared.envelope import EventPayload

from tests.support.board_docs import LINCHUAN, T0, docs_of

pytestmark = pytest.mark.unit

TODAY = date(2026, 11, 1)
UNIT, ROUND, PLAN = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
ISSUE, OTHER = uuid.uuid4(), uuid.uuid4()


def evidence(filename: str) -> r.EvidenceRef:
    return r.EvidenceRef(
        evidence_id=uuid.uuid4(), sha256="0" * 64, filename=filename,
        media_type="application/pdf", size=10,
    )  # fmt: skip


def fed(issue: uuid.UUID, description: str) -> tuple[str, uuid.UUID, EventPayload]:
    payload = r.IssueFedBack(
        issue_id=issue, feedback_id=uuid.uuid4(), jurisdiction=LINCHUAN, unit="市林业局",
        unit_id=UNIT, round_id=ROUND, description=description, due_date="2026-12-12",
    )  # fmt: skip
    return ("issue", issue, payload)


def on(issue: uuid.UUID, payload: EventPayload) -> tuple[str, uuid.UUID, EventPayload]:
    return ("issue", issue, payload)


# two tasks in the plan's order (by due date): the first owner sorts after the second
FIRST = r.PlanTask(
    task_id=uuid.UUID(int=2), issue_id=ISSUE, measure="修订财务制度", owner="计划财务科",
    type=r.TaskType.TIME_BOUND, due_on=date(2027, 1, 15),
)  # fmt: skip
SECOND = r.PlanTask(
    task_id=uuid.UUID(int=1), issue_id=ISSUE, measure="追回违规资金", owner="办公室、计划财务科",
    type=r.TaskType.TIME_BOUND, due_on=date(2027, 1, 31),
)  # fmt: skip
SUBMITTED = r.PlanSubmitted(
    plan_id=PLAN, round_id=ROUND, unit_id=UNIT, jurisdiction=LINCHUAN, unit="市林业局",
    responsible_leader="林局长", revision=1, issue_ids=[ISSUE, OTHER], tasks=[FIRST, SECOND],
)  # fmt: skip
RETURNED = r.PlanReturned(plan_id=PLAN, revision=1, reason="措施过于笼统，请细化")
HISTORY = [
    fed(ISSUE, "财务管理不规范"),
    fed(OTHER, "议事规则不健全"),
    ("rectification_plan", PLAN, SUBMITTED),
    ("rectification_plan", PLAN, RETURNED),
]
APPROVED = [
    ("rectification_plan", PLAN, SUBMITTED.model_copy(update={"revision": 2})),
    ("rectification_plan", PLAN, r.PlanApproved(plan_id=PLAN, revision=2)),
    on(ISSUE, r.IssuePlanned(issue_id=ISSUE, plan_id=PLAN, tasks=[FIRST, SECOND])),
]
REPORTED = on(
    ISSUE,
    r.RectificationReported(
        issue_id=ISSUE, kind=r.ReportKind.PROGRESS, progress_percent=50, completed=False,
        note="正在整改", evidence=[evidence("整改进展.pdf")],
    ),
)  # fmt: skip


def done(task: r.PlanTask, *files: str) -> tuple[str, uuid.UUID, EventPayload]:
    payload = r.RectificationTaskCompleted(
        issue_id=ISSUE, task_id=task.task_id, attempt=1, completed_on=date(2026, 10, 20),
        note="已完成", evidence=[evidence(f) for f in files],
    )  # fmt: skip
    return on(ISSUE, payload)


def unit_of(events: list[tuple[str, uuid.UUID, EventPayload]]) -> dict[str, Any]:
    units: list[dict[str, Any]] = board(docs_of(events), TODAY, lambda _: 20)["units"]
    [unit] = units
    return unit


def column(header: str, headers: tuple[str, ...], row: list[Any]) -> Any:
    return row[headers.index(header)]


def test_the_ledger_keeps_task_order_in_every_per_task_column() -> None:
    unit = unit_of([*HISTORY, *APPROVED])
    [row, _] = ledger_rows(unit)
    assert column("整改措施", LEDGER_HEADERS, row) == "修订财务制度；追回违规资金"
    assert column("完成时限", LEDGER_HEADERS, row) == "2027-01-15；2027-01-31"
    # task by task, not sorted (办公室、计划财务科 sorts before 计划财务科)
    assert column("责任人", LEDGER_HEADERS, row) == "计划财务科；办公室、计划财务科"


def test_the_board_workbook_names_each_tasks_own_evidence_and_the_record_in_words() -> None:
    unit = unit_of(
        [*HISTORY, *APPROVED, REPORTED, done(FIRST, "制度文件.pdf", "印发通知.pdf"), done(SECOND)]
    )
    first, second, other = board_rows(unit)
    assert column("任务佐证材料", BOARD_HEADERS, first) == "制度文件.pdf；印发通知.pdf"
    assert column("任务佐证材料", BOARD_HEADERS, second) is None  # the second task cited none
    # the issue's own (its reports') once, on its first row; never an address
    assert column("整改报告及核实佐证材料", BOARD_HEADERS, first) == "整改进展.pdf"
    assert column("整改报告及核实佐证材料", BOARD_HEADERS, second) is None
    assert not any("/api/" in str(cell) for row in (first, second, other) for cell in row)
    # the steps and the latest with its day (China time): fed back, submitted, returned,
    # submitted again, approved (the issue's IssuePlanned), reported, two tasks done
    record = column("办理记录", BOARD_HEADERS, first)
    assert record == "共 8 条，最近 2026-10-21 整改任务完成", record
    assert column("办理记录", BOARD_HEADERS, second) == record
    # an issue without a plan: one row, its own record
    assert column("整改任务", BOARD_HEADERS, other) is None
    assert (
        column("办理记录", BOARD_HEADERS, other)
        == "共 4 条，最近 2026-10-16 报送整改方案（第 2 次）"
    )


def test_tasks_reported_done_wait_for_the_office_per_issue_and_unit() -> None:
    unit = unit_of([*HISTORY, *APPROVED, done(FIRST), done(SECOND)])
    issue = next(i for i in unit["issues"] if i["issue_id"] == str(ISSUE))
    # every task reported done: no due date colours the issue, but it waits for the office
    assert (issue["colour"], issue["tasks_awaiting_close_out"]) == (None, 2)
    assert unit["tasks_awaiting_close_out"] == 2
    assert unit["awaiting_office"] == {
        "plans": 0, "verification": 0, "close_out": 0, "tasks": 2, "total": 2
    }  # fmt: skip
    closed = r.RectificationTaskClosedOut(
        issue_id=ISSUE, task_id=FIRST.task_id, attempt=1, note="核"
    )
    unit = unit_of([*HISTORY, *APPROVED, done(FIRST), done(SECOND), on(ISSUE, closed)])
    assert unit["awaiting_office"]["tasks"] == unit["tasks_awaiting_close_out"] == 1
    # a plan submitted waits for the office's review
    assert unit_of(HISTORY[:3])["awaiting_office"]["plans"] == 1


def test_a_plans_submissions_and_returns_are_in_its_issues_history() -> None:
    unit = unit_of(HISTORY)
    [plan] = unit["plans"]
    assert (plan["status"], plan["status_zh"], plan["revisions"]) == ("returned", "已退回修改", 1)
    assert plan["return_reason"] == "措施过于笼统，请细化"
    assert plan["returned_at"] == (T0 + timedelta(days=3)).isoformat()
    assert unit["awaiting_office"]["total"] == 0  # the unit's turn now
    for issue in unit["issues"]:
        told = [(h["zh"], h["note"]) for h in issue["history"]]
        assert told[1:] == [
            ("报送整改方案（第 1 次）", None), ("退回整改方案", "措施过于笼统，请细化")
        ], told  # fmt: skip
    # resubmitted and approved: the approval is the issue's own 整改方案审定 line
    issue = next(i for i in unit_of([*HISTORY, *APPROVED])["issues"] if i["issue_id"] == str(ISSUE))
    assert [h["zh"] for h in issue["history"]][-2:] == [
        "报送整改方案（第 2 次）",
        "整改方案审定，明确任务",
    ]


def test_a_plan_leaves_out_an_issue_closed_out_before_it() -> None:
    steps: list[EventPayload] = [
        r.RectificationReported(
            issue_id=OTHER, kind=r.ReportKind.FORMAL, progress_percent=100, completed=True,
            note="已整改", leader_report="主要负责人专题部署",
        ),
        r.RectificationVerified(issue_id=OTHER, outcome=r.VerificationOutcome.ACCEPTED, note="核"),
        r.IssueClosedOut(issue_id=OTHER, note="销号"),
    ]  # fmt: skip
    events = [*HISTORY[:2], *(on(OTHER, p) for p in steps), *HISTORY[2:]]
    other = next(i for i in unit_of(events)["issues"] if i["issue_id"] == str(OTHER))
    assert "rectification.PlanSubmitted" not in [h["type"] for h in other["history"]]
    # the formal report's leader's report is the office's to read when it verifies (R1)
    [formal] = [h for h in other["history"] if h["type"] == "rectification.RectificationReported"]
    assert formal["leader_report"] == "主要负责人专题部署"
    assert all(h.get("leader_report") is None for h in other["history"] if h is not formal)
