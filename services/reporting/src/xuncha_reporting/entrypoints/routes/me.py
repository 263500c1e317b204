"""``GET /api/v1/me``: the caller's principal (the dashboard shows who is signed in)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency


class Me(BaseModel):
    id: str
    role: str
    role_label: str
    jurisdiction: str
    jurisdiction_name: str
    department: str | None
    department_label: str | None
    unit_id: UUID | None = None
    group_id: str | None = None  # a group member's token bound to a group (its group)


def me_router(current: PrincipalDependency) -> APIRouter:
    router = APIRouter()

    @router.get("/me", response_model=Me, tags=["auth"])
    async def me(principal: Principal = Depends(current)) -> Me:
        return Me(
            id=principal.id,
            role=principal.role.value,
            role_label=principal.role_label_zh,
            jurisdiction=principal.jurisdiction,
            jurisdiction_name=jurisdictions.name_of(principal.jurisdiction),
            department=principal.department.value if principal.department else None,
            department_label=(
                DEPARTMENT_LABELS_ZH[principal.department] if principal.department else None
            ),
            unit_id=principal.unit_id,
            group_id=str(principal.group_id) if principal.group_id else None,
        )

    return router
