"""What the office (and a group, for classifying and verifying) does with a clue: classify,
verify (速查/核查), escalate to the city office (R12), transfer to a department (R2), chase the
department for its result (催办, R27), dispose of it once the result is reported (办结, R9) and
archive a 参考类 clue (R9).

A state that forbids the action is a 409 naming the clue's state; a wrong Art. 28 route is a
422; a county office that escalates keeps only a stub of the clue.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.clues import CadreLevel, ClueCategory, VerificationMethod
from xuncha_shared.contracts.common import Department, JurisdictionCode, LongText, ShortText
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.http.requests import request_meta

from xuncha_clues.domain.commands import (
    ArchiveClue,
    ClassifyClue,
    DisposeClue,
    EscalateClue,
    TransferClue,
    VerifyClue,
)
from xuncha_clues.entrypoints.clue_responses import (
    CLASSIFIERS,
    OFFICES,
    ClueOut,
    ClueStub,
    clue_out,
    clue_stub,
    domain_errors,
    office_of,
    visible,
)
from xuncha_clues.handlers import ClueHandlers


class ClassifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: ClueCategory = Field(description="进一步了解关注类 / 了解关注类 / 参考类")
    cadre_level: CadreLevel | None = Field(default=None, description="处级 / 科级 / 科员及以下")
    city_managed: bool = Field(default=False, description="涉及市管干部 (R12)")
    counties: list[JurisdictionCode] = Field(
        default=[], max_length=50, description="county codes involved"
    )
    topics: list[ShortText] = Field(
        default=[],
        max_length=50,
        description="e.g. 四风, 民主集中制; a new one at most 30 characters (the clue's own kept)",
    )


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: VerificationMethod = Field(description="quick_check 速查 / verification 核查")
    outcome: ShortText
    notes: LongText | None = None


class EscalateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: LongText


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: Department
    reason: LongText
    transferred_on: date | None = Field(
        default=None,
        description="补录 (R26): the day of the transfer letter (移交函, China time), not after "
        "today, not more than 5 years back, not before the clue's registration day; R3's 3 "
        "months count from it. Default: the day it is recorded",
    )


class UrgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: LongText = Field(description="催办意见: what the department is asked (not blank)")


class DisposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disposed_on: date | None = Field(default=None, description="default: today (CST)")
    note: LongText | None = None


class ArchiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: LongText


def handling_router(handlers: ClueHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1/clues", tags=["clues"])
    classifier = deps.require_roles(*CLASSIFIERS, write=True)
    office = deps.require_roles(*OFFICES, write=True)

    @router.post("/{clue_id}/classify", response_model=ClueOut)
    async def classify(
        clue_id: UUID,
        body: ClassifyIn,
        request: Request,
        principal: Principal = Depends(classifier),
    ) -> ClueOut:
        await visible(handlers, clue_id, principal)
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

    @router.post("/{clue_id}/verify", response_model=ClueOut)
    async def verify(
        clue_id: UUID, body: VerifyIn, request: Request, principal: Principal = Depends(classifier)
    ) -> ClueOut:
        """速查/核查 during stationing."""
        await visible(handlers, clue_id, principal)
        cmd = VerifyClue(method=body.method, outcome=body.outcome, notes=body.notes)
        with domain_errors():
            clue = await handlers.verify(
                clue_id, cmd, office_of(principal), request_meta(request, principal)
            )
        return clue_out(clue)

    @router.post("/{clue_id}/escalate", response_model=ClueOut | ClueStub)
    async def escalate(
        clue_id: UUID, body: EscalateIn, request: Request, principal: Principal = Depends(office)
    ) -> ClueOut | ClueStub:
        await visible(handlers, clue_id, principal)
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
        """移交 (R2, R12); ``transferred_on`` dates a transfer made on paper (补录, R26)."""
        await visible(handlers, clue_id, principal)
        cmd = TransferClue(
            department=body.department, reason=body.reason, transferred_on=body.transferred_on
        )
        with domain_errors():
            clue = await handlers.transfer(
                clue_id,
                cmd,
                office_of(principal),
                request_meta(request, principal),
            )
        return clue_out(clue)

    @router.post("/{clue_id}/urges", response_model=ClueOut, status_code=201)
    async def urge(
        clue_id: UUID, body: UrgeIn, request: Request, principal: Principal = Depends(office)
    ) -> ClueOut:
        """催办 (R27): chase the department for the result of a transferred clue, while none is
        reported (409 after it, or a second time the same day)."""
        await visible(handlers, clue_id, principal)
        with domain_errors():
            clue = await handlers.urge(
                clue_id, body.note, office_of(principal), request_meta(request, principal)
            )
        return clue_out(clue)

    @router.post("/{clue_id}/dispose", response_model=ClueOut)
    async def dispose(
        clue_id: UUID,
        request: Request,
        body: DisposeIn | None = None,
        principal: Principal = Depends(office),
    ) -> ClueOut:
        """办结 (R9): the office closes a clue whose result was reported."""
        await visible(handlers, clue_id, principal)
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
        await visible(handlers, clue_id, principal)
        with domain_errors():
            clue = await handlers.archive(
                clue_id,
                ArchiveClue(reason=body.reason),
                office_of(principal),
                request_meta(request, principal),
            )
        return clue_out(clue)

    return router
