"""rectification.* events (owner: the rectification service)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from xuncha_shared.contracts.common import (
    Department,
    JurisdictionCode,
    LongText,
    ShortText,
    WarningColour,
)
from xuncha_shared.envelope import EventPayload, JsonDict


class RectType(StrEnum):
    IMMEDIATE = "immediate"  # 立行立改
    TIME_BOUND = "time_bound"  # 限期整改
    LONG_TERM = "long_term"  # 长期坚持


class ReportKind(StrEnum):
    PROGRESS = "progress"
    FORMAL = "formal"
    FINAL = "final"


class IssueFedBackV1(EventPayload):
    """Legacy form (schema 1): no round, unit id or during-stationing mark."""

    event_type: ClassVar[str] = "rectification.IssueFedBack"
    schema_version: ClassVar[int] = 1

    issue_id: UUID
    feedback_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    description: LongText
    rect_type: RectType = RectType.TIME_BOUND
    clue_ids: list[UUID] = Field(default_factory=list)
    concerns: list[Department] = Field(default_factory=list)
    due_date: str | None = Field(default=None, description="ISO date of the 2-month report (R1)")


def upcast_issue_fed_back_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: issues fed back before rounds and units were known to rectification."""
    payload.setdefault("round_id", None)
    payload.setdefault("unit_id", None)
    payload.setdefault("during_stationing", False)
    return payload


class IssueFedBackV2(EventPayload):
    """Schema 2: with the round, intake's unit id and whether it was fed back during
    stationing (边巡边改, R16); no topics."""

    event_type: ClassVar[str] = "rectification.IssueFedBack"
    schema_version: ClassVar[int] = 2

    issue_id: UUID
    feedback_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    description: LongText
    rect_type: RectType = RectType.TIME_BOUND
    clue_ids: list[UUID] = Field(default_factory=list)
    concerns: list[Department] = Field(default_factory=list)
    due_date: str | None = Field(default=None, description="ISO date of the 2-month report (R1)")
    round_id: UUID | None = Field(default=None, description="the round (intake's id)")
    unit_id: UUID | None = Field(default=None, description="the unit (intake's id)")
    during_stationing: bool = Field(
        default=False, description="fed back during stationing (边巡边改), before the hearing"
    )


def upcast_issue_fed_back_v2(payload: JsonDict) -> JsonDict:
    """v2 -> v3: issues fed back before topics were recorded have none (no recurrence, R19,
    can be detected for them)."""
    payload.setdefault("topics", [])
    return payload


class IssueFedBack(EventPayload):
    """反馈: one problem fed back to an inspected unit (schema 3: with its topics, 问题主题, by
    which rectification detects a recurrence, R19; schema 2 added the round, intake's unit id
    and whether it was fed back during stationing, 边巡边改, R16)."""

    event_type: ClassVar[str] = "rectification.IssueFedBack"
    schema_version: ClassVar[int] = 3

    issue_id: UUID
    feedback_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    description: LongText
    rect_type: RectType = RectType.TIME_BOUND
    clue_ids: list[UUID] = Field(default_factory=list)
    concerns: list[Department] = Field(default_factory=list)
    due_date: str | None = Field(default=None, description="ISO date of the 2-month report (R1)")
    round_id: UUID | None = Field(default=None, description="the round (intake's id)")
    unit_id: UUID | None = Field(default=None, description="the unit (intake's id)")
    during_stationing: bool = Field(
        default=False, description="fed back during stationing (边巡边改), before the hearing"
    )
    topics: list[ShortText] = Field(
        default_factory=list, max_length=20, description="问题主题, e.g. 公务接待 (R19)"
    )


