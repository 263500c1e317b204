"""干部任用征求巡察意见 (R4): the organisation department asks, the office answers.

| method | path | who |
|---|---|---|
| POST | ``/api/v1/cadre-opinions`` | the organisation department (组织部) |
| GET | ``/api/v1/cadre-opinions[?answered=]`` | 组织部 (its own), offices, auditor |
| GET | ``/api/v1/cadre-opinions/{id}`` | the same |
| POST | ``/api/v1/cadre-opinions/{id}/withdrawal`` | 组织部: a request not answered yet |
| GET | ``/api/v1/cadre-opinions/{id}/draft[?conclusion=]`` | the offices that may read it |
| POST | ``/api/v1/cadre-opinions/{id}/opinion`` | the office of the unit's area: once |
| GET | ``/api/v1/cadre-opinion-units`` | 组织部 and offices: the units inspections know |

Another department, a group, a unit or a reporter's custodian is refused (403); a request of
another area answers the 404 of an unknown one; the city office reads its counties' requests
but answers only its own (403). Nothing here is shared with the unit itself.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.common import (
    Department,
    JurisdictionCode,
    LongText,
    NameText,
    ShortText,
)
from xuncha_shared.contracts.rectification import OpinionConclusion, OpinionPurpose
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.http.requests import request_meta

from xuncha_rectification.domain.cadre_opinion import (
    CONCLUSION_ZH,
    PURPOSE_ZH,
    CadreOpinion,
    GiveCadreOpinion,
    RequestCadreOpinion,
    WithdrawCadreOpinion,
    office_of,
)
from xuncha_rectification.domain.issue import local_date
from xuncha_rectification.entrypoints.issue_responses import OFFICES
from xuncha_rectification.handlers import CadreOpinionHandlers

CONCURRENT = "并发修改冲突，请刷新后重试 / changed concurrently; reload and retry"
#: the one department that asks (选拔任用、评先评优、年度考核 are its business)
ASKING = Department.ORGANISATION


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    jurisdiction: JurisdictionCode = Field(description="the unit's area, whose office answers")
    unit_id: UUID | None = Field(default=None, description="a unit of cadre-opinion-units")
    unit: NameText = Field(description="the cadre's unit (its name)")
    cadre_name: NameText
    cadre_post: NameText = Field(description="现任职务")
    purpose: OpinionPurpose
    requested_on: date
    reply_by: date | None = None
    note: LongText | None = None


class OpinionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    conclusion: OpinionConclusion
    text: LongText
    given_on: date


class WithdrawalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    withdrawn_on: date
    reason: ShortText


class OpinionOut(BaseModel):
    id: UUID
    jurisdiction: str
    jurisdiction_name: str
    office_zh: str = Field(description="the office that answers (市委巡察办, 临川区委巡察办 …)")
    department: Department
    unit_id: UUID | None
    unit: str
    cadre_name: str
    cadre_post: str
    purpose: OpinionPurpose
    purpose_zh: str
    requested_on: date
    reply_by: date | None
    note: str | None
    requested_at: datetime | None
    answered: bool
    overdue: bool = Field(description="neither answered nor withdrawn by reply_by (China time)")
    answered_late: bool = Field(description="answered after reply_by")
    withdrawn: bool
    withdrawn_on: date | None
    withdrawal_reason: str | None
    conclusion: OpinionConclusion | None
    conclusion_zh: str | None
    text: str | None
    given_on: date | None
    issues: int | None = Field(description="the unit's issues when answered")
    done: int | None
    red_line_warnings: int | None


class OpinionList(BaseModel):
    items: list[OpinionOut]


class Draft(BaseModel):
    conclusion: OpinionConclusion = Field(description="the conclusion drafted")
    inspected: bool = Field(description="the unit has an inspection record of this area")
    text: str
    issues: int
    done: int
    red_line_warnings: int
    rounds: list[str]


class UnitOut(BaseModel):
    jurisdiction: str
    jurisdiction_name: str
    unit_id: UUID
    unit: str
    inspected: bool = Field(description="the inspections of its area fed back to it or began")


def build_cadre_opinions_router(
    handlers: CadreOpinionHandlers, deps: AuthDependencies
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["cadre-opinions"])
    office = deps.require_roles(*OFFICES, write=True)
    asking_roles = deps.require_roles(Role.DEPARTMENT, write=True)
    reading_roles = deps.require_roles(*OFFICES, Role.AUDITOR, Role.DEPARTMENT)
    unit_roles = deps.require_roles(*OFFICES, Role.DEPARTMENT)

    def organisation_only(principal: Principal) -> Principal:
        if principal.role is Role.DEPARTMENT and principal.department is not ASKING:
            raise problems.forbidden("仅组织部征求巡察意见 / only the organisation department")
        return principal

    async def asking(principal: Principal = Depends(asking_roles)) -> Principal:
        return organisation_only(principal)

    async def reader(principal: Principal = Depends(reading_roles)) -> Principal:
        return organisation_only(principal)

    async def unit_reader(principal: Principal = Depends(unit_roles)) -> Principal:
        return organisation_only(principal)

    def out(s: CadreOpinion) -> OpinionOut:
        assert s.request_id is not None
        assert s.department is not None
        assert s.purpose is not None
        assert s.requested_on is not None
        return OpinionOut(
            id=s.request_id,
            jurisdiction=s.jurisdiction,
            jurisdiction_name=jurisdictions.name_of(s.jurisdiction),
            office_zh=office_of(s.jurisdiction),
            department=s.department,
            unit_id=s.unit_id,
            unit=s.unit,
            cadre_name=s.cadre_name,
            cadre_post=s.cadre_post,
            purpose=s.purpose,
            purpose_zh=PURPOSE_ZH[s.purpose.value],
            requested_on=s.requested_on,
            reply_by=s.reply_by,
            note=s.note,
            requested_at=s.requested_at,
            answered=s.given,
            overdue=s.overdue(local_date(handlers.now())),
            answered_late=s.answered_late,
            withdrawn=s.withdrawn,
            withdrawn_on=s.withdrawn_on,
            withdrawal_reason=s.withdrawal_reason,
            conclusion=s.conclusion,
            conclusion_zh=CONCLUSION_ZH[s.conclusion.value] if s.conclusion else None,
            text=s.text,
            given_on=s.given_on,
            issues=s.issues,
            done=s.done,
            red_line_warnings=s.red_line_warnings,
        )

    def may_read(principal: Principal, state: CadreOpinion) -> bool:
        """A department reads its own department's requests; the others by area."""
        return principal.department is None or principal.department is state.department

    @router.post(
        "/cadre-opinions",
        response_model=OpinionOut,
        status_code=201,
        responses={404: {"description": "a unit (or area) the caller does not know"}},
    )
    async def request_opinion(
        body: RequestIn, request: Request, principal: Principal = Depends(asking)
    ) -> OpinionOut:
        """征求巡察意见: the organisation department asks about one cadre of a unit."""
        assert principal.department is not None
        cmd = RequestCadreOpinion(
            request_id=uuid4(),
            jurisdiction=body.jurisdiction,
            department=principal.department,
            unit=body.unit,
            cadre_name=body.cadre_name,
            cadre_post=body.cadre_post,
            purpose=body.purpose,
            requested_on=body.requested_on,
            unit_id=body.unit_id,
            reply_by=body.reply_by,
            note=body.note,
        )
        with problems.domain_errors(CONCURRENT):
            state = await handlers.request(
                cmd, principal.can_access, request_meta(request, principal)
            )
        return out(state)

    @router.get("/cadre-opinions", response_model=OpinionList)
    async def list_opinions(
        answered: bool | None = None, principal: Principal = Depends(reader)
    ) -> OpinionList:
        """The requests of the caller's areas (a department: its own), the newest first."""
        rows = await handlers.table.list(
            principal.jurisdiction_like(), department=principal.department, answered=answered
        )
        return OpinionList(items=[out(s) for s in rows])

    @router.get(
        "/cadre-opinions/{request_id}",
        response_model=OpinionOut,
        responses={404: {"description": "a request the caller does not know"}},
    )
    async def get_opinion(request_id: UUID, principal: Principal = Depends(reader)) -> OpinionOut:
        with problems.domain_errors(CONCURRENT):
            state = await handlers.visible(request_id, principal.can_access)
        if not may_read(principal, state):
            raise problems.not_found("未找到该征求意见 / unknown request")
        return out(state)

    @router.get(
        "/cadre-opinions/{request_id}/draft",
        response_model=Draft,
        responses={404: {"description": "a request the caller does not know"}},
    )
    async def draft(
        request_id: UUID,
        conclusion: OpinionConclusion | None = None,
        principal: Principal = Depends(office),
    ) -> Draft:
        """The usual wording of an answer with the unit's figures, to check and complete;
        without ``conclusion``, the one the record suggests (所在单位尚未巡察 for a unit never
        inspected); one that disagrees with the record is a 422, as the answer would be."""
        with problems.domain_errors(CONCURRENT):
            chosen, text, unit = await handlers.draft(request_id, conclusion, principal.can_access)
        return Draft(
            conclusion=chosen,
            inspected=unit.inspected,
            text=text,
            issues=unit.issues,
            done=unit.done,
            red_line_warnings=unit.red_line_warnings,
            rounds=list(unit.rounds),
        )

    @router.post(
        "/cadre-opinions/{request_id}/opinion",
        response_model=OpinionOut,
        responses={
            404: {"description": "a request the caller does not know"},
            409: {"description": "answered or withdrawn already"},
        },
    )
    async def give_opinion(
        request_id: UUID, body: OpinionIn, request: Request, principal: Principal = Depends(office)
    ) -> OpinionOut:
        """回复巡察意见: the office of the unit's area answers, once."""
        cmd = GiveCadreOpinion(
            request_id=request_id,
            conclusion=body.conclusion,
            text=body.text,
            given_on=body.given_on,
        )
        meta = request_meta(request, principal)
        with problems.domain_errors(CONCURRENT):
            state = await handlers.give(cmd, principal.can_access, principal.jurisdiction, meta)
        return out(state)

    @router.post(
        "/cadre-opinions/{request_id}/withdrawal",
        response_model=OpinionOut,
        responses={
            404: {"description": "a request the caller does not know"},
            409: {"description": "answered or withdrawn already"},
        },
    )
    async def withdraw(
        request_id: UUID,
        body: WithdrawalIn,
        request: Request,
        principal: Principal = Depends(asking),
    ) -> OpinionOut:
        """撤回征求意见: the organisation department withdraws a request not answered yet."""
        assert principal.department is not None
        cmd = WithdrawCadreOpinion(request_id, body.withdrawn_on, body.reason)
        meta = request_meta(request, principal)
        with problems.domain_errors(CONCURRENT):
            state = await handlers.withdraw(cmd, principal.can_access, principal.department, meta)
        return out(state)

    @router.get("/cadre-opinion-units", response_model=list[UnitOut])
    async def units(principal: Principal = Depends(unit_reader)) -> list[UnitOut]:
        """The units the inspections of the caller's areas know (fed back to, or warned)."""
        return [
            UnitOut(
                jurisdiction=j,
                jurisdiction_name=jurisdictions.name_of(j),
                unit_id=unit_id,
                unit=name,
                inspected=inspected,
            )
            for j, unit_id, name, inspected in await handlers.table.units(
                principal.jurisdiction_like(), local_date(handlers.now())
            )
        ]

    return router
