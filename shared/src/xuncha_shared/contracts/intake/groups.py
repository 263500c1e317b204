"""Steps 2 and 3: the talent pool, groups with recusal checks, stationing and its cadence
(R14, R15)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field, StringConstraints

from xuncha_shared.contracts.common import JurisdictionCode, LongText, ShortText
from xuncha_shared.contracts.intake.rounds import Ordinal
from xuncha_shared.envelope import EventPayload


class TalentSource(StrEnum):
    """Where a pool member is seconded from (000:L39)."""

    DISCIPLINE_COMMISSION = "discipline_commission"  # 纪委监委
    ORGANISATION = "organisation"  # 组织部
    INSPECTION_OFFICE = "inspection_office"  # 巡察办
    OTHER = "other"  # 其他单位


class Speciality(StrEnum):
    """A pool member's skills; a group mixes them (000:L25)."""

    DISCIPLINE = "discipline"  # 纪检监察
    PERSONNEL = "personnel"  # 组织人事
    LAW = "law"  # 法律
    FINANCE_AUDIT = "finance_audit"  # 财务审计
    ENGINEERING = "engineering"  # 工程建设
    AGRICULTURE = "agriculture"  # 农业农村
    OTHER = "other"


class Grade(StrEnum):
    """巡察干部评价等次 (the values are the Chinese words offices use)."""

    EXCELLENT = "优秀"
    COMPETENT = "称职"
    BASICALLY_COMPETENT = "基本称职"
    INCOMPETENT = "不称职"


class TalentPoolMemberEnrolled(EventPayload):
    """入库: a cadre enters the inspection talent pool (巡察人才库)."""

    event_type: ClassVar[str] = "intake.TalentPoolMemberEnrolled"
    schema_version: ClassVar[int] = 1

    member_id: UUID
    jurisdiction: JurisdictionCode
    name: ShortText
    home_unit_id: UUID
    source: TalentSource
    specialities: list[Speciality] = Field(min_length=1)
    rank: ShortText = Field(description="职级, e.g. 正科级, 副处级")
    birth_year: int = Field(ge=1940, le=2010)


class TalentPoolMemberRetired(EventPayload):
    """出库: a member leaves the pool (动态更新); no new group may take them."""

    event_type: ClassVar[str] = "intake.TalentPoolMemberRetired"
    schema_version: ClassVar[int] = 1

    member_id: UUID


class ReserveCadreAdmitted(EventPayload):
    """纳入后备干部库 (004:L8): a member graded 优秀 after a round (``InspectorEvaluated`` of
    ``group_id``) is put into the reserve pool of cadres, to be followed (跟踪了解). On the
    member's stream (``pool_member``)."""

    event_type: ClassVar[str] = "intake.ReserveCadreAdmitted"
    schema_version: ClassVar[int] = 1

    member_id: UUID
    group_id: UUID = Field(description="the group whose evaluation graded the member 优秀")
    admitted_on: date = Field(description="the day (China Standard Time)")
    note: LongText | None = None


class ReserveCadreRemoved(EventPayload):
    """移出后备干部库: a reserve cadre leaves the reserve pool (promoted, or no longer fit)."""

    event_type: ClassVar[str] = "intake.ReserveCadreRemoved"
    schema_version: ClassVar[int] = 1

    member_id: UUID
    removed_on: date = Field(description="the day (China Standard Time)")
    reason: ShortText


class RecusalDeclared(EventPayload):
    """回避: a member declared a tie to a unit; no group inspecting it may take them."""

    event_type: ClassVar[str] = "intake.RecusalDeclared"
    schema_version: ClassVar[int] = 1

    member_id: UUID
    unit_id: UUID
    reason: LongText


class GroupFormed(EventPayload):
    """巡察组组建: a round's group, its leader (组长) and members from the pool and the units it
    inspects; the recusal checks passed. ``starts_on``/``ends_on`` are the round's dates."""

    event_type: ClassVar[str] = "intake.GroupFormed"
    schema_version: ClassVar[int] = 1

    group_id: UUID
    round_id: UUID
    jurisdiction: JurisdictionCode
    group_no: Ordinal
    leader_id: UUID
    member_ids: list[UUID] = Field(min_length=1)
    unit_ids: list[UUID] = Field(min_length=1)
    starts_on: date
    ends_on: date


class InspectorEvaluated(EventPayload):
    """巡察干部评价: the office rates a member of the group after the round."""

    event_type: ClassVar[str] = "intake.InspectorEvaluated"
    schema_version: ClassVar[int] = 1

    group_id: UUID
    member_id: UUID
    grade: Grade
    remarks: LongText | None = None


class InspectorEvaluationCorrected(EventPayload):
    """巡察干部评价更正: the office corrects a grade it gave (a wrong choice, or a review of the
    evaluation), with the reason; the evaluation reads the new grade from then on, and the first
    stays in the group's history."""

    event_type: ClassVar[str] = "intake.InspectorEvaluationCorrected"
    schema_version: ClassVar[int] = 1

    group_id: UUID
    member_id: UUID
    grade: Grade
    previous_grade: Grade
    reason: LongText


class GroupStationed(EventPayload):
    """进驻: the group is stationed at a unit. Without a given end the stationing lasts the
    working days of rule R14 (``rule_id``/``rule_version``; ``provisional`` when counted through
    a year whose holiday schedule is not known yet)."""

    event_type: ClassVar[str] = "intake.GroupStationed"
    schema_version: ClassVar[int] = 1

    group_id: UUID
    stationing_id: UUID
    unit_id: UUID
    starts_on: date
    ends_on: date
    rule_id: ShortText | None = None
    rule_version: int | None = Field(default=None, ge=1, le=1_000_000)
    provisional: bool = False


class StationingEnded(EventPayload):
    """进驻结束: the unit counts as inspected (全覆盖)."""

    event_type: ClassVar[str] = "intake.StationingEnded"
    schema_version: ClassVar[int] = 1

    group_id: UUID
    stationing_id: UUID
    ended_on: date


class StationingOverdue(EventPayload):
    """进驻超期 (R14): a stationing has not ended by the last of its working days."""

    event_type: ClassVar[str] = "intake.StationingOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date = Field(description="the last working day of the stationing by R14")
    group_id: UUID
    stationing_id: UUID


class DispatchHeld(EventPayload):
    """一周一调度 (R15): the office dispatched (调度) a stationed group's work. ``seq`` counts
    the dispatches of this stationing from 1."""

    event_type: ClassVar[str] = "intake.DispatchHeld"
    schema_version: ClassVar[int] = 1

    group_id: UUID
    stationing_id: UUID
    seq: int = Field(ge=1, le=10_000)
    held_on: date
    summary: LongText | None = None


class ProgressReported(EventPayload):
    """两周一报告 (R15): the group reported its progress to the county office. ``seq`` counts
    the reports of this stationing from 1."""

    event_type: ClassVar[str] = "intake.ProgressReported"
    schema_version: ClassVar[int] = 1

    group_id: UUID
    stationing_id: UUID
    seq: int = Field(ge=1, le=10_000)
    reported_on: date
    summary: LongText | None = None


class CadenceOverdue(EventPayload):
    """调度/报告逾期 (R15): a stationing went a week without a dispatch (``cadence`` dispatch)
    or two weeks without a progress report (``cadence`` report). ``seq`` is the number of the
    missing one."""

    event_type: ClassVar[str] = "intake.CadenceOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date
    group_id: UUID
    stationing_id: UUID
    cadence: Annotated[str, StringConstraints(pattern=r"^(dispatch|report)$")]
    seq: int = Field(ge=1, le=10_000)
