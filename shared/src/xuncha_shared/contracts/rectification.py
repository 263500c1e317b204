"""rectification.* events (owner: the rectification service)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from xuncha_shared.contracts.common import Department, JurisdictionCode, LongText, ShortText
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


MODELS: tuple[type[EventPayload], ...] = (IssueFedBack, RectificationReported)
