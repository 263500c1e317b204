"""The city office's oversight of its counties' inspection work (市对县巡察工作的督导): its checks
of a county office's work (督导检查) with the problems they found, and a county put under key
supervision (重点督办) for its inspection work (R29). Not ``rectification.SupervisionOrdered``,
which supervises a unit's rectification."""

from __future__ import annotations

from datetime import date
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
