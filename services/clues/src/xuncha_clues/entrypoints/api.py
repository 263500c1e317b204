"""HTTP API of the clues service (port 8002).

| method | path | who |
|---|---|---|
| GET | ``/api/v1/clues[?jurisdiction=&status=&limit=&offset=]`` | offices, groups, auditor |
| GET | ``/api/v1/clues/{id}`` | offices, groups, auditor (own jurisdiction) |
| POST | ``/api/v1/clues/{id}/classify`` | city/county office, inspection group |
| POST | ``/api/v1/clues/{id}/escalate`` | city/county office |
| POST | ``/api/v1/clues/{id}/transfer`` | city/county office |

Clues are registered by the ``clues.register-from-petitions`` consumer, never over HTTP. A county
office sees a clue escalated to the city office only as a stub (id, dates, status; 不扩大知情范围).
Receiving departments see clues only through what is shared with them (reporting's feeds): 403.
Errors are ``application/problem+json``: 401/403 for credentials, role and jurisdiction, 404 for
an unknown clue, 409 for a state that forbids the action (already transferred; R12: escalate
first), 422 for invalid input or a wrong Art. 28 route.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.clues import CadreLevel, ClueCategory
from xuncha_shared.contracts.common import (
    DEPARTMENT_LABELS_ZH,
    Department,
    JurisdictionCode,
    LongText,
    ShortText,
)
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies, ensure_jurisdiction
from xuncha_shared.http.paging import MAX_LIMIT, Sort, sort_param
from xuncha_shared.http.requests import MAX_OFFSET, request_meta

from xuncha_clues.adapters.read_model import CLUE_TIEBREAK, SORT_COLUMNS, ClueQuery, ClueRow
from xuncha_clues.domain import model
from xuncha_clues.domain.model import Clue, ClueStatus, Office
from xuncha_clues.handlers import ClueHandlers

READERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER, Role.AUDITOR)
CLASSIFIERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER)
OFFICES = (Role.CITY_ADMIN, Role.COUNTY_ADMIN)
CONCURRENT_CHANGE = (
    "线索已被并发修改，请刷新后重试 / the clue was changed concurrently; reload and retry"
)


# ---- request and response models -----------------------------------------------------------


class ClassifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: ClueCategory = Field(description="进一步了解关注类 / 了解关注类 / 参考类")
    cadre_level: CadreLevel | None = Field(default=None, description="处级 / 科级 / 科员及以下")
    city_managed: bool = Field(default=False, description="涉及市管干部 (R12)")
    counties: list[JurisdictionCode] = Field(
        default=[], max_length=50, description="county codes involved"
    )
    topics: list[ShortText] = Field(default=[], max_length=50, description="e.g. 四风, 民主集中制")


class EscalateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: LongText


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: Department
    reason: LongText


class ClueOut(BaseModel):
    view: Literal["full"] = "full"
    id: UUID
    jurisdiction: str
    jurisdiction_name: str
    owner: str = Field(description="the office responsible now (the city once escalated)")
    unit: str
    summary: str
    status: ClueStatus
    status_zh: str
    category: ClueCategory | None
    cadre_level: CadreLevel | None
    city_managed: bool
    counties: list[str]
    topics: list[str]
    needs_escalation: bool = Field(description="R12: 市管干部 or several counties")
    escalated_to: str | None
    escalation_reason: str | None
    department: Department | None
    department_zh: str | None
    transfer_reason: str | None
    suggested_departments: list[Department] = Field(description="R2 route table")
    route_table: str = model.ROUTE_TABLE_VERSION
    source_petition_id: UUID | None
    round_id: str | None
    registered_at: datetime | None
    updated_at: datetime | None
    version: int


class ClueStub(BaseModel):
    """What a county office sees of a clue escalated to the city office."""

    view: Literal["stub"] = "stub"
    id: UUID
    jurisdiction: str
    status: ClueStatus
    status_zh: str
    escalated_to: str | None
    registered_at: datetime | None
    updated_at: datetime | None


class ClueListItem(BaseModel):
    view: Literal["full", "stub"]
    id: UUID
    jurisdiction: str
    status: ClueStatus
    status_zh: str
    escalated_to: str | None
    registered_at: datetime | None
    updated_at: datetime | None
    owner: str | None = None
    unit: str | None = None
    category: ClueCategory | None = None
    city_managed: bool | None = None
    needs_escalation: bool | None = None
    department: Department | None = None


class ClueList(BaseModel):
    items: list[ClueListItem]
    limit: int
    offset: int
    total: int = Field(description="how many clues the filters match (every page)")
    sort: str = Field(description="the order of the items, e.g. -registered_at")


# ---- mapping -------------------------------------------------------------------------------


def office_of(principal: Principal) -> Office:
    return Office(jurisdiction=principal.jurisdiction, city_wide=principal.is_city_wide)


def clue_out(clue: Clue) -> ClueOut:
    assert clue.clue_id is not None
    return ClueOut(
        id=clue.clue_id,
        jurisdiction=clue.jurisdiction,
        jurisdiction_name=jurisdictions.name_of(clue.jurisdiction),
        owner=clue.owner,
        unit=clue.unit,
        summary=clue.summary,
        status=clue.status,
        status_zh=model.STATUS_ZH[clue.status],
        category=clue.category,
        cadre_level=clue.cadre_level,
        city_managed=clue.city_managed,
        counties=clue.counties,
        topics=clue.topics,
        needs_escalation=clue.needs_escalation,
        escalated_to=clue.escalated_to,
        escalation_reason=clue.escalation_reason,
        department=clue.department,
        department_zh=DEPARTMENT_LABELS_ZH[clue.department] if clue.department else None,
        transfer_reason=clue.transfer_reason,
        suggested_departments=model.suggested_departments(clue.topics),
        source_petition_id=clue.source_petition_id,
        round_id=clue.round_id,
        registered_at=clue.registered_at,
        updated_at=clue.updated_at,
        version=clue.version,
    )


def clue_stub(clue: Clue) -> ClueStub:
    assert clue.clue_id is not None
    return ClueStub(
        id=clue.clue_id,
        jurisdiction=clue.jurisdiction,
        status=clue.status,
        status_zh=model.STATUS_ZH[clue.status],
        escalated_to=clue.escalated_to,
        registered_at=clue.registered_at,
        updated_at=clue.updated_at,
    )


def list_item(row: ClueRow, principal: Principal) -> ClueListItem:
    status = ClueStatus(row.status)
    full = (
        jurisdictions.city_of(row.owner) == principal.jurisdiction
        if principal.is_city_wide
        else row.owner == principal.jurisdiction
    )
    item = ClueListItem(
        view="full" if full else "stub",
        id=row.clue_id,
        jurisdiction=row.jurisdiction,
        status=status,
        status_zh=model.STATUS_ZH[status],
        escalated_to=row.escalated_to,
        registered_at=row.registered_at,
        updated_at=row.updated_at,
    )
    if full:
        item.owner = row.owner
        item.unit = row.unit
        item.category = ClueCategory(row.category) if row.category else None
        item.city_managed = row.city_managed
        item.needs_escalation = row.needs_escalation
        item.department = Department(row.department) if row.department else None
    return item


def ensure_can_see(principal: Principal, clue_id: UUID, clue: Clue) -> None:
    """Unless the clue was registered in, or escalated to, the principal's area: the 404 of an
    unknown clue, word for word (no existence oracle)."""
    if principal.can_access(clue.jurisdiction) or principal.can_access(clue.owner):
        return
    raise problems.problem_of(model.UnknownClue(model.unknown_clue_detail(clue_id)))


def domain_errors() -> AbstractContextManager[None]:
    """Map the model's refusals and lost races to problem responses."""
    return problems.domain_errors(CONCURRENT_CHANGE)


