"""What the rectification routes answer about an issue (in full, a page of the ledger) and who may
see it: the roles, the mapping from the domain's ``Issue`` and the read model's rows (R10's
colours on the jurisdiction's warning policy), the uniform 404 of an issue, a unit or evidence the
caller may not see, and the evidence a report or verification cites."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field
from xuncha_shared.clocks.rules import WarningPolicy
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.rectification import (
    EvidenceRef,
    PlanTask,
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

from xuncha_rectification.adapters.read_model import IssueRow
from xuncha_rectification.adapters.tables import RectificationTables
from xuncha_rectification.domain import plans
from xuncha_rectification.domain.issue import (
    TASK_STATUS_ZH,
    Issue,
    IssueStatus,
    TaskProgress,
    TaskStatus,
    UnknownIssue,
    colour_of,
    local_date,
    status_zh,
    unknown_issue_detail,
)
from xuncha_rectification.domain.tasks import progress_of
from xuncha_rectification.handlers import RectificationHandlers

WRITERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER)
REPORTERS = (*WRITERS, Role.INSPECTED_UNIT)
READERS = (*WRITERS, Role.AUDITOR, Role.DEPARTMENT, Role.INSPECTED_UNIT)
OFFICES = (Role.CITY_ADMIN, Role.COUNTY_ADMIN)
CONCURRENT_CHANGE = (
    "问题已被并发修改，请刷新后重试 / the issue was changed concurrently; reload and retry"
)


# ---- response models ----------------------------------------------------------------------


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
    due_on: date = Field(description="完成时限: the plan's, or the one set when it was returned")
    planned_due_on: date = Field(description="the due date the approved plan set")
    colour: str | None = Field(
        description="R10 while the task and its issue are open (not reported done)"
    )
    status: TaskStatus = Field(description="open / completed (待销号) / closed_out (已销号)")
    status_zh: str
    attempt: int = Field(description="1, and one more after each return (退回)")
    completed_on: date | None = Field(default=None, description="the day reported done")
    completion_note: str | None = None
    completion_evidence: list[EvidenceOut] = []
    closed_out_note: str | None = Field(
        default=None, description="the office's note when it closed the task out on its own"
    )
    closed_with_issue: bool = Field(
        default=False, description="closed out with its issue rather than on its own"
    )
    returned_reason: str | None = Field(default=None, description="the last return's reason")


RETURNED_DOC = (
    "the last verification was rejected (核实未通过) and the issue is not reported done again"
)


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
    returned: bool = Field(default=False, description=RETURNED_DOC)
    progress_percent: int
    completed: bool
    due_date: date | None
    days_left: int | None
    colour: str | None = Field(description="R10: green / yellow / red until the formal report")
    formal_reported: bool = Field(
        default=False, description="R1: the formal report is in; its clock no longer runs"
    )
    fed_back_at: datetime | None
    reports: list[ReportOut]
    version: int
    round_id: UUID | None = None
    round_name: str | None = Field(
        default=None,
        description="巡察轮次名称 (临川区第4届第5轮巡察), as intake planned the round; for a round "
        "intake does not plan, the name its feedback gave (省委巡视); null without a round or "
        "before rectification learnt it from intake",
    )
    unit_id: UUID | None = None
    during_stationing: bool = False
    problem_id: UUID | None = Field(
        default=None, description="the problem recorded in 问题与报告 (clues) it feeds back"
    )
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
    description: str = Field(default="", description="the problem as fed back")
    rect_type: RectType
    concerns: list[Department]
    status: IssueStatus
    status_zh: str
    returned: bool = Field(default=False, description=RETURNED_DOC)
    progress_percent: int
    due_date: date | None
    colour: str | None
    formal_reported: bool = Field(
        default=False, description="R1: the formal report is in; its clock no longer runs"
    )
    unit_id: UUID | None = None
    round_id: UUID | None = None
    round_name: str | None = Field(default=None, description="巡察轮次名称 (as the issue's)")
    settled_on: date | None = Field(
        default=None,
        description="the day (China time) a verified or closed-out issue became so, as it "
        "stands; null in any other state. R18: a 回头看 held before this day cannot reopen it",
    )


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


def issue_out(issue: Issue, round_name: str | None = None) -> IssueOut:
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
        status_zh=status_zh(issue.status, issue.returned),
        returned=issue.returned,
        progress_percent=issue.progress_percent,
        completed=issue.completed,
        due_date=issue.due_date,
        days_left=issue.days_left(now),
        colour=issue.colour(now, yellow),
        formal_reported=issue.formal_reported,
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
        round_name=round_name or issue.round_name,
        unit_id=issue.unit_id,
        during_stationing=issue.during_stationing,
        problem_id=issue.problem_id,
        plan_id=issue.plan_id,
        tasks=[
            task_out(t, progress_of(issue, t.task_id), now, yellow, tasks_open) for t in issue.tasks
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


def task_out(
    task: PlanTask, progress: TaskProgress, now: date, yellow: int, issue_open: bool
) -> TaskOut:
    due = progress.due_on or task.due_on
    open_ = issue_open and progress.status is TaskStatus.OPEN
    return TaskOut(
        task_id=task.task_id,
        measure=task.measure,
        owner=task.owner,
        type=task.type,
        due_on=due,
        planned_due_on=task.due_on,
        colour=colour_of(due, now, yellow) if open_ else None,
        status=progress.status,
        status_zh=TASK_STATUS_ZH[progress.status],
        attempt=progress.attempt,
        completed_on=progress.completed_on,
        completion_note=progress.note,
        completion_evidence=[evidence_out(e) for e in progress.evidence],
        closed_out_note=progress.closed_out_note,
        closed_with_issue=progress.closed_with_issue,
        returned_reason=progress.returned_reason,
    )


async def named_issue_out(tables: RectificationTables, issue: Issue) -> IssueOut:
    """``issue_out`` with the name of the issue's round, when rectification knows it."""
    return issue_out(issue, await tables.round_name(issue.round_id))


