"""HTTP API of the intake clocks R13 and R15 (port 8001).

| method | path | who |
|---|---|---|
| POST | ``/api/v1/petitions/{id}/handling`` | city/county office, inspection group: a walk-in taken up (R13) |
| POST | ``/api/v1/stationings/{id}/dispatches`` | city/county office: the week's dispatch (R15) |
| POST | ``/api/v1/stationings/{id}/progress-reports`` | office or the stationed group: the fortnight's report (R15) |

Each records an event that satisfies the running deadline (see adapters.deadlines). An unknown
petition or stationing and one of another jurisdiction or group are the same 404; a petition
that did not come in person, one handled already, or an ended stationing, 409; a day before the
stationing or after today, 422.
"""  # noqa: E501

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from xuncha_shared.clocks.clock import local_day
from xuncha_shared.contracts.common import LongText, ShortText
from xuncha_shared.contracts.intake import DispatchHeld, ProgressReported
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.http.requests import request_meta

from xuncha_intake.domain import cadence, walk_ins
from xuncha_intake.handlers.clocks import ClockHandlers

CONCURRENT_CHANGE = "并发修改冲突，请重试 / the record was changed concurrently; retry the request"
WALK_IN_HANDLERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER)
DISPATCHERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN)
REPORTERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER)


class HandlingIn(BaseModel):
    """来访接待: who (by post, never a name) took the walk-in up, and what was done."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    handled_by: ShortText = Field(
        description="the receiving leader's post, e.g. 巡察组组长: a title (组长, 主任 …) alone "
        "or after its body's words, never a name (王组长, 张三: 422)"
    )
    summary: LongText | None = None

    @field_validator("handled_by")
    @classmethod
    def _a_post(cls, value: str) -> str:
        problem = walk_ins.post_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class HandlingOut(BaseModel):
    petition_id: UUID
    handled_by: str
    event_types: list[str] = Field(description="the petition's history, oldest first")


class CadenceIn(BaseModel):
    """A dispatch or progress report of a stationing: the day (China time; default today)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    on: date | None = Field(default=None, description="the day it took place; default today")
    summary: LongText | None = None


class CadenceOut(BaseModel):
    group_id: UUID
    stationing_id: UUID
    cadence: cadence.Cadence
    seq: int = Field(description="the number of this dispatch or report of the stationing")
    on: date


def build_clocks_router(handlers: ClockHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["clocks"])
    walk_in_writer = deps.require_roles(*WALK_IN_HANDLERS, write=True)
    dispatcher = deps.require_roles(*DISPATCHERS, write=True)
    reporter = deps.require_roles(*REPORTERS, write=True)

    @router.post(
        "/petitions/{petition_id}/handling",
        status_code=201,
        response_model=HandlingOut,
        responses={409: {"description": "not a walk-in, or handled already"}},
    )
    async def handle_walk_in(
        petition_id: UUID,
        body: HandlingIn,
        request: Request,
        principal: Principal = Depends(walk_in_writer),
    ) -> HandlingOut:
        """来访当日接待处理 (R13): records ``intake.WalkInHandled``."""
        cmd = walk_ins.HandleWalkIn(petition_id, body.handled_by, body.summary)
        with problems.domain_errors(CONCURRENT_CHANGE):
            state = await handlers.handle_walk_in(cmd, principal, request_meta(request, principal))
        return HandlingOut(
            petition_id=petition_id, handled_by=body.handled_by, event_types=state.events
        )

    async def record(
        stationing_id: UUID,
        kind: cadence.Cadence,
        body: CadenceIn | None,
        request: Request,
        principal: Principal,
    ) -> CadenceOut:
        today = local_day(handlers.now())
        on = body.on if body is not None and body.on is not None else today
        summary = body.summary if body is not None else None
        cmd = cadence.RecordCadence(stationing_id, kind, on, summary)
        with problems.domain_errors(CONCURRENT_CHANGE):
            _, event = await handlers.record_cadence(
                cmd, principal, today, request_meta(request, principal)
            )
        assert isinstance(event, DispatchHeld | ProgressReported)
        return CadenceOut(
            group_id=event.group_id,
            stationing_id=stationing_id,
            cadence=kind,
            seq=event.seq,
            on=on,
        )

    @router.post(
        "/stationings/{stationing_id}/dispatches",
        status_code=201,
        response_model=CadenceOut,
        responses={409: {"description": "the stationing has ended"}},
    )
    async def dispatch(
        stationing_id: UUID,
        request: Request,
        body: Annotated[CadenceIn | None, Body()] = None,
        principal: Principal = Depends(dispatcher),
    ) -> CadenceOut:
        """一周一调度 (R15): records ``intake.DispatchHeld``."""
        return await record(stationing_id, cadence.Cadence.DISPATCH, body, request, principal)

    @router.post(
        "/stationings/{stationing_id}/progress-reports",
        status_code=201,
        response_model=CadenceOut,
        responses={409: {"description": "the stationing has ended"}},
    )
    async def progress_report(
        stationing_id: UUID,
        request: Request,
        body: Annotated[CadenceIn | None, Body()] = None,
        principal: Principal = Depends(reporter),
    ) -> CadenceOut:
        """两周一报告 (R15): records ``intake.ProgressReported``."""
        return await record(stationing_id, cadence.Cadence.REPORT, body, request, principal)

    return router
