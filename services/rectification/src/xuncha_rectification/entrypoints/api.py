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

from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.clocks.rules import WarningPolicy
from xuncha_shared.contracts.common import Department, JurisdictionCode, LongText, ShortText
from xuncha_shared.contracts.rectification import (
    EvidenceRef,
    RectType,
    ReportKind,
    TaskType,
    VerificationOutcome,
)
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.errors import NotFoundError
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.envelope import now_utc
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies, ensure_jurisdiction
from xuncha_shared.http.paging import MAX_LIMIT, Sort, sort_param
from xuncha_shared.http.problems import forbidden
from xuncha_shared.http.requests import MAX_OFFSET, known_jurisdiction, request_meta
from xuncha_shared.ids import uuid7

from xuncha_rectification.adapters.read_model import (
    ISSUE_TIEBREAK,
    SORT_COLUMNS,
    IssueQuery,
    IssueRow,
)
from xuncha_rectification.adapters.tables import RectificationTables
from xuncha_rectification.domain.commands import FeedBack, IssueSpec, ReportRectification
from xuncha_rectification.domain.issue import (
    STATUS_ZH,
    Issue,
    IssueStatus,
    UnknownIssue,
    colour_of,
    local_date,
    unknown_issue_detail,
)
from xuncha_rectification.handlers import RectificationHandlers

WRITERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER)
REPORTERS = (*WRITERS, Role.INSPECTED_UNIT)
READERS = (*WRITERS, Role.AUDITOR, Role.DEPARTMENT, Role.INSPECTED_UNIT)
OFFICES = (Role.CITY_ADMIN, Role.COUNTY_ADMIN)
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
    topics: list[ShortText] = Field(
        default=[], max_length=20, description="问题主题 (R19 recurrence is detected by topic)"
    )


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jurisdiction: JurisdictionCode
    unit: ShortText = Field(description="被巡察单位")
    issues: list[IssueIn] = Field(min_length=1, max_length=500)
    round_id: UUID | None = Field(default=None, description="the round (intake's id)")
    unit_id: UUID | None = Field(default=None, description="the unit (intake's id)")
    during_stationing: bool = Field(
        default=False, description="边巡边改: fed back during stationing, before the hearing"
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


class EvidenceOut(BaseModel):
    evidence_id: UUID
    sha256: str
    filename: str
    media_type: str
    size: int
    url: str


class ReportOut(BaseModel):
    kind: ReportKind
    progress_percent: int
    completed: bool
    note: str
    reported_at: datetime | None
    evidence: list[EvidenceOut] = []
    leader_report: str | None = None


class TaskOut(BaseModel):
    task_id: UUID
    measure: str
    owner: str
    type: TaskType
    due_on: date
    colour: str | None = Field(description="R10 until the issue is reported done")


class VerificationOut(BaseModel):
    outcome: VerificationOutcome
    note: str
    at: datetime | None
    evidence: list[EvidenceOut] = []


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
    round_id: UUID | None = None
    unit_id: UUID | None = None
    during_stationing: bool = False
    plan_id: UUID | None = None
    tasks: list[TaskOut] = []
    verifications: list[VerificationOut] = []
    mechanism: str | None = Field(default=None, description="长效机制 (long-term issues)")
    watched: bool = Field(default=False, description="closed out and still watched (long-term)")
    topics: list[str] = Field(default=[], description="问题主题")
    recurs: list[UUID] = Field(default=[], description="R19: earlier issues it recurs (改了再犯)")
    reopened_by: list[UUID] = Field(default=[], description="回头看 that reopened it")


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
    unit_id: UUID | None = None
    round_id: UUID | None = None


class IssueList(BaseModel):
    items: list[IssueListItem]
    limit: int
    offset: int
    total: int = Field(description="how many issues the filters match (all pages)")
    sort: str = Field(description="the order of the page (a key, - for descending)")


# ---- mapping -------------------------------------------------------------------------------


def today() -> date:
    return local_date(now_utc())


_WARNINGS = WarningPolicy.from_env()


def yellow_days(jurisdiction: str) -> int:
    """R10: the shared thresholds (``xuncha_shared.clocks.rules``), per jurisdiction."""
    return _WARNINGS.for_jurisdiction(jurisdiction).yellow_days


def evidence_out(ref: EvidenceRef) -> EvidenceOut:
    return EvidenceOut(
        evidence_id=ref.evidence_id,
        sha256=ref.sha256,
        filename=ref.filename,
        media_type=ref.media_type,
        size=ref.size,
        url=f"/api/v1/evidence/{ref.evidence_id}",
    )


def issue_out(issue: Issue) -> IssueOut:
    assert issue.issue_id is not None
    assert issue.feedback_id is not None
    now = today()
    yellow = yellow_days(issue.jurisdiction)
    tasks_open = issue.status in (
        IssueStatus.FED_BACK,
        IssueStatus.PLANNED,
        IssueStatus.IN_PROGRESS,
    )
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
        status_zh=STATUS_ZH[issue.status],
        progress_percent=issue.progress_percent,
        completed=issue.completed,
        due_date=issue.due_date,
        days_left=issue.days_left(now),
        colour=issue.colour(now, yellow),
        fed_back_at=issue.fed_back_at,
        reports=[
            ReportOut(
                kind=r.kind,
                progress_percent=r.progress_percent,
                completed=r.completed,
                note=r.note,
                reported_at=r.reported_at,
                evidence=[evidence_out(e) for e in r.evidence],
                leader_report=r.leader_report,
            )
            for r in issue.reports
        ],
        version=issue.version,
        round_id=issue.round_id,
        unit_id=issue.unit_id,
        during_stationing=issue.during_stationing,
        plan_id=issue.plan_id,
        tasks=[
            TaskOut(
                task_id=t.task_id,
                measure=t.measure,
                owner=t.owner,
                type=t.type,
                due_on=t.due_on,
                colour=colour_of(t.due_on, now, yellow) if tasks_open else None,
            )
            for t in issue.tasks
        ],
        verifications=[
            VerificationOut(
                outcome=v.outcome,
                note=v.note,
                at=v.at,
                evidence=[evidence_out(e) for e in v.evidence],
            )
            for v in issue.verifications
        ],
        mechanism=issue.mechanism,
        watched=issue.watched,
        topics=issue.topics,
        recurs=issue.recurs,
        reopened_by=issue.reopened_by,
    )


