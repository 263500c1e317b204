"""HTTP API of steps 2 and 3 (intake, port 8001): the talent pool, groups, stationing.

| method | path | body |
|---|---|---|
| POST | ``/api/v1/talent-pool/members`` | ``{name, jurisdiction, home_unit_id, source, …}`` |
| GET | ``/api/v1/talent-pool/members?jurisdiction=`` | each with its ``open_seats`` |
| POST | ``/api/v1/talent-pool/members/{id}/retire`` | |
| POST | ``/api/v1/talent-pool/members/{id}/recusals`` | ``{unit_id, reason}`` |
| POST | ``/api/v1/rounds/{id}/groups`` | ``{group_no, leader_id, member_ids, unit_ids}`` |
| GET | ``/api/v1/groups/{id}`` | |
| POST | ``/api/v1/groups/{id}/evaluations`` | ``{member_id, grade, remarks}`` |
| POST | ``/api/v1/groups/{id}/evaluations/{member_id}/correction`` | ``{grade, reason}`` |
| POST | ``/api/v1/groups/{id}/stationings`` | ``{unit_id, starts_on, ends_on?}`` (R14 if no end) |
| POST | ``/api/v1/stationings/{id}/end`` | ``{ended_on?}`` (today, China Standard Time) |

The correction of an evaluation is ``evaluations_api.py``'s. A member refused for a group
answers 409 with ``member_id``, ``member_name`` and ``ground``
(``home_unit``, ``declared_recusal``, ``overlapping_group``, ``home_county``, ``retired``).
Unknown ids and ids outside the caller's jurisdictions answer the same 404. A group member's
token bound to a group (``xuncha tokens create --role group_member --group ID``) sees that group
and records only for it and its units: any other group answers 404, like an unknown id.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Request
from xuncha_shared.contracts.clues import clue_id_for_record
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.domain.round_names import round_name
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies, ensure_jurisdiction
from xuncha_shared.http.problems import ProblemError, not_found
from xuncha_shared.http.requests import known_jurisdiction, request_meta

from xuncha_intake.adapters.groups import OpenSeat
from xuncha_intake.domain import groups, records
from xuncha_intake.domain.pool import DeclareRecusal, EnrolMember, PoolMember
from xuncha_intake.domain.rounds import Round
from xuncha_intake.entrypoints.groups_models import (
    EndIn,
    EvaluationIn,
    GroupIn,
    GroupOut,
    MemberIn,
    MemberOut,
    RecordIn,
    RecordOut,
    RecordRowOut,
    RecusalIn,
    StationingIn,
    StationingOut,
    recusal_problem,
    stationing_out,
)
from xuncha_intake.handlers.groups import GroupHandlers
from xuncha_intake.handlers.planning import PlanningHandlers

OFFICES = (Role.CITY_ADMIN, Role.COUNTY_ADMIN)
READERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.AUDITOR)
#: a group member reads its own group (and nothing else: a token bound to a group)
GROUP_READERS = (*READERS, Role.GROUP_MEMBER)
#: groups record their own talks, surveys and referrals
RECORD_WRITERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER)
CONCURRENT_CHANGE = "并发修改冲突，请刷新后重试 / changed concurrently; reload and retry"


def domain_errors() -> AbstractContextManager[None]:
    return problems.domain_errors(CONCURRENT_CHANGE)


def _named(rnd: Round) -> str:
    """临川区第4届第1轮巡察: the round as every page names it."""
    return round_name(rnd.jurisdiction, rnd.term_no, rnd.round_no, str(rnd.kind or ""))


def build_groups_router(
    handlers: GroupHandlers, planning_handlers: PlanningHandlers, deps: AuthDependencies
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["groups"])
    office = deps.require_roles(*OFFICES, write=True)
    reader = deps.require_roles(*READERS)

    async def visible_member(member_id: UUID, principal: Principal) -> PoolMember:
        state = await handlers.load_member(member_id)
        if not state.exists or not principal.can_access(state.jurisdiction):
            raise not_found(f"未找到人才库成员 {member_id} / unknown pool member {member_id}")
        return state

    async def visible_group(group_id: UUID, principal: Principal) -> groups.Group:
        state = await handlers.load_group(group_id)
        if (
            not state.exists
            or not principal.can_access(state.jurisdiction)
            or not principal.sees_group(group_id)
        ):
            raise not_found(f"未找到巡察组 {group_id} / unknown group {group_id}")
        return state

    @router.post("/talent-pool/members", status_code=201, response_model=MemberOut)
    async def enrol(
        body: MemberIn, request: Request, principal: Principal = Depends(office)
    ) -> MemberOut:
        known_jurisdiction(body.jurisdiction, "body.jurisdiction")
        ensure_jurisdiction(principal, body.jurisdiction)
        cmd = EnrolMember(
            jurisdiction=body.jurisdiction,
            name=body.name,
            home_unit_id=body.home_unit_id,
            source=body.source,
            specialities=body.specialities,
            rank=body.rank,
            birth_year=body.birth_year,
        )
        with domain_errors():
            state = await handlers.enrol(cmd, request_meta(request, principal))
        return MemberOut.of(state)

    @router.get("/talent-pool/members", response_model=list[MemberOut])
    async def list_members(
        jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        principal: Principal = Depends(reader),
    ) -> list[MemberOut]:
        if jurisdiction is not None:
            known_jurisdiction(jurisdiction)
            ensure_jurisdiction(principal, jurisdiction)
        pattern = jurisdiction if jurisdiction is not None else principal.jurisdiction_like()
        rows = await handlers.member_table.list(pattern)
        seats: dict[UUID, list[OpenSeat]] = {}
        for seat in await handlers.group_table.open_seats([r.member_id for r in rows]):
            seats.setdefault(seat.member_id, []).append(seat)
        return [MemberOut.of_row(r, seats.get(r.member_id, [])) for r in rows]

    @router.post("/talent-pool/members/{member_id}/retire", response_model=MemberOut)
    async def retire(
        member_id: UUID, request: Request, principal: Principal = Depends(office)
    ) -> MemberOut:
        await visible_member(member_id, principal)
        with domain_errors():
            state = await handlers.retire(member_id, request_meta(request, principal))
        return MemberOut.of(state)

    @router.post("/talent-pool/members/{member_id}/recusals", response_model=MemberOut)
    async def declare_recusal(
        member_id: UUID, body: RecusalIn, request: Request, principal: Principal = Depends(office)
    ) -> MemberOut:
        await visible_member(member_id, principal)
        cmd = DeclareRecusal(unit_id=body.unit_id, reason=body.reason)
        with domain_errors():
            state = await handlers.declare_recusal(member_id, cmd, request_meta(request, principal))
        return MemberOut.of(state)

    @router.post(
        "/rounds/{round_id}/groups",
        status_code=201,
        response_model=GroupOut,
        responses={409: {"description": "a member must recuse (member_id, ground)"}},
    )
    async def form_group(
        round_id: UUID, body: GroupIn, request: Request, principal: Principal = Depends(office)
    ) -> GroupOut:
        rnd = await planning_handlers.load_round(round_id)
        if not rnd.exists or not principal.can_access(rnd.jurisdiction):
            raise not_found(f"未找到巡察轮次 {round_id} / unknown round {round_id}")
        cmd = groups.FormGroup(
            round_id=round_id,
            group_no=body.group_no,
            leader_id=body.leader_id,
            member_ids=body.member_ids,
            unit_ids=body.unit_ids,
        )
        try:
            with domain_errors():
                state = await handlers.form_group(cmd, request_meta(request, principal))
        except ProblemError as exc:
            if isinstance(exc.__cause__, groups.Recusal):
                raise recusal_problem(exc.__cause__) from exc
            raise
        return GroupOut.of(state)

    group_reader = deps.require_roles(*GROUP_READERS)

    @router.get("/rounds/{round_id}/groups", response_model=list[GroupOut])
    async def list_groups(round_id: UUID, principal: Principal = Depends(reader)) -> list[GroupOut]:
        """The groups of a round (offices and the auditor; 404 for a round the caller may not
        see, like an unknown one)."""
        rnd = await planning_handlers.load_round(round_id)
        if not rnd.exists or not principal.can_access(rnd.jurisdiction):
            raise not_found(f"未找到巡察轮次 {round_id} / unknown round {round_id}")
        ids = await handlers.group_table.ids_of_round(round_id)
        name = _named(rnd)
        return [GroupOut.of(await handlers.load_group(g), name) for g in ids]

    @router.get("/groups/{group_id}", response_model=GroupOut)
    async def get_group(group_id: UUID, principal: Principal = Depends(group_reader)) -> GroupOut:
        group = await visible_group(group_id, principal)
        assert group.round_id is not None
        rnd = await planning_handlers.load_round(group.round_id)
        return GroupOut.of(group, _named(rnd) if rnd.exists else None)

    @router.post("/groups/{group_id}/evaluations", response_model=GroupOut)
    async def evaluate(
        group_id: UUID, body: EvaluationIn, request: Request, principal: Principal = Depends(office)
    ) -> GroupOut:
        await visible_group(group_id, principal)
        cmd = groups.EvaluateInspector(body.member_id, body.grade, body.remarks)
        with domain_errors():
            state = await handlers.evaluate(group_id, cmd, request_meta(request, principal))
        return GroupOut.of(state)

    @router.post("/groups/{group_id}/stationings", status_code=201, response_model=StationingOut)
    async def station(
        group_id: UUID, body: StationingIn, request: Request, principal: Principal = Depends(office)
    ) -> StationingOut:
        await visible_group(group_id, principal)
        with domain_errors():
            state, stationing_id = await handlers.station(
                group_id,
                body.unit_id,
                body.starts_on,
                body.ends_on,
                request_meta(request, principal),
            )
        return stationing_out(state, state.stationings[stationing_id])

    @router.post("/stationings/{stationing_id}/end", response_model=StationingOut)
    async def end_stationing(
        stationing_id: UUID,
        request: Request,
        body: Annotated[EndIn | None, Body()] = None,
        principal: Principal = Depends(office),
    ) -> StationingOut:
        group = await handlers.group_of_stationing(stationing_id)
        if not group.exists or not principal.can_access(group.jurisdiction):
            raise not_found(f"未找到进驻记录 {stationing_id} / unknown stationing {stationing_id}")
        assert group.group_id is not None
        ended_on = body.ended_on if body is not None else None
        with domain_errors():
            state = await handlers.end_stationing(
                group.group_id, stationing_id, ended_on, request_meta(request, principal)
            )
        return stationing_out(state, state.stationings[stationing_id])

    record_writer = deps.require_roles(*RECORD_WRITERS, write=True)

    @router.post("/intake-records", status_code=201, response_model=RecordOut)
    async def record_intake(
        body: RecordIn, request: Request, principal: Principal = Depends(record_writer)
    ) -> RecordOut:
        """One channel's work at a unit: talks, surveys, symposia, site checks, records
        reviews, personal-matters checks, referrals; ``clues`` become clues in clues."""
        rnd = await planning_handlers.load_round(body.round_id)
        if not rnd.exists or not principal.can_access(rnd.jurisdiction):
            raise not_found(f"未找到巡察轮次 {body.round_id} / unknown round {body.round_id}")
        if not principal.sees_group(body.group_id):
            raise not_found(f"未找到巡察组 {body.group_id} / unknown group {body.group_id}")
        details = dict(body.model_extra or {})
        cmd = records.RecordIntake(
            kind=body.kind,
            round_id=body.round_id,
            group_id=body.group_id,
            unit_id=body.unit_id,
            occurred_on=body.occurred_on,
            summary=body.summary,
            clues=[c.summary for c in body.clues],
            details=details,
        )
        with domain_errors():
            state = await handlers.record_intake(cmd, request_meta(request, principal))
        assert state.event is not None
        assert state.record_id is not None
        return RecordOut(
            id=state.record_id,
            kind=body.kind,
            event_type=state.event.event_type,
            clue_ids=[clue_id_for_record(state.record_id, i) for i in range(len(body.clues))],
        )

    @router.get("/intake-records", response_model=list[RecordRowOut])
    async def list_records(
        round_id: UUID | None = None,
        group_id: UUID | None = None,
        principal: Principal = Depends(group_reader),
    ) -> list[RecordRowOut]:
        if principal.group_id is not None:  # a group's token: its own records only
            if group_id is not None and group_id != principal.group_id:
                return []  # as for an unknown group
            group_id = principal.group_id
        rows = await handlers.record_table.list(principal.jurisdiction_like(), round_id, group_id)
        return [
            RecordRowOut(
                **vars(r), clue_ids=[clue_id_for_record(r.record_id, i) for i in range(r.clues)]
            )
            for r in rows
        ]

    return router
