"""HTTP API of revisits (回头看, R18) and common-problem lists (未巡先改), port 8003.

| method | path | who |
|---|---|---|
| POST | ``/api/v1/revisits`` {unit_id, round_id?, scheduled_on, in_round_id?, unit?} | office |
| GET | ``/api/v1/revisits/{revisit_id}`` | offices, groups, auditor; the unit (its own) |
| POST | ``/api/v1/revisits/{revisit_id}/findings`` | city/county office |
| POST | ``/api/v1/common-problem-lists`` {jurisdiction, term_no, items, unit_ids} | office |
| GET | ``/api/v1/common-problem-lists[/{list_id}]`` | offices, groups, auditor; its units |
| POST | ``/api/v1/common-problem-lists/{list_id}/self-checks`` | the unit (its own); office |
| POST | ``/api/v1/common-problem-lists/{list_id}/urges`` {unit_ids?, note, reply_by?} | office |

Rectification does not follow intake's term plans: the office names the units of the term plan
not yet inspected (``unit_ids``). A revisit, list or unit of another jurisdiction (or, for a
unit's token, of another unit) answers the 404 of an unknown one. A revisit that reopens an
issue not verified or closed out is a 409 naming the issue's state. A revisit held by a round
(``in_round_id``) of a unit whose earlier inspection fed back nothing on this system names no
``round_id`` and gives the unit's name (``unit``); its findings name new problems only.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.common import JurisdictionCode, LongText, NameText
from xuncha_shared.contracts.rectification import CommonProblem
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies, ensure_jurisdiction
from xuncha_shared.http.requests import known_jurisdiction, request_meta
from xuncha_shared.ids import uuid7

from xuncha_rectification.adapters.read_model import IssueReadModel
from xuncha_rectification.adapters.recurrence import SqlCommonListReadModel
from xuncha_rectification.domain import common_lists as cl
from xuncha_rectification.domain import revisits as rv
from xuncha_rectification.domain.common_lists import CommonList
from xuncha_rectification.domain.revisits import Revisit
from xuncha_rectification.entrypoints.issue_responses import OFFICES, domain_errors
from xuncha_rectification.handlers import RevisitHandlers

REVISIT_READERS = (*OFFICES, Role.GROUP_MEMBER, Role.AUDITOR, Role.INSPECTED_UNIT)


class RevisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: UUID
    round_id: UUID | None = Field(
        default=None,
        description="the round whose feedback the revisit goes back to; none only for a unit "
        "whose earlier inspection fed back nothing on this system (then in_round_id and unit)",
    )
    scheduled_on: date
    in_round_id: UUID | None = Field(
        default=None,
        description="the later round holding the revisit: one assigning the unit in mode "
        "revisit (巡察“回头看”); none for the office's own revisit",
    )
    unit: NameText | None = Field(
        default=None,
        description="the unit's name, for a unit with no issue fed back on this system (else "
        "the name its feedback gave)",
    )


class FindingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checked_issue_ids: list[UUID] = Field(default=[], max_length=500)
    reopened_issue_ids: list[UUID] = Field(default=[], max_length=500)
    new_problems: list[LongText] = Field(default=[], max_length=200)


class RevisitOut(BaseModel):
    id: UUID
    jurisdiction: str
    unit_id: UUID
    unit: str
    round_id: UUID | None
    scheduled_on: date
    in_round_id: UUID | None
    findings_recorded: bool
    checked_issue_ids: list[UUID]
    reopened_issue_ids: list[UUID]
    new_problems: list[str]
    version: int


class CommonListIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jurisdiction: JurisdictionCode
    term_no: int = Field(ge=1, le=1000, description="届次")
    items: list[CommonProblem] = Field(min_length=1, max_length=200)
    unit_ids: list[UUID] = Field(
        min_length=1, max_length=1000, description="本届规划中尚未巡察的单位 (intake's unit ids)"
    )


class SelfCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: UUID
    findings: LongText = Field(description="自查发现")
    measures: LongText = Field(description="整改措施")


class UrgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_ids: list[UUID] = Field(
        default_factory=list,
        max_length=1000,
        description="the units to chase; none: every unit yet to send its self-check in",
    )
    note: LongText = Field(description="催报意见")
    reply_by: date | None = Field(default=None, description="报送期限 asked (China time)")


class SelfCheckOut(BaseModel):
    unit_id: UUID
    reported: bool
    findings: str | None = None
    measures: str | None = None
    urged: int = Field(default=0, description="how often the office chased it (催报)")
    last_urged_on: date | None = Field(default=None, description="the latest urge's day")
    reply_by: date | None = Field(default=None, description="the latest urge's 报送期限")
    urge_note: str | None = Field(default=None, description="the latest urge's words")


class CommonListOut(BaseModel):
    id: UUID
    jurisdiction: str
    term_no: int
    items: list[CommonProblem]
    units: list[SelfCheckOut] = Field(description="每个单位的自查进度")
    self_checked: int
    version: int


class CommonLists(BaseModel):
    items: list[CommonListOut]


def revisit_out(r: Revisit) -> RevisitOut:
    assert r.revisit_id is not None
    assert r.unit_id is not None
    assert r.scheduled_on is not None
    return RevisitOut(
        id=r.revisit_id,
        jurisdiction=r.jurisdiction,
        unit_id=r.unit_id,
        unit=r.unit,
        round_id=r.round_id,
        scheduled_on=r.scheduled_on,
        in_round_id=r.in_round_id,
        findings_recorded=r.findings_recorded,
        checked_issue_ids=r.checked_issue_ids,
        reopened_issue_ids=r.reopened_issue_ids,
        new_problems=r.new_problems,
        version=r.version,
    )


def list_out(c: CommonList, principal: Principal) -> CommonListOut:
    assert c.list_id is not None
    units = [u for u in c.unit_ids if principal.sees_unit(u)]
    return CommonListOut(
        id=c.list_id,
        jurisdiction=c.jurisdiction,
        term_no=c.term_no,
        items=c.items,
        units=[
            SelfCheckOut(
                unit_id=u,
                reported=u in c.self_checks,
                findings=c.self_checks[u][0] if u in c.self_checks else None,
                measures=c.self_checks[u][1] if u in c.self_checks else None,
                **_urged(c.urges.get(u)),
            )
            for u in units
        ],
        self_checked=sum(1 for u in units if u in c.self_checks),
        version=c.version,
    )


def _urged(urge: cl.Urge | None) -> dict[str, Any]:
    if urge is None:
        return {}
    return {
        "urged": urge.count,
        "last_urged_on": urge.last_on,
        "reply_by": urge.reply_by,
        "urge_note": urge.note,
    }


def not_found(detail: str) -> problems.ProblemError:
    return problems.problem_of(NotFoundError(detail))


def build_revisits_router(
    handlers: RevisitHandlers,
    issues: IssueReadModel,
    deps: AuthDependencies,
    lists: SqlCommonListReadModel,
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["rectification"])
    office = deps.require_roles(*OFFICES, write=True)
    reader = deps.require_roles(*REVISIT_READERS)
    checker = deps.require_roles(*OFFICES, Role.INSPECTED_UNIT, write=True)

    def unknown_unit(unit_id: UUID) -> problems.ProblemError:
        return not_found(f"未找到被巡察单位 {unit_id} 的反馈问题 / unknown unit {unit_id}")

    async def revisited_unit(principal: Principal, body: RevisitIn) -> tuple[str, str]:
        """The revisited unit's jurisdiction and name: its feedback's; for a unit whose earlier
        inspection fed back nothing here, the round holding the revisit's jurisdiction (one of
        the reader's, naming the unit in mode revisit, else the 404 of an unknown unit) and the
        name the office gives."""
        rows = await issues.list(principal.jurisdiction_like(), unit_id=body.unit_id, limit=1)
        if rows and principal.sees_unit(body.unit_id):
            return rows[0].jurisdiction, rows[0].unit
        if body.in_round_id is None:
            raise unknown_unit(body.unit_id)
        holding = await handlers.holding_round(body.in_round_id, None, body.unit_id)
        if (
            holding is None
            or holding.unit_mode != "revisit"
            or not principal.can_access(holding.round.jurisdiction)
        ):
            raise unknown_unit(body.unit_id)
        if body.unit is None or not body.unit.strip():
            raise problems.problem_of(
                InvalidCommand(
                    "该单位此前未在系统中反馈问题，请填写被巡察单位名称 / name the unit: no "
                    "issue of it is fed back here"
                )
            )
        return holding.round.jurisdiction, body.unit.strip()

    async def visible_revisit(principal: Principal, revisit_id: UUID) -> Revisit:
        with domain_errors():
            revisit = await handlers.get_revisit(revisit_id)
        if not principal.can_access(revisit.jurisdiction) or not principal.sees_unit(
            revisit.unit_id
        ):
            raise not_found(rv.unknown_revisit_detail(revisit_id))
        return revisit

    async def visible_list(principal: Principal, list_id: UUID) -> CommonList:
        with domain_errors():
            common = await handlers.get_list(list_id)
        if not principal.can_access(common.jurisdiction) or (
            principal.unit_id is not None and principal.unit_id not in common.unit_ids
        ):
            raise not_found(cl.unknown_list_detail(list_id))
        return common

    @router.post("/revisits", status_code=201, response_model=RevisitOut)
    async def schedule(
        body: RevisitIn, request: Request, principal: Principal = Depends(office)
    ) -> RevisitOut:
        """回头看 (R18) of a unit of a round."""
        jurisdiction, unit = await revisited_unit(principal, body)
        cmd = rv.ScheduleRevisit(
            revisit_id=uuid7(),
            jurisdiction=jurisdiction,
            unit_id=body.unit_id,
            unit=unit,
            round_id=body.round_id,
            scheduled_on=body.scheduled_on,
            in_round_id=body.in_round_id,
        )
        with domain_errors():
            revisit = await handlers.schedule(cmd, request_meta(request, principal))
        return revisit_out(revisit)

    @router.get("/revisits/{revisit_id}", response_model=RevisitOut)
    async def get_revisit(revisit_id: UUID, principal: Principal = Depends(reader)) -> RevisitOut:
        return revisit_out(await visible_revisit(principal, revisit_id))

    @router.post("/revisits/{revisit_id}/findings", response_model=RevisitOut)
    async def findings(
        revisit_id: UUID,
        body: FindingsIn,
        request: Request,
        principal: Principal = Depends(office),
    ) -> RevisitOut:
        """The revisit's findings; each reopened issue goes back to in progress (R19)."""
        revisit = await visible_revisit(principal, revisit_id)
        assert revisit.unit_id is not None
        # the unit's issues the findings may name (none: a unit nothing was fed back to here)
        rows = await issues.list(principal.jurisdiction_like(), unit_id=revisit.unit_id, limit=500)
        ids = frozenset(r.issue_id for r in rows)
        cmd = rv.RecordFindings(
            checked_issue_ids=tuple(body.checked_issue_ids),
            reopened_issue_ids=tuple(body.reopened_issue_ids),
            new_problems=tuple(body.new_problems),
        )
        with domain_errors():
            revisit = await handlers.record_findings(
                revisit_id, cmd, ids, request_meta(request, principal)
            )
        return revisit_out(revisit)

    @router.post("/common-problem-lists", status_code=201, response_model=CommonListOut)
    async def issue_list(
        body: CommonListIn, request: Request, principal: Principal = Depends(office)
    ) -> CommonListOut:
        """共性问题清单 to the units of the term plan not yet inspected (未巡先改)."""
        known_jurisdiction(body.jurisdiction, "body.jurisdiction")
        ensure_jurisdiction(principal, body.jurisdiction)
        cmd = cl.IssueCommonList(
            list_id=uuid7(),
            jurisdiction=body.jurisdiction,
            term_no=body.term_no,
            items=tuple(body.items),
            unit_ids=tuple(body.unit_ids),
        )
        with domain_errors():
            common = await handlers.issue_list(cmd, request_meta(request, principal))
        return list_out(common, principal)

    @router.get("/common-problem-lists", response_model=CommonLists)
    async def list_lists(principal: Principal = Depends(reader)) -> CommonLists:
        """The lists of the reader's jurisdiction; a unit's token: those sent to its unit."""
        ids = await lists.list_ids(principal.jurisdiction_like(), principal.unit_id)
        return CommonLists(items=[list_out(await handlers.get_list(i), principal) for i in ids])

    @router.get("/common-problem-lists/{list_id}", response_model=CommonListOut)
    async def get_list(list_id: UUID, principal: Principal = Depends(reader)) -> CommonListOut:
        return list_out(await visible_list(principal, list_id), principal)

    @router.post("/common-problem-lists/{list_id}/self-checks", response_model=CommonListOut)
    async def self_check(
        list_id: UUID,
        body: SelfCheckIn,
        request: Request,
        principal: Principal = Depends(checker),
    ) -> CommonListOut:
        """自查自纠: by the unit's own token, or the office on its behalf."""
        common = await visible_list(principal, list_id)
        if not principal.sees_unit(body.unit_id) or body.unit_id not in common.unit_ids:
            raise not_found(cl.unknown_list_detail(list_id))
        cmd = cl.SelfCheck(unit_id=body.unit_id, findings=body.findings, measures=body.measures)
        with domain_errors():
            common = await handlers.self_check(list_id, cmd, request_meta(request, principal))
        return list_out(common, principal)

    @router.post("/common-problem-lists/{list_id}/urges", response_model=CommonListOut)
    async def urge(
        list_id: UUID, body: UrgeIn, request: Request, principal: Principal = Depends(office)
    ) -> CommonListOut:
        """催报: chase the list's units that have not sent their self-check in (those named, or
        all of them); each unit reads it with the list. A unit the list did not go to, or one
        that has answered, is refused (422 / 409), as is a reply day before today."""
        await visible_list(principal, list_id)
        cmd = cl.UrgeSelfCheck(
            unit_ids=tuple(body.unit_ids), note=body.note.strip(), reply_by=body.reply_by
        )
        if not cmd.note:
            raise problems.problem_of(InvalidCommand("请填写催报意见 / the note must not be blank"))
        with domain_errors():
            common = await handlers.urge_self_check(list_id, cmd, request_meta(request, principal))
        return list_out(common, principal)

    return router
