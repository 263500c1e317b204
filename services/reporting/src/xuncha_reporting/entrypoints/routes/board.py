"""挂图作战 (the rectification board), the 整改台账 it exports, and the two Excel downloads.

* ``GET /api/v1/views/board?jurisdiction=&round_id=``: units → issues → tasks → history with
  evidence links, completion (verified close-outs) and the self-declared rate, each unit's
  plans (a returned one with its reason) and what in it waits for the office (``awaiting_office``);
* ``GET /api/v1/views/rectification-ledger?jurisdiction=&round_id=``: the ledger's sheets (JSON);
* ``GET /api/v1/exports/ledger.xlsx?jurisdiction=&round_id=``: 整改台账 (summary + per unit);
* ``GET /api/v1/exports/board.xlsx?jurisdiction=``: 挂图作战 (summary + per unit, row per task).

Offices and the auditor, as for the linked view (a county office: its own county only); without
``jurisdiction`` the city office and the auditor read the whole city (市本级 and every county,
each coloured by its own R10 threshold), and the workbooks' 汇总 gives each area's 小计.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency
from xuncha_shared.http.requests import known_jurisdiction
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.adapters.projection_tables import ProjectionTables, read_snapshot
from xuncha_reporting.adapters.workbooks import XLSX, workbook
from xuncha_reporting.domain import board as b
from xuncha_reporting.domain import board_sheets as sheets
from xuncha_reporting.domain.access import linked_view_scope
from xuncha_reporting.domain.ledger import china_date
from xuncha_reporting.domain.rectification_docs import BOARD_KINDS
from xuncha_reporting.entrypoints.downloads import download
from xuncha_reporting.warning_policy import yellow_days

JURISDICTION = Query(default=None, pattern=r"^\d{6}$", description="a county or the city itself")
ROUND = Query(default=None, description="one round only (intake's round id)")


def _place(principal: Principal, jurisdiction: str | None) -> str:
    """What a download is named after: the area asked for (市本级 / a county), else what the
    principal sees (全市 for the city office and the auditor)."""
    if jurisdiction is None and principal.is_city_wide:
        return "全市"
    return sheets.area_zh(jurisdiction or principal.jurisdiction)


def board_router(
    ctx: ServiceContext, tables: ProjectionTables, current: PrincipalDependency
) -> APIRouter:
    router = APIRouter(tags=["views"])

    async def build(
        principal: Principal, jurisdiction: str | None, round_id: UUID | None
    ) -> dict[str, Any]:
        if jurisdiction is not None:
            known_jurisdiction(jurisdiction)
        scope = linked_view_scope(principal, jurisdiction)
        pattern = principal.jurisdiction_like() if scope is None else scope
        async with read_snapshot(ctx.pool) as conn:
            docs = await tables.docs(conn, BOARD_KINDS, pattern)
        today = china_date(datetime.now(UTC))
        return b.board(docs, today, yellow_days, str(round_id) if round_id else None)

    @router.get("/views/board")
    async def board_view(
        jurisdiction: str | None = JURISDICTION,
        round_id: UUID | None = ROUND,
        principal: Principal = Depends(current),
    ) -> dict[str, Any]:
        """挂图作战: every unit's issues by state and colour, drillable to tasks and history
        with evidence links; 整改完成率 = verified close-outs / issues fed back, with the
        self-declared rate beside it (labelled)."""
        return await build(principal, jurisdiction, round_id)

    @router.get("/views/rectification-ledger")
    async def rectification_ledger(
        jurisdiction: str | None = JURISDICTION,
        round_id: UUID | None = ROUND,
        principal: Principal = Depends(current),
    ) -> dict[str, Any]:
        """整改台账: the sheets of ``/exports/ledger.xlsx`` as JSON (summary, then per unit)."""
        return sheets.ledger(await build(principal, jurisdiction, round_id))

    @router.get(
        "/exports/ledger.xlsx",
        response_class=Response,
        responses={200: {"content": {XLSX: {}}}},
    )
    async def ledger_xlsx(
        jurisdiction: str | None = JURISDICTION,
        round_id: UUID | None = ROUND,
        principal: Principal = Depends(current),
    ) -> Response:
        """整改台账.xlsx: 汇总 then one sheet per unit, Chinese headers, frozen header row."""
        doc = sheets.ledger(await build(principal, jurisdiction, round_id))
        content = workbook(
            (doc["summary"]["headers"], doc["summary"]["rows"]),
            [(u["sheet"], doc["headers"], u["rows"]) for u in doc["units"]],
        )
        return download(content, f"整改台账-{_place(principal, jurisdiction)}.xlsx")

    @router.get(
        "/exports/board.xlsx",
        response_class=Response,
        responses={200: {"content": {XLSX: {}}}},
    )
    async def board_xlsx(
        jurisdiction: str | None = JURISDICTION,
        principal: Principal = Depends(current),
    ) -> Response:
        """挂图作战.xlsx: 汇总 then one sheet per unit, a row per task with its colour, the
        issue's record (its steps and the latest), the task's own evidence and, on the issue's
        first row, its reports' and verifications' (file names)."""
        doc = await build(principal, jurisdiction, None)
        units = doc["units"]
        content = workbook(
            (sheets.SUMMARY_HEADERS, sheets.summary_rows(units)),
            [
                (name, sheets.BOARD_HEADERS, sheets.board_rows(u))
                for u, name in zip(units, sheets.sheet_names(units), strict=True)
            ],
        )
        return download(content, f"挂图作战-{_place(principal, jurisdiction)}.xlsx")

    return router