def list_item(row: IssueRow) -> IssueListItem:
    status = IssueStatus(row.status)
    colour = None
    if not row.formal_reported and row.due_date is not None:
        colour = colour_of(row.due_date, today(), yellow_days(row.jurisdiction))
    return IssueListItem(
        id=row.issue_id,
        feedback_id=row.feedback_id,
        jurisdiction=row.jurisdiction,
        unit=row.unit,
        rect_type=RectType(row.rect_type),
        concerns=[Department(d) for d in row.concerns],
        status=status,
        status_zh=STATUS_ZH[status],
        progress_percent=row.progress_percent,
        due_date=row.due_date,
        colour=colour,
        unit_id=row.unit_id,
        round_id=row.round_id,
    )


def ensure_can_see(principal: Principal, issue_id: UUID, issue: Issue) -> None:
    """An issue of another jurisdiction, or one that does not concern the principal's
    department, answers the 404 of an unknown issue, word for word (no existence oracle)."""
    foreign = not principal.can_access(issue.jurisdiction)
    if (
        foreign
        or (principal.role is Role.DEPARTMENT and principal.department not in issue.concerns)
        or (principal.role is Role.INSPECTED_UNIT and issue.unit_id != principal.unit_id)
    ):
        raise problems.problem_of(UnknownIssue(unknown_issue_detail(issue_id)))


def unknown_evidence(evidence_id: UUID) -> problems.ProblemError:
    return problems.problem_of(
        NotFoundError(f"未找到佐证材料 {evidence_id} / unknown evidence {evidence_id}")
    )


async def cited_evidence(
    tables: RectificationTables, principal: Principal, issue: Issue, ids: list[UUID]
) -> list[EvidenceRef]:
    """The evidence a report or verification cites, with its SHA-256: each must exist, be
    visible to the caller and belong to the issue's jurisdiction (and unit, when it has one);
    anything else is the 404 of unknown evidence."""
    refs: list[EvidenceRef] = []
    for evidence_id in dict.fromkeys(ids):
        row = await tables.evidence(evidence_id)
        if (
            row is None
            or not principal.can_access(row.jurisdiction)
            or not principal.sees_unit(row.unit_id)
            or row.jurisdiction != issue.jurisdiction
            or (row.unit_id is not None and row.unit_id != issue.unit_id)
        ):
            raise unknown_evidence(evidence_id)
        refs.append(
            EvidenceRef(
                evidence_id=row.evidence_id,
                sha256=row.sha256,
                filename=row.filename,
                media_type=row.media_type,
                size=row.size,
            )
        )
    return refs


def domain_errors() -> AbstractContextManager[None]:
    """Map the model's refusals and lost races to problem responses."""
    return problems.domain_errors(CONCURRENT_CHANGE)


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
                )
                for i in body.issues
            ),
            fed_back_at=handlers.now(),
            round_id=body.round_id,
            unit_id=body.unit_id,
            during_stationing=body.during_stationing,
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
        return IssueList(
            items=[list_item(r) for r in rows],
            limit=limit,
            offset=offset,
            total=total,
            sort=sort.text,
        )

    return router
