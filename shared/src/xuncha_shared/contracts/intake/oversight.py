"""The city office's oversight of its counties' inspection work (市对县巡察工作的督导): its checks
of a county office's work (督导检查) with the problems they found, a county put under key
supervision (重点督办) for its inspection work and the supervision lifted, and the pilot points
(联系点) its leading group's members take charge of (包联) (R29). Not
``rectification.SupervisionOrdered``, which supervises a unit's rectification."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from xuncha_shared.contracts.common import JurisdictionCode, LongText, ShortText
from xuncha_shared.envelope import EventPayload


class CheckFinding(BaseModel):
    """One problem a check found in a county office's inspection work."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    aspect: ShortText = Field(description="方面, e.g. 组织建设, 巡察质量, 整改督促")
    description: LongText


class CountyWorkChecked(EventPayload):
    """督导检查: the city office checked a county office's inspection work (its findings may be
    none: a check that found nothing is a check all the same)."""

    event_type: ClassVar[str] = "intake.CountyWorkChecked"
    schema_version: ClassVar[int] = 1

    check_id: UUID
    jurisdiction: JurisdictionCode = Field(description="the city office that checked")
    county: JurisdictionCode = Field(description="the county whose inspection work was checked")
    checked_on: date = Field(description="the day (China Standard Time) of the check")
    findings: list[CheckFinding] = Field(default=[], max_length=200)
    note: LongText | None = None


class CountyKeySupervisionOrdered(EventPayload):
    """重点督办: the city office put a county's inspection work under key supervision (for
    instance slow coverage, village inspection pushed weakly: 000:L39)."""

    event_type: ClassVar[str] = "intake.CountyKeySupervisionOrdered"
    schema_version: ClassVar[int] = 1

    supervision_id: UUID
    jurisdiction: JurisdictionCode = Field(description="the city office that ordered it")
    county: JurisdictionCode
    ordered_on: date = Field(description="the day (China Standard Time) it was ordered")
    reason: LongText


class CountyKeySupervisionLifted(EventPayload):
    """解除重点督办: the city office lifted a county's key supervision (the county caught up)."""

    event_type: ClassVar[str] = "intake.CountyKeySupervisionLifted"
    schema_version: ClassVar[int] = 1

    supervision_id: UUID
    jurisdiction: JurisdictionCode = Field(description="the city office that had ordered it")
    county: JurisdictionCode
    lifted_on: date = Field(description="the day (China Standard Time) it was lifted")
    reason: LongText


class PilotPointKind(StrEnum):
    """联系点的类别 (000:L39)."""

    NORMALISATION = "normalisation"  # 县级巡察规范化推进联系点: a county's inspection work
    RECTIFICATION = "rectification"  # 巡察整改联系点: a township or a village (community)


class PilotPlaceLevel(StrEnum):
    """What a 巡察整改联系点 is: a township's or a village's (community's) party organisation."""

    TOWNSHIP = "township"  # 乡镇
    VILLAGE_OR_COMMUNITY = "village_or_community"  # 村（社区）


class PilotPointDesignated(EventPayload):
    """联系点: the city office made a county (规范化推进) or a township or village of a county
    (整改) a pilot point, in the charge of a member of its inspection work leading group (包联).
    One stream per point (``pilot_point_id_for``): a point is designated once."""

    event_type: ClassVar[str] = "intake.PilotPointDesignated"
    schema_version: ClassVar[int] = 1

    point_id: UUID
    jurisdiction: JurisdictionCode = Field(description="the city office that designated it")
    county: JurisdictionCode
    kind: PilotPointKind
    level: PilotPlaceLevel | None = Field(
        default=None, description="a rectification point's level; none for a county's"
    )
    place: ShortText | None = Field(
        default=None, description="a rectification point's township or village; none for a county's"
    )
    liaison: ShortText = Field(description="包联领导: the leading group member in charge of it")
    designated_on: date = Field(description="the day (China Standard Time) it was designated")
    note: LongText | None = None