class EvidenceRef(BaseModel):
    """A piece of evidence (佐证材料) an event cites: its id in rectification's store and the
    SHA-256 of its bytes, so the event proves which file it meant."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    evidence_id: UUID
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    filename: ShortText
    media_type: ShortText
    size: int = Field(ge=0, le=1_000_000_000)


class RectificationReportedV1(EventPayload):
    """Legacy form (schema 1): no evidence, no leader's report."""

    event_type: ClassVar[str] = "rectification.RectificationReported"
    schema_version: ClassVar[int] = 1

    issue_id: UUID
    kind: ReportKind
    progress_percent: int = Field(ge=0, le=100)
    completed: bool
    note: LongText


def upcast_rectification_reported_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: reports made before evidence could be attached."""
    payload.setdefault("evidence", [])
    payload.setdefault("leader_report", None)
    return payload


class RectificationReported(EventPayload):
    """整改报告: progress, formal (2-month) or final report on one issue (schema 2: with the
    evidence it cites and, on a formal report, the top leader's report on organising the work,
    主要负责人组织落实情况报告)."""

    event_type: ClassVar[str] = "rectification.RectificationReported"
    schema_version: ClassVar[int] = 2

    issue_id: UUID
    kind: ReportKind
    progress_percent: int = Field(ge=0, le=100)
    completed: bool
    note: LongText
    evidence: list[EvidenceRef] = Field(default_factory=list, max_length=50)
    leader_report: LongText | None = Field(
        default=None, description="主要负责人组织落实情况报告 (with the formal report)"
    )


class TaskType(StrEnum):
    """The plan's task types (立行立改/限期整改/长期坚持; the seeds' 马上改/抓紧改/深入改)."""

    IMMEDIATE = "immediate"
    TIME_BOUND = "time_bound"
    LONG_TERM = "long_term"


class PlanTask(BaseModel):
    """One line of the task list (任务清单) and responsibility list (责任清单)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: UUID
    issue_id: UUID
    measure: LongText
    owner: ShortText
    type: TaskType
    due_on: date


class PlanSubmitted(EventPayload):
    """整改方案报送: a unit's plan with its three lists (问题清单/任务清单/责任清单), first or
    again after a return (``revision`` counts from 1). Stream type ``rectification_plan``."""

    event_type: ClassVar[str] = "rectification.PlanSubmitted"
    schema_version: ClassVar[int] = 1

    plan_id: UUID
    round_id: UUID
    unit_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    responsible_leader: ShortText
    revision: int = Field(ge=1, le=1000)
    issue_ids: list[UUID] = Field(min_length=1)
    tasks: list[PlanTask] = Field(min_length=1)


class PlanReturned(EventPayload):
    """整改方案退回: the office sends the plan back with its reason."""

    event_type: ClassVar[str] = "rectification.PlanReturned"
    schema_version: ClassVar[int] = 1

    plan_id: UUID
    revision: int = Field(ge=1, le=1000)
    reason: LongText


class PlanApproved(EventPayload):
    """整改方案审核通过: the office approves the plan; its tasks start."""

    event_type: ClassVar[str] = "rectification.PlanApproved"
    schema_version: ClassVar[int] = 1

    plan_id: UUID
    revision: int = Field(ge=1, le=1000)


class IssuePlanned(EventPayload):
    """The issue's tasks of an approved plan (状态: 已制定方案)."""

    event_type: ClassVar[str] = "rectification.IssuePlanned"
    schema_version: ClassVar[int] = 1

    issue_id: UUID
    plan_id: UUID
    tasks: list[PlanTask] = Field(min_length=1)


class VerificationOutcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class RectificationVerified(EventPayload):
    """核实: the office checks the reported rectification; a rejection sends the issue back to
    in progress with the reason (``note``)."""

    event_type: ClassVar[str] = "rectification.RectificationVerified"
    schema_version: ClassVar[int] = 1

    issue_id: UUID
    outcome: VerificationOutcome
    note: LongText
    evidence: list[EvidenceRef] = Field(default_factory=list, max_length=50)


