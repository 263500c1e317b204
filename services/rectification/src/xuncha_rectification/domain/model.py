"""Issues fed back to inspected units (反馈) and their rectification (整改). Pure: no I/O.

* One ``IssueFedBack`` per problem; all issues of one feedback share a ``feedback_id``.
* R1: the unit reports within **2 months** of the feedback: ``due_date`` = feedback date (in
  China Standard Time) + 2 calendar months, clamped to the month's last day (31 Dec → 28/29 Feb).
* Reports (``RectificationReported``): ``progress``, ``formal`` (the 2-month report of R1) or
  ``final``. Completion is declared by a formal or final report (never a progress report) and
  says 100 %; progress never goes back; nothing can be reported on an issue whose *final* report
  declared it complete (the office verifies and closes it out next, step 11).
* R10 colours: green with more than ``YELLOW_DAYS`` left, yellow up to the due date, red when
  the formal report is overdue.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from uuid import UUID

from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.rectification import (
    IssueFedBack,
    RectificationReported,
    RectType,
    ReportKind,
)
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

STREAM_TYPE = "issue"
CHINA_TZ = timezone(timedelta(hours=8), "CST")  # China Standard Time, no daylight saving
REPORT_DUE_MONTHS = 2  # R1
YELLOW_DAYS = 10  # R10: yellow with ≈10 days left (localities configure it), red when overdue


def unknown_issue_detail(issue_id: UUID) -> str:
    """The detail of the 404 of an unknown issue (and of one the reader may not see)."""
    return f"未找到问题 {issue_id} / unknown issue {issue_id}"


class UnknownIssue(NotFoundError):
    """No issue has this id (404)."""


class IssueStatus(StrEnum):
    FED_BACK = "fed_back"  # 已反馈
    IN_PROGRESS = "in_progress"  # 整改中
    REPORTED_DONE = "reported_done"  # 已报告完成 (awaiting verification)


STATUS_ZH: dict[IssueStatus, str] = {
    IssueStatus.FED_BACK: "已反馈，待整改",
    IssueStatus.IN_PROGRESS: "整改中",
    IssueStatus.REPORTED_DONE: "已报告整改完成，待核实销号",
}


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


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueSpec:
    issue_id: UUID
    description: str
    rect_type: RectType = RectType.TIME_BOUND
    clue_ids: tuple[UUID, ...] = ()
    concerns: tuple[Department, ...] = ()


@dataclass(frozen=True)
class FeedBack:
    feedback_id: UUID
    jurisdiction: str
    unit: str
    issues: tuple[IssueSpec, ...]
    fed_back_at: datetime


@dataclass(frozen=True)
class ReportRectification:
    kind: ReportKind
    progress_percent: int
    completed: bool
    note: str


# --- state ------------------------------------------------------------------------------------


@dataclass
class Report:
    kind: ReportKind
    progress_percent: int
    completed: bool
    note: str
    reported_at: datetime | None = None


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
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def progress_percent(self) -> int:
        return self.reports[-1].progress_percent if self.reports else 0

    @property
    def completed(self) -> bool:
        """Whether a formal or final report declared the rectification complete."""
        return any(r.completed for r in self.reports)

    @property
    def closed_for_reports(self) -> bool:
        """Whether a final report declared completion: nothing more can be reported."""
        return any(r.kind is ReportKind.FINAL and r.completed for r in self.reports)

    @property
    def formal_reported(self) -> bool:
        return any(r.kind in (ReportKind.FORMAL, ReportKind.FINAL) for r in self.reports)

    @property
    def status(self) -> IssueStatus:
        if self.completed:
            return IssueStatus.REPORTED_DONE
        if self.reports:
            return IssueStatus.IN_PROGRESS
        return IssueStatus.FED_BACK

    def days_left(self, today: date) -> int | None:
        return (self.due_date - today).days if self.due_date else None

    def colour(self, today: date) -> str | None:
        """R10: the formal-report clock's colour; ``None`` once the formal report is in."""
        if self.formal_reported or self.due_date is None:
            return None
        left = (self.due_date - today).days
        if left < 0:
            return "red"
        if left <= YELLOW_DAYS:
            return "yellow"
        return "green"


