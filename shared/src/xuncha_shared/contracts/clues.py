"""clues.* events (owner: the clues service)."""

from __future__ import annotations

import uuid
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
from xuncha_shared.envelope import EventPayload, JsonDict

#: The uuid5 namespace of the clue derived from a petition (a cross-service contract: intake's
#: petition id names the clue the clues service registers for it, and anyone holding the petition
#: id, the demo loader for one, can find that clue without asking).
CLUE_NAMESPACE = uuid.UUID("5b0f3c2e-7d1a-5e1f-9c2b-0c1e5a7d3f10")


def clue_id_for_petition(petition_id: UUID) -> UUID:
    """The clue registered for a petition: the same id however often the petition arrives."""
    return uuid.uuid5(CLUE_NAMESPACE, f"petition:{petition_id}")


def clue_id_for_record(record_id: UUID, index: int) -> UUID:
    """The clue registered for the ``index``-th clue (from 0) of an intake record (a talk, a
    survey, a referral …): the same id however often the record arrives."""
    return uuid.uuid5(CLUE_NAMESPACE, f"record:{record_id}:{index}")


class ClueCategory(StrEnum):
    FURTHER_INQUIRY = "further_inquiry"  # 进一步了解关注类
    INQUIRY = "inquiry"  # 了解关注类
    REFERENCE = "reference"  # 参考类


class CadreLevel(StrEnum):
    DIVISION = "division"  # 处级干部
    SECTION = "section"  # 科级干部
    STAFF = "staff"  # 科员及以下


class ClueRegisteredV1(EventPayload):
    """Legacy form (schema 1): no source record or channel."""

    event_type: ClassVar[str] = "clues.ClueRegistered"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    summary: LongText
    source_event_id: UUID | None = None
    source_petition_id: UUID | None = None
    round_id: str | None = None


class ClueRegistered(EventPayload):
    """A problem clue registered (schema 2): from a petition (``source_petition_id``) or from a
    clue an intake record brought (``source_record_id``); ``source_channel`` is the petition's
    channel or the record's kind."""

    event_type: ClassVar[str] = "clues.ClueRegistered"
    schema_version: ClassVar[int] = 2

    clue_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    summary: LongText
    source_event_id: UUID | None = None
    source_petition_id: UUID | None = None
    round_id: str | None = None
    source_record_id: UUID | None = None
    source_channel: ShortText | None = None
    group_id: UUID | None = None
    unit_id: UUID | None = None


def upcast_clue_registered_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: the source channel of old clues is not recorded (petitions only)."""
    for name in ("source_record_id", "source_channel", "group_id", "unit_id"):
        payload.setdefault(name, None)
    return payload


class ClueClassified(EventPayload):
    event_type: ClassVar[str] = "clues.ClueClassified"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    category: ClueCategory
    cadre_level: CadreLevel | None = None
    city_managed: bool = False
    counties: list[JurisdictionCode] = Field(default_factory=list)
    topics: list[ShortText] = Field(default_factory=list)


class ClueEscalated(EventPayload):
    """报市委巡察办: a clue on a city-managed cadre or spanning counties (R12)."""

    event_type: ClassVar[str] = "clues.ClueEscalated"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    from_jurisdiction: JurisdictionCode
    to_jurisdiction: JurisdictionCode
    reason: LongText


class ClueTransferred(EventPayload):
    """移交: to a department by the Art. 28 route (R2)."""

    event_type: ClassVar[str] = "clues.ClueTransferred"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    department: Department
    reason: LongText
    jurisdiction: JurisdictionCode
    unit: ShortText
    summary: LongText


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


class InspectionReportKind(StrEnum):
    UNIT = "unit"  # 分报告 (one inspected unit)
    OVERALL = "overall"  # 综合报告 (the round)
    THEMATIC = "thematic"  # 专项报告


class HearingMeeting(StrEnum):
    SECRETARY_MEETING = "secretary_meeting"  # 书记专题会
    STANDING_COMMITTEE = "standing_committee"  # 常委会
    LEADING_GROUP = "leading_group"  # 巡察工作领导小组会


class InspectionReportHeard(EventPayload):
    """听取巡察情况汇报: a meeting heard an inspection report (step 7). Stream type
    ``inspection_report`` (topic ``clues.inspection-report.v1``). Rectification follows it: no
    feedback to a unit before its round's report was heard (R16), unless during stationing."""

    event_type: ClassVar[str] = "clues.InspectionReportHeard"
    schema_version: ClassVar[int] = 1

    report_id: UUID
    hearing_id: UUID
    round_id: UUID
    jurisdiction: JurisdictionCode
    kind: InspectionReportKind
    unit_id: UUID | None = Field(default=None, description="the unit of a unit report (分报告)")
    unit_ids: list[UUID] = Field(
        default_factory=list, description="every unit the heard report covers"
    )
    meeting: HearingMeeting
    held_on: date
    pointed_problem_ids: list[UUID] = Field(default_factory=list)
    decisions: LongText


MODELS: tuple[type[EventPayload], ...] = (
    ClueRegisteredV1,
    ClueRegistered,
    ClueClassified,
    ClueEscalated,
    ClueTransferred,
    DeadlineWarningRaised,
    TransferResultOverdue,
    EscalationOverdue,
    DeadlineRecomputed,
    InspectionReportHeard,
)
UPCASTERS = {("clues.ClueRegistered", 1): upcast_clue_registered_v1}
