"""clues.* events (owner: the clues service)."""

from __future__ import annotations

import uuid
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


class ClueRegisteredV2(EventPayload):
    """Earlier form (schema 2, no persons): a clue from a petition (``source_petition_id``) or
    from a clue an intake record brought (``source_record_id``)."""

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


class CluePerson(BaseModel):
    """A person a clue concerns, without any name: only what R12 and the funnel need."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cadre_level: CadreLevel | None = None
    city_managed: bool = False


class ClueRegisteredV3(EventPayload):
    """Schema 3: no day written on the registration (``registered_on``); the clue was
    registered the day it was recorded."""

    event_type: ClassVar[str] = "clues.ClueRegistered"
    schema_version: ClassVar[int] = 3

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
    persons: list[CluePerson] = Field(default_factory=list, max_length=50)


class ClueRegistered(EventPayload):
    """A problem clue registered (schema 4): from a petition (``source_petition_id``), from a
    clue an intake record brought (``source_record_id``), or directly by an inspection group
    (``POST /api/v1/clues``: ``group_id``/``unit_id`` and the ``persons`` it concerns);
    ``source_channel`` is the petition's channel, the record's kind or the group's channel.
    ``registered_on`` is the day written on a registration made on paper and recorded later
    (补录, R26); ``None``: the day it was recorded (China time)."""

    event_type: ClassVar[str] = "clues.ClueRegistered"
    schema_version: ClassVar[int] = 4

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
    persons: list[CluePerson] = Field(default_factory=list, max_length=50)
    registered_on: date | None = Field(
        default=None,
        description="the day (China Standard Time) written on the registration (补录, R26); "
        "null: the day it was recorded",
    )


def upcast_clue_registered_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: the source channel of old clues is not recorded (petitions only)."""
    for name in ("source_record_id", "source_channel", "group_id", "unit_id"):
        payload.setdefault(name, None)
    return payload


def upcast_clue_registered_v2(payload: JsonDict) -> JsonDict:
    """v2 -> v3: clues registered before direct registration name no persons."""
    payload.setdefault("persons", [])
    return payload


def upcast_clue_registered_v3(payload: JsonDict) -> JsonDict:
    """v3 -> v4: clues registered before 补录 were registered the day they were recorded."""
    payload.setdefault("registered_on", None)
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


class ClueTransferredV1(EventPayload):
    """Schema 1: no day written on the transfer letter (``transferred_on``); the clue was
    transferred the day it was recorded."""

    event_type: ClassVar[str] = "clues.ClueTransferred"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    department: Department
    reason: LongText
    jurisdiction: JurisdictionCode
    unit: ShortText
    summary: LongText


class ClueTransferred(EventPayload):
    """移交: to a department by the Art. 28 route (R2) (schema 2). ``transferred_on`` is the
    day of a transfer letter (移交函) made on paper and recorded later (补录, R26): R3's
    3 months count from it; ``None``: the day it was recorded (China time)."""

    event_type: ClassVar[str] = "clues.ClueTransferred"
    schema_version: ClassVar[int] = 2

    clue_id: UUID
    department: Department
    reason: LongText
    jurisdiction: JurisdictionCode
    unit: ShortText
    summary: LongText
    transferred_on: date | None = Field(
        default=None,
        description="the day (China Standard Time) of the transfer letter (补录, R26); "
        "null: the day it was recorded",
    )


