"""Rectification's clocks and the office's supervision: overdue tasks, progress reports and
rectifications, deadline warnings (R10) and recomputed deadlines, supervision ordered and red-line
warnings."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from xuncha_shared.contracts.common import JurisdictionCode, LongText, ShortText, WarningColour
from xuncha_shared.envelope import EventPayload, JsonDict


class TaskOverdueV1(EventPayload):
    """Legacy form (schema 1): without the task's turn."""

    event_type: ClassVar[str] = "rectification.TaskOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date
    issue_id: UUID
    task_id: UUID
    owner: ShortText = Field(description="the task's owner (责任人)")


def upcast_task_overdue_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: before tasks could be returned (``RectificationTaskReturned``) every task had
    one turn: the first."""
    payload.setdefault("attempt", 1)
    return payload


class TaskOverdue(EventPayload):
    """整改任务逾期: a task of an approved plan not done by its due date (schema 2: ``attempt``,
    the task's turn whose due date passed: 1, or one more per return)."""

    event_type: ClassVar[str] = "rectification.TaskOverdue"
    schema_version: ClassVar[int] = 2

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date
    issue_id: UUID
    task_id: UUID
    owner: ShortText = Field(description="the task's owner (责任人)")
    attempt: int = Field(ge=1, le=100)


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


class SupervisionOverdue(EventPayload):
    """督办逾期 (R4): a supervised issue not reported done by the supervision's due date. On the
    issue's stream; one per supervised issue and supervision."""

    event_type: ClassVar[str] = "rectification.SupervisionOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date
    issue_id: UUID
    supervision_id: UUID
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
