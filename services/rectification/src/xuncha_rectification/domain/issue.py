"""An issue's state (问题整改): its statuses and their Chinese names, the refusal of an illegal
transition, R1's due date (2 calendar months after the feedback, China Standard Time) and R10's
colours, and the state ``evolve`` (``model.py``) folds the events into. Pure: no I/O."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from uuid import UUID

from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.rectification import (
    EvidenceRef,
    PlanTask,
    RectType,
    ReportKind,
    TaskType,
    VerificationOutcome,
)
from xuncha_shared.domain.errors import NotFoundError, RuleViolation

STREAM_TYPE = "issue"
CHINA_TZ = timezone(timedelta(hours=8), "CST")  # China Standard Time, no daylight saving
REPORT_DUE_MONTHS = 2  # R1
YELLOW_DAYS = 20  # R10's default (xuncha_shared.clocks.rules); callers pass the configured one


def unknown_issue_detail(issue_id: UUID) -> str:
    """The detail of the 404 of an unknown issue (and of one the reader may not see)."""
    return f"未找到问题 {issue_id} / unknown issue {issue_id}"


class UnknownIssue(NotFoundError):
    """No issue has this id (404)."""


class IssueStatus(StrEnum):
    FED_BACK = "fed_back"  # 已反馈
    PLANNED = "planned"  # 已制定方案
    IN_PROGRESS = "in_progress"  # 整改中
    REPORTED_DONE = "reported_done"  # 已报告完成 (awaiting verification)
    VERIFIED = "verified"  # 已核实
    CLOSED_OUT = "closed_out"  # 已销号


STATUS_ZH: dict[IssueStatus, str] = {
    IssueStatus.FED_BACK: "已反馈，待制定整改方案",
    IssueStatus.PLANNED: "已制定整改方案",
    IssueStatus.IN_PROGRESS: "整改中",
    IssueStatus.REPORTED_DONE: "已报告整改完成，待核实",
    IssueStatus.VERIFIED: "已核实，待销号",
    IssueStatus.CLOSED_OUT: "已对账销号",
}

#: an issue the office's verification sent back (核实未通过), said so until the unit reports it
#: done again: its new attempt's progress starts afresh (``Issue.returned``)
RETURNED_ZH = "核实未通过，退回整改"


def status_zh(status: IssueStatus, returned: bool) -> str:
    """The issue's state in words: a returned one's is ``RETURNED_ZH``."""
    return RETURNED_ZH if returned else STATUS_ZH[status]


#: states in which the unit may still report
REPORTABLE = frozenset(
    {IssueStatus.FED_BACK, IssueStatus.PLANNED, IssueStatus.IN_PROGRESS, IssueStatus.REPORTED_DONE}
)


class IllegalTransition(RuleViolation):
    """A command the issue's state does not allow (409, naming the state)."""


def illegal(state: Issue, what: tuple[str, str]) -> IllegalTransition:
    zh = STATUS_ZH[state.status]
    return IllegalTransition(
        f"问题当前状态为“{zh}”，不能{what[0]} / the issue is {state.status.value}: {what[1]}"
    )