def upcast_clue_transferred_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: transfers before 补录 were made the day they were recorded."""
    payload.setdefault("transferred_on", None)
    return payload


# --- the lifecycle after the transfer (issue 14: verification, acknowledgement, result) -------


class VerificationMethod(StrEnum):
    QUICK_CHECK = "quick_check"  # 速查
    VERIFICATION = "verification"  # 核查


class AcknowledgementPath(StrEnum):
    DIRECT = "direct"  # POST /api/v1/clues/{id}/acknowledge with the department's token
    FEED = "feed"  # 签收 in reporting's sharing feed (reporting.ShareItemAcknowledged)


class Disposition(StrEnum):
    """How the receiving department disposed of a transferred clue (处置方式)."""

    TALK_OR_LETTER = "talk_or_letter"  # 谈话函询
    PRELIMINARY_CHECK = "preliminary_check"  # 初步核实
    SHELVED = "shelved"  # 暂存待查
    CLOSED = "closed"  # 予以了结
    CASE_OPENED = "case_opened"  # 立案审查调查
    ORGANISATIONAL_HANDLING = "organisational_handling"  # 组织处理


class ClueVerified(EventPayload):
    """速查/核查: the group (or office) verified a clue during stationing."""

    event_type: ClassVar[str] = "clues.ClueVerified"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    method: VerificationMethod
    verification_outcome: ShortText
    notes: LongText | None = None


class ClueAcknowledged(EventPayload):
    """签收: the receiving department acknowledged a transferred clue, directly or through its
    sharing feed (``feed_ack_event_id``: the ``reporting.ShareItemAcknowledged``). Once per
    clue, whichever way comes first; ``transfer_event_id`` names the feed item."""

    event_type: ClassVar[str] = "clues.ClueAcknowledged"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    department: Department
    via: AcknowledgementPath
    transfer_event_id: UUID
    feed_ack_event_id: UUID | None = None


class TransferResultReported(EventPayload):
    """办理结果: the receiving department reported what it did with the clue (R3)."""

    event_type: ClassVar[str] = "clues.TransferResultReported"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    department: Department
    disposition: Disposition
    concluded_on: date
    summary: LongText


class ClueDisposed(EventPayload):
    """办结: the office responsible for the clue accepted the department's result and closed
    it. Intake follows it to start the result notice of a real-name reporter (R8)."""

    event_type: ClassVar[str] = "clues.ClueDisposed"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    disposition: Disposition
    disposed_on: date = Field(description="the day (China Standard Time) the office closed it")
    source_petition_id: UUID | None = None
    note: LongText | None = None


class ClueArchived(EventPayload):
    """存档: the office archived a 参考类 clue kept for reference."""

    event_type: ClassVar[str] = "clues.ClueArchived"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    reason: LongText


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


class InspectionReportDrafted(EventPayload):
    """巡察报告形成: a group's or the office's report of a round (分报告 of one unit, 综合报告 of
    the round, 专项报告 on a theme) with the problems it presents. Stream type
    ``inspection_report``; ``unit_ids`` are every unit the report covers (the unit of a unit
    report, the units of its problems, and any unit named besides)."""

    event_type: ClassVar[str] = "clues.InspectionReportDrafted"
    schema_version: ClassVar[int] = 1

    report_id: UUID
    round_id: UUID
    jurisdiction: JurisdictionCode
    kind: InspectionReportKind
    unit_id: UUID | None = Field(default=None, description="the unit of a unit report (分报告)")
    unit_ids: list[UUID] = Field(default_factory=list)
    problem_ids: list[UUID] = Field(default_factory=list)


class ProblemRecorded(EventPayload):
    """发现问题: a problem the group found at a unit in a round, by topic (两个责任, 四风,
    民主集中制, 选人用人 …), with the clues it rests on; ``pointed`` marks a problem that names
    persons and matters (点人点事). Stream type ``problem``."""

    event_type: ClassVar[str] = "clues.ProblemRecorded"
    schema_version: ClassVar[int] = 1

    problem_id: UUID
    round_id: UUID
    jurisdiction: JurisdictionCode
    unit_id: UUID
    group_id: UUID | None = Field(default=None, description="the group that recorded it")
    title: LongText
    topics: list[ShortText] = Field(default_factory=list)
    clue_ids: list[UUID] = Field(default_factory=list)
    pointed: bool = False


class ConsultationHeld(EventPayload):
    """即时会商: the office and a group settled sudden matters on some clues. Stream type
    ``consultation``."""

    event_type: ClassVar[str] = "clues.ConsultationHeld"
    schema_version: ClassVar[int] = 1

    consultation_id: UUID
    jurisdiction: JurisdictionCode
    clue_ids: list[UUID] = Field(min_length=1)
    held_on: date
    participants: list[ShortText] = Field(min_length=1)
    decision: LongText


MODELS: tuple[type[EventPayload], ...] = (
    ClueRegisteredV1,
    ClueRegisteredV2,
    ClueRegisteredV3,
    ClueRegistered,
    ClueClassified,
    ClueEscalated,
    ClueTransferredV1,
    ClueTransferred,
    ClueVerified,
    ClueAcknowledged,
    TransferResultReported,
    ClueDisposed,
    ClueArchived,
    DeadlineWarningRaised,
    TransferResultOverdue,
    EscalationOverdue,
    DeadlineRecomputed,
    InspectionReportHeard,
    InspectionReportDrafted,
    ProblemRecorded,
    ConsultationHeld,
)
UPCASTERS = {
    ("clues.ClueRegistered", 1): upcast_clue_registered_v1,
    ("clues.ClueRegistered", 2): upcast_clue_registered_v2,
    ("clues.ClueRegistered", 3): upcast_clue_registered_v3,
    ("clues.ClueTransferred", 1): upcast_clue_transferred_v1,
}
