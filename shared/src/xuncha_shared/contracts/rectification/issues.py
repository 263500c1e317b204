"""An issue's rectification: fed back to the unit, reported on, verified by the office and
closed out (stream type ``issue``)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from xuncha_shared.contracts.common import Department, JurisdictionCode, LongText, ShortText
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


class IssueFedBackV3(EventPayload):
    """Schema 3: with topics (问题主题, R19); no round name."""

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


def upcast_issue_fed_back_v3(payload: JsonDict) -> JsonDict:
    """v3 -> v4: an issue fed back before a feedback could name its round names none (the
    rounds intake planned are named by intake)."""
    payload.setdefault("round_name", None)
    return payload


class IssueFedBackV4(EventPayload):
    """Schema 4: with the round's name when intake does not plan the round; no problem."""

    event_type: ClassVar[str] = "rectification.IssueFedBack"
    schema_version: ClassVar[int] = 4

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
    round_name: ShortText | None = Field(
        default=None,
        description="the round's name as the feedback gives it, for a round intake does not "
        "plan (省委巡视 of the office itself); a round intake planned is named by intake",
    )


def upcast_issue_fed_back_v4(payload: JsonDict) -> JsonDict:
    """v4 -> v5: an issue fed back before a feedback could name its problem names none."""
    payload.setdefault("problem_id", None)
    return payload


class IssueFedBack(EventPayload):
    """反馈: one problem fed back to an inspected unit (schema 5: with the problem the group
    recorded, 问题与报告, that it feeds back; schema 4 added the round's name when intake does
    not plan the round, a provincial review's; schema 3 its topics, 问题主题, by which
    rectification detects a recurrence, R19; schema 2 the round, intake's unit id and whether
    it was fed back during stationing, 边巡边改, R16)."""

    event_type: ClassVar[str] = "rectification.IssueFedBack"
    schema_version: ClassVar[int] = 5

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
    round_name: ShortText | None = Field(
        default=None,
        description="the round's name as the feedback gives it, for a round intake does not "
        "plan (省委巡视 of the office itself); a round intake planned is named by intake",
    )
    problem_id: UUID | None = Field(
        default=None,
        description="the problem recorded in 问题与报告 (clues' ProblemRecorded) this issue "
        "feeds back, when the feedback was picked from it",
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


class RectificationReportedV2(EventPayload):
    """Legacy form (schema 2): without the report's attempt."""

    event_type: ClassVar[str] = "rectification.RectificationReported"
    schema_version: ClassVar[int] = 2

    issue_id: UUID
    kind: ReportKind
    progress_percent: int = Field(ge=0, le=100)
    completed: bool
    note: LongText
    evidence: list[EvidenceRef] = Field(default_factory=list, max_length=50)
    leader_report: LongText | None = None


def upcast_rectification_reported_v2(payload: JsonDict) -> JsonDict:
    """v2 -> v3: a report recorded before v3 does not say its attempt (None)."""
    payload.setdefault("attempt", None)
    return payload


class RectificationReported(EventPayload):
    """整改报告: progress, formal (2-month) or final report on one issue (schema 2: with the
    evidence it cites and, on a formal report, the top leader's report on organising the work,
    主要负责人组织落实情况报告; schema 3: its ``attempt``, 1 + the rejected verifications and
    回头看 reopenings of the issue before it, so a count of issues declared complete can take
    back what a rejection or a reopening withdrew: ``completed`` counts once per attempt)."""

    event_type: ClassVar[str] = "rectification.RectificationReported"
    schema_version: ClassVar[int] = 3

    issue_id: UUID
    kind: ReportKind
    progress_percent: int = Field(ge=0, le=100)
    completed: bool
    note: LongText
    evidence: list[EvidenceRef] = Field(default_factory=list, max_length=50)
    leader_report: LongText | None = Field(
        default=None, description="主要负责人组织落实情况报告 (with the formal report)"
    )
    attempt: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="1 + the issue's rejected verifications and reopenings before this report "
        "(None: recorded before schema 3)",
    )


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
