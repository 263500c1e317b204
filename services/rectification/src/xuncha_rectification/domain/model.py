"""Issues fed back to inspected units (反馈) and their rectification (整改). Pure: no I/O.

* One ``IssueFedBack`` per problem; all issues of one feedback share a ``feedback_id``.
* R1: the unit reports within **2 months** of the feedback: ``due_date`` = feedback date (in
  China Standard Time) + 2 calendar months, clamped to the month's last day (31 Dec → 28/29 Feb).
* Reports (``RectificationReported``): ``progress``, ``formal`` (the 2-month report of R1) or
  ``final``. Completion is declared by a formal or final report (never a progress report) and
  says 100 %; progress never goes back; nothing can be reported on an issue whose *final* report
  declared it complete (the office verifies and closes it out next, step 11).
* R10 colours: the shared thresholds (``xuncha_shared.clocks.rules``, yellow 20 days before the
  due date unless a jurisdiction configures otherwise), red when the formal report is overdue.
* States (step 10–11): fed back → planned (its tasks of an approved plan) → in progress →
  reported done → verified → closed out; a rejected verification sends it back to in progress.
  A later "reopened" (回头看) joins at in progress the same way (``evolve`` keeps the status a
  field of its own, set by each event, so new events slot in).
* R16: a feedback naming a round and a unit needs that unit's report of the round heard
  (``decide_feedback``'s ``heard``), unless it is fed back during stationing (边巡边改).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from uuid import UUID

from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.rectification import (
    EvidenceRef,
    IssueClosedOut,
    IssueFedBack,
    IssuePlanned,
    IssueReopened,
    PlanTask,
    RectificationReported,
    RectificationVerified,
    RectType,
    RecurrenceDetected,
    ReportKind,
    TaskType,
    VerificationOutcome,
)
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

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


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueSpec:
    issue_id: UUID
    description: str
    rect_type: RectType = RectType.TIME_BOUND
    clue_ids: tuple[UUID, ...] = ()
    concerns: tuple[Department, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedBack:
    feedback_id: UUID
    jurisdiction: str
    unit: str
    issues: tuple[IssueSpec, ...]
    fed_back_at: datetime
    round_id: UUID | None = None
    unit_id: UUID | None = None
    during_stationing: bool = False


@dataclass(frozen=True)
class ReportRectification:
    kind: ReportKind
    progress_percent: int
    completed: bool
    note: str
    evidence: tuple[EvidenceRef, ...] = ()
    leader_report: str | None = None


@dataclass(frozen=True)
class VerifyRectification:
    outcome: VerificationOutcome
    note: str
    evidence: tuple[EvidenceRef, ...] = ()


@dataclass(frozen=True)
class CloseOut:
    note: str
    mechanism: str | None = None


# --- state ------------------------------------------------------------------------------------


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
    plan_id: UUID | None = None
    tasks: list[PlanTask] = field(default_factory=list)
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


# --- decisions --------------------------------------------------------------------------------


def missing_hearing_detail(round_id: UUID, unit_id: UUID) -> str:
    return (
        f"该单位本轮巡察情况汇报尚未听取，不能反馈（R16；巡察期间边巡边改请标明 during_stationing）"
        f" / R16: the report on unit {unit_id} of round {round_id} has not been heard "
        f"(no clues.InspectionReportHeard yet); feed back after the hearing, or mark the "
        f"feedback during_stationing (边巡边改)"
    )


class HearingMissing(RuleViolation):
    """R16: no hearing of the unit's report of the round (409)."""


def unusable_clue_detail(clue_id: UUID) -> str:
    """R25: the same words for an unknown clue and another jurisdiction's (no oracle)."""
    return (
        f"线索 {clue_id} 不是本辖区的线索，不能作为问题依据（R25）"
        f" / R25: clue {clue_id} is not a clue of this jurisdiction"
    )


def decide_feedback(
    cmd: FeedBack, heard: bool = True, own_clues: frozenset[UUID] | None = None
) -> list[IssueFedBack]:
    """One ``IssueFedBack`` per problem, all due 2 months after the feedback date (R1). With a
    round and a unit, R16: ``heard`` says whether the unit's report of the round was heard.
    R25: ``own_clues`` are the cited clue ids known to be the jurisdiction's own (``None``: not
    checked); any other cited clue, unknown or another jurisdiction's, is refused alike."""
    if (cmd.round_id is None) != (cmd.unit_id is None):
        raise InvalidCommand("round_id 与 unit_id 须同时给出 / give round_id and unit_id together")
    if cmd.during_stationing and cmd.round_id is None:
        raise InvalidCommand(
            "边巡边改须标明巡察轮次和单位 / during_stationing needs round_id and unit_id"
        )
    r16_applies = cmd.round_id is not None and cmd.unit_id is not None
    if r16_applies and not heard and not cmd.during_stationing:
        assert cmd.round_id is not None
        assert cmd.unit_id is not None
        raise HearingMissing(missing_hearing_detail(cmd.round_id, cmd.unit_id))
    if not jurisdictions.is_known(cmd.jurisdiction):
        raise InvalidCommand(
            f"未知的行政区划代码 {cmd.jurisdiction!r} / unknown jurisdiction {cmd.jurisdiction!r}"
        )
    if not cmd.issues:
        raise InvalidCommand("反馈至少包含一个问题 / a feedback needs at least one issue")
    if own_clues is not None:
        for clue_id in (c for i in cmd.issues for c in i.clue_ids):
            if clue_id not in own_clues:
                raise InvalidCommand(unusable_clue_detail(clue_id))
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
            round_id=cmd.round_id,
            unit_id=cmd.unit_id,
            during_stationing=cmd.during_stationing,
            topics=list(dict.fromkeys(t.strip() for t in spec.topics if t.strip())),
        )
        for spec in cmd.issues
    ]


