"""The clue funnel ``GET /api/v1/views/clues[?jurisdiction=]`` (问题线索办理漏斗).

Readers are those of the linked view (the offices and the auditor); a county office sees its
own county only (another one is 403, like the linked view). Each clue of a row links to its
history on the clues service (``/api/v1/clues/{id}/history``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.adapters.projection_tables import ProjectionTables, read_snapshot
from xuncha_reporting.domain.access import linked_view_scope
from xuncha_reporting.domain.clue_funnel import FUNNEL_KINDS, clue_funnel


def clues_router(
    ctx: ServiceContext, tables: ProjectionTables, current: PrincipalDependency
) -> APIRouter:
    router = APIRouter(tags=["views"])

    @router.get("/views/clues")
    async def clues_view(
        jurisdiction: str | None = Query(
            default=None, pattern=r"^\d{6}$", description="one jurisdiction only"
        ),
        principal: Principal = Depends(current),
    ) -> dict[str, Any]:
        """The funnel per county: registered, by category and cadre level, verified,
        escalated, transferred by department, acknowledged, results by disposition, disposed,
        overdue (R3), and each clue's stage with the link to its history. A county counts
        the same whether the city reads it among all or alone: the documents read are the
        reader's (a county office's stop at an escalation, 不扩大知情范围; the city's follow
        an escalated clue to its transfer and result), ``jurisdiction`` only picks the row."""
        scope = linked_view_scope(principal, jurisdiction)
        own = linked_view_scope(principal, None)  # what the reader may see at all
        pattern = principal.city[:4] + "__" if own is None else own
        async with read_snapshot(ctx.pool) as conn:
            docs = await tables.docs(conn, FUNNEL_KINDS, pattern)
            version = await tables.version(conn)
        return clue_funnel(docs, principal.city, scope) | {"version": version}

    return router
