"""HTTP API of problems, inspection reports, hearings and immediate consultations (clues, 8002).

Readers are the offices, the groups and the auditor.

| method | path | who |
|---|---|---|
| POST | ``/api/v1/problems`` | city/county office, inspection group |
| GET | ``/api/v1/problems[?jurisdiction=&round_id=&unit_id=&limit=&offset=]`` | readers |
| GET | ``/api/v1/problems/{id}`` | offices, groups, auditor |
| POST | ``/api/v1/inspection-reports`` | city/county office, inspection group |
| GET | ``/api/v1/inspection-reports[?jurisdiction=&round_id=&limit=&offset=]`` | readers |
| GET | ``/api/v1/inspection-reports/{id}`` | offices, groups, auditor |
| POST | ``/api/v1/inspection-reports/{id}/hearings`` | city/county office |
| POST | ``/api/v1/consultations`` | city/county office, inspection group |
| GET | ``/api/v1/consultations[?jurisdiction=&limit=&offset=]`` | offices, groups, auditor |
| GET | ``/api/v1/consultations/{id}`` | offices, groups, auditor |

A problem, report or consultation of another jurisdiction, or (for a group-bound member) of a
unit its group does not inspect, answers 404 exactly like an unknown id; so does an unknown or
invisible clue, problem or unit a command refers to. A second unit report of a unit in a round,
a second overall report, or a second hearing by the same meeting kind is 409 (the problem says
the report's state); malformed or inconsistent input is 422 (problem details, Chinese and
English). Everything refused writes nothing.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.clues import HearingMeeting, InspectionReportKind
from xuncha_shared.contracts.common import JurisdictionCode, LongText, ShortText, TopicText
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http import problems
from xuncha_shared.http.requests import MAX_OFFSET, request_meta

from xuncha_clues.adapters.findings import ConsultationRow, ProblemRow, ReportRow
from xuncha_clues.domain import consultation as consultation_model
from xuncha_clues.domain import inspection_report as report_model
from xuncha_clues.domain import problem as problem_model
from xuncha_clues.domain.consultation import Consultation
from xuncha_clues.domain.inspection_report import InspectionReport, ReportStatus
from xuncha_clues.domain.problem import Problem
from xuncha_clues.domain.scope import Viewer
from xuncha_clues.findings_handlers import FindingHandlers

READERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER, Role.AUDITOR)
WRITERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER)
OFFICES = (Role.CITY_ADMIN, Role.COUNTY_ADMIN)
CONCURRENT_CHANGE = "记录已被并发修改，请刷新后重试 / changed concurrently; reload and retry"

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


# ---- request and response models -----------------------------------------------------------


class ProblemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    round_id: UUID
    unit_id: UUID
    title: LongText
    topics: list[TopicText] = Field(
        default=[], max_length=problem_model.MAX_TOPICS, description="两个责任, 四风, 民主集中制 …"
    )
    clue_ids: list[UUID] = Field(default=[], max_length=problem_model.MAX_CLUES)
    pointed: bool = Field(default=False, description="点人点事")
    jurisdiction: JurisdictionCode | None = Field(
        default=None, description="the office of the round (default: the caller's)"
    )


class ProblemOut(BaseModel):
    id: UUID
    round_id: UUID
    jurisdiction: str
    jurisdiction_name: str
    unit_id: UUID
    group_id: UUID | None
    title: str
    topics: list[str]
    organisation_topics: list[str] = Field(description="topics the 组织部 feed carries")
    clue_ids: list[UUID]
    pointed: bool
    recorded_at: datetime | None


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    round_id: UUID
    kind: InspectionReportKind = Field(
        description="unit 分报告 / overall 综合报告 / thematic 专项报告"
    )
    unit_id: UUID | None = None
    problem_ids: list[UUID] = Field(default=[], max_length=report_model.MAX_PROBLEMS)
    unit_ids: list[UUID] = Field(
        default=[], max_length=report_model.MAX_UNITS, description="units covered besides"
    )
    jurisdiction: JurisdictionCode | None = None


class HearingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meeting: HearingMeeting = Field(
        description="secretary_meeting 书记专题会 / standing_committee 常委会 / leading_group"
    )
    held_on: date
    pointed_problem_ids: list[UUID] = Field(default=[], max_length=report_model.MAX_PROBLEMS)
    decisions: LongText


class HearingOut(BaseModel):
    hearing_id: UUID
    meeting: HearingMeeting
    meeting_zh: str
    held_on: date
    pointed_problem_ids: list[UUID]
    decisions: str


class ReportOut(BaseModel):
    id: UUID
    round_id: UUID
    jurisdiction: str
    jurisdiction_name: str
    kind: InspectionReportKind
    kind_zh: str
    unit_id: UUID | None
    unit_ids: list[UUID]
    problem_ids: list[UUID]
    status: ReportStatus
    status_zh: str
    hearings: list[HearingOut]
    pointed_problem_ids: list[UUID]
    drafted_at: datetime | None
    updated_at: datetime | None


class ConsultationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clue_ids: list[UUID] = Field(min_length=1, max_length=consultation_model.MAX_CLUES)
    held_on: date
    participants: list[ShortText] = Field(
        min_length=1, max_length=consultation_model.MAX_PARTICIPANTS
    )
    decision: LongText
    jurisdiction: JurisdictionCode | None = None


class ConsultationOut(BaseModel):
    id: UUID
    jurisdiction: str
    jurisdiction_name: str
    clue_ids: list[UUID]
    held_on: date
    participants: list[str]
    decision: str
    recorded_at: datetime | None


class Page(BaseModel):
    limit: int
    offset: int


class ProblemList(Page):
    items: list[ProblemOut]


class ReportList(Page):
    items: list[ReportOut]


class ConsultationList(Page):
    items: list[ConsultationOut]


# ---- mapping -------------------------------------------------------------------------------


def _organisation(topics: list[str]) -> list[str]:
    return [t for t in topics if t in problem_model.ORGANISATION_TOPICS]


def problem_out(p: Problem | ProblemRow) -> ProblemOut:
    assert p.problem_id is not None
    assert p.round_id is not None
    assert p.unit_id is not None
    return ProblemOut(
        id=p.problem_id,
        round_id=p.round_id,
        jurisdiction=p.jurisdiction,
        jurisdiction_name=jurisdictions.name_of(p.jurisdiction),
        unit_id=p.unit_id,
        group_id=p.group_id,
        title=p.title,
        topics=list(p.topics),
        organisation_topics=_organisation(list(p.topics)),
        clue_ids=list(p.clue_ids),
        pointed=p.pointed,
        recorded_at=p.recorded_at,
    )


def report_out(r: InspectionReport) -> ReportOut:
    assert r.report_id is not None
    assert r.round_id is not None
    assert r.kind is not None
    return ReportOut(
        id=r.report_id,
        round_id=r.round_id,
        jurisdiction=r.jurisdiction,
        jurisdiction_name=jurisdictions.name_of(r.jurisdiction),
        kind=r.kind,
        kind_zh=report_model.KIND_ZH[r.kind],
        unit_id=r.unit_id,
        unit_ids=r.unit_ids,
        problem_ids=r.problem_ids,
        status=r.status,
        status_zh=report_model.STATUS_ZH[r.status],
        hearings=[
            HearingOut(
                hearing_id=h.hearing_id,
                meeting=h.meeting,
                meeting_zh=report_model.MEETING_ZH[h.meeting],
                held_on=h.held_on,
                pointed_problem_ids=h.pointed_problem_ids,
                decisions=h.decisions,
            )
            for h in r.hearings
        ],
        pointed_problem_ids=r.pointed_problem_ids,
        drafted_at=r.drafted_at,
        updated_at=r.updated_at,
    )


def report_row_out(row: ReportRow) -> ReportOut:
    kind = InspectionReportKind(row.kind)
    status = ReportStatus(row.status)
    hearings = [
        HearingOut(
            hearing_id=UUID(h["hearing_id"]),
            meeting=HearingMeeting(h["meeting"]),
            meeting_zh=report_model.MEETING_ZH[HearingMeeting(h["meeting"])],
            held_on=date.fromisoformat(h["held_on"]),
            pointed_problem_ids=[UUID(p) for p in h["pointed_problem_ids"]],
            decisions=h["decisions"],
        )
        for h in row.hearings
    ]
    return ReportOut(
        id=row.report_id,
        round_id=row.round_id,
        jurisdiction=row.jurisdiction,
        jurisdiction_name=jurisdictions.name_of(row.jurisdiction),
        kind=kind,
        kind_zh=report_model.KIND_ZH[kind],
        unit_id=row.unit_id,
        unit_ids=row.unit_ids,
        problem_ids=row.problem_ids,
        status=status,
        status_zh=report_model.STATUS_ZH[status],
        hearings=hearings,
        pointed_problem_ids=list(dict.fromkeys(p for h in hearings for p in h.pointed_problem_ids)),
        drafted_at=row.drafted_at,
        updated_at=row.updated_at,
    )


def consultation_out(c: Consultation | ConsultationRow) -> ConsultationOut:
    assert c.consultation_id is not None
    assert c.held_on is not None
    return ConsultationOut(
        id=c.consultation_id,
        jurisdiction=c.jurisdiction,
        jurisdiction_name=jurisdictions.name_of(c.jurisdiction),
        clue_ids=list(c.clue_ids),
        held_on=c.held_on,
        participants=list(c.participants),
        decision=c.decision,
        recorded_at=c.recorded_at,
    )


def domain_errors() -> AbstractContextManager[None]:
    return problems.domain_errors(CONCURRENT_CHANGE)


# ---- routes --------------------------------------------------------------------------------


def build_findings_router(handlers: FindingHandlers, deps: Any) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["problems, reports, consultations"])
    reader = deps.require_roles(*READERS)
    writer = deps.require_roles(*WRITERS, write=True)
    office = deps.require_roles(*OFFICES, write=True)

    async def viewer_of(principal: Principal) -> Viewer:
        return await handlers.viewer(
            principal.jurisdiction, principal.is_city_wide, principal.group_id
        )

    def scope(viewer: Viewer, principal: Principal, jurisdiction: str | None) -> str:
        """The SQL LIKE pattern of a list; a jurisdiction the caller does not see lists
        nothing (as if it had nothing)."""
        if jurisdiction is None:
            return viewer.jurisdiction if viewer.group_bound else principal.jurisdiction_like()
        return jurisdiction if viewer.sees_jurisdiction(jurisdiction) else "-"

    def own(viewer: Viewer, jurisdiction: str | None) -> str:
        return jurisdiction or viewer.jurisdiction

    # -- problems --

    @router.post("/problems", status_code=201, response_model=ProblemOut)
    async def record_problem(
        body: ProblemIn, request: Request, principal: Principal = Depends(writer)
    ) -> ProblemOut:
        viewer = await viewer_of(principal)
        cmd = problem_model.RecordProblem(
            problem_id=uuid.uuid4(),
            round_id=body.round_id,
            jurisdiction=own(viewer, body.jurisdiction),
            unit_id=body.unit_id,
            title=body.title,
            topics=tuple(body.topics),
            clue_ids=tuple(body.clue_ids),
            pointed=body.pointed,
        )
        with domain_errors():
            p = await handlers.record_problem(cmd, viewer, request_meta(request, principal))
        return problem_out(p)

    @router.get("/problems", response_model=ProblemList)
    async def list_problems(
        principal: Principal = Depends(reader),
        jurisdiction: Annotated[JurisdictionCode | None, Query()] = None,
        round_id: Annotated[UUID | None, Query()] = None,
        unit_id: Annotated[UUID | None, Query()] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> ProblemList:
        viewer = await viewer_of(principal)
        rows = await handlers.problem_rows.list(
            scope(viewer, principal, jurisdiction),
            round_id=round_id,
            unit_id=unit_id,
            limit=limit,
            offset=offset,
        )
        items = [
            problem_out(r) for r in rows if viewer.sees(r.jurisdiction, r.round_id, [r.unit_id])
        ]
        return ProblemList(items=items, limit=limit, offset=offset)

    @router.get("/problems/{problem_id}", response_model=ProblemOut)
    async def get_problem(problem_id: UUID, principal: Principal = Depends(reader)) -> ProblemOut:
        with domain_errors():
            p = await handlers.problem(problem_id, await viewer_of(principal))
        return problem_out(p)

    # -- inspection reports and hearings --

    @router.post("/inspection-reports", status_code=201, response_model=ReportOut)
    async def draft_report(
        body: ReportIn, request: Request, principal: Principal = Depends(writer)
    ) -> ReportOut:
        viewer = await viewer_of(principal)
        with domain_errors():
            r = await handlers.draft_report(
                round_id=body.round_id,
                jurisdiction=own(viewer, body.jurisdiction),
                kind=body.kind,
                unit_id=body.unit_id,
                problem_ids=body.problem_ids,
                unit_ids=body.unit_ids,
                viewer=viewer,
                meta=request_meta(request, principal),
            )
        return report_out(r)

    @router.get("/inspection-reports", response_model=ReportList)
    async def list_reports(
        principal: Principal = Depends(reader),
        jurisdiction: Annotated[JurisdictionCode | None, Query()] = None,
        round_id: Annotated[UUID | None, Query()] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> ReportList:
        viewer = await viewer_of(principal)
        rows = await handlers.report_rows.list(
            scope(viewer, principal, jurisdiction), round_id=round_id, limit=limit, offset=offset
        )
        items = [
            report_row_out(r) for r in rows if viewer.sees(r.jurisdiction, r.round_id, r.unit_ids)
        ]
        return ReportList(items=items, limit=limit, offset=offset)

    @router.get("/inspection-reports/{report_id}", response_model=ReportOut)
    async def get_report(report_id: UUID, principal: Principal = Depends(reader)) -> ReportOut:
        with domain_errors():
            r = await handlers.report(report_id, await viewer_of(principal))
        return report_out(r)

    @router.post(
        "/inspection-reports/{report_id}/hearings", status_code=201, response_model=ReportOut
    )
    async def hear_report(
        report_id: UUID, body: HearingIn, request: Request, principal: Principal = Depends(office)
    ) -> ReportOut:
        cmd = report_model.HearReport(
            hearing_id=uuid.uuid4(),
            meeting=body.meeting,
            held_on=body.held_on,
            decisions=body.decisions,
            pointed_problem_ids=tuple(body.pointed_problem_ids),
        )
        with domain_errors():
            r = await handlers.hear_report(
                report_id, cmd, await viewer_of(principal), request_meta(request, principal)
            )
        return report_out(r)

    # -- immediate consultations --

    @router.post("/consultations", status_code=201, response_model=ConsultationOut)
    async def hold_consultation(
        body: ConsultationIn, request: Request, principal: Principal = Depends(writer)
    ) -> ConsultationOut:
        viewer = await viewer_of(principal)
        jurisdiction = own(viewer, body.jurisdiction)
        if not viewer.sees_jurisdiction(jurisdiction):
            raise problems.not_found(
                f"未找到行政区划 {jurisdiction} / unknown jurisdiction {jurisdiction}"
            )
        cmd = consultation_model.HoldConsultation(
            consultation_id=uuid.uuid4(),
            jurisdiction=jurisdiction,
            clue_ids=tuple(body.clue_ids),
            held_on=body.held_on,
            participants=tuple(body.participants),
            decision=body.decision,
        )
        with domain_errors():
            c = await handlers.hold_consultation(cmd, viewer, request_meta(request, principal))
        return consultation_out(c)

    @router.get("/consultations", response_model=ConsultationList)
    async def list_consultations(
        principal: Principal = Depends(reader),
        jurisdiction: Annotated[JurisdictionCode | None, Query()] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> ConsultationList:
        viewer = await viewer_of(principal)
        rows = await handlers.consultation_rows.list(
            scope(viewer, principal, jurisdiction), limit=limit, offset=offset
        )
        items = [consultation_out(r) for r in rows if viewer.sees_jurisdiction(r.jurisdiction)]
        return ConsultationList(items=items, limit=limit, offset=offset)

    @router.get("/consultations/{consultation_id}", response_model=ConsultationOut)
    async def get_consultation(
        consultation_id: UUID, principal: Principal = Depends(reader)
    ) -> ConsultationOut:
        with domain_errors():
            c = await handlers.consultation(consultation_id, await viewer_of(principal))
        return consultation_out(c)

    return router
