"""HTTP API of step 1 (intake, port 8001): inspected units, term plans, linkage plans, rounds.

| method | path | who |
|---|---|---|
| POST | ``/api/v1/units`` | city/county office (own jurisdiction) |
| GET | ``/api/v1/units?jurisdiction=`` | offices, auditor (what they may see) |
| POST | ``/api/v1/term-plans`` | city/county office |
| GET | ``/api/v1/term-plans?jurisdiction=&term_no=`` | offices, auditor (what they may see) |
| POST | ``/api/v1/term-plans/{id}/amendments`` | city/county office (the plan's jurisdiction) |
| POST | ``/api/v1/linkage-plans`` | city/county office |
| POST | ``/api/v1/rounds`` | city/county office (the city also for its counties) |
| GET | ``/api/v1/rounds?jurisdiction=&term_no=``, ``/api/v1/rounds/{id}`` | offices, auditor |
| POST | ``/api/v1/rounds/{id}/units`` | office of the round |
| POST | ``/api/v1/rounds/{id}/authorisations`` | the authorising jurisdiction's own office |
| POST | ``/api/v1/rounds/{id}/close`` | office of the round |

Problems: 422 for bad input (unknown jurisdiction or unit, dates reversed, no units), 409 for a
taken natural key (unit name in a jurisdiction, a term's plan, a round number in a term) or a
closed round, 404 for a round that does not exist or that the caller may not see (the same
answer, so nothing leaks about other jurisdictions). A refused request writes nothing.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from xuncha_shared.contracts.intake import RoundUnit
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies, ensure_jurisdiction
from xuncha_shared.http.problems import forbidden, not_found
from xuncha_shared.http.requests import known_jurisdiction, request_meta

from xuncha_intake.domain import planning
from xuncha_intake.domain.linkage import IssueLinkagePlan, ProvideCounterpartReport
from xuncha_intake.domain.rounds import AssignUnits, AuthoriseRound, PlanRound, Round
from xuncha_intake.entrypoints.planning_models import (
    AuthorisationIn,
    CounterpartReportIn,
    CounterpartReportOut,
    LinkagePlanIn,
    LinkagePlanOut,
    RoundIn,
    RoundOut,
    RoundUnitsIn,
    TermPlanAmendmentIn,
    TermPlanIn,
    TermPlanOut,
    UnitIn,
    UnitOut,
    linkage_plan_out,
)
from xuncha_intake.handlers.planning import PlanningHandlers

OFFICES = (Role.CITY_ADMIN, Role.COUNTY_ADMIN)
READERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.AUDITOR)
CONCURRENT_CHANGE = (
    "并发修改冲突（或同名记录刚被登记），请刷新后重试 / changed or registered concurrently; "
    "reload and retry"
)


def domain_errors() -> AbstractContextManager[None]:
    return problems.domain_errors(CONCURRENT_CHANGE)


def _known(code: str, field: str = "body.jurisdiction") -> None:
    known_jurisdiction(code, field)


def build_planning_router(handlers: PlanningHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["planning"])
    office = deps.require_roles(*OFFICES, write=True)
    reader = deps.require_roles(*READERS)

    async def visible_round(round_id: UUID, principal: Principal) -> Round:
        """The round, or 404 when it does not exist or lies outside what ``principal`` sees."""
        state = await handlers.load_round(round_id)
        if not state.exists or not principal.can_access(state.jurisdiction):
            raise not_found(f"未找到巡察轮次 {round_id} / unknown round {round_id}")
        return state

    @router.post("/units", status_code=201, response_model=UnitOut)
    async def register_unit(
        body: UnitIn, request: Request, principal: Principal = Depends(office)
    ) -> UnitOut:
        _known(body.jurisdiction)
        ensure_jurisdiction(principal, body.jurisdiction)
        cmd = planning.RegisterUnit(jurisdiction=body.jurisdiction, name=body.name, kind=body.kind)
        with domain_errors():
            unit = await handlers.register_unit(cmd, request_meta(request, principal))
        assert unit.unit_id is not None
        assert unit.kind is not None
        return UnitOut(
            id=unit.unit_id, jurisdiction=unit.jurisdiction, name=unit.name, kind=unit.kind.value
        )

    unit_reader = deps.require_roles(*READERS, Role.GROUP_MEMBER)

    @router.get("/units", response_model=list[UnitOut])
    async def list_units(
        jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        principal: Principal = Depends(unit_reader),
    ) -> list[UnitOut]:
        """The units the caller may see; a group member's token bound to a group: that group's
        units only (an unbound group member: 403, as for the rest of step 1)."""
        if principal.role is Role.GROUP_MEMBER and principal.group_id is None:
            raise forbidden(
                "未绑定巡察组的组员令牌不能查看被巡察单位 / a group member token not bound to a "
                "group may not list units"
            )
        if jurisdiction is not None:
            known_jurisdiction(jurisdiction)
            ensure_jurisdiction(principal, jurisdiction)
        pattern = jurisdiction if jurisdiction is not None else principal.jurisdiction_like()
        if principal.group_id is not None:
            rows = await handlers.unit_table.list_of_group(principal.group_id, pattern)
        else:
            rows = await handlers.unit_table.list(pattern)
        return [UnitOut.of_row(row) for row in rows]

    @router.post("/term-plans", status_code=201, response_model=TermPlanOut)
    async def adopt_term_plan(
        body: TermPlanIn, request: Request, principal: Principal = Depends(office)
    ) -> TermPlanOut:
        _known(body.jurisdiction)
        ensure_jurisdiction(principal, body.jurisdiction)
        cmd = planning.AdoptTermPlan(
            jurisdiction=body.jurisdiction,
            term_no=body.term_no,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            unit_ids=body.unit_ids,
        )
        with domain_errors():
            plan = await handlers.adopt_term_plan(cmd, request_meta(request, principal))
        return TermPlanOut.of(plan)

    @router.get("/term-plans", response_model=list[TermPlanOut])
    async def list_term_plans(
        jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        term_no: Annotated[int | None, Query(ge=1, le=99)] = None,
        principal: Principal = Depends(reader),
    ) -> list[TermPlanOut]:
        """The term plans the caller may see (of ``jurisdiction`` and ``term_no``, if given),
        with their units: what 巡察轮次 marks a unit outside the plan by (R6)."""
        if jurisdiction is not None:
            known_jurisdiction(jurisdiction)
            ensure_jurisdiction(principal, jurisdiction)
        pattern = jurisdiction if jurisdiction is not None else principal.jurisdiction_like()
        return [TermPlanOut.of(p) for p in await handlers.term_plan_table.list(pattern, term_no)]

    @router.post("/term-plans/{plan_id}/amendments", status_code=201, response_model=TermPlanOut)
    async def amend_term_plan(
        plan_id: UUID,
        body: TermPlanAmendmentIn,
        request: Request,
        principal: Principal = Depends(office),
    ) -> TermPlanOut:
        """巡察规划调整 (R6): units brought into a running term's plan or taken out of it. A plan
        the caller may not see is a 404, as an unknown one."""
        plan = await handlers.load_term_plan(plan_id)
        if not plan.exists or not principal.can_access(plan.jurisdiction):
            raise not_found(f"未找到巡察规划 {plan_id} / unknown term plan {plan_id}")
        cmd = planning.AmendTermPlan(
            jurisdiction=plan.jurisdiction,
            term_no=plan.term_no,
            add_unit_ids=body.add_unit_ids,
            remove_unit_ids=body.remove_unit_ids,
            reason=body.reason,
        )
        with domain_errors():
            amended = await handlers.amend_term_plan(cmd, request_meta(request, principal))
        return TermPlanOut.of(amended)

    @router.post("/linkage-plans", status_code=201, response_model=LinkagePlanOut)
    async def issue_linkage_plan(
        body: LinkagePlanIn, request: Request, principal: Principal = Depends(office)
    ) -> LinkagePlanOut:
        _known(body.jurisdiction)
        ensure_jurisdiction(principal, body.jurisdiction)
        cmd = IssueLinkagePlan(
            jurisdiction=body.jurisdiction,
            title=body.title,
            issued_on=body.issued_on,
            trigger=body.trigger,
            parent_plan_id=body.parent_plan_id,
        )
        with domain_errors():
            plan = await handlers.issue_linkage_plan(cmd, request_meta(request, principal))
        return linkage_plan_out(plan)

    @router.get("/linkage-plans", response_model=list[LinkagePlanOut])
    async def list_linkage_plans(
        jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        principal: Principal = Depends(reader),
    ) -> list[LinkagePlanOut]:
        """The linkage plans the caller may see: its jurisdiction's, and for a county its
        city's, which the county's own plans hang under (上级方案: issued to the counties). A
        city plan names the units its rounds inspect in linkage (``linked_units``), which a
        county's counterpart report answers."""
        if jurisdiction is not None:
            known_jurisdiction(jurisdiction)
            ensure_jurisdiction(principal, jurisdiction)
        pattern = jurisdiction if jurisdiction is not None else principal.jurisdiction_like()
        city = None if principal.is_city_wide else jurisdictions.city_of(principal.jurisdiction)
        plans = await handlers.linkage_table.list(pattern, city if jurisdiction is None else None)
        city_plans = [p.linkage_plan_id for p in plans if p.parent_plan_id is None]
        linked = await handlers.linkage_table.linked_units([p for p in city_plans if p is not None])
        return [
            linkage_plan_out(p, linked.get(p.linkage_plan_id) if p.linkage_plan_id else None)
            for p in plans
        ]

    @router.post(
        "/linkage-plans/{plan_id}/counterpart-reports",
        status_code=201,
        response_model=CounterpartReportOut,
    )
    async def provide_counterpart_report(
        plan_id: UUID,
        body: CounterpartReportIn,
        request: Request,
        principal: Principal = Depends(office),
    ) -> CounterpartReportOut:
        """对口提供巡察报告 (上下联动): under the county's linkage plan, the report of a unit the
        county inspected, matching a unit the city inspects in linkage."""
        plan = await handlers.load_linkage_plan(plan_id)
        if not plan.exists or not principal.can_access(plan.jurisdiction):
            raise not_found(f"未找到联动工作方案 {plan_id} / unknown linkage plan {plan_id}")
        cmd = ProvideCounterpartReport(body.unit_id, body.counterpart_unit_id, body.provided_on)
        with domain_errors():
            await handlers.provide_counterpart_report(
                plan_id, cmd, request_meta(request, principal)
            )
        return CounterpartReportOut(linkage_plan_id=plan_id, **body.model_dump())

    @router.post("/rounds", status_code=201, response_model=RoundOut)
    async def plan_round(
        body: RoundIn, request: Request, principal: Principal = Depends(office)
    ) -> RoundOut:
        _known(body.jurisdiction)
        ensure_jurisdiction(principal, body.jurisdiction)
        cmd = PlanRound(
            jurisdiction=body.jurisdiction,
            term_no=body.term_no,
            round_no=body.round_no,
            kind=body.kind,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            linkage_plan_id=body.linkage_plan_id,
        )
        with domain_errors():
            state = await handlers.plan_round(cmd, request_meta(request, principal))
        return RoundOut.of(state)

    @router.get("/rounds", response_model=list[RoundOut])
    async def list_rounds(
        jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        term_no: Annotated[int | None, Query(ge=1, le=99)] = None,
        principal: Principal = Depends(reader),
    ) -> list[RoundOut]:
        if jurisdiction is not None:
            known_jurisdiction(jurisdiction)
            ensure_jurisdiction(principal, jurisdiction)
        pattern = jurisdiction if jurisdiction is not None else principal.jurisdiction_like()
        return [RoundOut.of_row(r) for r in await handlers.round_table.list(pattern, term_no)]

    @router.get("/rounds/{round_id}", response_model=RoundOut)
    async def get_round(round_id: UUID, principal: Principal = Depends(reader)) -> RoundOut:
        return RoundOut.of(await visible_round(round_id, principal))

    @router.post("/rounds/{round_id}/units", response_model=RoundOut)
    async def assign_units(
        round_id: UUID, body: RoundUnitsIn, request: Request, principal: Principal = Depends(office)
    ) -> RoundOut:
        await visible_round(round_id, principal)
        cmd = AssignUnits(units=[RoundUnit(unit_id=u.unit_id, mode=u.mode) for u in body.units])
        with domain_errors():
            state = await handlers.assign_units(round_id, cmd, request_meta(request, principal))
        return RoundOut.of(state)

    @router.post("/rounds/{round_id}/authorisations", response_model=RoundOut)
    async def authorise_round(
        round_id: UUID,
        body: AuthorisationIn,
        request: Request,
        principal: Principal = Depends(office),
    ) -> RoundOut:
        await visible_round(round_id, principal)
        _known(body.authorising_jurisdiction, "body.authorising_jurisdiction")
        if principal.jurisdiction != body.authorising_jurisdiction:
            raise forbidden(
                "只有授权方的巡察办可以授权 / only the office of "
                f"{body.authorising_jurisdiction} authorises for it"
            )
        cmd = AuthoriseRound(authorising_jurisdiction=body.authorising_jurisdiction)
        with domain_errors():
            state = await handlers.authorise_round(round_id, cmd, request_meta(request, principal))
        return RoundOut.of(state)

    @router.post("/rounds/{round_id}/close", response_model=RoundOut)
    async def close_round(
        round_id: UUID, request: Request, principal: Principal = Depends(office)
    ) -> RoundOut:
        await visible_round(round_id, principal)
        with domain_errors():
            state = await handlers.close_round(round_id, request_meta(request, principal))
        return RoundOut.of(state)

    return router