def list_item(row: IssueRow, round_name: str | None = None, description: str = "") -> IssueListItem:
    status = IssueStatus(row.status)
    colour = None
    if not row.formal_reported and row.due_date is not None:
        colour = colour_of(row.due_date, today(), yellow_days(row.jurisdiction))
    return IssueListItem(
        id=row.issue_id,
        feedback_id=row.feedback_id,
        jurisdiction=row.jurisdiction,
        unit=row.unit,
        description=description,
        rect_type=RectType(row.rect_type),
        concerns=[Department(d) for d in row.concerns],
        status=status,
        status_zh=status_zh(status, row.returned),
        returned=row.returned,
        progress_percent=row.progress_percent,
        due_date=row.due_date,
        colour=colour,
        formal_reported=row.formal_reported,
        unit_id=row.unit_id,
        round_id=row.round_id,
        round_name=round_name or row.round_name,
        settled_on=row.settled_on,
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


def unknown_unit(unit_id: UUID) -> problems.ProblemError:
    return problems.problem_of(
        NotFoundError(f"未找到被巡察单位 {unit_id} 的反馈问题 / unknown unit {unit_id}")
    )


async def unit_issues(
    handlers: RectificationHandlers, principal: Principal, unit_id: UUID
) -> plans.UnitIssues:
    """The issues of a unit the caller may see, else the 404 of an unknown unit."""
    rows = await handlers.read_model.list(
        principal.jurisdiction_like(), unit_id=unit_id, limit=500, offset=0
    )
    if not rows or not principal.sees_unit(unit_id):
        raise unknown_unit(unit_id)
    return plans.UnitIssues(
        unit_id=unit_id,
        jurisdiction=rows[0].jurisdiction,
        unit=rows[0].unit,
        issue_ids=frozenset(r.issue_id for r in rows),
        closed_ids=frozenset(r.issue_id for r in rows if r.status == IssueStatus.CLOSED_OUT),
    )
