"""HTTP API of the rectification service (port 8003).

| method | path | who |
|---|---|---|
| POST | ``/api/v1/feedbacks`` | city/county office, inspection group (own jurisdiction) |
| POST | ``/api/v1/rectifications/{issue_id}/reports`` | the unit (its own); office, group |
| GET | ``/api/v1/rectifications/{issue_id}`` | offices, groups, auditor, department, unit |
| GET | ``/api/v1/rectifications[?jurisdiction=&unit=&sort=&limit=…]`` | the same (ledger) |

The ledger is paged on the server: ``limit``/``offset`` with the ``total`` the filters
(``unit``, ``unit_contains``, ``unit_id``, ``round_id``, ``status``, ``rect_type``) match, and a
checked ``sort`` (``xuncha_shared.http.paging``; default ``due_date``).

Plans, evidence, verification, close-out, supervision and red lines: ``plans_api.py``. An
inspected unit (``inspected_unit``) sees only its own unit's issues: any other answers the 404 of
an unknown issue. Errors are ``application/problem+json``: 401/403 for credentials, role and
jurisdiction, 404 for an unknown issue, 409 for a transition the issue's state does not allow
(naming the state) and for feedback before the hearing (R16), 422 for invalid input.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.common import (
    Department,
    JurisdictionCode,
    LongText,
    NameText,
    ShortText,
)
from xuncha_shared.contracts.rectification import RectType, ReportKind
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http.dependencies import AuthDependencies, ensure_jurisdiction
from xuncha_shared.http.paging import MAX_LIMIT, Sort, sort_param
from xuncha_shared.http.problems import forbidden
from xuncha_shared.http.requests import MAX_OFFSET, known_jurisdiction, request_meta
from xuncha_shared.ids import uuid7

from xuncha_rectification.adapters.read_model import ISSUE_TIEBREAK, SORT_COLUMNS, IssueQuery
from xuncha_rectification.domain.commands import FeedBack, IssueSpec, ReportRectification
from xuncha_rectification.domain.issue import IssueStatus
from xuncha_rectification.entrypoints.issue_responses import (
    READERS,
    REPORTERS,
    WRITERS,
    IssueList,
    IssueOut,
    cited_evidence,
    domain_errors,
    ensure_can_see,
    list_item,
    named_issue_out,
)
from xuncha_rectification.handlers import RectificationHandlers

# ---- request models -------------------------------------------------------------------------


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: LongText
    rect_type: RectType = Field(
        default=RectType.TIME_BOUND, description="立行立改 / 限期整改 / 长期坚持"
    )
    clue_ids: list[UUID] = Field(default=[], max_length=200)
    concerns: list[Department] = Field(default=[], description="departments concerned")
    topics: list[ShortText] = Field(
        default=[], max_length=20, description="问题主题 (R19 recurrence is detected by topic)"
    )
    problem_id: UUID | None = Field(
        default=None,
        description="the problem recorded in 问题与报告 (clues) this issue feeds back, when "
        "picked from it (kept on the event for the trail from problem to rectification)",
    )


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jurisdiction: JurisdictionCode
    unit: NameText = Field(description="被巡察单位")
    issues: list[IssueIn] = Field(min_length=1, max_length=500)
    round_id: UUID | None = Field(default=None, description="the round (intake's id)")
    unit_id: UUID | None = Field(default=None, description="the unit (intake's id)")
    during_stationing: bool = Field(
        default=False, description="边巡边改: fed back during stationing, before the hearing"
    )
    round_name: ShortText | None = Field(
        default=None,
        description="the round's name, for a round intake does not plan (a provincial review: "
        "省委第三巡视组巡视反馈); only with round_id. A round intake planned is named by intake",
    )


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
    evidence_ids: list[UUID] = Field(default=[], max_length=50, description="佐证材料")
    leader_report: LongText | None = Field(
        default=None, description="主要负责人组织落实情况报告 (with the formal report, R1)"
    )


# ---- routes --------------------------------------------------------------------------------


def build_router(handlers: RectificationHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["rectification"])
    writer = deps.require_roles(*WRITERS, write=True)
    reporter = deps.require_roles(*REPORTERS, write=True)
    reader = deps.require_roles(*READERS)

    @router.post("/feedbacks", status_code=201, response_model=FeedbackCreated)
    async def feed_back(
        body: FeedbackIn, request: Request, principal: Principal = Depends(writer)
    ) -> FeedbackCreated:
        known_jurisdiction(body.jurisdiction, "body.jurisdiction")  # before the 403 check
        ensure_jurisdiction(principal, body.jurisdiction)
        cmd = FeedBack(
            feedback_id=uuid7(),
            jurisdiction=body.jurisdiction,
            unit=body.unit,
            issues=tuple(
                IssueSpec(
                    issue_id=uuid7(),
                    description=i.description,
                    rect_type=i.rect_type,
                    clue_ids=tuple(i.clue_ids),
                    concerns=tuple(i.concerns),
                    topics=tuple(i.topics),
                    problem_id=i.problem_id,
                )
                for i in body.issues
            ),
            fed_back_at=handlers.now(),
            round_id=body.round_id,
            unit_id=body.unit_id,
            during_stationing=body.during_stationing,
            round_name=body.round_name,
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
        issue_id: UUID, body: ReportIn, request: Request, principal: Principal = Depends(reporter)
    ) -> IssueOut:
        with domain_errors():
            issue = await handlers.get(issue_id)
        ensure_can_see(principal, issue_id, issue)
        cmd = ReportRectification(
            kind=body.kind,
            progress_percent=body.progress_percent,
            completed=body.completed,
            note=body.note,
            evidence=tuple(
                await cited_evidence(handlers.tables, principal, issue, body.evidence_ids)
            ),
            leader_report=body.leader_report,
        )
        with domain_errors():
            issue = await handlers.report(issue_id, cmd, request_meta(request, principal))
        return await named_issue_out(handlers.tables, issue)

    @router.get("/rectifications/{issue_id}", response_model=IssueOut)
    async def get_issue(issue_id: UUID, principal: Principal = Depends(reader)) -> IssueOut:
        with domain_errors():
            issue = await handlers.get(issue_id)
        ensure_can_see(principal, issue_id, issue)
        return await named_issue_out(handlers.tables, issue)

    @router.get("/rectifications", response_model=IssueList)
    async def list_issues(
        principal: Principal = Depends(reader),
        jurisdiction: Annotated[JurisdictionCode | None, Query()] = None,
        unit: Annotated[ShortText | None, Query()] = None,
        unit_id: Annotated[UUID | None, Query()] = None,
        round_id: Annotated[UUID | None, Query()] = None,
        status: Annotated[IssueStatus | None, Query()] = None,
        rect_type: Annotated[RectType | None, Query()] = None,
        unit_contains: Annotated[
            str | None,
            Query(min_length=1, max_length=200, description="contained in the unit's name"),
        ] = None,
        sort: Sort = Depends(sort_param(SORT_COLUMNS, "due_date")),
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> IssueList:
        """The ledger, a page at a time with the ``total`` the filters match."""
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
        if principal.role is Role.INSPECTED_UNIT:
            unit_id = principal.unit_id  # its own unit only
        rows, total = await handlers.read_model.page(
            IssueQuery(
                pattern=pattern,
                order_by=sort.sql(SORT_COLUMNS, ISSUE_TIEBREAK),
                department=department,
                unit=unit,
                unit_contains=unit_contains.strip() or None if unit_contains else None,
                unit_id=unit_id,
                round_id=round_id,
                status=status.value if status else None,
                rect_type=rect_type.value if rect_type else None,
                limit=limit,
                offset=offset,
            )
        )
        names = await handlers.tables.round_names([r.round_id for r in rows])
        texts = await handlers.tables.descriptions([r.issue_id for r in rows])
        return IssueList(
            items=[
                list_item(
                    r, names.get(r.round_id) if r.round_id else None, texts.get(r.issue_id, "")
                )
                for r in rows
            ],
            limit=limit,
            offset=offset,
            total=total,
            sort=sort.text,
        )

    return router
