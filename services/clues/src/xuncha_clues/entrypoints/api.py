"""HTTP API of the clues service (port 8002).

| method | path | who |
|---|---|---|
| GET | ``/api/v1/clues[?jurisdiction=&status=&limit=&offset=]`` | offices, groups, auditor, depts |
| POST | ``/api/v1/clues`` | city/county office, inspection group (its own group) |
| GET | ``/api/v1/clues/{id}`` | offices, groups, auditor (own area), its department |
| POST | ``/api/v1/clues/{id}/classify`` | city/county office, inspection group |
| POST | ``/api/v1/clues/{id}/verify`` | city/county office, inspection group |
| POST | ``/api/v1/clues/{id}/escalate`` | city/county office |
| POST | ``/api/v1/clues/{id}/transfer`` | city/county office |
| POST | ``/api/v1/clues/{id}/acknowledge`` | the receiving department |
| POST | ``/api/v1/clues/{id}/result`` | the receiving department |
| POST | ``/api/v1/clues/{id}/dispose`` | city/county office responsible (办结) |
| POST | ``/api/v1/clues/{id}/archive`` | city/county office responsible (参考类存档) |

Clues come from the intake consumers (petitions, records) or are registered directly by a group
(the summary never carries the informant's identity: a phone or ID number is a 422, R11). A
group member bound to a group registers and acts only for its own group. A county office sees a
clue escalated to the city office only as a stub (id, dates, status; 不扩大知情范围). A receiving
department sees and acts only on the clues transferred to it; any other is the uniform 404.
Errors are ``application/problem+json``: 401/403 for credentials and role, 404 for an unknown
clue (or one of another jurisdiction, group or department), 409 for a state that forbids the
action (the detail names the clue's state; R12: escalate first), 422 for invalid input or a
wrong Art. 28 route.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.clues import (
    AcknowledgementPath,
    CadreLevel,
    ClueCategory,
    CluePerson,
    Disposition,
    VerificationMethod,
)
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
from xuncha_clues.domain.clue import (
    DISPOSITION_ZH,
    STATUS_ZH,
    Clue,
    ClueStatus,
    Office,
    UnknownClue,
    unknown_clue_detail,
)
from xuncha_clues.domain.commands import (
    ArchiveClue,
    ClassifyClue,
    DisposeClue,
    EscalateClue,
    RegisterClue,
    ReportResult,
    TransferClue,
    VerifyClue,
)
from xuncha_clues.domain.routing import ROUTE_TABLE_VERSION, suggested_departments
from xuncha_clues.handlers import ClueHandlers

READERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER, Role.AUDITOR, Role.DEPARTMENT)
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


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cadre_level: CadreLevel | None = Field(default=None, description="处级 / 科级 / 科员及以下")
    city_managed: bool = Field(default=False, description="市管干部 (R12)")


class RegisterIn(BaseModel):
    """直接登记: a group registers a clue it found (no informant identity in the summary)."""

    model_config = ConfigDict(extra="forbid")

    jurisdiction: JurisdictionCode
    round_id: UUID
    group_id: UUID
    unit_id: UUID
    unit: ShortText | None = Field(default=None, description="被巡察单位名称 (optional)")
    source_channel: ShortText = Field(description="e.g. individual_talk, site_check, letter")
    summary: LongText
    persons: list[PersonIn] = Field(default=[], max_length=50)


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: VerificationMethod = Field(description="quick_check 速查 / verification 核查")
    outcome: ShortText
    notes: LongText | None = None


class ResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disposition: Disposition
    concluded_on: date
    summary: LongText


class DisposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disposed_on: date | None = Field(default=None, description="default: today (CST)")
    note: LongText | None = None


class ArchiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: LongText


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
    route_table: str = ROUTE_TABLE_VERSION
    source_petition_id: UUID | None
    round_id: str | None
    group_id: UUID | None = None
    unit_id: UUID | None = None
    source_channel: str | None = None
    persons: list[CluePerson] = []
    verifications: int = 0
    acknowledged_via: AcknowledgementPath | None = None
    disposition: Disposition | None = None
    disposition_zh: str | None = None
    concluded_on: date | None = None
    result_summary: str | None = None
    disposed_on: date | None = None
    transferred_at: datetime | None = None
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
        status_zh=STATUS_ZH[clue.status],
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
        suggested_departments=suggested_departments(clue.topics),
        source_petition_id=clue.source_petition_id,
        round_id=clue.round_id,
        group_id=clue.group_id,
        unit_id=clue.unit_id,
        source_channel=clue.source_channel,
        persons=clue.persons,
        verifications=clue.verifications,
        acknowledged_via=clue.acknowledged_via,
        disposition=clue.disposition,
        disposition_zh=DISPOSITION_ZH[clue.disposition] if clue.disposition else None,
        concluded_on=clue.concluded_on,
        result_summary=clue.result_summary,
        disposed_on=clue.disposed_on,
        transferred_at=clue.transferred_at,
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
        status_zh=STATUS_ZH[clue.status],
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
    if principal.role is Role.DEPARTMENT:
        full = (
            full
            and principal.department is not None
            and (row.department == principal.department.value)
        )
    item = ClueListItem(
        view="full" if full else "stub",
        id=row.clue_id,
        jurisdiction=row.jurisdiction,
        status=status,
        status_zh=STATUS_ZH[status],
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


def can_see(principal: Principal, clue: Clue) -> bool:
    """A department: only the clues transferred to it, in its area. A group member bound to a
    group: not another group's clues. Others: clues registered in, or escalated to, their
    area."""
    if principal.role is Role.DEPARTMENT:
        return (
            clue.department is not None
            and clue.department is principal.department
            and (principal.can_access(clue.owner))
        )
    if clue.group_id is not None and not principal.sees_group(clue.group_id):
        return False
    return principal.can_access(clue.jurisdiction) or principal.can_access(clue.owner)


def ensure_can_see(principal: Principal, clue_id: UUID, clue: Clue) -> None:
    """Unless :func:`can_see`: the 404 of an unknown clue, word for word (no existence
    oracle)."""
    if not can_see(principal, clue):
        raise problems.problem_of(UnknownClue(unknown_clue_detail(clue_id)))


def department_of(principal: Principal) -> Department:
    assert principal.department is not None  # a department principal always has one
    return principal.department


def domain_errors() -> AbstractContextManager[None]:
    """Map the model's refusals and lost races to problem responses."""
    return problems.domain_errors(CONCURRENT_CHANGE)