class IssueClosedOut(EventPayload):
    """对账销号: a verified issue closed out; a long-term one with its lasting mechanism
    (长效机制), and it stays watched."""

    event_type: ClassVar[str] = "rectification.IssueClosedOut"
    schema_version: ClassVar[int] = 1

    issue_id: UUID
    note: LongText
    mechanism: LongText | None = None
    watched: bool = False


class TaskOverdue(EventPayload):
    """整改任务逾期: a task of an approved plan not done by its due date."""

    event_type: ClassVar[str] = "rectification.TaskOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date
    issue_id: UUID
    task_id: UUID
    owner: ShortText = Field(description="the task's owner (责任人)")


class ProgressReportOverdue(EventPayload):
    """整改进展报告逾期 (R15): no progress report within two weeks of the last one (or of the
    plan's approval) while the rectification is under way."""

    event_type: ClassVar[str] = "rectification.ProgressReportOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date
    issue_id: UUID
    unit: ShortText


class SupervisionKind(StrEnum):
    TRACKING = "tracking"  # 跟踪督办
    KEY = "key"  # 重点督办
    SPECIAL = "special"  # 专项督办
    ON_SITE = "on_site"  # 现场督办


class SupervisionOrdered(EventPayload):
    """督办: the office supervises some of a unit's issues. Stream type ``oversight``."""

    event_type: ClassVar[str] = "rectification.SupervisionOrdered"
    schema_version: ClassVar[int] = 1

    supervision_id: UUID
    jurisdiction: JurisdictionCode
    unit_id: UUID
    unit: ShortText
    issue_ids: list[UUID] = Field(min_length=1)
    kind: SupervisionKind
    note: LongText
    due_on: date


class RedLineFinding(StrEnum):
    PERFUNCTORY = "perfunctory"  # 敷衍整改
    FALSE = "false"  # 虚假整改
    REPEATED = "repeated"  # 整改不力、屡改屡犯


class RedLineWarningIssued(EventPayload):
    """红线预警 (R20): 敷衍整改/虚假整改 found; a negative record (负面信息档案) for the
    organisation department. Stream type ``oversight``."""

    event_type: ClassVar[str] = "rectification.RedLineWarningIssued"
    schema_version: ClassVar[int] = 1

    warning_id: UUID
    jurisdiction: JurisdictionCode
    unit_id: UUID
    unit: ShortText
    issue_ids: list[UUID] = Field(min_length=1)
    finding: RedLineFinding
    note: LongText
    negative_record: bool = True


class DeadlineWarningRaised(EventPayload):
    """期限预警: the formal report (R1) is due soon (yellow) or today (red)."""

    event_type: ClassVar[str] = "rectification.DeadlineWarningRaised"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date = Field(description="the last day (China Standard Time) of the deadline")
    issue_id: UUID
    unit: ShortText
    colour: WarningColour


class RectificationOverdue(EventPayload):
    """整改逾期: no formal report (R1) by the end of the due date."""

    event_type: ClassVar[str] = "rectification.RectificationOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date = Field(description="the last day (China Standard Time) of the deadline")
    issue_id: UUID
    unit: ShortText


class DeadlineRecomputed(EventPayload):
    """期限重算: a provisional due date (counted on weekends only, the year's holiday schedule
    unknown) replaced by the final one once the schedule is known."""

    event_type: ClassVar[str] = "rectification.DeadlineRecomputed"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    deadline_kind: ShortText
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    previous_due_date: date
    due_date: date
    calendar_version: ShortText


# --- revisits (回头看, R18), recurrence (R19), common problems (未巡先改) -------------------------


class IssueReopened(EventPayload):
    """回头看 reopened a verified or closed-out issue: it goes back to in progress."""

    event_type: ClassVar[str] = "rectification.IssueReopened"
    schema_version: ClassVar[int] = 1

    issue_id: UUID
    revisit_id: UUID
    note: LongText = ""


class RecurrenceCause(StrEnum):
    FED_BACK_AGAIN = "fed_back_again"  # the same topic fed back again after a close-out
    REOPENED = "reopened"  # reopened by a revisit