# ---- routes --------------------------------------------------------------------------------


def build_router(handlers: ClueHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1/clues", tags=["clues"])
    reader = deps.require_roles(*READERS)
    classifier = deps.require_roles(*CLASSIFIERS, write=True)
    office = deps.require_roles(*OFFICES, write=True)

    async def visible(clue_id: UUID, principal: Principal) -> Clue:
        with domain_errors():
            clue = await handlers.get(clue_id)
        ensure_can_see(principal, clue_id, clue)
        return clue

    @router.get("", response_model=ClueList)
    async def list_clues(
        principal: Principal = Depends(reader),
        jurisdiction: Annotated[JurisdictionCode | None, Query()] = None,
        status: Annotated[ClueStatus | None, Query()] = None,
        category: Annotated[
            ClueCategory | Literal["none"] | None,
            Query(description="a category, or none: not yet classified (clues seen in full)"),
        ] = None,
        unit: Annotated[
            str | None,
            Query(min_length=1, max_length=200, description="contained in the unit's name"),
        ] = None,
        sort: Sort = Depends(sort_param(SORT_COLUMNS, "-registered_at")),
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> ClueList:
        """The clues of the reader's jurisdiction, a page at a time with the ``total`` the
        filters match. ``unit`` and ``category`` filter (and sort) only clues the reader sees
        in full: another jurisdiction's escalated clue, shown as a stub, never matches them."""
        if jurisdiction is not None:
            ensure_jurisdiction(principal, jurisdiction)
            pattern = jurisdiction
        else:
            pattern = principal.jurisdiction_like()
        rows, total = await handlers.read_model.page(
            ClueQuery(
                pattern=pattern,
                own=principal.jurisdiction_like(),
                order_by=sort.sql(SORT_COLUMNS, CLUE_TIEBREAK),
                status=status.value if status else None,
                category=category.value if isinstance(category, ClueCategory) else category,
                unit=unit.strip() or None if unit else None,
                limit=limit,
                offset=offset,
            )
        )
        return ClueList(
            items=[list_item(r, principal) for r in rows],
            limit=limit,
            offset=offset,
            total=total,
            sort=sort.text,
        )

    @router.get("/{clue_id}", response_model=ClueOut | ClueStub)
    async def get_clue(clue_id: UUID, principal: Principal = Depends(reader)) -> ClueOut | ClueStub:
        clue = await visible(clue_id, principal)
        if clue.visible_in_full_to(office_of(principal)):
            return clue_out(clue)
        return clue_stub(clue)

    @router.post("/{clue_id}/classify", response_model=ClueOut)
    async def classify(
        clue_id: UUID,
        body: ClassifyIn,
        request: Request,
        principal: Principal = Depends(classifier),
    ) -> ClueOut:
        await visible(clue_id, principal)
        cmd = model.ClassifyClue(
            category=body.category,
            cadre_level=body.cadre_level,
            city_managed=body.city_managed,
            counties=tuple(body.counties),
            topics=tuple(body.topics),
        )
        with domain_errors():
            clue = await handlers.classify(
                clue_id, cmd, office_of(principal), request_meta(request, principal)
            )
        return clue_out(clue)

    @router.post("/{clue_id}/escalate", response_model=ClueOut | ClueStub)
    async def escalate(
        clue_id: UUID, body: EscalateIn, request: Request, principal: Principal = Depends(office)
    ) -> ClueOut | ClueStub:
        await visible(clue_id, principal)
        with domain_errors():
            clue = await handlers.escalate(
                clue_id,
                model.EscalateClue(reason=body.reason),
                office_of(principal),
                request_meta(request, principal),
            )
        if clue.visible_in_full_to(office_of(principal)):
            return clue_out(clue)
        return clue_stub(clue)  # a county office hands the clue over and keeps a stub

    @router.post("/{clue_id}/transfer", response_model=ClueOut)
    async def transfer(
        clue_id: UUID, body: TransferIn, request: Request, principal: Principal = Depends(office)
    ) -> ClueOut:
        await visible(clue_id, principal)
        with domain_errors():
            clue = await handlers.transfer(
                clue_id,
                model.TransferClue(department=body.department, reason=body.reason),
                office_of(principal),
                request_meta(request, principal),
            )
        return clue_out(clue)

    return router