# ---- routes --------------------------------------------------------------------------------


def build_router(handlers: ClueHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1/clues", tags=["clues"])
    reader = deps.require_roles(*READERS)
    classifier = deps.require_roles(*CLASSIFIERS, write=True)
    office = deps.require_roles(*OFFICES, write=True)
    department = deps.require_roles(Role.DEPARTMENT, write=True)

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
                department=department_of(principal).value
                if principal.role is Role.DEPARTMENT
                else None,
            )
        )
        return ClueList(
            items=[list_item(r, principal) for r in rows],
            limit=limit,
            offset=offset,
            total=total,
            sort=sort.text,
        )

    @router.post("", response_model=ClueOut, status_code=201)
    async def register(
        body: RegisterIn, request: Request, principal: Principal = Depends(classifier)
    ) -> ClueOut:
        """直接登记: a group (or office) registers a clue it found itself."""
        ensure_jurisdiction(principal, body.jurisdiction)
        if not principal.sees_group(body.group_id):  # another group's: like an unknown group
            raise problems.not_found(
                f"未找到巡察组 {body.group_id} / unknown group {body.group_id}"
            )
        cmd = RegisterClue(
            clue_id=uuid4(),
            jurisdiction=body.jurisdiction,
            unit=body.unit or str(body.unit_id),
            summary=body.summary,
            round_id=str(body.round_id),
            source_channel=body.source_channel,
            group_id=body.group_id,
            unit_id=body.unit_id,
            persons=tuple(CluePerson(**p.model_dump()) for p in body.persons),
            direct=True,
        )
        with domain_errors():
            clue = await handlers.register(cmd, request_meta(request, principal))
        return clue_out(clue)

    @router.get("/{clue_id}", response_model=ClueOut | ClueStub)
    async def get_clue(clue_id: UUID, principal: Principal = Depends(reader)) -> ClueOut | ClueStub:
        clue = await visible(clue_id, principal)
        if principal.role is Role.DEPARTMENT or clue.visible_in_full_to(office_of(principal)):
            return clue_out(clue)
        return clue_stub(clue)

    @router.post("/{clue_id}/verify", response_model=ClueOut)
    async def verify(
        clue_id: UUID, body: VerifyIn, request: Request, principal: Principal = Depends(classifier)
    ) -> ClueOut:
        """速查/核查 during stationing."""
        await visible(clue_id, principal)
        cmd = VerifyClue(method=body.method, outcome=body.outcome, notes=body.notes)
        with domain_errors():
            clue = await handlers.verify(
                clue_id, cmd, office_of(principal), request_meta(request, principal)
            )
        return clue_out(clue)

    @router.post("/{clue_id}/acknowledge", response_model=ClueOut)
    async def acknowledge(
        clue_id: UUID, request: Request, principal: Principal = Depends(department)
    ) -> ClueOut:
        """签收 by the receiving department (once: 409 when signed already, also via the feed)."""
        await visible(clue_id, principal)
        with domain_errors():
            clue = await handlers.acknowledge(
                clue_id, department_of(principal), request_meta(request, principal)
            )
        return clue_out(clue)

    @router.post("/{clue_id}/result", response_model=ClueOut)
    async def report_result(
        clue_id: UUID, body: ResultIn, request: Request, principal: Principal = Depends(department)
    ) -> ClueOut:
        """办理结果 (R3): the receiving department's disposition, after its acknowledgement."""
        await visible(clue_id, principal)
        cmd = ReportResult(
            department=department_of(principal),
            disposition=body.disposition,
            concluded_on=body.concluded_on,
            summary=body.summary,
        )
        with domain_errors():
            clue = await handlers.report_result(clue_id, cmd, request_meta(request, principal))
        return clue_out(clue)

    @router.post("/{clue_id}/dispose", response_model=ClueOut)
    async def dispose(
        clue_id: UUID,
        request: Request,
        body: DisposeIn | None = None,
        principal: Principal = Depends(office),
    ) -> ClueOut:
        """办结 (R9): the office closes a clue whose result was reported."""
        await visible(clue_id, principal)
        today = handlers.today()
        disposed_on = body.disposed_on if body and body.disposed_on else today
        if disposed_on > today:
            raise problems.invalid(
                "disposed_on",
                f"办结日期不能晚于今天 / disposed_on {disposed_on.isoformat()} is after today "
                f"({today.isoformat()})",
            )
        cmd = DisposeClue(disposed_on=disposed_on, note=body.note if body else None)
        with domain_errors():
            clue = await handlers.dispose(
                clue_id, cmd, office_of(principal), request_meta(request, principal)
            )
        return clue_out(clue)

    @router.post("/{clue_id}/archive", response_model=ClueOut)
    async def archive(
        clue_id: UUID, body: ArchiveIn, request: Request, principal: Principal = Depends(office)
    ) -> ClueOut:
        """存档 (R9): a 参考类 clue kept for reference is archived."""
        await visible(clue_id, principal)
        with domain_errors():
            clue = await handlers.archive(
                clue_id,
                ArchiveClue(reason=body.reason),
                office_of(principal),
                request_meta(request, principal),
            )
        return clue_out(clue)

    @router.post("/{clue_id}/classify", response_model=ClueOut)
    async def classify(
        clue_id: UUID,
        body: ClassifyIn,
        request: Request,
        principal: Principal = Depends(classifier),
    ) -> ClueOut:
        await visible(clue_id, principal)
        cmd = ClassifyClue(
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
                EscalateClue(reason=body.reason),
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
                TransferClue(department=body.department, reason=body.reason),
                office_of(principal),
                request_meta(request, principal),
            )
        return clue_out(clue)

    return router
