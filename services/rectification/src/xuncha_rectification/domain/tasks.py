"""The tasks of an issue's approved plan, ticked off one by one (挂图作战、对账销号, 000:L30).
Pure: no I/O.

* The unit (or the office for it) reports a task done (``RectificationTaskCompleted``) while the
  issue is being rectified (planned or in progress): on a day not before the feedback and not
  after today, with what was done (``note``) and its evidence.
* The office then closes the task out (``RectificationTaskClosedOut``, 任务销号), or returns it
  (``RectificationTaskReturned``) with the reason and the day it is now due (not before today):
  the task's next turn (``attempt``) starts, with its own deadline (R1, ``task_due``).
* A task is closed out on its own any time before its issue is; a return only while the issue is
  being rectified (once the unit has reported the whole issue done, the office answers that
  with the issue's verification). The issue's close-out closes out the tasks still open with it.
* The report declaring the issue done still ends every task's deadline, as before tasks were
  reported one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from xuncha_shared.contracts.rectification import (
    EvidenceRef,
    PlanTask,
    RectificationTaskClosedOut,
    RectificationTaskCompleted,
    RectificationTaskReturned,
)
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

from xuncha_rectification.domain.issue import (
    STATUS_ZH,
    TASK_STATUS_ZH,
    Issue,
    IssueStatus,
    TaskProgress,
    TaskStatus,
    local_date,
)

#: the issue's states in which its tasks are reported done or returned
RECTIFYING = frozenset({IssueStatus.PLANNED, IssueStatus.IN_PROGRESS})


@dataclass(frozen=True)
class CompleteTask:
    completed_on: date
    note: str
    evidence: tuple[EvidenceRef, ...] = ()


@dataclass(frozen=True)
class CloseOutTask:
    note: str


@dataclass(frozen=True)
class ReturnTask:
    reason: str
    due_on: date


class UnknownTask(NotFoundError):
    """The issue has no such task (404)."""


def unknown_task_detail(task_id: UUID) -> str:
    return f"该问题没有编号为 {task_id} 的整改任务 / the issue has no task {task_id}"


def progress_of(state: Issue, task_id: UUID) -> TaskProgress:
    """The task's progress (a task of the approved plan that nothing happened to yet: open)."""
    return state.task_progress.get(task_id) or TaskProgress(due_on=_task(state, task_id).due_on)


def _task(state: Issue, task_id: UUID) -> PlanTask:
    for task in state.tasks:
        if task.task_id == task_id:
            return task
    raise UnknownTask(unknown_task_detail(task_id))


def _wrong_state(progress: TaskProgress, what: str) -> RuleViolation:
    zh = TASK_STATUS_ZH[progress.status]
    return RuleViolation(
        f"该整改任务当前为“{zh}”，不能{what} / the task is {progress.status.value}: {what}"
    )


def _issue_state(state: Issue, allowed: frozenset[IssueStatus], what: tuple[str, str]) -> None:
    if state.status not in allowed:
        zh = STATUS_ZH[state.status]
        raise RuleViolation(
            f"问题当前状态为“{zh}”，不能{what[0]} / the issue is {state.status.value}: {what[1]}"
        )


def decide_complete(
    state: Issue, task_id: UUID, cmd: CompleteTask, today: date
) -> list[EventPayload]:
    assert state.issue_id is not None
    _task(state, task_id)
    _issue_state(
        state,
        RECTIFYING,
        (
            "再报告单项任务完成（问题已报告整改完成、已核实或已销号）",
            "its tasks are reported done only while it is being rectified",
        ),
    )
    progress = progress_of(state, task_id)
    if progress.status is not TaskStatus.OPEN:
        raise _wrong_state(progress, "再报告完成")
    if cmd.completed_on > today:
        raise InvalidCommand(
            f"完成日期不能晚于今天（{today.isoformat()}） / completed_on "
            f"{cmd.completed_on.isoformat()} is after today"
        )
    fed_back = local_date(state.fed_back_at) if state.fed_back_at else None
    if fed_back is not None and cmd.completed_on < fed_back:
        raise InvalidCommand(
            f"完成日期不能早于问题反馈日期（{fed_back.isoformat()}） / completed_on "
            f"{cmd.completed_on.isoformat()} is before the feedback ({fed_back.isoformat()})"
        )
    return [
        RectificationTaskCompleted(
            issue_id=state.issue_id,
            task_id=task_id,
            attempt=progress.attempt,
            completed_on=cmd.completed_on,
            note=cmd.note,
            evidence=list(cmd.evidence),
        )
    ]


