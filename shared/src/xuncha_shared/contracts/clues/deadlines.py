"""clues.* events: the clue clocks' firings (R3's warnings and overdue result, R7's overdue
escalation) and a deadline recomputed when the holiday calendar changed."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from xuncha_shared.contracts.common import (
    Department,
    JurisdictionCode,
    ShortText,
    WarningColour,
)
from xuncha_shared.envelope import EventPayload


class DeadlineWarningRaised(EventPayload):
    """期限预警: a department's report on a transferred clue (R3) is due soon or today."""

    event_type: ClassVar[str] = "clues.DeadlineWarningRaised"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date = Field(description="the last day (China Standard Time) of the deadline")
    clue_id: UUID
    department: Department
    colour: WarningColour


class TransferResultOverdue(EventPayload):
    """办理情况逾期: the department has not reported what it did with a transferred clue within
    3 months (R3)."""

    event_type: ClassVar[str] = "clues.TransferResultOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date = Field(description="the last day (China Standard Time) of the deadline")
    clue_id: UUID
    department: Department


class EscalationOverdue(EventPayload):
    """报送逾期: a county clue for a higher body (R12: a 市管干部, or several counties) was not
    escalated to the city office within 5 working days of its registration (R7). The clues
    service owns the clue and its escalation, so the clock is its own (``intake.
    ForwardingOverdue`` stays for petitions intake forwards itself)."""

    event_type: ClassVar[str] = "clues.EscalationOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date = Field(description="the last day (China Standard Time) of the deadline")
    clue_id: UUID
    jurisdiction: JurisdictionCode = Field(description="the county office that must escalate")


class DeadlineRecomputed(EventPayload):
    """期限重算: a provisional due date (counted on weekends only, the year's holiday schedule
    unknown) replaced by the final one once the schedule is known."""

    event_type: ClassVar[str] = "clues.DeadlineRecomputed"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    deadline_kind: ShortText
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    previous_due_date: date
    due_date: date
    calendar_version: ShortText
