"""HTTP API of rectification's steps 9–11 (port 8003): plans, verification and close-out,
supervision and red lines (the evidence they cite: ``evidence_api.py``).

| method | path | who |
|---|---|---|
| POST | ``/api/v1/rectification-plans`` | the inspected unit (its own) |
| GET | ``/api/v1/rectification-plans[?status=&unit_id=]``, ``/{plan_id}`` | readers; the unit |
| POST | ``/api/v1/rectification-plans/{plan_id}/approve``, ``/return`` | city/county office |
| POST | ``/api/v1/rectifications/{id}/verification``, ``/close-out`` | city/county office |
| POST | ``/api/v1/supervisions`` | city/county office |
| POST | ``/api/v1/units/{unit_id}/red-line-warnings`` | city/county office (R20) |
| GET | ``/api/v1/units/{unit_id}/oversight`` | offices, groups, auditor; the unit (its own) |

A plan, issue, unit or evidence of another jurisdiction or unit answers the 404 of an unknown one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.common import LongText, ShortText
from xuncha_shared.contracts.names_zh import VALUE_LABELS_ZH
from xuncha_shared.contracts.rectification import (
    PlanTask,
    RedLineFinding,
    SupervisionKind,
    TaskType,
    VerificationOutcome,
)
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.http.requests import request_meta
from xuncha_shared.ids import uuid7, uuid7_time_ms

from xuncha_rectification.adapters.tables import OversightRow, RectificationTables
from xuncha_rectification.domain import plans
from xuncha_rectification.domain.commands import CloseOut, VerifyRectification
from xuncha_rectification.domain.issue import local_date
from xuncha_rectification.domain.plans import PLAN_STATUS_ZH, Plan, PlanStatus
from xuncha_rectification.entrypoints.issue_responses import (
    OFFICES,
    READERS,
    IssueOut,
    cited_evidence,
    domain_errors,
    ensure_can_see,
    named_issue_out,
    unit_issues,
    unknown_unit,
)
from xuncha_rectification.handlers import RectificationHandlers

# ---- models --------------------------------------------------------------------------------


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issue_id: UUID
    measure: LongText = Field(description="整改措施")
    owner: ShortText = Field(description="责任人")
    type: TaskType = Field(description="立行立改 / 限期整改 / 长期坚持")
    due_on: date = Field(description="完成时限")


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    round_id: UUID
    unit_id: UUID
    responsible_leader: ShortText = Field(description="整改第一责任人 (主要负责人)")
    tasks: list[TaskIn] = Field(min_length=1, max_length=1000)


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: LongText


class PlanTaskOut(BaseModel):
    task_id: UUID
    issue_id: UUID
    measure: str
    owner: str
    type: TaskType
    due_on: date


ROUND_NAME = Field(
    default=None,
    description="巡察轮次名称 (临川区第4届第5轮巡察); null before rectification learnt the "
    "round from intake",
)


class PlanOut(BaseModel):
    id: UUID
    round_id: UUID
    round_name: str | None = ROUND_NAME
    unit_id: UUID
    jurisdiction: str
    unit: str
    responsible_leader: str
    status: PlanStatus
    status_zh: str
    revision: int
    issue_ids: list[UUID] = Field(description="问题清单")
    tasks: list[PlanTaskOut] = Field(description="任务清单 and 责任清单")
    return_reasons: list[str]
    version: int


class PlanListItem(BaseModel):
    id: UUID
    round_id: UUID
    round_name: str | None = ROUND_NAME
    unit_id: UUID
    jurisdiction: str
    unit: str
    responsible_leader: str
    status: str
    status_zh: str
    revision: int
    tasks: int


class PlanList(BaseModel):
    items: list[PlanListItem]


class VerificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: VerificationOutcome
    evidence_ids: list[UUID] = Field(default=[], max_length=50)
    note: LongText


class CloseOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: LongText = "对账销号"
    mechanism: LongText | None = Field(default=None, description="长效机制 (long-term issues)")


class SupervisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: UUID
    issue_ids: list[UUID] = Field(min_length=1, max_length=500)
    kind: SupervisionKind
    note: LongText
    due_on: date


class RedLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issue_ids: list[UUID] = Field(min_length=1, max_length=500)
    finding: RedLineFinding
    note: LongText


class OversightCreated(BaseModel):
    id: UUID
    unit_id: UUID
    jurisdiction: str


class OversightItem(BaseModel):
    id: UUID
    kind: str
    kind_zh: str = Field(description="督办 or 红线预警")
    detail: str
    detail_zh: str = Field(
        description="the supervision's kind (重点督办 …) or the finding (敷衍整改 …)"
    )
    issue_ids: list[UUID]
    note: str
    due_on: date | None
    issued_at: datetime = Field(description="when the office issued it (the time of its id)")


def oversight_item(row: OversightRow) -> OversightItem:
    details = VALUE_LABELS_ZH["supervision_kind" if row.kind == "supervision" else "finding"]
    return OversightItem(
        id=row.oversight_id,
        kind=row.kind,
        kind_zh=VALUE_LABELS_ZH["oversight"].get(row.kind, row.kind),
        detail=row.detail,
        detail_zh=details.get(row.detail, row.detail),
        issue_ids=list(row.issue_ids),
        note=row.note,
        due_on=row.due_on,
        issued_at=datetime.fromtimestamp(uuid7_time_ms(row.oversight_id) / 1000, UTC),
    )


class OversightList(BaseModel):
    unit_id: UUID
    items: list[OversightItem]


# ---- helpers -------------------------------------------------------------------------------


def plan_out(plan: Plan, round_name: str | None = None) -> PlanOut:
    assert plan.plan_id is not None
    assert plan.round_id is not None
    assert plan.unit_id is not None
    return PlanOut(
        id=plan.plan_id,
        round_id=plan.round_id,
        round_name=round_name,
        unit_id=plan.unit_id,
        jurisdiction=plan.jurisdiction,
        unit=plan.unit,
        responsible_leader=plan.responsible_leader,
        status=plan.status,
        status_zh=PLAN_STATUS_ZH[plan.status],
        revision=plan.revision,
        issue_ids=plan.issue_ids,
        tasks=[PlanTaskOut(**t.model_dump()) for t in plan.tasks],
        return_reasons=plan.return_reasons,
        version=plan.version,
    )


async def named_plan_out(tables: RectificationTables, plan: Plan) -> PlanOut:
    """``plan_out`` with the name of the plan's round, when rectification knows it."""
    return plan_out(plan, await tables.round_name(plan.round_id))


