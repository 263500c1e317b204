"""HTTP API of the rectification service (port 8003).

| method | path | who |
|---|---|---|
| POST | ``/api/v1/feedbacks`` | city/county office, inspection group (own jurisdiction) |
| POST | ``/api/v1/rectifications/{issue_id}/reports`` | city/county office, inspection group |
| GET | ``/api/v1/rectifications/{issue_id}`` | offices, groups, auditor; concerned department |
| GET | ``/api/v1/rectifications[?jurisdiction=&unit=&limit=&offset=]`` | the same (ledger) |

Inspected units have no role of their own yet: their reports are entered by the office or the
group on their behalf (the actor of the event says who). Errors are ``application/problem+json``:
401/403 for credentials, role and jurisdiction, 404 for an unknown issue, 409 for a report after
the final report declared completion, 422 for invalid input or an unknown jurisdiction.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.common import Department, JurisdictionCode, LongText, ShortText
from xuncha_shared.contracts.rectification import RectType, ReportKind
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.envelope import now_utc
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies, ensure_jurisdiction
from xuncha_shared.http.problems import forbidden
from xuncha_shared.http.requests import MAX_OFFSET, known_jurisdiction, request_meta
from xuncha_shared.ids import uuid7

from xuncha_rectification.adapters.read_model import IssueRow
from xuncha_rectification.domain import model
from xuncha_rectification.domain.model import Issue, IssueStatus
from xuncha_rectification.handlers import RectificationHandlers

WRITERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER)
READERS = (*WRITERS, Role.AUDITOR, Role.DEPARTMENT)
CONCURRENT_CHANGE = (
    "问题已被并发修改，请刷新后重试 / the issue was changed concurrently; reload and retry"
)


# ---- request and response models -----------------------------------------------------------


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: LongText
    rect_type: RectType = Field(
        default=RectType.TIME_BOUND, description="立行立改 / 限期整改 / 长期坚持"
    )
    clue_ids: list[UUID] = Field(default=[], max_length=200)
    concerns: list[Department] = Field(default=[], description="departments concerned")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jurisdiction: JurisdictionCode
    unit: ShortText = Field(description="被巡察单位")
    issues: list[IssueIn] = Field(min_length=1, max_length=500)


class FeedbackCreated(BaseModel):
    feedback_id: UUID
    issue_ids: list[UUID]
    due_date: date | None = Field(description="R1: formal report due (feedback + 2 months)")


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ReportKind
    progress_percent: int = Field(ge=0, le=100)
    completed: bool = False
    note: LongText


class ReportOut(BaseModel):
    kind: ReportKind
    progress_percent: int
    completed: bool
    note: str
    reported_at: datetime | None


class IssueOut(BaseModel):
    id: UUID
    feedback_id: UUID
    jurisdiction: str
    jurisdiction_name: str
    unit: str
    description: str
    rect_type: RectType
    clue_ids: list[UUID]
    concerns: list[Department]
    status: IssueStatus
    status_zh: str
    progress_percent: int
    completed: bool
    due_date: date | None
    days_left: int | None
    colour: str | None = Field(description="R10: green / yellow / red until the formal report")
    fed_back_at: datetime | None
    reports: list[ReportOut]
    version: int


class IssueListItem(BaseModel):
    id: UUID
    feedback_id: UUID
    jurisdiction: str
    unit: str
    rect_type: RectType
    concerns: list[Department]
    status: IssueStatus
    status_zh: str
    progress_percent: int
    due_date: date | None
    colour: str | None


class IssueList(BaseModel):
    items: list[IssueListItem]
    limit: int
    offset: int


# ---- mapping -------------------------------------------------------------------------------


def today() -> date:
    return model.local_date(now_utc())


def issue_out(issue: Issue) -> IssueOut:
    assert issue.issue_id is not None
    assert issue.feedback_id is not None
    now = today()
    return IssueOut(
        id=issue.issue_id,
        feedback_id=issue.feedback_id,
        jurisdiction=issue.jurisdiction,
        jurisdiction_name=jurisdictions.name_of(issue.jurisdiction),
        unit=issue.unit,
        description=issue.description,
        rect_type=issue.rect_type,
        clue_ids=issue.clue_ids,
        concerns=issue.concerns,
        status=issue.status,
        status_zh=model.STATUS_ZH[issue.status],
        progress_percent=issue.progress_percent,
        completed=issue.completed,
        due_date=issue.due_date,
        days_left=issue.days_left(now),
        colour=issue.colour(now),
        fed_back_at=issue.fed_back_at,
        reports=[
            ReportOut(
                kind=r.kind,
                progress_percent=r.progress_percent,
                completed=r.completed,
                note=r.note,
                reported_at=r.reported_at,
            )
            for r in issue.reports
        ],
        version=issue.version,
    )


def list_item(row: IssueRow) -> IssueListItem:
    status = IssueStatus(row.status)
    colour = None
    if not row.formal_reported and row.due_date is not None:
        left = (row.due_date - today()).days
        colour = "red" if left < 0 else "yellow" if left <= model.YELLOW_DAYS else "green"
    return IssueListItem(
        id=row.issue_id,
        feedback_id=row.feedback_id,
        jurisdiction=row.jurisdiction,
        unit=row.unit,
        rect_type=RectType(row.rect_type),
        concerns=[Department(d) for d in row.concerns],
        status=status,
        status_zh=model.STATUS_ZH[status],
        progress_percent=row.progress_percent,
        due_date=row.due_date,
        colour=colour,
    )


def ensure_can_see(principal: Principal, issue_id: UUID, issue: Issue) -> None:
    """An issue of another jurisdiction, or one that does not concern the principal's
    department, answers the 404 of an unknown issue, word for word (no existence oracle)."""
    foreign = not principal.can_access(issue.jurisdiction)
    if foreign or (
        principal.role is Role.DEPARTMENT and principal.department not in issue.concerns
    ):
        raise problems.problem_of(model.UnknownIssue(model.unknown_issue_detail(issue_id)))


def domain_errors() -> AbstractContextManager[None]:
    """Map the model's refusals and lost races to problem responses."""
    return problems.domain_errors(CONCURRENT_CHANGE)