class RecurrenceDetected(EventPayload):
    """改了再犯 (R19), detected by the service: ``issue_id`` (the new or reopened issue) recurs
    ``earlier_issue_id`` (the closed-out issue of the same unit and topic; the issue itself when
    a revisit reopened it). On the issue's stream."""

    event_type: ClassVar[str] = "rectification.RecurrenceDetected"
    schema_version: ClassVar[int] = 1

    issue_id: UUID
    earlier_issue_id: UUID
    jurisdiction: JurisdictionCode
    unit_id: UUID | None = None
    unit: ShortText
    topics: list[ShortText] = Field(default_factory=list)
    cause: RecurrenceCause
    revisit_id: UUID | None = None


class RevisitScheduled(EventPayload):
    """回头看 (R18) scheduled for a unit of a round. Stream type ``revisit``."""

    event_type: ClassVar[str] = "rectification.RevisitScheduled"
    schema_version: ClassVar[int] = 1

    revisit_id: UUID
    jurisdiction: JurisdictionCode
    unit_id: UUID
    unit: ShortText
    round_id: UUID
    scheduled_on: date


class RevisitFindingsRecorded(EventPayload):
    """The findings of a revisit: issues checked, issues reopened (each also gets its
    ``IssueReopened`` and ``RecurrenceDetected``) and new problems."""

    event_type: ClassVar[str] = "rectification.RevisitFindingsRecorded"
    schema_version: ClassVar[int] = 1

    revisit_id: UUID
    jurisdiction: JurisdictionCode
    unit_id: UUID
    checked_issue_ids: list[UUID] = Field(default_factory=list)
    reopened_issue_ids: list[UUID] = Field(default_factory=list)
    new_problems: list[LongText] = Field(default_factory=list, max_length=200)


class CommonProblem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aspect: ShortText = Field(description="方面, e.g. 落实中央八项规定精神")
    description: LongText
    topics: list[ShortText] = Field(default_factory=list, max_length=20)


class CommonProblemListIssued(EventPayload):
    """共性问题清单 of a term sent to the units of the term plan not yet inspected (未巡先改).
    Stream type ``common_problem_list``."""

    event_type: ClassVar[str] = "rectification.CommonProblemListIssued"
    schema_version: ClassVar[int] = 1

    list_id: UUID
    jurisdiction: JurisdictionCode
    term_no: int = Field(ge=1, le=1000)
    items: list[CommonProblem] = Field(min_length=1, max_length=200)
    unit_ids: list[UUID] = Field(min_length=1, max_length=1000)


class CommonProblemSelfChecked(EventPayload):
    """A unit's self-check (自查自纠) against a common-problem list."""

    event_type: ClassVar[str] = "rectification.CommonProblemSelfChecked"
    schema_version: ClassVar[int] = 1

    list_id: UUID
    jurisdiction: JurisdictionCode
    unit_id: UUID
    findings: LongText
    measures: LongText


MODELS: tuple[type[EventPayload], ...] = (
    IssueFedBackV1,
    IssueFedBackV2,
    IssueFedBack,
    RectificationReportedV1,
    RectificationReported,
    DeadlineWarningRaised,
    RectificationOverdue,
    DeadlineRecomputed,
    PlanSubmitted,
    PlanReturned,
    PlanApproved,
    IssuePlanned,
    RectificationVerified,
    IssueClosedOut,
    TaskOverdue,
    ProgressReportOverdue,
    SupervisionOrdered,
    RedLineWarningIssued,
    IssueReopened,
    RecurrenceDetected,
    RevisitScheduled,
    RevisitFindingsRecorded,
    CommonProblemListIssued,
    CommonProblemSelfChecked,
)
UPCASTERS = {
    ("rectification.IssueFedBack", 1): upcast_issue_fed_back_v1,
    ("rectification.IssueFedBack", 2): upcast_issue_fed_back_v2,
    ("rectification.RectificationReported", 1): upcast_rectification_reported_v1,
}
