"""两公开 (R5): an inspection's stationing, feedback and rectification made known.

| method | path | who |
|---|---|---|
| POST | ``/api/v1/publications`` | city/county office of the round |
| GET | ``/api/v1/publications[?unit_id=&scope=&stage=]`` | offices, groups, auditor; a unit |
| GET | ``/api/v1/publications/draft?round_id=&unit_id=&stage=`` | city/county office |
| GET | ``/api/v1/publication-exemptions`` | the same: the grounds for withholding |
| GET | ``/api/v1/public/publications[?jurisdiction=]`` | anyone, no token: what is public |

A unit reads its own only.

A round or unit of another jurisdiction answers the 404 of an unknown one; a receiving
department reads what went to the public, as anyone does.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.common import LongText, NameText, ShortText
from xuncha_shared.contracts.rectification import PublicationScope, PublicationStage
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http import problems
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.http.requests import known_jurisdiction, request_meta

from xuncha_rectification.domain.publication import (
    SCOPE_ZH,
    STAGE_ZH,
    Publication,
    PublishResults,
)
from xuncha_rectification.entrypoints.issue_responses import OFFICES
from xuncha_rectification.handlers import PublicationHandlers

READERS = (*OFFICES, Role.GROUP_MEMBER, Role.AUDITOR, Role.INSPECTED_UNIT)
CONCURRENT = "并发修改冲突，请刷新后重试 / changed concurrently; reload and retry"


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    round_id: UUID
    unit_id: UUID
    unit: NameText | None = Field(
        default=None, description="the unit's name, when no issue of it was fed back yet"
    )
    stage: PublicationStage
    scope: PublicationScope
    title: ShortText
    text: LongText
    published_on: date = Field(description="the day it was published (China time)")
    exemptions: list[ShortText] = Field(
        default=[], max_length=20, description="grounds for what was withheld (ids)"
    )
    withheld_note: LongText | None = None


class PublicationOut(BaseModel):
    id: UUID
    jurisdiction: str
    jurisdiction_name: str
    round_id: UUID
    unit_id: UUID
    unit: str
    stage: PublicationStage
    stage_zh: str
    scope: PublicationScope
    scope_zh: str
    title: str
    text: str
    published_on: date
    exemptions: list[str]
    exemptions_zh: list[str]
    withheld_note: str | None
    recorded_at: datetime | None


class PublicationList(BaseModel):
    items: list[PublicationOut]


class PublicOut(BaseModel):
    """What the public reads: the text as published, nothing of why parts were withheld."""

    jurisdiction: str
    jurisdiction_name: str
    unit: str
    stage: PublicationStage
    stage_zh: str
    title: str
    text: str
    published_on: date
    withheld: bool = Field(description="parts were withheld (on grounds the public is not told)")


class PublicList(BaseModel):
    items: list[PublicOut]


class Draft(BaseModel):
    title: str
    text: str


class Exemption(BaseModel):
    id: str
    label: str


def build_publications_router(handlers: PublicationHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["publications"])
    office = deps.require_roles(*OFFICES, write=True)
    office_reader = deps.require_roles(*OFFICES)
    reader = deps.require_roles(*READERS)

    def out(p: Publication) -> PublicationOut:
        assert p.publication_id is not None
        assert p.round_id is not None
        assert p.unit_id is not None
        assert p.stage is not None
        assert p.scope is not None
        assert p.published_on is not None
        return PublicationOut(
            id=p.publication_id,
            jurisdiction=p.jurisdiction,
            jurisdiction_name=jurisdictions.name_of(p.jurisdiction),
            round_id=p.round_id,
            unit_id=p.unit_id,
            unit=p.unit,
            stage=p.stage,
            stage_zh=STAGE_ZH[p.stage],
            scope=p.scope,
            scope_zh=SCOPE_ZH[p.scope],
            title=p.title,
            text=p.text,
            published_on=p.published_on,
            exemptions=list(p.exemptions),
            exemptions_zh=[handlers.exemptions.get(e, e) for e in p.exemptions],
            withheld_note=p.withheld_note,
            recorded_at=p.recorded_at,
        )

    @router.post("/publications", response_model=PublicationOut, status_code=201)
    async def publish(
        body: PublishIn, request: Request, principal: Principal = Depends(office)
    ) -> PublicationOut:
        """两公开 (R5): a stage of a unit's inspection in a round made known to a scope, once."""
        cmd = PublishResults(
            round_id=body.round_id,
            unit_id=body.unit_id,
            stage=body.stage,
            scope=body.scope,
            title=body.title,
            text=body.text,
            published_on=body.published_on,
            exemptions=tuple(dict.fromkeys(body.exemptions)),
            withheld_note=body.withheld_note,
            unit=body.unit,
        )
        with problems.domain_errors(CONCURRENT):
            state = await handlers.publish(
                cmd, principal.can_access, request_meta(request, principal)
            )
        return out(state)

    @router.get("/publications", response_model=PublicationList)
    async def list_publications(
        unit_id: UUID | None = None,
        scope: PublicationScope | None = None,
        stage: PublicationStage | None = None,
        principal: Principal = Depends(reader),
    ) -> PublicationList:
        """What the caller's offices published, newest first (a unit: its own)."""
        if principal.unit_id is not None:
            unit_id = principal.unit_id
        rows = await handlers.table.list(
            principal.jurisdiction_like(), unit_id=unit_id, scope=scope, stage=stage
        )
        return PublicationList(items=[out(p) for p in rows])

    @router.get(
        "/publications/draft",
        response_model=Draft,
        responses={
            404: {"description": "a round, or a unit of it, the caller does not know"},
            409: {"description": "the stage is not reached yet"},
        },
    )
    async def draft(
        round_id: UUID,
        unit_id: UUID,
        stage: PublicationStage,
        scope: PublicationScope = PublicationScope.PUBLIC,
        unit: Annotated[str | None, Query(max_length=200)] = None,
        principal: Principal = Depends(office_reader),
    ) -> Draft:
        """The usual wording of the stage with the unit's figures, to edit before publishing
        (409 for a stage not reached, as publishing it would be)."""
        with problems.domain_errors(CONCURRENT):
            title, text = await handlers.draft(
                round_id, unit_id, stage, unit, principal.can_access, scope
            )
        return Draft(title=title, text=text)

    @router.get("/publication-exemptions", response_model=list[Exemption])
    async def exemptions(principal: Principal = Depends(reader)) -> list[Exemption]:
        """The deployment's grounds for withholding a part of a publication (R5)."""
        return [Exemption(id=k, label=v) for k, v in handlers.exemptions.items()]

    @router.get("/public/publications", response_model=PublicList)
    async def public(
        response: Response,
        jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    ) -> PublicList:
        """向社会公开 (R5): what the offices published to the public, newest first; no token."""
        if jurisdiction is not None:
            known_jurisdiction(jurisdiction)
        response.headers["Cache-Control"] = "public, max-age=60"
        rows = await handlers.table.list(
            jurisdiction or "______", scope=PublicationScope.PUBLIC, limit=500
        )
        return PublicList(
            items=[
                PublicOut(
                    jurisdiction=p.jurisdiction,
                    jurisdiction_name=jurisdictions.name_of(p.jurisdiction),
                    unit=p.unit,
                    stage=p.stage,
                    stage_zh=STAGE_ZH[p.stage],
                    title=p.title,
                    text=p.text,
                    published_on=p.published_on,
                    withheld=bool(p.exemptions),
                )
                for p in rows
                if p.stage is not None and p.published_on is not None
            ]
        )

    return router
