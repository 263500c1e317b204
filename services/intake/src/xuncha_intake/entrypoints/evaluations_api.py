"""更正巡察干部评价 (intake, port 8001): an office corrects a grade it gave a group's member.

| method | path | body |
|---|---|---|
| POST | ``/api/v1/groups/{id}/evaluations/{member_id}/correction`` | ``{grade, reason}`` |

Answers the group (``GroupOut``: the new grade, the reason in ``evaluation_notes``, the count in
``corrections``). A group the caller may not see answers the 404 of an unknown group; a member
not evaluated yet, or one whom this group's 优秀 put in the reserve pool (后备干部库: take them
out first), 409; the same grade again, 422.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.common import LongText
from xuncha_shared.contracts.intake import Grade
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.http.problems import not_found
from xuncha_shared.http.requests import request_meta

from xuncha_intake.domain import groups
from xuncha_intake.entrypoints.groups_api import OFFICES, domain_errors
from xuncha_intake.entrypoints.groups_models import GroupOut
from xuncha_intake.handlers.groups import GroupHandlers


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    grade: Grade = Field(description="the grade it should have been")
    reason: LongText = Field(description="why the grade is corrected (更正理由)")


def build_evaluations_router(handlers: GroupHandlers, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["groups"])
    office = deps.require_roles(*OFFICES, write=True)

    @router.post("/groups/{group_id}/evaluations/{member_id}/correction", response_model=GroupOut)
    async def correct(
        group_id: UUID,
        member_id: UUID,
        body: CorrectionIn,
        request: Request,
        principal: Principal = Depends(office),
    ) -> GroupOut:
        """更正评价: the grade corrected, with the reason; the first grade stays in the history."""
        group = await handlers.load_group(group_id)
        if not group.exists or not principal.can_access(group.jurisdiction):
            raise not_found(f"未找到巡察组 {group_id} / unknown group {group_id}")
        cmd = groups.CorrectEvaluation(member_id, body.grade, body.reason)
        with domain_errors():
            state = await handlers.correct_evaluation(
                group_id, cmd, request_meta(request, principal)
            )
        return GroupOut.of(state)

    return router
