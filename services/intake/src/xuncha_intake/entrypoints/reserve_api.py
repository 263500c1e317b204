"""后备干部库 (004:L8: 把表现优秀的巡察干部纳入后备干部库，加强跟踪了解): the offices put a pool
member graded 优秀 after a round into the reserve pool of cadres, and take one out again.

| method | path | body |
|---|---|---|
| POST | ``/api/v1/talent-pool/members/{id}/reserve`` | ``{group_id, admitted_on, note?}`` |
| POST | ``/api/v1/talent-pool/members/{id}/reserve/removal`` | ``{removed_on, reason}`` |

Who is in it is each member's ``reserve`` in ``GET /api/v1/talent-pool/members``. A member or
a group the office may not see answers the 404 of an unknown one; the city office reads its
counties' members but puts in or takes out only its own pool's (403), as each office evaluates
its own groups.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.common import LongText, ShortText
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.http.problems import forbidden, not_found
from xuncha_shared.http.requests import request_meta

from xuncha_intake.domain.pool import AdmitReserveCadre, RemoveReserveCadre
from xuncha_intake.entrypoints.groups_api import OFFICES, domain_errors
from xuncha_intake.entrypoints.groups_models import MemberOut
from xuncha_intake.handlers.groups import GroupHandlers

_UNKNOWN: dict[int | str, dict[str, Any]] = {
    404: {"description": "a pool member or group the caller does not know"}
}


class ReserveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    group_id: UUID = Field(description="the group whose evaluation graded the member 优秀")
    admitted_on: date
    note: LongText | None = None


class RemovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    removed_on: date
    reason: ShortText


def build_reserve_router(handlers: GroupHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["groups"])
    office = deps.require_roles(*OFFICES, write=True)

    async def visible(member_id: UUID, principal: Principal) -> None:
        """The member exists and is of the caller's own pool (403 for a county's, to the
        city)."""
        member = await handlers.load_member(member_id)
        if not member.exists or not principal.can_access(member.jurisdiction):
            raise not_found(f"未找到人才库成员 {member_id} / unknown pool member {member_id}")
        if member.jurisdiction != principal.jurisdiction:
            raise forbidden(
                f"{member.name} 是{jurisdictions.name_of(member.jurisdiction)}人才库成员，由其"
                "巡察机构纳入或移出后备干部库 / another office's pool member"
            )

    @router.post(
        "/talent-pool/members/{member_id}/reserve", response_model=MemberOut, responses=_UNKNOWN
    )
    async def admit(
        member_id: UUID, body: ReserveIn, request: Request, principal: Principal = Depends(office)
    ) -> MemberOut:
        """纳入后备干部库: a member graded 优秀 by the group's evaluation (409 otherwise)."""
        await visible(member_id, principal)
        group = await handlers.load_group(body.group_id)
        if not group.exists or not principal.can_access(group.jurisdiction):
            raise not_found(f"未找到巡察组 {body.group_id} / unknown group {body.group_id}")
        cmd = AdmitReserveCadre(body.group_id, body.admitted_on, body.note)
        with domain_errors():
            state = await handlers.admit_reserve(member_id, cmd, request_meta(request, principal))
        return MemberOut.of(state)

    @router.post(
        "/talent-pool/members/{member_id}/reserve/removal",
        response_model=MemberOut,
        responses=_UNKNOWN,
    )
    async def remove(
        member_id: UUID, body: RemovalIn, request: Request, principal: Principal = Depends(office)
    ) -> MemberOut:
        """移出后备干部库: a reserve cadre leaves it (409 for one not in it)."""
        await visible(member_id, principal)
        cmd = RemoveReserveCadre(body.removed_on, body.reason)
        with domain_errors():
            state = await handlers.remove_reserve(member_id, cmd, request_meta(request, principal))
        return MemberOut.of(state)

    return router
