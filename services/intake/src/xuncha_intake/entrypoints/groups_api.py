"""HTTP API of steps 2 and 3 (intake, port 8001): the talent pool, groups, stationing.

| method | path | body |
|---|---|---|
| POST | ``/api/v1/talent-pool/members`` | ``{name, jurisdiction, home_unit_id, source, …}`` |
| GET | ``/api/v1/talent-pool/members?jurisdiction=`` | |
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
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.clues import clue_id_for_record
from xuncha_shared.contracts.common import JurisdictionCode, LongText, ShortText
from xuncha_shared.contracts.intake import Grade, Ordinal, RecordKind, Speciality, TalentSource
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies, ensure_jurisdiction
from xuncha_shared.http.problems import ProblemError, not_found, problem_type
from xuncha_shared.http.requests import known_jurisdiction, request_meta

from xuncha_intake.adapters.groups import MemberRow, Reserve
from xuncha_intake.domain import groups, records
from xuncha_intake.domain.pool import DeclareRecusal, EnrolMember, PoolMember
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


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MemberIn(_In):
    name: ShortText
    jurisdiction: JurisdictionCode
    home_unit_id: UUID
    source: TalentSource
    specialities: list[Speciality] = Field(min_length=1, max_length=10)
    rank: ShortText
    birth_year: int = Field(ge=1940, le=2010)


class ReserveOut(BaseModel):
    """后备干部库: in it since (by the evaluation of group_id), or not; the last removal."""

    in_reserve: bool
    since: date | None
    group_id: UUID | None
    note: str | None
    removed_on: date | None
    removal_reason: str | None
    groups: list[UUID] = Field(description="the groups whose evaluation put them in it")

    @classmethod
    def of(cls, r: Reserve) -> ReserveOut:
        return cls(in_reserve=r.since is not None, **(vars(r) | {"groups": list(r.groups)}))


class MemberOut(BaseModel):
    id: UUID
    jurisdiction: str
    name: str
    home_unit_id: UUID
    source: str
    specialities: list[str]
    rank: str
    birth_year: int
    retired: bool
    recusal_unit_ids: list[UUID] = Field(default_factory=list)
    reserve: ReserveOut

    @classmethod
    def of(cls, m: PoolMember) -> MemberOut:
        assert m.member_id is not None
        assert m.home_unit_id is not None
        assert m.source is not None
        return cls(
            id=m.member_id,
            jurisdiction=m.jurisdiction,
            name=m.name,
            home_unit_id=m.home_unit_id,
            source=m.source.value,
            specialities=[s.value for s in m.specialities],
            rank=m.rank,
            birth_year=m.birth_year,
            retired=m.retired,
            recusal_unit_ids=list(m.recusals),
            reserve=ReserveOut.of(Reserve.of(m)),
        )

    @classmethod
    def of_row(cls, r: MemberRow) -> MemberOut:
        return cls(
            id=r.member_id,
            jurisdiction=r.jurisdiction,
            name=r.name,
            home_unit_id=r.home_unit_id,
            source=r.source,
            specialities=r.specialities,
            rank=r.rank,
            birth_year=r.birth_year,
            retired=r.retired,
            recusal_unit_ids=r.recusals,
            reserve=ReserveOut.of(r.reserve),
        )


class RecusalIn(_In):
    unit_id: UUID
    reason: LongText


class GroupIn(_In):
    group_no: Ordinal
    leader_id: UUID
    member_ids: list[UUID] = Field(max_length=50)
    unit_ids: list[UUID] = Field(max_length=100)


class EvaluationIn(_In):
    member_id: UUID
    grade: Grade
    remarks: LongText | None = None


class StationingIn(_In):
    unit_id: UUID
    starts_on: date
    ends_on: date | None = Field(default=None, description="omitted: 15 working days (R14)")


class ClueIn(_In):
    summary: LongText


class RecordIn(BaseModel):
    """The fields every channel shares; the kind's own fields (``talks``, ``survey``,
    ``copies_issued``, ``copies_returned``, ``meetings``, ``participants``, ``checks``, ``sites``,
    ``persons_heard``, ``items``, ``cadres_checked``, ``discrepancies``, ``source``) are checked
    against the kind's event contract."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    kind: RecordKind
    round_id: UUID
    group_id: UUID
    unit_id: UUID
    occurred_on: date
    summary: LongText | None = None
    clues: list[ClueIn] = Field(default_factory=list, max_length=100)


class RecordOut(BaseModel):
    id: UUID
    kind: RecordKind
    event_type: str
    clue_ids: list[UUID] = Field(description="the clues the clues service registers for it")


class RecordRowOut(BaseModel):
    record_id: UUID
    kind: str
    jurisdiction: str
    round_id: UUID
    group_id: UUID
    unit_id: UUID
    occurred_on: date
    figures: dict[str, Any]
    clues: int
    clue_ids: list[UUID] = Field(description="the clues registered for it, as POST answered")


class EndIn(_In):
    ended_on: date | None = None


class StationingOut(BaseModel):
    id: UUID
    group_id: UUID
    unit_id: UUID
    starts_on: date
    ends_on: date
    ended_on: date | None


class GroupOut(BaseModel):
    id: UUID
    round_id: UUID
    jurisdiction: str
    group_no: int
    leader_id: UUID
    member_ids: list[UUID]
    unit_ids: list[UUID]
    starts_on: date
    ends_on: date
    evaluations: dict[UUID, Grade]
    evaluation_notes: dict[UUID, str] = Field(
        default={}, description="each evaluation's remarks, or its last correction's reason"
    )
    corrections: dict[UUID, int] = Field(default={}, description="grades corrected (更正评价)")
    stationings: list[StationingOut]

    @classmethod
    def of(cls, g: groups.Group) -> GroupOut:
        assert g.group_id is not None
        assert g.round_id is not None
        assert g.leader_id is not None
        assert g.starts_on is not None
        assert g.ends_on is not None
        return cls(
            id=g.group_id,
            round_id=g.round_id,
            jurisdiction=g.jurisdiction,
            group_no=g.group_no,
            leader_id=g.leader_id,
            member_ids=g.member_ids,
            unit_ids=g.unit_ids,
            starts_on=g.starts_on,
            ends_on=g.ends_on,
            evaluations=dict(g.evaluations),
            evaluation_notes=dict(g.evaluation_notes),
            corrections=dict(g.corrections),
            stationings=[stationing_out(g, s) for s in g.stationings.values()],
        )


def stationing_out(g: groups.Group, s: groups.Stationing) -> StationingOut:
    assert g.group_id is not None
    return StationingOut(
        id=s.stationing_id,
        group_id=g.group_id,
        unit_id=s.unit_id,
        starts_on=s.starts_on,
        ends_on=s.ends_on,
        ended_on=s.ended_on,
    )


def recusal_problem(exc: groups.Recusal) -> ProblemError:
    return ProblemError(
        409,
        "Recusal",
        exc.detail,
        problem_type("recusal"),
        extra={
            "member_id": str(exc.member_id),
            "member_name": exc.member_name,
            "ground": exc.ground.value,
        },
    )


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
        return [MemberOut.of_row(r) for r in await handlers.member_table.list(pattern)]

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
        return [GroupOut.of(await handlers.load_group(g)) for g in ids]

    @router.get("/groups/{group_id}", response_model=GroupOut)
    async def get_group(group_id: UUID, principal: Principal = Depends(group_reader)) -> GroupOut:
        return GroupOut.of(await visible_group(group_id, principal))

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
