"""rectification.* events (owner: the rectification service)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from xuncha_shared.contracts.common import (
    Department,
    JurisdictionCode,
    LongText,
    ShortText,
    WarningColour,
)
from xuncha_shared.envelope import EventPayload


class RectType(StrEnum):
    IMMEDIATE = "immediate"  # 立行立改
    TIME_BOUND = "time_bound"  # 限期整改
    LONG_TERM = "long_term"  # 长期坚持


class ReportKind(StrEnum):
    PROGRESS = "progress"
    FORMAL = "formal"
    FINAL = "final"


class IssueFedBack(EventPayload):
    """反馈: one problem fed back to an inspected unit."""

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


class RectificationReported(EventPayload):
    """整改报告: progress, formal (2-month) or final report on one issue."""

    event_type: ClassVar[str] = "rectification.RectificationReported"
    schema_version: ClassVar[int] = 1

    issue_id: UUID
    kind: ReportKind
    progress_percent: int = Field(ge=0, le=100)
    completed: bool
    note: LongText


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


MODELS: tuple[type[EventPayload], ...] = (
    IssueFedBack,
    RectificationReported,
    DeadlineWarningRaised,
    RectificationOverdue,
    DeadlineRecomputed,
)