def add_months(day: date, months: int) -> date:
    """``day`` + ``months`` calendar months, clamped to the last day of the target month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_date(at: datetime) -> date:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(CHINA_TZ).date()


def report_due_date(fed_back_at: datetime) -> date:
    """R1: the formal rectification report is due 2 months after the feedback."""
    return add_months(local_date(fed_back_at), REPORT_DUE_MONTHS)


@dataclass
class Report:
    kind: ReportKind
    progress_percent: int
    completed: bool
    note: str
    reported_at: datetime | None = None
    evidence: list[EvidenceRef] = field(default_factory=list)
    leader_report: str | None = None


@dataclass
class Verification:
    outcome: VerificationOutcome
    note: str
    at: datetime | None = None
    evidence: list[EvidenceRef] = field(default_factory=list)


class TaskStatus(StrEnum):
    OPEN = "open"  # 整改中
    COMPLETED = "completed"  # 已报告完成，待销号
    CLOSED_OUT = "closed_out"  # 已销号


TASK_STATUS_ZH: dict[TaskStatus, str] = {
    TaskStatus.OPEN: "整改中",
    TaskStatus.COMPLETED: "已报告完成，待销号",
    TaskStatus.CLOSED_OUT: "已销号",
}


@dataclass
class TaskProgress:
    """Where one task stands: its turn, its due date now, and what was reported and decided."""

    attempt: int = 1
    due_on: date | None = None  # after a return: the day the office set; else the plan's
    status: TaskStatus = TaskStatus.OPEN
    completed_on: date | None = None
    note: str | None = None
    evidence: list[EvidenceRef] = field(default_factory=list)
    closed_out_note: str | None = None
    #: closed out with its issue (not on its own)
    closed_with_issue: bool = False
    returned_reason: str | None = None


@dataclass
class Issue:
    issue_id: UUID | None = None
    feedback_id: UUID | None = None
    jurisdiction: str = ""
    unit: str = ""
    description: str = ""
    rect_type: RectType = RectType.TIME_BOUND
    clue_ids: list[UUID] = field(default_factory=list)
    concerns: list[Department] = field(default_factory=list)
    due_date: date | None = None
    fed_back_at: datetime | None = None
    reports: list[Report] = field(default_factory=list)
    round_id: UUID | None = None
    unit_id: UUID | None = None
    during_stationing: bool = False
    #: the round's name as its feedback gave it (a round intake does not plan); else None
    round_name: str | None = None
    #: the problem recorded in 问题与报告 (clues) it feeds back, when picked from it
    problem_id: UUID | None = None
    plan_id: UUID | None = None
    tasks: list[PlanTask] = field(default_factory=list)
    #: each task's progress once something happened to it (``domain/tasks.py``)
    task_progress: dict[UUID, TaskProgress] = field(default_factory=dict)
    verifications: list[Verification] = field(default_factory=list)
    status: IssueStatus = IssueStatus.FED_BACK
    #: reports since the last rejected verification (a rejection starts the count again)
    open_reports: list[Report] = field(default_factory=list)
    mechanism: str | None = None
    watched: bool = False
    closed_out_at: datetime | None = None
    topics: list[str] = field(default_factory=list)
    #: 回头看 reopenings (revisit ids) and recurrences (R19: the earlier issues it recurs)
    reopened_by: list[UUID] = field(default_factory=list)
    recurs: list[UUID] = field(default_factory=list)
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def attempt(self) -> int:
        """The reports' attempt: 1, and one more after each rejected verification and each
        回头看 reopening (each withdraws the completion a report declared)."""
        rejected = sum(v.outcome is VerificationOutcome.REJECTED for v in self.verifications)
        return 1 + rejected + len(self.reopened_by)

    @property
    def returned(self) -> bool:
        """The last verification was rejected and the unit has not reported the issue done
        again (it is rectifying anew)."""
        return (
            bool(self.verifications)
            and self.verifications[-1].outcome is VerificationOutcome.REJECTED
            and self.status in (IssueStatus.FED_BACK, IssueStatus.PLANNED, IssueStatus.IN_PROGRESS)
        )

    @property
    def progress_percent(self) -> int:
        return self.open_reports[-1].progress_percent if self.open_reports else 0

    @property
    def completed(self) -> bool:
        """Whether a formal or final report declared the rectification complete (since the
        last rejection)."""
        return any(r.completed for r in self.open_reports)

    @property
    def closed_for_reports(self) -> bool:
        """Whether a final report declared completion: nothing more can be reported."""
        return any(r.kind is ReportKind.FINAL and r.completed for r in self.open_reports)

    @property
    def formal_reported(self) -> bool:
        return any(r.kind in (ReportKind.FORMAL, ReportKind.FINAL) for r in self.reports)

    @property
    def long_term(self) -> bool:
        return self.rect_type is RectType.LONG_TERM or any(
            t.type is TaskType.LONG_TERM for t in self.tasks
        )

    def days_left(self, today: date) -> int | None:
        return (self.due_date - today).days if self.due_date else None

    def colour(self, today: date, yellow_days: int = YELLOW_DAYS) -> str | None:
        """R10: the formal-report clock's colour; ``None`` once the formal report is in."""
        if self.formal_reported or self.due_date is None:
            return None
        return colour_of(self.due_date, today, yellow_days)


def colour_of(due: date, today: date, yellow_days: int = YELLOW_DAYS) -> str:
    """R10: red when overdue, yellow within ``yellow_days`` of the due date, else green."""
    left = (due - today).days
    if left < 0:
        return "red"
    if left <= yellow_days:
        return "yellow"
    return "green"
