"""The city office's oversight of its counties' inspection work (R29).

| method | path | who |
|---|---|---|
| POST | ``/api/v1/county-checks`` | the city office: a check (督导检查) of a county's work |
| POST | ``/api/v1/county-key-supervisions`` | the city office: a county under 重点督办 |
| GET | ``/api/v1/county-oversight[?county=&year=]`` | offices, auditor: a county its own |

A county office records neither (403) and reads only its own county's records (another county's
``county`` is a 403, as every list here answers a jurisdiction the caller may not see).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.common import JurisdictionCode, LongText
from xuncha_shared.contracts.intake import CheckFinding
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies, ensure_jurisdiction
from xuncha_shared.http.requests import known_jurisdiction, request_meta
from xuncha_shared.ids import uuid7

from xuncha_intake.domain.oversight import (
    CheckCountyWork,
    CountyOversight,
    OrderCountyKeySupervision,
    OversightKind,
)
from xuncha_intake.handlers.oversight import OversightHandlers

READERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.AUDITOR)
KIND_ZH = {OversightKind.CHECK: "督导检查", OversightKind.KEY_SUPERVISION: "重点督办"}
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


class OversightOut(BaseModel):
    id: UUID
    kind: Literal["check", "key_supervision"]
    kind_zh: str
    jurisdiction: str = Field(description="the city office")
    county: str
    county_name: str
    day: date = Field(description="a check's checked_on, a key supervision's ordered_on")
    findings: list[CheckFinding] = Field(description="a check's problems found (none: [])")
    text: str | None = Field(description="a check's note, a key supervision's reason")
    recorded_at: datetime | None


class OversightList(BaseModel):
    items: list[OversightOut]
    checks: int
    counties_checked: int
    findings: int
    counties_under_key_supervision: list[str] = Field(description="their codes, in order")


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
        recorded_at=record.recorded_at,
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
        supervised = [r.county for r in records if r.kind is OversightKind.KEY_SUPERVISION]
        return OversightList(
            items=[oversight_out(r) for r in records],
            checks=len(checks),
            counties_checked=len({r.county for r in checks}),
            findings=sum(len(r.findings) for r in checks),
            counties_under_key_supervision=sorted(set(supervised)),
        )

    return router
