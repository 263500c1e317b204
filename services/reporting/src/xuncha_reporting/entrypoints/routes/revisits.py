"""Views of revisits (回头看, R18), recurrences (改了再犯/屡查屡犯, R19) and common-problem lists
(未巡先改) with each unit's self-check progress (``domain.revisit_views``):

* ``GET /api/v1/views/revisits?jurisdiction=``
* ``GET /api/v1/views/recurrences?jurisdiction=``
* ``GET /api/v1/views/common-problem-lists?jurisdiction=``

Offices and the auditor, as for the board (a county office: its own county only).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency
from xuncha_shared.http.requests import known_jurisdiction
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.adapters.projection_tables import ProjectionTables, read_snapshot
from xuncha_reporting.domain import revisit_views as v
from xuncha_reporting.domain.access import linked_view_scope

JURISDICTION = Query(default=None, pattern=r"^\d{6}$", description="a county or the city itself")


def revisits_router(
    ctx: ServiceContext, tables: ProjectionTables, current: PrincipalDependency
) -> APIRouter:
    router = APIRouter(tags=["views"])

    async def docs(principal: Principal, jurisdiction: str | None) -> v.Docs:
        if jurisdiction is not None:
            known_jurisdiction(jurisdiction)
        scope = linked_view_scope(principal, jurisdiction)
        pattern = principal.jurisdiction_like() if scope is None else scope
        async with read_snapshot(ctx.pool) as conn:
            return await tables.docs(conn, v.VIEW_KINDS, pattern)

    @router.get("/views/revisits")
    async def revisits(
        jurisdiction: str | None = JURISDICTION, principal: Principal = Depends(current)
    ) -> dict[str, Any]:
        """回头看: each revisit with its findings (issues checked, reopened, new problems)."""
        return v.revisits(await docs(principal, jurisdiction))

    @router.get("/views/recurrences")
    async def recurrences(
        jurisdiction: str | None = JURISDICTION, principal: Principal = Depends(current)
    ) -> dict[str, Any]:
        """改了再犯 and 屡查屡犯 (detected recurrences) and 共性问题 (a topic at several units in
        a term)."""
        return v.recurrences(await docs(principal, jurisdiction))

    @router.get("/views/common-problem-lists")
    async def common_lists(
        jurisdiction: str | None = JURISDICTION, principal: Principal = Depends(current)
    ) -> dict[str, Any]:
        """共性问题清单 with each unit's self-check progress (未巡先改)."""
        return v.common_lists(await docs(principal, jurisdiction))

    return router
