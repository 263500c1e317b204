"""What the receiving department does with a clue transferred to it: sign for it (签收, once,
R3) and report the result of its handling (办理结果, R3). Any other clue is the uniform 404."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict
from xuncha_shared.contracts.clues import Disposition
from xuncha_shared.contracts.common import LongText
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.http.requests import request_meta

from xuncha_clues.domain.commands import ReportResult
from xuncha_clues.entrypoints.clue_responses import (
    ClueOut,
    clue_out,
    department_of,
    domain_errors,
    for_department,
    visible,
)
from xuncha_clues.handlers import ClueHandlers


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: LongText | None = None  # 签收备注, shown in the clue's record


class ResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disposition: Disposition
    concluded_on: date
    summary: LongText


def receiving_router(handlers: ClueHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1/clues", tags=["clues"])
    department = deps.require_roles(Role.DEPARTMENT, write=True)

    @router.post("/{clue_id}/acknowledge", response_model=ClueOut)
    async def acknowledge(
        clue_id: UUID,
        request: Request,
        body: AcknowledgeIn | None = None,
        principal: Principal = Depends(department),
    ) -> ClueOut:
        """签收 by the receiving department (once: 409 when signed already, also via the feed),
        with an optional note (签收备注)."""
        await visible(handlers, clue_id, principal)
        note = body.note if body is not None else None
        with domain_errors():
            clue = await handlers.acknowledge(
                clue_id, department_of(principal), request_meta(request, principal), note
            )
        return for_department(clue_out(clue))

    @router.post("/{clue_id}/result", response_model=ClueOut)
    async def report_result(
        clue_id: UUID, body: ResultIn, request: Request, principal: Principal = Depends(department)
    ) -> ClueOut:
        """办理结果 (R3): the receiving department's disposition, after its acknowledgement."""
        await visible(handlers, clue_id, principal)
        cmd = ReportResult(
            department=department_of(principal),
            disposition=body.disposition,
            concluded_on=body.concluded_on,
            summary=body.summary,
        )
        with domain_errors():
            clue = await handlers.report_result(clue_id, cmd, request_meta(request, principal))
        return for_department(clue_out(clue))

    return router
