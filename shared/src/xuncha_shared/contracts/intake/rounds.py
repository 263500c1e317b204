"""Step 1 of the lifecycle: inspected units, term plans, linkage plans, rounds."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from xuncha_shared.contracts.common import JurisdictionCode, LongText, ShortText
from xuncha_shared.envelope import EventPayload

#: a term (届) or round (轮) number
Ordinal = Annotated[int, Field(ge=1, le=99)]


class UnitKind(StrEnum):
    """被巡察单位的类别."""

    CITY_DEPARTMENT = "city_department"  # 市直单位
    CITY_STATE_OWNED_ENTERPRISE = "city_state_owned_enterprise"  # 市属国有企业
    COUNTY_DEPARTMENT = "county_department"  # 县直单位
    TOWNSHIP = "township"  # 乡镇
    VILLAGE_OR_COMMUNITY = "village_or_community"  # 村(社区)
    OTHER = "other"  # 其他
    #: 巡察机构 (a 巡察办 itself, registered as the home body of pool members): never an object
    #: of inspection at its own level; the level above oversees it (R28)
    INSPECTION_OFFICE = "inspection_office"


class RoundKind(StrEnum):
    """轮次类型 (000:L26, 000:L52)."""

    REGULAR = "regular"  # 常规巡察
    THEMATIC = "thematic"  # 专项巡察
    MOBILE = "mobile"  # 机动式巡察
    TARGETED = "targeted"  # 点穴式巡察
    RETURN_VISIT = "return_visit"  # 回访式巡察
    CROSS_REGIONAL = "cross_regional"  # 异地交流巡察 / 交叉巡察 (双授权)


class InspectionMode(StrEnum):
    """How a unit is inspected in a round."""

    REGULAR = "regular"  # 常规
    LINKED = "linked"  # 上下联动
    REVISIT = "revisit"  # 回头看


class UnitRegistered(EventPayload):
    """被巡察单位登记: a party organisation that may be inspected; its name is unique in its
    jurisdiction (the unit id is derived from jurisdiction and name)."""

    event_type: ClassVar[str] = "intake.UnitRegistered"
    schema_version: ClassVar[int] = 1

    unit_id: UUID
    jurisdiction: JurisdictionCode
    name: ShortText
    kind: UnitKind


class TermPlanAdopted(EventPayload):
    """巡察工作五年规划: the units a jurisdiction plans to inspect in a term (the denominator
    of 全覆盖). One per jurisdiction and term."""

    event_type: ClassVar[str] = "intake.TermPlanAdopted"
    schema_version: ClassVar[int] = 1

    term_plan_id: UUID
    jurisdiction: JurisdictionCode
    term_no: Ordinal
    starts_on: date
    ends_on: date
    unit_ids: list[UUID]


#: amendments of one term plan at most (a bound, not a rule of the regulations)
MAX_AMENDMENTS = 999


class TermPlanAmended(EventPayload):
    """巡察规划调整: while its term runs, units are brought into an adopted plan (a unit set up
    since, e.g. by 机构改革) or taken out of it (one merged or abolished before it was
    inspected), for ``reason``. ``unit_ids`` is the plan after the amendment, its dates those
    of the plan (unchanged), so the event reads alone; ``amendment_no`` counts the plan's
    amendments from 1."""

    event_type: ClassVar[str] = "intake.TermPlanAmended"
    schema_version: ClassVar[int] = 1

    term_plan_id: UUID
    jurisdiction: JurisdictionCode
    term_no: Ordinal
    starts_on: date
    ends_on: date
    amendment_no: int = Field(ge=1, le=MAX_AMENDMENTS)
    amended_on: date
    added_unit_ids: list[UUID]
    removed_unit_ids: list[UUID]
    reason: LongText
    unit_ids: list[UUID]


class LinkagePlanIssued(EventPayload):
    """联动工作方案: the city's follows a provincial round (``trigger``), each county's is issued
    under the city's (``parent_plan_id``)."""

    event_type: ClassVar[str] = "intake.LinkagePlanIssued"
    schema_version: ClassVar[int] = 1

    linkage_plan_id: UUID
    jurisdiction: JurisdictionCode
    title: ShortText
    issued_on: date
    trigger: ShortText
    parent_plan_id: UUID | None = None


class CounterpartReportProvided(EventPayload):
    """上下联动: under its linkage plan a county provides the inspection report of a unit it
    inspected itself (``unit_id``) that matches a unit the city inspects in linkage
    (``counterpart_unit_id``), so that the upper level can 以下看上."""

    event_type: ClassVar[str] = "intake.CounterpartReportProvided"
    schema_version: ClassVar[int] = 1

    linkage_plan_id: UUID
    jurisdiction: JurisdictionCode
    unit_id: UUID
    counterpart_unit_id: UUID
    provided_on: date


class RoundPlanned(EventPayload):
    """轮次部署: a round of a term (round numbers are unique in a jurisdiction's term; the round
    id is derived from jurisdiction, term and round number)."""

    event_type: ClassVar[str] = "intake.RoundPlanned"
    schema_version: ClassVar[int] = 1

    round_id: UUID
    jurisdiction: JurisdictionCode
    term_no: Ordinal
    round_no: Ordinal
    kind: RoundKind
    starts_on: date
    ends_on: date
    linkage_plan_id: UUID | None = None


class RoundUnit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_id: UUID
    mode: InspectionMode


class RoundUnitsAssigned(EventPayload):
    """被巡察单位确定: units assigned to a round, each with its mode."""

    event_type: ClassVar[str] = "intake.RoundUnitsAssigned"
    schema_version: ClassVar[int] = 1

    round_id: UUID
    units: list[RoundUnit] = Field(min_length=1)


class RoundAuthorised(EventPayload):
    """授权: a leading group authorised the round (a cross-regional round needs the city's and
    the host county's: 双授权)."""

    event_type: ClassVar[str] = "intake.RoundAuthorised"
    schema_version: ClassVar[int] = 1

    round_id: UUID
    authorising_jurisdiction: JurisdictionCode


class RoundClosed(EventPayload):
    """轮次结束."""

    event_type: ClassVar[str] = "intake.RoundClosed"
    schema_version: ClassVar[int] = 1

    round_id: UUID