# ---- routes --------------------------------------------------------------------------------


def build_router(handlers: RectificationHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["rectification"])
    writer = deps.require_roles(*WRITERS, write=True)
    reader = deps.require_roles(*READERS)

    @router.post("/feedbacks", status_code=201, response_model=FeedbackCreated)
    async def feed_back(
        body: FeedbackIn, request: Request, principal: Principal = Depends(writer)
    ) -> FeedbackCreated:
        known_jurisdiction(body.jurisdiction, "body.jurisdiction")  # before the 403 check
        ensure_jurisdiction(principal, body.jurisdiction)
        cmd = model.FeedBack(
            feedback_id=uuid7(),
            jurisdiction=body.jurisdiction,
            unit=body.unit,
            issues=tuple(
                model.IssueSpec(
                    issue_id=uuid7(),
                    description=i.description,
                    rect_type=i.rect_type,
                    clue_ids=tuple(i.clue_ids),
                    concerns=tuple(i.concerns),
                )
                for i in body.issues
            ),
            fed_back_at=handlers.now(),
        )
        with domain_errors():
            recorded = await handlers.feed_back(cmd, request_meta(request, principal))
        return FeedbackCreated(
            feedback_id=recorded.feedback_id,
            issue_ids=[i.issue_id for i in recorded.issues if i.issue_id is not None],
            due_date=recorded.issues[0].due_date if recorded.issues else None,
        )

    @router.post("/rectifications/{issue_id}/reports", status_code=201, response_model=IssueOut)
    async def report(
        issue_id: UUID, body: ReportIn, request: Request, principal: Principal = Depends(writer)
    ) -> IssueOut:
        with domain_errors():
            issue = await handlers.get(issue_id)
        ensure_can_see(principal, issue_id, issue)
        cmd = model.ReportRectification(
            kind=body.kind,
            progress_percent=body.progress_percent,
            completed=body.completed,
            note=body.note,
        )
        with domain_errors():
            issue = await handlers.report(issue_id, cmd, request_meta(request, principal))
        return issue_out(issue)

    @router.get("/rectifications/{issue_id}", response_model=IssueOut)
    async def get_issue(issue_id: UUID, principal: Principal = Depends(reader)) -> IssueOut:
        with domain_errors():
            issue = await handlers.get(issue_id)
        ensure_can_see(principal, issue_id, issue)
        return issue_out(issue)

    @router.get("/rectifications", response_model=IssueList)
    async def list_issues(
        principal: Principal = Depends(reader),
        jurisdiction: Annotated[JurisdictionCode | None, Query()] = None,
        unit: Annotated[ShortText | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> IssueList:
        if jurisdiction is not None:
            ensure_jurisdiction(principal, jurisdiction)
            pattern = jurisdiction
        else:
            pattern = principal.jurisdiction_like()
        department = (
            principal.department.value
            if principal.role is Role.DEPARTMENT and principal.department
            else None
        )
        if principal.role is Role.DEPARTMENT and department is None:
            raise forbidden("a department principal needs a department")
        rows = await handlers.read_model.list(
            pattern, department=department, unit=unit, limit=limit, offset=offset
        )
        return IssueList(items=[list_item(r) for r in rows], limit=limit, offset=offset)

    return router