def decide_close_out_task(state: Issue, task_id: UUID, cmd: CloseOutTask) -> list[EventPayload]:
    assert state.issue_id is not None
    _task(state, task_id)
    _issue_state(
        state,
        RECTIFYING | {IssueStatus.REPORTED_DONE, IssueStatus.VERIFIED},
        ("再单项销号", "its tasks were closed out with it"),
    )
    progress = progress_of(state, task_id)
    if progress.status is not TaskStatus.COMPLETED:
        raise _wrong_state(progress, "销号（须先报告完成）")
    return [
        RectificationTaskClosedOut(
            issue_id=state.issue_id, task_id=task_id, attempt=progress.attempt, note=cmd.note
        )
    ]


def decide_return(state: Issue, task_id: UUID, cmd: ReturnTask, today: date) -> list[EventPayload]:
    assert state.issue_id is not None
    task = _task(state, task_id)
    _issue_state(
        state,
        RECTIFYING,
        (
            "退回单项任务（单位已报告问题整改完成的，请通过整改核实退回）",
            "a task is returned only while the issue is being rectified (after the unit reported "
            "the issue done, reject its verification instead)",
        ),
    )
    progress = progress_of(state, task_id)
    if progress.status is not TaskStatus.COMPLETED:
        raise _wrong_state(progress, "退回（须先报告完成）")
    if cmd.due_on < today:
        raise InvalidCommand(
            f"新的完成时限不能早于今天（{today.isoformat()}） / due_on {cmd.due_on.isoformat()} "
            f"is before today"
        )
    return [
        RectificationTaskReturned(
            issue_id=state.issue_id,
            task_id=task_id,
            attempt=progress.attempt + 1,
            reason=cmd.reason,
            due_on=cmd.due_on,
            owner=task.owner,
        )
    ]


def evolve_task(state: Issue, event: EventPayload) -> None:
    """Fold a task event (and the issue's close-out, which closes out its open tasks)."""
    if isinstance(event, RectificationTaskCompleted):
        progress = progress_of(state, event.task_id)
        progress.status = TaskStatus.COMPLETED
        progress.completed_on = event.completed_on
        progress.note = event.note
        progress.evidence = list(event.evidence)
        state.task_progress[event.task_id] = progress
    elif isinstance(event, RectificationTaskClosedOut):
        progress = progress_of(state, event.task_id)
        progress.status = TaskStatus.CLOSED_OUT
        progress.closed_out_note = event.note
        state.task_progress[event.task_id] = progress
    elif isinstance(event, RectificationTaskReturned):
        progress = progress_of(state, event.task_id)
        progress.status = TaskStatus.OPEN
        progress.attempt = event.attempt
        progress.due_on = event.due_on
        progress.returned_reason = event.reason
        state.task_progress[event.task_id] = progress


def close_with_issue(state: Issue) -> None:
    """The issue's close-out: its tasks not closed out on their own close out with it."""
    for task in state.tasks:
        progress = progress_of(state, task.task_id)
        if progress.status is not TaskStatus.CLOSED_OUT:
            progress.status = TaskStatus.CLOSED_OUT
            progress.closed_with_issue = True
            state.task_progress[task.task_id] = progress
