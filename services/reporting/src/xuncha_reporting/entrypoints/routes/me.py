"""``GET /api/v1/me``: the caller's principal (the dashboard shows who is signed in)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.adapters.projection_tables import ProjectionTables


class Me(BaseModel):
    id: str
    role: str
    role_label: str
    jurisdiction: str
    jurisdiction_name: str
    department: str | None
    department_label: str | None
    unit_id: UUID | None = None
    unit_name: str | None = Field(
        default=None,
        description="the name intake registered for a unit's token's unit (本单位); null when "
        "the token names no unit or intake registered none",
    )
    group_id: str | None = None  # a group member's token bound to a group (its group)


def me_router(
    ctx: ServiceContext, tables: ProjectionTables, current: PrincipalDependency
) -> APIRouter:
    router = APIRouter()

    @router.get("/me", response_model=Me, tags=["auth"])
    async def me(principal: Principal = Depends(current)) -> Me:
        unit_name = None
        if principal.unit_id is not None:
            unit_name = await tables.unit_name(
                ctx.pool, str(principal.unit_id), principal.jurisdiction_like()
            )
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
            unit_name=unit_name,
            group_id=str(principal.group_id) if principal.group_id else None,
        )

    return router
