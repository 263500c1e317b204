"""The clue list, direct registration and one clue (``/api/v1/clues``, ``/api/v1/clues/{id}``).

A group member bound to a group registers only for its own group (another group is the 404 of an
unknown group); a registered summary never carries the informant's identity (R11: 422). A county
office sees a clue escalated to the city office only as a stub; a department only the clues
transferred to it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.clues import CadreLevel, ClueCategory, CluePerson
from xuncha_shared.contracts.common import JurisdictionCode, LongText, NameText, ShortText
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies, ensure_jurisdiction
from xuncha_shared.http.paging import MAX_LIMIT, Sort, sort_param
from xuncha_shared.http.requests import MAX_OFFSET, request_meta

from xuncha_clues.adapters.read_model import CLUE_TIEBREAK, SORT_COLUMNS, ClueQuery
from xuncha_clues.domain.clue import ClueStatus
from xuncha_clues.domain.commands import RegisterClue
from xuncha_clues.entrypoints.clue_responses import (
    CLASSIFIERS,
    READERS,
    ClueList,
    ClueOut,
    ClueStub,
    clue_out,
    clue_stub,
    department_of,
    domain_errors,
    for_department,
    group_of,
    list_item,
    office_of,
    visible,
)
from xuncha_clues.handlers import ClueHandlers


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cadre_level: CadreLevel | None = Field(default=None, description="处级 / 科级 / 科员及以下")
    city_managed: bool = Field(default=False, description="市管干部 (R12)")


class RegisterIn(BaseModel):
    """直接登记: a group registers a clue it found (no informant identity in the summary)."""

    model_config = ConfigDict(extra="forbid")

    jurisdiction: JurisdictionCode
    round_id: UUID
    group_id: UUID
    unit_id: UUID
    unit: NameText | None = Field(default=None, description="被巡察单位名称 (optional)")
    source_channel: ShortText = Field(description="e.g. individual_talk, site_check, letter")
    summary: LongText
    persons: list[PersonIn] = Field(default=[], max_length=50)
    registered_on: date | None = Field(
        default=None,
        description="补录 (R26): the day written on the registration (China time), not after "
        "today nor more than 5 years back; default: the day it is recorded",
    )


def clues_router(handlers: ClueHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1/clues", tags=["clues"])
    reader = deps.require_roles(*READERS)
    classifier = deps.require_roles(*CLASSIFIERS, write=True)

    @router.get("", response_model=ClueList)
    async def list_clues(
        principal: Principal = Depends(reader),
        jurisdiction: Annotated[JurisdictionCode | None, Query()] = None,
        status: Annotated[ClueStatus | None, Query()] = None,
        category: Annotated[
            ClueCategory | Literal["none"] | None,
            Query(description="a category, or none: not yet classified (clues seen in full)"),
        ] = None,
        unit: Annotated[
            str | None,
            Query(min_length=1, max_length=200, description="contained in the unit's name"),
        ] = None,
        sort: Sort = Depends(sort_param(SORT_COLUMNS, "-registered_at")),
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> ClueList:
        """The clues of the reader's jurisdiction, a page at a time with the ``total`` the
        filters match. ``unit`` and ``category`` filter (and sort) only clues the reader sees
        in full: another jurisdiction's escalated clue, shown as a stub, never matches them."""
        if jurisdiction is not None:
            ensure_jurisdiction(principal, jurisdiction)
            pattern = jurisdiction
        else:
            pattern = principal.jurisdiction_like()
        group = await group_of(handlers, principal)
        rows, total = await handlers.read_model.page(
            ClueQuery(
                pattern=pattern,
                own=principal.jurisdiction_like(),
                order_by=sort.sql(SORT_COLUMNS, CLUE_TIEBREAK),
                status=status.value if status else None,
                category=category.value if isinstance(category, ClueCategory) else category,
                unit=unit.strip() or None if unit else None,
                limit=limit,
                offset=offset,
                department=department_of(principal).value
                if principal.role is Role.DEPARTMENT
                else None,
                group_id=principal.group_id,
                group_round=str(group.round_id) if group else None,
                group_units=tuple(group.unit_ids) if group else (),
            )
        )
        return ClueList(
            items=[list_item(r, principal) for r in rows],
            limit=limit,
            offset=offset,
            total=total,
            sort=sort.text,
        )

    @router.post("", response_model=ClueOut, status_code=201)
    async def register(
        body: RegisterIn, request: Request, principal: Principal = Depends(classifier)
    ) -> ClueOut:
        """直接登记: a group (or office) registers a clue it found itself; ``registered_on``
        names the day written on a registration made on paper (补录, R26: 422 when after today
        or more than 5 years back)."""
        ensure_jurisdiction(principal, body.jurisdiction)
        group = await handlers.group_of(body.group_id)
        # another group's, or a group of an area the caller does not see: like an unknown group
        if not principal.sees_group(body.group_id) or (
            group is not None and not principal.can_access(group.jurisdiction)
        ):
            raise problems.not_found(
                f"未找到巡察组 {body.group_id} / unknown group {body.group_id}"
            )
        cmd = RegisterClue(
            clue_id=uuid4(),
            jurisdiction=body.jurisdiction,
            unit=body.unit or str(body.unit_id),
            summary=body.summary,
            round_id=str(body.round_id),
            source_channel=body.source_channel,
            group_id=body.group_id,
            unit_id=body.unit_id,
            persons=tuple(CluePerson(**p.model_dump()) for p in body.persons),
            direct=True,
            registered_on=body.registered_on,
        )
        with domain_errors():
            clue = await handlers.register(cmd, request_meta(request, principal), group=group)
        return clue_out(clue)

    @router.get("/{clue_id}", response_model=ClueOut | ClueStub)
    async def get_clue(clue_id: UUID, principal: Principal = Depends(reader)) -> ClueOut | ClueStub:
        clue = await visible(handlers, clue_id, principal)
        if principal.role is Role.DEPARTMENT or clue.visible_in_full_to(office_of(principal)):
            out = clue_out(clue)
            if clue.transferred:  # R3's last day and state, as the clue's clock has it
                clock = await handlers.result_clock(clue_id)
                if clock is not None:
                    out.result_due_date = clock[0]
                    out.result_late = {"met": False, "met_late": True}.get(clock[1])
            return for_department(out) if principal.role is Role.DEPARTMENT else out
        return clue_stub(clue)

    return router