def unknown_plan(plan_id: UUID) -> problems.ProblemError:
    return problems.problem_of(plans.UnknownPlan(plans.unknown_plan_detail(plan_id)))


def ensure_plan_visible(principal: Principal, plan: Plan, plan_id: UUID) -> None:
    """A plan is the unit's and the offices' (and the auditor's); a receiving department
    sees the issues shared with it (their ``concerns``), never a unit's whole plan, whose
    tasks quote every issue fed back: to it a plan is as unknown as one that never was."""
    if (
        principal.role is Role.DEPARTMENT
        or not principal.can_access(plan.jurisdiction)
        or not principal.sees_unit(plan.unit_id)
    ):
        raise unknown_plan(plan_id)


# ---- routes --------------------------------------------------------------------------------


def build_plans_router(handlers: RectificationHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["rectification"])
    unit_only = deps.require_roles(Role.INSPECTED_UNIT, write=True)
    office = deps.require_roles(*OFFICES, write=True)
    reader = deps.require_roles(*READERS)
    # the plans' list: a receiving department reads shared issues, not units' plans
    plan_reader = deps.require_roles(*(r for r in READERS if r is not Role.DEPARTMENT))

    # --- plans ---

    @router.post("/rectification-plans", status_code=201, response_model=PlanOut)
    async def submit_plan(
        body: PlanIn, request: Request, principal: Principal = Depends(unit_only)
    ) -> PlanOut:
        """整改方案 with its three lists, submitted by the unit (again after a return)."""
        if body.unit_id != principal.unit_id:
            raise unknown_unit(body.unit_id)
        unit = await unit_issues(handlers, principal, body.unit_id)
        cmd = plans.SubmitPlan(
            plan_id=plans.plan_id_for(body.round_id, body.unit_id),
            round_id=body.round_id,
            unit_id=body.unit_id,
            jurisdiction=unit.jurisdiction,
            unit=unit.unit,
            responsible_leader=body.responsible_leader,
            tasks=tuple(PlanTask(task_id=uuid7(), **t.model_dump()) for t in body.tasks),
            submitted_on=local_date(handlers.now()),
        )
        with domain_errors():
            plan = await handlers.submit_plan(cmd, request_meta(request, principal))
        return await named_plan_out(handlers.tables, plan)

    @router.get("/rectification-plans", response_model=PlanList)
    async def list_plans(
        principal: Principal = Depends(plan_reader),
        status: Annotated[PlanStatus | None, Query()] = None,
        unit_id: Annotated[UUID | None, Query()] = None,
    ) -> PlanList:
        if principal.role is Role.INSPECTED_UNIT:
            unit_id = principal.unit_id
        rows = await handlers.tables.plans(
            principal.jurisdiction_like(), unit_id, status.value if status else None
        )
        names = await handlers.tables.round_names([r.round_id for r in rows])
        return PlanList(
            items=[
                PlanListItem(
                    id=r.plan_id,
                    round_id=r.round_id,
                    round_name=names.get(r.round_id),
                    unit_id=r.unit_id,
                    jurisdiction=r.jurisdiction,
                    unit=r.unit,
                    responsible_leader=r.responsible_leader,
                    status=r.status,
                    status_zh=PLAN_STATUS_ZH[PlanStatus(r.status)],
                    revision=r.revision,
                    tasks=r.tasks,
                )
                for r in rows
            ]
        )

    @router.get("/rectification-plans/{plan_id}", response_model=PlanOut)
    async def get_plan(plan_id: UUID, principal: Principal = Depends(reader)) -> PlanOut:
        with domain_errors():
            plan = await handlers.get_plan(plan_id)
        ensure_plan_visible(principal, plan, plan_id)
        return await named_plan_out(handlers.tables, plan)

    @router.post("/rectification-plans/{plan_id}/approve", response_model=PlanOut)
    async def approve_plan(
        plan_id: UUID, request: Request, principal: Principal = Depends(office)
    ) -> PlanOut:
        with domain_errors():
            plan = await handlers.get_plan(plan_id)
        ensure_plan_visible(principal, plan, plan_id)
        with domain_errors():
            plan = await handlers.approve_plan(plan_id, request_meta(request, principal))
        return await named_plan_out(handlers.tables, plan)

    @router.post("/rectification-plans/{plan_id}/return", response_model=PlanOut)
    async def return_plan(
        plan_id: UUID, body: ReturnIn, request: Request, principal: Principal = Depends(office)
    ) -> PlanOut:
        with domain_errors():
            plan = await handlers.get_plan(plan_id)
        ensure_plan_visible(principal, plan, plan_id)
        with domain_errors():
            plan = await handlers.return_plan(
                plan_id, body.reason, request_meta(request, principal)
            )
        return await named_plan_out(handlers.tables, plan)

    # --- verification and close-out ---

    @router.post("/rectifications/{issue_id}/verification", response_model=IssueOut)
    async def verify(
        issue_id: UUID,
        body: VerificationIn,
        request: Request,
        principal: Principal = Depends(office),
    ) -> IssueOut:
        """核实: accepted, or rejected back to in progress with the reason (``note``)."""
        with domain_errors():
            issue = await handlers.get(issue_id)
        ensure_can_see(principal, issue_id, issue)
        cmd = VerifyRectification(
            outcome=body.outcome,
            note=body.note,
            evidence=tuple(
                await cited_evidence(handlers.tables, principal, issue, body.evidence_ids)
            ),
        )
        with domain_errors():
            issue = await handlers.verify(issue_id, cmd, request_meta(request, principal))
        return await named_issue_out(handlers.tables, issue)

    @router.post("/rectifications/{issue_id}/close-out", response_model=IssueOut)
    async def close_out(
        issue_id: UUID,
        body: CloseOutIn,
        request: Request,
        principal: Principal = Depends(office),
    ) -> IssueOut:
        """对账销号 after an accepted verification; a long-term issue with its mechanism."""
        with domain_errors():
            issue = await handlers.get(issue_id)
        ensure_can_see(principal, issue_id, issue)
        cmd = CloseOut(note=body.note, mechanism=body.mechanism)
        with domain_errors():
            issue = await handlers.close_out(issue_id, cmd, request_meta(request, principal))
        return await named_issue_out(handlers.tables, issue)

    # --- oversight ---

    @router.post("/supervisions", status_code=201, response_model=OversightCreated)
    async def supervise(
        body: SupervisionIn, request: Request, principal: Principal = Depends(office)
    ) -> OversightCreated:
        """督办 (tracking, key, special, on-site) of some of a unit's issues, with a due date."""
        unit = await unit_issues(handlers, principal, body.unit_id)
        cmd = plans.Supervise(
            supervision_id=uuid7(),
            issue_ids=tuple(body.issue_ids),
            kind=body.kind,
            note=body.note,
            due_on=body.due_on,
        )
        with domain_errors():
            await handlers.supervise(unit, cmd, request_meta(request, principal))
        return OversightCreated(
            id=cmd.supervision_id, unit_id=unit.unit_id, jurisdiction=unit.jurisdiction
        )

    @router.post(
        "/units/{unit_id}/red-line-warnings", status_code=201, response_model=OversightCreated
    )
    async def red_line(
        unit_id: UUID, body: RedLineIn, request: Request, principal: Principal = Depends(office)
    ) -> OversightCreated:
        """R20: 敷衍整改/虚假整改 → a red-line warning and a negative record (组织部)."""
        unit = await unit_issues(handlers, principal, unit_id)
        cmd = plans.WarnRedLine(
            warning_id=uuid7(),
            issue_ids=tuple(body.issue_ids),
            finding=body.finding,
            note=body.note,
        )
        with domain_errors():
            await handlers.warn_red_line(unit, cmd, request_meta(request, principal))
        return OversightCreated(id=cmd.warning_id, unit_id=unit_id, jurisdiction=unit.jurisdiction)

    @router.get("/units/{unit_id}/oversight", response_model=OversightList)
    async def oversight(unit_id: UUID, principal: Principal = Depends(reader)) -> OversightList:
        if principal.role is Role.DEPARTMENT:
            raise unknown_unit(unit_id)
        if principal.unit_id != unit_id:  # the unit itself reads its own, issues or none
            await unit_issues(handlers, principal, unit_id)
        rows = await handlers.tables.oversight(unit_id)
        return OversightList(
            unit_id=unit_id,
            items=[oversight_item(r) for r in rows],
        )

    return router
