"""HTTP API of one task's 对账销号 (port 8003): the tasks of an issue's approved plan reported
done, closed out or returned one by one (``domain/tasks.py``).

| method | path | who |
|---|---|---|
| POST | ``/api/v1/rectifications/{issue_id}/tasks/{task_id}/completion`` | the unit (its own); office, group |
| POST | ``/api/v1/rectifications/{issue_id}/tasks/{task_id}/close-out`` | city/county office |
| POST | ``/api/v1/rectifications/{issue_id}/tasks/{task_id}/return`` | city/county office |

Each answers the issue (``IssueOut``, its ``tasks`` with their status). An issue the caller may
not see answers the 404 of an unknown issue; a task the issue has not, the 404 of an unknown
task; a step the task's or the issue's state does not allow, 409 naming the state; a day out of
range, 422.
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.common import LongText
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.http.requests import request_meta

from xuncha_rectification.domain import tasks
from xuncha_rectification.domain.issue import Issue
from xuncha_rectification.entrypoints.issue_responses import (
    OFFICES,
    REPORTERS,
    IssueOut,
    cited_evidence,
    domain_errors,
    ensure_can_see,
    named_issue_out,
)
from xuncha_rectification.handlers import RectificationHandlers


class CompletionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    completed_on: date = Field(description="the day the task was done (not after today)")
    note: LongText = Field(description="what was done (整改措施落实情况)")
    evidence_ids: list[UUID] = Field(default=[], max_length=50, description="佐证材料")


class TaskCloseOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: LongText = Field(description="what the office checked (对账情况)")


class TaskReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: LongText = Field(description="why the task is not done (退回理由)")
    due_on: date = Field(description="the task's new due date (not before today)")


def build_tasks_router(handlers: RectificationHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1/rectifications/{issue_id}/tasks", tags=["rectification"])
    reporter = deps.require_roles(*REPORTERS, write=True)
    office = deps.require_roles(*OFFICES, write=True)

    async def visible(issue_id: UUID, principal: Principal) -> Issue:
        """The issue, or the 404 of an unknown one for a caller who may not see it."""
        with domain_errors():
            issue = await handlers.get(issue_id)
        ensure_can_see(principal, issue_id, issue)
        return issue

    async def answered(step: Awaitable[Issue]) -> IssueOut:
        """The step run (its refusals as problems) and the issue as it now stands."""
        with domain_errors():
            issue = await step
        return await named_issue_out(handlers.tables, issue)

    @router.post("/{task_id}/completion", status_code=201, response_model=IssueOut)
    async def complete(
        issue_id: UUID,
        task_id: UUID,
        body: CompletionIn,
        request: Request,
        principal: Principal = Depends(reporter),
    ) -> IssueOut:
        """整改任务完成: one task of the plan reported done."""
        issue = await visible(issue_id, principal)
        evidence = await cited_evidence(handlers.tables, principal, issue, body.evidence_ids)
        cmd = tasks.CompleteTask(body.completed_on, body.note, tuple(evidence))
        meta = request_meta(request, principal)
        return await answered(handlers.complete_task(issue_id, task_id, cmd, meta))

    @router.post("/{task_id}/close-out", response_model=IssueOut)
    async def close_out(
        issue_id: UUID,
        task_id: UUID,
        body: TaskCloseOutIn,
        request: Request,
        principal: Principal = Depends(office),
    ) -> IssueOut:
        """整改任务销号: a task reported done, checked and ticked off."""
        await visible(issue_id, principal)
        cmd = tasks.CloseOutTask(note=body.note)
        meta = request_meta(request, principal)
        return await answered(handlers.close_out_task(issue_id, task_id, cmd, meta))

    @router.post("/{task_id}/return", response_model=IssueOut)
    async def return_task(
        issue_id: UUID,
        task_id: UUID,
        body: TaskReturnIn,
        request: Request,
        principal: Principal = Depends(office),
    ) -> IssueOut:
        """整改任务退回: a task reported done goes back to the unit, due on a new day."""
        await visible(issue_id, principal)
        cmd = tasks.ReturnTask(reason=body.reason, due_on=body.due_on)
        meta = request_meta(request, principal)
        return await answered(handlers.return_task(issue_id, task_id, cmd, meta))

    return router
