"""The linked view (城市/县区上下联动总览) and how a client learns that it changed: the projection
version, polled or pushed as Server-Sent Events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.adapters.projection_tables import (
    Generation,
    ProjectionTables,
)
from xuncha_reporting.domain.access import linked_view_scope
from xuncha_reporting.domain.linkage import (
    LINKAGE_KINDS,
    linkage_figures,
    linked_row,
    with_linkage,
)
from xuncha_reporting.domain.views import counters_from_rows, linked_view
from xuncha_reporting.entrypoints.routes.view_cache import GenerationRead, ProjectionViews
from xuncha_reporting.settings import STREAM_KEEPALIVE_SECONDS, STREAM_POLL_SECONDS


class Metrics(BaseModel):
    petitions_received: int = Field(description="信访举报受理")
    clues_registered: int = Field(description="线索登记")
    clues_transferred: int = Field(description="线索移交")
    clues_escalated: int = Field(description="线索上报市委巡察办")
    issues_fed_back: int = Field(description="反馈问题")
    rectification_reports: int = Field(description="整改报告")
    issues_completed: int = Field(description="自报整改完成的问题 (the units' own declaration)")
    issues_closed_out: int = Field(description="核实销号的问题 (verified and closed out)")
    clues_verified: int = Field(default=0, description="线索核查")
    clues_acknowledged: int = Field(default=0, description="部门签收线索")
    clue_results: int = Field(default=0, description="部门反馈办理结果")
    clues_disposed: int = Field(default=0, description="线索办结")
    clues_overdue: int = Field(default=0, description="办理结果逾期 (R3)")
    completion_rate: float | None = Field(
        description="整改完成率 = issues_closed_out / issues_fed_back (0..1): verified "
        "close-outs only; null without issues"
    )
    self_declared_rate: float | None = Field(
        description="自报完成率 = issues_completed / issues_fed_back (0..1), what units declared"
    )
    linked_units: int = Field(default=0, description="联动巡察单位 (units in mode linked)")
    revisited_units: int = Field(default=0, description="“回头看”单位 (units in mode revisit)")
    counterpart_reports: int = Field(
        default=0, description="对照上级联动单位提供的本地巡察报告 (counterpart reports)"
    )


class LinkedRow(Metrics):
    jurisdiction: str
    name: str
    level: str = Field(description="city | county")
    own: Metrics | None = Field(
        default=None, description="city row only: city-level work without the counties"
    )


class LinkedView(BaseModel):
    city: LinkedRow | None = Field(
        description="the city: its own work plus every county (absent for a county office)"
    )
    counties: list[LinkedRow]
    version: int
    demo: bool = Field(description="demo data was loaded (演示数据)")
    generated_at: datetime = Field(
        description="when this document was computed: it is served again, unchanged, while "
        "the projection stays at the same version (at most 30 s)"
    )


class Version(BaseModel):
    version: int
    demo: bool


def linked_router(
    ctx: ServiceContext,
    tables: ProjectionTables,
    current: PrincipalDependency,
    generation: GenerationRead,
) -> APIRouter:
    router = APIRouter(tags=["views"])
    # by scope and projection generation
    views = ProjectionViews(ctx.pool, tables, "linked", generation)

    @router.get("/views/linked", response_model=LinkedView)
    async def linked(
        jurisdiction: str | None = Query(
            default=None, pattern=r"^\d{6}$", description="one jurisdiction only"
        ),
        principal: Principal = Depends(current),
    ) -> Response:
        """城市/县区上下联动总览: one row for the city (its own work and all counties summed)
        and one per county. A county office sees its own county only."""
        scope = linked_view_scope(principal, jurisdiction)
        key = (scope, principal.city, principal.jurisdiction_like())
        body = await views.view(
            key, lambda conn, generation: read(conn, generation, scope, principal)
        )
        # kept as its JSON: validating and serialising the model again cost more than the rest
        return Response(content=body, media_type="application/json")

    async def read(
        conn: asyncpg.Connection, generation: Generation, scope: str | None, principal: Principal
    ) -> bytes:
        counters = counters_from_rows(await tables.counter_rows(conn))
        docs = await tables.docs(conn, LINKAGE_KINDS, principal.jurisdiction_like())
        meta = generation.values
        figures = linkage_figures(docs)
        city_code = principal.city
        if scope is None:
            whole = with_linkage(linked_view(counters, city_code), city_code, figures)
            city, counties = whole["city"], whole["counties"]
        elif scope == city_code:
            city, counties = linked_row(counters, scope, city_code, figures), []
        else:
            city, counties = None, [linked_row(counters, scope, city_code, figures)]
        view = LinkedView(
            city=LinkedRow.model_validate(city) if city else None,
            counties=[LinkedRow.model_validate(c) for c in counties],
            version=meta.get("version", 0),
            demo=bool(meta.get("demo", 0)),
            generated_at=datetime.now(UTC),
        )
        return view.model_dump_json().encode()

    @router.get("/views/version", response_model=Version)
    async def version(principal: Principal = Depends(current)) -> Version:
        """The projection version: changes whenever a projected event changed something."""
        meta = (await generation()).values
        return Version(version=meta.get("version", 0), demo=bool(meta.get("demo", 0)))

    @router.get(
        "/events/stream",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def stream(
        request: Request,
        max_seconds: float = Query(default=300.0, gt=0, le=3600),
        principal: Principal = Depends(current),
    ) -> StreamingResponse:
        """Server-Sent Events: ``event: version`` with ``{"version": n}`` at once and after
        every change; a comment line every 15 s keeps proxies from closing the stream. The
        stream ends after ``max_seconds`` (clients reconnect)."""

        async def events() -> AsyncIterator[str]:
            loop = asyncio.get_running_loop()
            started = last_sent = loop.time()
            last: int | None = None
            yield "retry: 2000\n\n"
            while loop.time() - started < max_seconds:
                if await request.is_disconnected():
                    return
                current_version = await tables.version(ctx.pool)
                if current_version != last:
                    last = current_version
                    last_sent = loop.time()
                    data = json.dumps({"version": current_version})
                    yield f"id: {current_version}\nevent: version\ndata: {data}\n\n"
                elif loop.time() - last_sent >= STREAM_KEEPALIVE_SECONDS:
                    last_sent = loop.time()
                    yield ": keep-alive\n\n"
                await asyncio.sleep(STREAM_POLL_SECONDS)

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router