def decide_report(state: Issue, cmd: ReportRectification) -> list[EventPayload]:
    if not state.exists or state.issue_id is None:
        raise UnknownIssue("未找到该问题 / unknown issue")
    if state.status not in REPORTABLE:
        raise illegal(state, ("再报告整改情况", "no further report is accepted"))
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
            evidence=list(cmd.evidence),
            leader_report=cmd.leader_report,
        )
    ]


def decide_plan(state: Issue, plan_id: UUID, tasks: list[PlanTask]) -> list[EventPayload]:
    """The issue's tasks of an approved plan; its state becomes planned (unless the unit has
    already been reporting: it stays in progress)."""
    if not state.exists or state.issue_id is None:
        raise UnknownIssue("未找到该问题 / unknown issue")
    if state.status not in (IssueStatus.FED_BACK, IssueStatus.PLANNED, IssueStatus.IN_PROGRESS):
        raise illegal(state, ("制定整改任务", "its tasks can no longer be planned"))
    return [IssuePlanned(issue_id=state.issue_id, plan_id=plan_id, tasks=tasks)]


def decide_verify(state: Issue, cmd: VerifyRectification) -> list[EventPayload]:
    """核实: only a rectification reported done; a rejection sends it back to in progress."""
    if not state.exists or state.issue_id is None:
        raise UnknownIssue("未找到该问题 / unknown issue")
    if state.status is not IssueStatus.REPORTED_DONE:
        raise illegal(
            state, ("核实", "only a rectification reported done (reported_done) is verified")
        )
    return [
        RectificationVerified(
            issue_id=state.issue_id,
            outcome=cmd.outcome,
            note=cmd.note,
            evidence=list(cmd.evidence),
        )
    ]


def decide_close_out(state: Issue, cmd: CloseOut) -> list[EventPayload]:
    """对账销号 only after an accepted verification; a long-term issue needs its lasting
    mechanism (长效机制) and stays watched."""
    if not state.exists or state.issue_id is None:
        raise UnknownIssue("未找到该问题 / unknown issue")
    if state.status is not IssueStatus.VERIFIED:
        raise illegal(state, ("销号", "only a verified (accepted) rectification is closed out"))
    if state.long_term and not cmd.mechanism:
        raise InvalidCommand(
            "长期坚持类问题须登记长效机制后方可销号 / a long-term issue closes out only with "
            "its lasting mechanism (mechanism)"
        )
    return [
        IssueClosedOut(
            issue_id=state.issue_id,
            note=cmd.note,
            mechanism=cmd.mechanism,
            watched=state.long_term,
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
        state.round_id = event.round_id
        state.unit_id = event.unit_id
        state.during_stationing = event.during_stationing
        state.topics = list(event.topics)
        state.status = IssueStatus.FED_BACK
    elif isinstance(event, IssuePlanned):
        state.plan_id = event.plan_id
        state.tasks = list(event.tasks)
        if state.status is IssueStatus.FED_BACK:
            state.status = IssueStatus.PLANNED
    elif isinstance(event, RectificationReported):
        report = Report(
            kind=event.kind,
            progress_percent=event.progress_percent,
            completed=event.completed,
            note=event.note,
            reported_at=at,
            evidence=list(event.evidence),
            leader_report=event.leader_report,
        )
        state.reports.append(report)
        state.open_reports.append(report)
        state.status = IssueStatus.REPORTED_DONE if state.completed else IssueStatus.IN_PROGRESS
    elif isinstance(event, RectificationVerified):
        state.verifications.append(
            Verification(
                outcome=event.outcome, note=event.note, at=at, evidence=list(event.evidence)
            )
        )
        if event.outcome is VerificationOutcome.ACCEPTED:
            state.status = IssueStatus.VERIFIED
        else:  # rejected → in progress; the next report starts again
            state.status = IssueStatus.IN_PROGRESS
            state.open_reports = []
    elif isinstance(event, IssueClosedOut):
        state.status = IssueStatus.CLOSED_OUT
        state.mechanism = event.mechanism
        state.watched = event.watched
        state.closed_out_at = at
    elif isinstance(event, IssueReopened):  # 回头看: back to in progress, reports start again
        state.status = IssueStatus.IN_PROGRESS
        state.open_reports = []
        state.closed_out_at = None
        state.reopened_by.append(event.revisit_id)
    elif isinstance(event, RecurrenceDetected):
        state.recurs.append(event.earlier_issue_id)
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
