"""HTTP API of the intake service (port 8001).

| method | path | who |
|---|---|---|
| POST | ``/api/v1/petitions`` | city/county office, inspection group (token; own jurisdiction) |
| GET | ``/api/v1/receipts/{code}`` | anyone holding the receipt code (no token): the status only |

Errors are ``application/problem+json``: 401 without a valid token, 403 for a read-only role,
the wrong role or another jurisdiction, 422 for invalid input or an unknown jurisdiction, 404
for an unknown receipt code.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from xuncha_shared import api as shared_api
from xuncha_shared.api import request_meta
from xuncha_shared.auth import AuthDependencies, Principal, Role, ensure_jurisdiction
from xuncha_shared.contracts.common import Channel, JurisdictionCode, LongText, ShortText
from xuncha_shared.crypto import InformantIdentity
from xuncha_shared.errors import not_found
from xuncha_shared.runtime import ServiceContext

from xuncha_intake.domain import model
from xuncha_intake.domain.model import ReceiptStatus
from xuncha_intake.handlers import IntakeHandlers, PetitionInput, handlers_from_context

WRITERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER)
CONCURRENT_CHANGE = "并发修改冲突，请重试 / the record was changed concurrently; retry the request"

RoundId = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]


class PetitionIn(BaseModel):
    """来信来电来访 or a referral. ``informant`` is encrypted before anything is stored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    jurisdiction: JurisdictionCode = Field(description="six-digit code of a city or county")
    unit: ShortText = Field(description="被巡察单位")
    channel: Channel
    summary: LongText
    informant: InformantIdentity | None = Field(
        default=None, description="举报人 (real-name reports); omitted for anonymous ones"
    )
    round_id: RoundId | None = None


class PetitionCreated(BaseModel):
    id: UUID
    receipt_code: str = Field(description="give to the reporter; only its hash is kept")


class ReceiptOut(BaseModel):
    status: ReceiptStatus
    status_zh: str


def domain_errors() -> AbstractContextManager[None]:
    """Map the model's refusals and lost races to problem responses."""
    return shared_api.domain_errors(CONCURRENT_CHANGE)


def build_router(handlers: IntakeHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["intake"])
    writer = deps.require_roles(*WRITERS, write=True)

    @router.post("/petitions", status_code=201, response_model=PetitionCreated)
    async def record_petition(
        body: PetitionIn, request: Request, principal: Principal = Depends(writer)
    ) -> PetitionCreated:
        with domain_errors():
            model.validate_jurisdiction(body.jurisdiction)
        ensure_jurisdiction(principal, body.jurisdiction)
        with domain_errors():
            recorded = await handlers.record_petition(
                PetitionInput(
                    jurisdiction=body.jurisdiction,
                    unit=body.unit,
                    channel=body.channel,
                    summary=body.summary,
                    round_id=body.round_id,
                    informant=body.informant,
                ),
                request_meta(request, principal),
            )
        return PetitionCreated(id=recorded.petition_id, receipt_code=recorded.receipt_code)

    @router.get("/receipts/{code}", response_model=ReceiptOut)
    async def receipt_status(response: Response, code: str = Path(max_length=64)) -> ReceiptOut:
        response.headers["Cache-Control"] = "no-store"
        view = await handlers.receipt_status(code)
        if view is None:
            raise not_found(
                "未找到该回执码 / no petition has this receipt code (check it, e.g. "
                "XC-7KQ4-M2PD-9TRA)"
            )
        return ReceiptOut(status=view.status, status_zh=view.status_zh)

    return router


def build_api(app: FastAPI, ctx: ServiceContext) -> None:
    deps = AuthDependencies(ctx.authenticator)
    app.include_router(build_router(handlers_from_context(ctx), deps))
