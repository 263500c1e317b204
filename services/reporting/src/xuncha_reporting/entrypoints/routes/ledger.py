"""整改台账 (the rectification ledger) of one inspected unit, and the index of the units that
have one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency
from xuncha_shared.http.problems import invalid, not_found
from xuncha_shared.http.requests import known_jurisdiction
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.domain.access import linked_view_scope
from xuncha_reporting.domain.ledger import china_date
from xuncha_reporting.entrypoints.routes.view_cache import GenerationRead, ProjectionViews


class LedgerReportOut(BaseModel):
    event_id: UUID
    kind: str = Field(description="progress | formal | final")
    kind_zh: str = Field(description="整改进展报告 / 整改情况报告 / 整改完成报告")
    progress_percent: int
    completed: bool
    note: str
    reported_at: datetime


class LedgerIssueOut(BaseModel):
    issue_id: UUID
    feedback_id: UUID
    description: str
    rect_type: str = Field(description="immediate | time_bound | long_term")
    rect_type_zh: str = Field(description="立行立改 / 限期整改 / 长期坚持")
    fed_back_at: datetime
    due_date: date | None = Field(description="R1: the formal report is due (feedback + 2 months)")
    days_left: int | None = Field(
        description="days until the formal report is due; null once it is in or completed"
    )
    status: str = Field(
        description="awaiting_report | in_progress | completed | overdue; a rejected "
        "verification or a revisit's reopening sends a completed issue back to in_progress"
    )
    status_zh: str = Field(description="待报告 / 整改中 / 已完成 / 逾期")
    progress_percent: int = Field(
        description="the last report's since the last rejected verification or reopening (0 "
        "until the next report), as the rectification service's issue says"
    )
    completed: bool
    completed_at: datetime | None
    formal_reported: bool
    reports: list[LedgerReportOut]


class Ledger(BaseModel):
    jurisdiction: str
    jurisdiction_name: str
    unit: str
    as_of: date = Field(description="the date the statuses are computed for (China time)")
    issues_total: int
    awaiting_report: int = Field(description="fed back, nothing reported yet, not overdue")
    in_progress: int = Field(description="reported, not complete, not overdue")
    completed: int
    overdue: int
    reports_total: int
    completion_rate: float | None = Field(
        description="completed / issues_total (0..1): completions the unit reported that stand "
        "(no rejected verification or reopening after them; 自报完成率); the verified rate "
        "(整改完成率, close-outs) is the board's and the linked view's"
    )
    issues: list[LedgerIssueOut]


class LedgerUnit(BaseModel):
    unit: str = Field(description="被巡察单位")
    issues: int = Field(description="issues fed back to the unit")


class LedgerUnits(BaseModel):
    jurisdiction: str
    jurisdiction_name: str
    units: list[LedgerUnit] = Field(description="the units that have issues, sorted by name")


def ledger_router(
    ctx: ServiceContext,
    tables: ProjectionTables,
    current: PrincipalDependency,
    generation: GenerationRead,
) -> APIRouter:
    router = APIRouter(tags=["views"])
    # a unit's ledgers, by unit, date and projection generation
    views = ProjectionViews(ctx.pool, tables, "ledger", generation)

    @router.get("/views/ledger", response_model=Ledger)
    async def ledger(
        jurisdiction: str = Query(pattern=r"^\d{6}$", description="the unit's jurisdiction"),
        unit: str = Query(min_length=1, max_length=200, description="被巡察单位 (exact name)"),
        principal: Principal = Depends(current),
    ) -> Response:
        """整改台账: every issue fed back to one inspected unit with its reports, status (整改中 /
        已完成 / 逾期 as of today, China time), counts and completion rate. Offices and the
        auditor as for the linked view; 404 when the unit has no issue."""
        unit = unit.strip()
        if not unit:
            raise invalid("query.unit", "must not be blank")
        known_jurisdiction(jurisdiction)
        linked_view_scope(principal, jurisdiction)
        as_of = china_date(datetime.now(UTC))  # the statuses move with the date: in the key

        async def read(conn: asyncpg.Connection, _: object) -> bytes:
            doc = await tables.unit_ledger(conn, jurisdiction, unit, as_of)
            # kept as its JSON (b"": no issue); validating and serialising it again for every
            # request cost more than the rest
            return b"" if doc is None else Ledger.model_validate(doc).model_dump_json().encode()

        body = await views.view((jurisdiction, unit, as_of), read)
        if not body:
            place = jurisdictions.name_of(jurisdiction)
            raise not_found(
                f"{place}未向“{unit}”反馈过问题 / no issue was fed back to {unit} in {place} "
                f"({jurisdiction})"
            )
        return Response(content=body, media_type="application/json")

    @router.get("/views/ledger/units", response_model=LedgerUnits)
    async def ledger_units(
        jurisdiction: str = Query(pattern=r"^\d{6}$", description="a county or the city itself"),
        principal: Principal = Depends(current),
    ) -> LedgerUnits:
        """The inspected units of one jurisdiction that have issues fed back, with their issue
        counts (the index of the 整改台账); the city's code lists the city-level units (市本级).
        Access as for the ledger; an empty list when no issue was fed back there yet."""
        known_jurisdiction(jurisdiction)
        linked_view_scope(principal, jurisdiction)
        counts = await tables.ledger_units(ctx.pool, jurisdiction)
        return LedgerUnits(
            jurisdiction=jurisdiction,
            jurisdiction_name=jurisdictions.name_of(jurisdiction),
            units=[LedgerUnit(unit=u, issues=n) for u, n in sorted(counts.items())],
        )

    return router
