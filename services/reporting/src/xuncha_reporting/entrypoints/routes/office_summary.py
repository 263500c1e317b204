"""The office summary view (巡察办年度工作总结的数字): reports heard by meeting kind, pointed
problems and their supervision, clues transferred by department and disposition, problems fed
back per unit, consultations, with ``rendering_zh`` (``?format=text``: that sentence alone, as
``text/plain``).

Readers are those of the linked view (the offices and the auditor). ``jurisdiction`` defaults to
the caller's own; a county office asking for another jurisdiction is refused (403), like in the
other views.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from xuncha_shared.clocks.clock import local_day
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency
from xuncha_shared.http.problems import invalid
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.adapters.projection_tables import ProjectionTables, read_snapshot
from xuncha_reporting.domain.access import linked_view_scope
from xuncha_reporting.domain.office_summary import SUMMARY_KINDS, office_summary


def office_summary_router(
    ctx: ServiceContext, tables: ProjectionTables, current: PrincipalDependency
) -> APIRouter:
    router = APIRouter(tags=["views"])

    @router.get(
        "/views/office-summary",
        response_model=None,
        responses={
            200: {
                "content": {
                    "application/json": {},
                    "text/plain": {"schema": {"type": "string"}},
                },
                "description": "the figures (JSON), or with ``format=text`` their sentence",
            }
        },
    )
    async def office_summary_view(
        jurisdiction: str | None = Query(
            default=None, pattern=r"^\d{6}$", description="the office (default: the caller's)"
        ),
        year: int | None = Query(default=None, ge=2000, le=2100, description="default: this year"),
        format: Literal["json", "text"] = Query(default="json"),
        principal: Principal = Depends(current),
    ) -> dict[str, Any] | PlainTextResponse:
        """The figures of the office's annual summary (000:L34–40) for one year."""
        code = jurisdiction or principal.jurisdiction
        linked_view_scope(principal, code)  # 403 for other roles and other jurisdictions
        this_year = local_day(ctx.now()).year
        if year is not None and year > this_year:
            raise invalid(
                "query.year",
                f"年度不能晚于今年（{this_year}年） / the year is after this year ({this_year})",
            )
        year = year or this_year
        async with read_snapshot(ctx.pool) as conn:
            docs = await tables.docs(conn, SUMMARY_KINDS, code)
        view = office_summary(docs, code, year, this_year)
        if format == "text":
            return PlainTextResponse(view["rendering_zh"])
        return view

    return router
