"""期限 (deadlines): every clock the services run, with its state, and per jurisdiction how many
are green, yellow and red (the workbench's counts)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency
from xuncha_shared.http.requests import known_jurisdiction
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.adapters.projection_tables import ProjectionTables, read_snapshot
from xuncha_reporting.domain.access import linked_view_scope
from xuncha_reporting.domain.deadlines import COLOUR_OF, State, deadline_item, summary
from xuncha_reporting.domain.ledger import china_date


class CaseLink(BaseModel):
    type: str = Field(description="issue | clue | petition")
    id: str
    link: str = Field(description="the case in its service's API")


class DeadlineOut(BaseModel):
    kind: str = Field(description="e.g. rectification.formal_report (R1)")
    case: CaseLink
    rule_id: str
    rule_version: int
    due_date: date = Field(description="the last day (China Standard Time)")
    jurisdiction: str
    owner: str = Field(description="the unit, department or office that must act")
    waits_for: str = Field(description="the event that satisfies the deadline")
    waits_for_zh: str
    state: State
    started_at: datetime | None
    ended_at: datetime | None
    days_late: int = Field(description="calendar days past the due date while overdue")


class Deadlines(BaseModel):
    items: list[DeadlineOut] = Field(
        description="by due date (the most late first among the overdue)"
    )
    generated_at: datetime


class Colours(BaseModel):
    jurisdiction: str
    name: str
    green: int = Field(description="running, no warning yet")
    yellow: int = Field(description="yellow warning raised")
    red: int = Field(description="red warning raised or overdue")
    overdue: int = Field(description="of the red: overdue")


class DeadlineSummary(BaseModel):
    jurisdictions: list[Colours]
    generated_at: datetime


def _visible(
    rows: list[dict[str, Any]], principal: Principal, scope: str | None
) -> list[dict[str, Any]]:
    if scope is not None:
        return [r for r in rows if r["jurisdiction"] == scope]
    return [r for r in rows if jurisdictions.city_of(r["jurisdiction"]) == principal.city]


def deadlines_router(
    ctx: ServiceContext, tables: ProjectionTables, current: PrincipalDependency
) -> APIRouter:
    router = APIRouter(tags=["views"])

    async def rows_for(
        principal: Principal, jurisdiction: str | None, *, open_only: bool
    ) -> list[dict[str, Any]]:
        if jurisdiction is not None:
            known_jurisdiction(jurisdiction)
        scope = linked_view_scope(principal, jurisdiction)
        async with read_snapshot(ctx.pool) as conn:
            rows = await tables.deadline_rows(conn, scope, open_only=open_only)
        return _visible(rows, principal, scope)

    @router.get("/views/deadlines", response_model=Deadlines)
    async def deadlines(
        jurisdiction: str | None = Query(
            default=None, pattern=r"^\d{6}$", description="one jurisdiction only"
        ),
        state: list[State] | None = Query(
            default=None,
            description="these states only; repeat it for several (`state=overdue&state="
            "warning_red`). Open states only (running, warning_yellow, warning_red, overdue) "
            "are read without the ended history, so they cost what is open; without `state` "
            "every deadline of the history is read",
        ),
        principal: Principal = Depends(current),
    ) -> Deadlines:
        """Every deadline with its rule id and version, due date, owner, what it waits for and
        a link to its case, or those in the states asked for (the workbench's 期限预警 asks
        for the warned and overdue ones, and reads the ended ones only when they are chosen).
        Offices and the auditor; a county office sees only its own county (another
        jurisdiction: 403)."""
        today = china_date(datetime.now(UTC))
        wanted = {s.value for s in state or ()}
        # open states' rows are read without the ended history
        open_only = bool(wanted) and all(State(s) in COLOUR_OF for s in wanted)
        rows = await rows_for(principal, jurisdiction, open_only=open_only)
        items = [deadline_item(r, today) for r in rows]
        if wanted:
            items = [i for i in items if i["state"] in wanted]
        items.sort(key=lambda i: (i["due_date"], i["kind"], i["case"]["id"]))
        return Deadlines(
            items=[DeadlineOut.model_validate(i) for i in items], generated_at=datetime.now(UTC)
        )

    @router.get("/views/deadlines/summary", response_model=DeadlineSummary)
    async def deadline_summary(
        jurisdiction: str | None = Query(
            default=None, pattern=r"^\d{6}$", description="one jurisdiction only"
        ),
        principal: Principal = Depends(current),
    ) -> DeadlineSummary:
        """Per jurisdiction, the open deadlines in green, yellow and red (the workbench's
        counts); access as for the list."""
        counts = summary(await rows_for(principal, jurisdiction, open_only=True))
        return DeadlineSummary(
            jurisdictions=[
                Colours(jurisdiction=code, name=jurisdictions.name_of(code), **c)
                for code, c in sorted(counts.items())
            ],
            generated_at=datetime.now(UTC),
        )

    return router