# --- decisions --------------------------------------------------------------------------------


def decide_feedback(cmd: FeedBack) -> list[IssueFedBack]:
    """One ``IssueFedBack`` per problem, all due 2 months after the feedback date (R1)."""
    if not jurisdictions.is_known(cmd.jurisdiction):
        raise InvalidCommand(
            f"未知的行政区划代码 {cmd.jurisdiction!r} / unknown jurisdiction {cmd.jurisdiction!r}"
        )
    if not cmd.issues:
        raise InvalidCommand("反馈至少包含一个问题 / a feedback needs at least one issue")
    ids = [i.issue_id for i in cmd.issues]
    if len(set(ids)) != len(ids):
        raise InvalidCommand("问题编号重复 / duplicate issue ids")
    due = report_due_date(cmd.fed_back_at).isoformat()
    return [
        IssueFedBack(
            issue_id=spec.issue_id,
            feedback_id=cmd.feedback_id,
            jurisdiction=cmd.jurisdiction,
            unit=cmd.unit,
            description=spec.description,
            rect_type=spec.rect_type,
            clue_ids=list(dict.fromkeys(spec.clue_ids)),
            concerns=list(dict.fromkeys(spec.concerns)),
            due_date=due,
        )
        for spec in cmd.issues
    ]


def decide_report(state: Issue, cmd: ReportRectification) -> list[EventPayload]:
    if not state.exists or state.issue_id is None:
        raise UnknownIssue("未找到该问题 / unknown issue")
    if state.closed_for_reports:
        raise RuleViolation(
            "该问题已报告整改完成（最终报告），不能再报告 / a final report already declared this "
            "issue's rectification complete; no further report is accepted (the office verifies "
            "and closes it out)"
        )
    if cmd.completed and cmd.progress_percent != 100:
        raise InvalidCommand(
            f"报告整改完成时进度须为100% / a report with completed=true must have "
            f"progress_percent 100, not {cmd.progress_percent}"
        )
    if cmd.completed and cmd.kind is ReportKind.PROGRESS:
        raise InvalidCommand(
            "进度报告不能报告整改完成，请使用正式报告或最终报告 / a progress report cannot declare "
            "the rectification completed; use kind formal (the 2-month report) or final"
        )
    if cmd.progress_percent < state.progress_percent:
        raise InvalidCommand(
            f"整改进度不能倒退（当前 {state.progress_percent}%）/ progress cannot go back: the "
            f"last report said {state.progress_percent}%, this one {cmd.progress_percent}%"
        )
    return [
        RectificationReported(
            issue_id=state.issue_id,
            kind=cmd.kind,
            progress_percent=cmd.progress_percent,
            completed=cmd.completed,
            note=cmd.note,
        )
    ]


# --- evolution --------------------------------------------------------------------------------


def evolve(state: Issue, event: EventPayload, at: datetime | None = None) -> Issue:
    if isinstance(event, IssueFedBack):
        state.issue_id = event.issue_id
        state.feedback_id = event.feedback_id
        state.jurisdiction = event.jurisdiction
        state.unit = event.unit
        state.description = event.description
        state.rect_type = event.rect_type
        state.clue_ids = list(event.clue_ids)
        state.concerns = list(event.concerns)
        state.due_date = date.fromisoformat(event.due_date) if event.due_date else None
        state.fed_back_at = at
    elif isinstance(event, RectificationReported):
        state.reports.append(
            Report(
                kind=event.kind,
                progress_percent=event.progress_percent,
                completed=event.completed,
                note=event.note,
                reported_at=at,
            )
        )
    state.version += 1
    return state


def event_jurisdiction(state: Issue, event: EventPayload) -> str:
    """The envelope jurisdiction of an event of this issue: the fed-back unit's."""
    return event.jurisdiction if isinstance(event, IssueFedBack) else state.jurisdiction


#: the issue aggregate, for the shared command loop
ISSUE = AggregateKind(
    stream_type=STREAM_TYPE, initial=Issue, evolve=evolve, jurisdiction_of=event_jurisdiction
)


def replay(events: list[EventPayload]) -> Issue:
    return ISSUE.replay(events)
