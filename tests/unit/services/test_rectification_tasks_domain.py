"""One task of an approved plan ticked off on its own (挂图作战、对账销号): reported done, closed
out or returned with a new due date; the issue's close-out closes out the rest (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from xuncha_rectification.domain import model, tasks
from xuncha_rectification.domain.commands import CloseOut, ReportRectification, VerifyRectification
from xuncha_rectification.domain.issue import Issue, IssueStatus, TaskStatus
from xuncha_shared.contracts.rectification import (
    IssueFedBack,
    IssuePlanned,
    PlanTask,
    RectificationTaskClosedOut,
    RectificationTaskCompleted,
    RectificationTaskReturned,
    ReportKind,
    TaskType,
    VerificationOutcome,
)
from xuncha_shared.domain.errors import InvalidCommand, RuleViolation

pytestmark = pytest.mark.unit

ISSUE = uuid.uuid4()
FED = datetime(2026, 9, 30, 17, tzinfo=UTC)  # 1 October in Beijing
TODAY = date(2026, 11, 20)


def _task(due: date, owner: str = "办公室") -> PlanTask:
    return PlanTask(
        task_id=uuid.uuid4(),
        issue_id=ISSUE,
        measure="建立制度",
        owner=owner,
        type=TaskType.TIME_BOUND,
        due_on=due,
    )


def planned(*plan_tasks: PlanTask) -> Issue:
    fed = IssueFedBack(
        issue_id=ISSUE,
        feedback_id=uuid.uuid4(),
        jurisdiction="361002",
        unit="临川区某局",
        description="问题",
        due_date="2026-12-01",
    )
    state = model.ISSUE.initial()
    model.evolve(state, fed, FED)
    model.evolve(state, IssuePlanned(issue_id=ISSUE, plan_id=uuid.uuid4(), tasks=list(plan_tasks)))
    return state


def apply(state: Issue, events: list) -> Issue:  # type: ignore[type-arg]
    for e in events:
        model.evolve(state, e)
    return state


def complete(state: Issue, task: PlanTask, day: date = date(2026, 11, 10)) -> Issue:
    cmd = tasks.CompleteTask(completed_on=day, note="已建立制度并印发")
    return apply(state, tasks.decide_complete(state, task.task_id, cmd, TODAY))


def test_a_task_is_reported_done_then_closed_out_on_its_own() -> None:
    first, second = _task(date(2026, 11, 15)), _task(date(2026, 12, 15))
    state = planned(first, second)
    assert tasks.progress_of(state, first.task_id).status is TaskStatus.OPEN

    [done] = tasks.decide_complete(
        state, first.task_id, tasks.CompleteTask(date(2026, 11, 10), "已完成"), TODAY
    )
    assert isinstance(done, RectificationTaskCompleted) and done.attempt == 1
    apply(state, [done])
    progress = tasks.progress_of(state, first.task_id)
    assert progress.status is TaskStatus.COMPLETED and progress.completed_on == date(2026, 11, 10)

    [closed] = tasks.decide_close_out_task(state, first.task_id, tasks.CloseOutTask("核对属实"))
    assert isinstance(closed, RectificationTaskClosedOut)
    apply(state, [closed])
    assert tasks.progress_of(state, first.task_id).status is TaskStatus.CLOSED_OUT
    # the other task, and the issue, are untouched
    assert tasks.progress_of(state, second.task_id).status is TaskStatus.OPEN
    assert state.status is IssueStatus.PLANNED


def test_each_step_only_from_its_state() -> None:
    task = _task(date(2026, 11, 15))
    state = planned(task)
    with pytest.raises(RuleViolation, match="须先报告完成"):
        tasks.decide_close_out_task(state, task.task_id, tasks.CloseOutTask("核对"))
    with pytest.raises(RuleViolation, match="须先报告完成"):
        tasks.decide_return(state, task.task_id, tasks.ReturnTask("未完成", TODAY), TODAY)
    complete(state, task)
    with pytest.raises(RuleViolation, match="已报告完成，待销号"):
        tasks.decide_complete(state, task.task_id, tasks.CompleteTask(TODAY, "再报"), TODAY)
    apply(state, tasks.decide_close_out_task(state, task.task_id, tasks.CloseOutTask("核对")))
    with pytest.raises(RuleViolation, match="已销号"):
        tasks.decide_close_out_task(state, task.task_id, tasks.CloseOutTask("核对"))
    with pytest.raises(tasks.UnknownTask):
        tasks.decide_complete(state, uuid.uuid4(), tasks.CompleteTask(TODAY, "完成"), TODAY)


def test_the_day_done_lies_between_the_feedback_and_today() -> None:
    task = _task(date(2026, 11, 15))
    state = planned(task)
    with pytest.raises(InvalidCommand, match="不能晚于今天"):
        tasks.decide_complete(
            state, task.task_id, tasks.CompleteTask(date(2026, 11, 21), "完成"), TODAY
        )
    # fed back at 01:00 on 1 October in Beijing (30 September in UTC)
    with pytest.raises(InvalidCommand, match="2026-10-01"):
        tasks.decide_complete(
            state, task.task_id, tasks.CompleteTask(date(2026, 9, 30), "完成"), TODAY
        )
    assert tasks.decide_complete(
        state, task.task_id, tasks.CompleteTask(date(2026, 10, 1), "完成"), TODAY
    )


def test_a_returned_task_starts_its_next_turn_with_the_new_due_date() -> None:
    task = _task(date(2026, 11, 15), owner="财务科")
    state = complete(planned(task), task)
    with pytest.raises(InvalidCommand, match="不能早于今天"):
        tasks.decide_return(
            state, task.task_id, tasks.ReturnTask("佐证不足", date(2026, 11, 19)), TODAY
        )
    [returned] = tasks.decide_return(
        state, task.task_id, tasks.ReturnTask("佐证不足", date(2026, 12, 10)), TODAY
    )
    assert isinstance(returned, RectificationTaskReturned)
    assert (returned.attempt, returned.owner, returned.due_on) == (2, "财务科", date(2026, 12, 10))
    apply(state, [returned])
    progress = tasks.progress_of(state, task.task_id)
    assert progress.status is TaskStatus.OPEN and progress.attempt == 2
    assert progress.due_on == date(2026, 12, 10) and progress.returned_reason == "佐证不足"
    # the next report of it is of its second turn
    [again] = tasks.decide_complete(state, task.task_id, tasks.CompleteTask(TODAY, "补充"), TODAY)
    assert isinstance(again, RectificationTaskCompleted) and again.attempt == 2


def test_after_the_issue_is_reported_done_tasks_are_closed_out_not_returned() -> None:
    first, second = _task(date(2026, 11, 15)), _task(date(2026, 11, 16))
    state = complete(planned(first, second), first)
    report = ReportRectification(ReportKind.FORMAL, 100, True, "整改完成", leader_report="已部署")
    apply(state, model.decide_report(state, report))
    assert state.status is IssueStatus.REPORTED_DONE
    with pytest.raises(RuleViolation, match="整改核实退回"):
        tasks.decide_return(state, first.task_id, tasks.ReturnTask("未完成", TODAY), TODAY)
    with pytest.raises(RuleViolation, match="已报告整改完成"):
        tasks.decide_complete(state, second.task_id, tasks.CompleteTask(TODAY, "完成"), TODAY)
    apply(state, tasks.decide_close_out_task(state, first.task_id, tasks.CloseOutTask("核对")))

    # the issue's close-out closes out the task still open, with it
    apply(
        state, model.decide_verify(state, VerifyRectification(VerificationOutcome.ACCEPTED, "核实"))
    )
    apply(state, model.decide_close_out(state, CloseOut("销号")))
    one, two = (tasks.progress_of(state, t.task_id) for t in (first, second))
    assert one.status is two.status is TaskStatus.CLOSED_OUT
    assert not one.closed_with_issue and two.closed_with_issue
    with pytest.raises(RuleViolation, match="已对账销号"):
        tasks.decide_close_out_task(state, second.task_id, tasks.CloseOutTask("核对"))
