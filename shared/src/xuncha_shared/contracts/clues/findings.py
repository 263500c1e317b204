"""clues.* events: what a group finds and reports: problems (发现问题), the inspection report
drafted and heard (点人点事, R16), and the 即时会商 consultation."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from xuncha_shared.contracts.common import (
    JurisdictionCode,
    LongText,
    ShortText,
)
from xuncha_shared.envelope import EventPayload


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
