"""The city office's oversight of its counties' inspection work (R29).

| method | path | who |
|---|---|---|
| POST | ``/api/v1/county-checks`` | the city office: a check (督导检查) of a county's work |
| POST | ``/api/v1/county-key-supervisions`` | the city office: a county under 重点督办 |
| POST | ``/api/v1/county-key-supervisions/{id}/lift`` | the city office: 解除重点督办 |
| POST | ``/api/v1/county-pilot-points`` | the city office: a pilot point (联系点) |
| GET | ``/api/v1/county-oversight[?county=&year=]`` | offices, auditor: a county its own |

A county office records none of them (403) and reads only its own county's records (another
county's ``county`` is a 403, as every list here answers a jurisdiction the caller may not
see).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.common import JurisdictionCode, LongText, ShortText
from xuncha_shared.contracts.intake import CheckFinding, PilotPlaceLevel, PilotPointKind
from xuncha_shared.contracts.names_zh import VALUE_LABELS_ZH
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies, ensure_jurisdiction
from xuncha_shared.http.requests import known_jurisdiction, request_meta
from xuncha_shared.ids import uuid7

from xuncha_intake.domain.oversight import (
    CheckCountyWork,
    CountyOversight,
    DesignatePilotPoint,
    LiftCountyKeySupervision,
    OrderCountyKeySupervision,
    OversightKind,
    PilotPoint,
)
from xuncha_intake.handlers.oversight import OversightHandlers

READERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.AUDITOR)
KIND_ZH = {
    OversightKind.CHECK: "督导检查",
    OversightKind.KEY_SUPERVISION: "重点督办",
    OversightKind.PILOT_POINT: "联系点",
}
#: a pilot point's kind and level in Chinese (``contracts.names_zh``, as the audit pages say)
POINT_KIND_ZH = VALUE_LABELS_ZH["kind"]
LEVEL_ZH = VALUE_LABELS_ZH["level"]
CONCURRENT = "并发修改冲突，请刷新后重试 / changed concurrently; reload and retry"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CheckIn(_In):
    county: JurisdictionCode
    checked_on: date = Field(description="the day of the check (China time), not after today")
    findings: list[CheckFinding] = Field(default=[], max_length=200)
    note: LongText | None = None


class KeySupervisionIn(_In):
    county: JurisdictionCode
    ordered_on: date = Field(description="the day it was ordered (China time), not after today")
    reason: LongText


class LiftIn(_In):
    lifted_on: date = Field(
        description="the day it was lifted (China time): not before it was ordered nor after today"
    )
    reason: LongText


class PilotPointIn(_In):
    county: JurisdictionCode
    kind: PilotPointKind = Field(
        description="normalisation: the county itself (县级巡察规范化推进联系点); rectification: a "
        "township or village of it (巡察整改联系点)"
    )
    level: PilotPlaceLevel | None = Field(default=None, description="a rectification point's")
    place: ShortText | None = Field(default=None, description="a rectification point's name")
    liaison: ShortText = Field(description="包联领导: the leading group member in charge of it")
    designated_on: date = Field(description="the day it was designated, not after today")
    note: LongText | None = None


class PilotPointOut(BaseModel):
    kind: PilotPointKind
    kind_zh: str
    level: PilotPlaceLevel | None
    level_zh: str | None
    place: str | None
    liaison: str


class PilotPointCounts(BaseModel):
    counties: int = Field(description="县级巡察规范化推进联系点")
    townships: int = Field(description="巡察整改联系点: 乡镇")
    villages: int = Field(description="巡察整改联系点: 村（社区）")


class OversightOut(BaseModel):
    id: UUID
    kind: Literal["check", "key_supervision", "pilot_point"]
    kind_zh: str
    jurisdiction: str = Field(description="the city office")
    county: str
    county_name: str
    day: date = Field(description="a check's checked_on, a key supervision's ordered_on")
    findings: list[CheckFinding] = Field(description="a check's problems found (none: [])")
    text: str | None = Field(
        description="a check's note, a key supervision's reason, a pilot point's note"
    )
    lifted_on: date | None = Field(description="a key supervision's, once lifted (解除)")
    lift_reason: str | None
    point: PilotPointOut | None = Field(description="a pilot point's (联系点)")
    recorded_at: datetime | None


class OversightList(BaseModel):
    items: list[OversightOut]
    checks: int
    counties_checked: int
    findings: int
    counties_under_key_supervision: list[str] = Field(
        description="the counties put under 重点督办 (their codes, in order)"
    )
    counties_key_supervision_lifted: list[str] = Field(
        description="of those, the counties whose every 重点督办 is lifted"
    )
    pilot_points: PilotPointCounts


def oversight_out(record: CountyOversight) -> OversightOut:
    assert record.record_id is not None
    assert record.kind is not None
    assert record.day is not None
    return OversightOut(
        id=record.record_id,
        kind=record.kind.value,
        kind_zh=KIND_ZH[record.kind],
        jurisdiction=record.jurisdiction,
        county=record.county,
        county_name=jurisdictions.name_of(record.county),
        day=record.day,
        findings=record.findings,
        text=record.text,
        lifted_on=record.lifted_on,
        lift_reason=record.lift_reason,
        point=None if record.point is None else pilot_point_out(record.point),
        recorded_at=record.recorded_at,
    )


def pilot_point_out(point: PilotPoint) -> PilotPointOut:
    return PilotPointOut(
        kind=point.kind,
        kind_zh=POINT_KIND_ZH[point.kind],
        level=point.level,
        level_zh=LEVEL_ZH[point.level] if point.level else None,
        place=point.place,
        liaison=point.liaison,
    )


def pilot_point_counts(records: list[CountyOversight]) -> PilotPointCounts:
    points = [r.point for r in records if r.point is not None]
    return PilotPointCounts(
        counties=sum(p.kind is PilotPointKind.NORMALISATION for p in points),
        townships=sum(p.level is PilotPlaceLevel.TOWNSHIP for p in points),
        villages=sum(p.level is PilotPlaceLevel.VILLAGE_OR_COMMUNITY for p in points),
    )


def build_oversight_router(handlers: OversightHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["county oversight"])
    city_office = deps.require_roles(Role.CITY_ADMIN, write=True)
    reader = deps.require_roles(*READERS)

    def county_of_city(principal: Principal, county: str) -> None:
        known_jurisdiction(county)
        ensure_jurisdiction(principal, county)

    @router.post("/county-checks", response_model=OversightOut, status_code=201)
    async def check(
        body: CheckIn, request: Request, principal: Principal = Depends(city_office)
    ) -> OversightOut:
        """督导检查 (R29): the city office's check of a county office's inspection work."""
        county_of_city(principal, body.county)
        cmd = CheckCountyWork(
            record_id=uuid7(),
            county=body.county,
            checked_on=body.checked_on,
            findings=tuple(body.findings),
            note=body.note,
        )
        with problems.domain_errors(CONCURRENT):
            record = await handlers.check(
                cmd, principal.jurisdiction, request_meta(request, principal)
            )
        return oversight_out(record)

    @router.post("/county-key-supervisions", response_model=OversightOut, status_code=201)
    async def key_supervision(
        body: KeySupervisionIn, request: Request, principal: Principal = Depends(city_office)
    ) -> OversightOut:
        """重点督办 (R29): a county's inspection work under the city office's key supervision."""
        county_of_city(principal, body.county)
        cmd = OrderCountyKeySupervision(
            record_id=uuid7(), county=body.county, ordered_on=body.ordered_on, reason=body.reason
        )
        with problems.domain_errors(CONCURRENT):
            record = await handlers.key_supervision(
                cmd, principal.jurisdiction, request_meta(request, principal)
            )
        return oversight_out(record)

    @router.post("/county-key-supervisions/{supervision_id}/lift", response_model=OversightOut)
    async def lift(
        supervision_id: UUID,
        body: LiftIn,
        request: Request,
        principal: Principal = Depends(city_office),
    ) -> OversightOut:
        """解除重点督办 (R29): the city office lifts a county's key supervision, once."""
        cmd = LiftCountyKeySupervision(
            record_id=supervision_id, lifted_on=body.lifted_on, reason=body.reason
        )
        with problems.domain_errors(CONCURRENT):
            record = await handlers.lift(
                cmd, principal.jurisdiction, request_meta(request, principal)
            )
        return oversight_out(record)

    @router.post("/county-pilot-points", response_model=OversightOut, status_code=201)
    async def pilot_point(
        body: PilotPointIn, request: Request, principal: Principal = Depends(city_office)
    ) -> OversightOut:
        """联系点 (R29): a county (规范化推进) or a township or village of it (整改) made a pilot
        point in a leading group member's charge (包联); each point once (409)."""
        county_of_city(principal, body.county)
        cmd = DesignatePilotPoint(
            county=body.county,
            kind=body.kind,
            liaison=body.liaison,
            designated_on=body.designated_on,
            level=body.level,
            place=body.place,
            note=body.note,
        )
        with problems.domain_errors(CONCURRENT):
            record = await handlers.pilot_point(
                cmd, principal.jurisdiction, request_meta(request, principal)
            )
        return oversight_out(record)

    @router.get("/county-oversight", response_model=OversightList)
    async def list_oversight(
        county: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
        principal: Principal = Depends(reader),
    ) -> OversightList:
        """The checks and key supervisions of the counties the caller may see (a county office:
        its own), newest first; with the year's (or all) totals."""
        if county is not None:
            county_of_city(principal, county)
        records = await handlers.table.list(county or principal.jurisdiction_like(), year)
        checks = [r for r in records if r.kind is OversightKind.CHECK]
        keys = [r for r in records if r.kind is OversightKind.KEY_SUPERVISION]
        supervised = {r.county for r in keys}
        still = {r.county for r in keys if r.lifted_on is None}
        return OversightList(
            items=[oversight_out(r) for r in records],
            checks=len(checks),
            counties_checked=len({r.county for r in checks}),
            findings=sum(len(r.findings) for r in checks),
            counties_under_key_supervision=sorted(supervised),
            counties_key_supervision_lifted=sorted(supervised - still),
            pilot_points=pilot_point_counts(records),
        )

    return router
