"""HTTP API of the reporting service (port 8000) and the dashboard at ``/``.

| method | path | who |
|---|---|---|
| GET | ``/`` | the dashboard (static; asks for a token) |
| GET | ``/api/v1/me`` | any token: the caller's principal |
| GET | ``/api/v1/views/linked[?jurisdiction=CODE]`` | city/county offices, auditor |
| GET | ``/api/v1/views/ledger?jurisdiction=CODE&unit=NAME`` | city/county offices, auditor |
| GET | ``/api/v1/views/ledger/units?jurisdiction=CODE`` | city/county offices, auditor |
| GET | ``/api/v1/views/version`` | any token: the projection version (cheap polling) |
| GET | ``/api/v1/events/stream`` | any token: Server-Sent Events (``version``) |
| GET | ``/api/v1/feeds/{department}`` | that department; city office and auditor |
| POST | ``/api/v1/feeds/{department}/items/{item_id}/ack`` | that department only |
| GET | ``/api/v1/audit/...`` (verify, history, checkpoints, identity-reads) | auditor only |

Errors are ``application/problem+json`` (``xuncha_shared.http``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH, Department
from xuncha_shared.contracts.reporting import ShareItemAcknowledged
from xuncha_shared.contracts.topics import topic_for
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal
from xuncha_shared.eventstore import NO_STREAM, ConcurrencyError, NewEvent
from xuncha_shared.http.dependencies import AuthDependencies, ensure_jurisdiction
from xuncha_shared.http.problems import conflict, invalid, not_found
from xuncha_shared.http.requests import known_jurisdiction
from xuncha_shared.runtime import ServiceContext
from xuncha_shared.telemetry import current_traceparent

from xuncha_reporting.adapters.store import FEED_LIMIT, ProjectionStore
from xuncha_reporting.domain.access import (
    ensure_feed_acker,
    ensure_feed_reader,
    linked_view_scope,
)
from xuncha_reporting.domain.ledger import china_date
from xuncha_reporting.domain.views import counters_from_rows, linked_view, single_row
from xuncha_reporting.entrypoints.audit_api import add_audit_api
from xuncha_reporting.handlers import apply_event
from xuncha_reporting.settings import (
    PROJECTION_CONSUMER,
    SHARE_STREAM_TYPE,
    STREAM_KEEPALIVE_SECONDS,
    STREAM_POLL_SECONDS,
)

STATIC_DIR = Path(__file__).parent / "static"

#: The dashboard loads nothing from elsewhere (the machines have no internet anyway).
DASHBOARD_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


# ---- response models ---------------------------------------------------------------------


class Metrics(BaseModel):
    petitions_received: int = Field(description="信访举报受理")
    clues_registered: int = Field(description="线索登记")
    clues_transferred: int = Field(description="线索移交")
    clues_escalated: int = Field(description="线索上报市委巡察办")
    issues_fed_back: int = Field(description="反馈问题")
    rectification_reports: int = Field(description="整改报告")
    issues_completed: int = Field(description="整改完成的问题")
    completion_rate: float | None = Field(
        description="整改完成率 = issues_completed / issues_fed_back (0..1); null without issues"
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
    generated_at: datetime


class LedgerReportOut(BaseModel):
    event_id: UUID
    kind: str = Field(description="progress | formal | final")
    kind_zh: str = Field(description="进度报告 / 整改报告 / 最终报告")
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
    status: str = Field(description="in_progress | completed | overdue")
    status_zh: str = Field(description="整改中 / 已完成 / 逾期")
    progress_percent: int
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
    in_progress: int
    completed: int
    overdue: int
    reports_total: int
    completion_rate: float | None = Field(description="completed / issues_total (0..1)")
    issues: list[LedgerIssueOut]


class LedgerUnit(BaseModel):
    unit: str = Field(description="被巡察单位")
    issues: int = Field(description="issues fed back to the unit")


class LedgerUnits(BaseModel):
    jurisdiction: str
    jurisdiction_name: str
    units: list[LedgerUnit] = Field(description="the units that have issues, sorted by name")


class Version(BaseModel):
    version: int
    demo: bool


class Me(BaseModel):
    id: str
    role: str
    role_label: str
    jurisdiction: str
    jurisdiction_name: str
    department: str | None
    department_label: str | None


class FeedItemOut(BaseModel):
    item_id: str
    kind: str = Field(description="clue_transfer (移交线索) | issue_fed_back (反馈问题)")
    source_event_id: UUID
    ref_id: str = Field(description="the clue id or the issue id")
    jurisdiction: str
    jurisdiction_name: str
    unit: str
    summary: str
    reason: str | None
    rect_type: str | None
    due_date: str | None
    occurred_at: datetime
    acknowledged: bool
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    ack_note: str | None


class Feed(BaseModel):
    department: str
    label: str
    total: int
    unacknowledged: int
    items: list[FeedItemOut]
    version: int


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=1000)


class AckOut(BaseModel):
    item_id: str
    department: str
    event_id: UUID
    acknowledged_at: datetime


# ---- routes ------------------------------------------------------------------------------


def _item_out(row: dict[str, Any]) -> FeedItemOut:
    return FeedItemOut(
        item_id=row["item_id"],
        kind=row["kind"],
        source_event_id=row["source_event_id"],
        ref_id=row["ref_id"],
        jurisdiction=str(row["jurisdiction"]).strip(),
        jurisdiction_name=jurisdictions.name_of(str(row["jurisdiction"]).strip()),
        unit=row["unit"],
        summary=row["summary"],
        reason=row["reason"],
        rect_type=row["rect_type"],
        due_date=row["due_date"],
        occurred_at=row["occurred_at"],
        acknowledged=row["acknowledged_at"] is not None,
        acknowledged_at=row["acknowledged_at"],
        acknowledged_by=row["acknowledged_by"],
        ack_note=row["ack_note"],
    )


def build_router(ctx: ServiceContext, store: ProjectionStore | None = None) -> APIRouter:
    store = store or ProjectionStore()
    deps = AuthDependencies(ctx.authenticator)
    current = deps.current_principal
    router = APIRouter(prefix="/api/v1")

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
        )

    @router.get("/views/linked", response_model=LinkedView, tags=["views"])
    async def linked(
        jurisdiction: str | None = Query(
            default=None, pattern=r"^\d{6}$", description="one jurisdiction only"
        ),
        principal: Principal = Depends(current),
    ) -> LinkedView:
        """城市/县区上下联动总览: one row for the city (its own work and all counties summed)
        and one per county. A county office sees its own county only."""
        scope = linked_view_scope(principal, jurisdiction)
        async with (
            ctx.pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            counters = counters_from_rows(await store.counter_rows(conn))
            meta = await store.meta(conn)
        city_code = principal.city
        if scope is None:
            view = linked_view(counters, city_code)
            city, counties = view["city"], view["counties"]
        elif scope == city_code:
            city, counties = single_row(counters, scope), []
        else:
            city, counties = None, [single_row(counters, scope)]
        return LinkedView(
            city=LinkedRow.model_validate(city) if city else None,
            counties=[LinkedRow.model_validate(c) for c in counties],
            version=meta.get("version", 0),
            demo=bool(meta.get("demo", 0)),
            generated_at=datetime.now(UTC),
        )

    @router.get("/views/ledger", response_model=Ledger, tags=["views"])
    async def ledger(
        jurisdiction: str = Query(pattern=r"^\d{6}$", description="the unit's jurisdiction"),
        unit: str = Query(min_length=1, max_length=200, description="被巡察单位 (exact name)"),
        principal: Principal = Depends(current),
    ) -> Ledger:
        """整改台账: every issue fed back to one inspected unit with its reports, status (整改中 /
        已完成 / 逾期 as of today, China time), counts and completion rate. Offices and the
        auditor as for the linked view; 404 when the unit has no issue."""
        unit = unit.strip()
        if not unit:
            raise invalid("query.unit", "must not be blank")
        known_jurisdiction(jurisdiction)
        linked_view_scope(principal, jurisdiction)
        async with (
            ctx.pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            doc = await store.unit_ledger(conn, jurisdiction, unit, china_date(datetime.now(UTC)))
        if doc is None:
            raise not_found(
                f"no issue was fed back to {unit} in {jurisdictions.name_of(jurisdiction)} "
                f"({jurisdiction})"
            )
        return Ledger.model_validate(doc)

    @router.get("/views/ledger/units", response_model=LedgerUnits, tags=["views"])
    async def ledger_units(
        jurisdiction: str = Query(pattern=r"^\d{6}$", description="a county or the city itself"),
        principal: Principal = Depends(current),
    ) -> LedgerUnits:
        """The inspected units of one jurisdiction that have issues fed back, with their issue
        counts (the index of the 整改台账); the city's code lists the city-level units (市本级).
        Access as for the ledger; an empty list when no issue was fed back there yet."""
        known_jurisdiction(jurisdiction)
        linked_view_scope(principal, jurisdiction)
        counts = await store.ledger_units(ctx.pool, jurisdiction)
        return LedgerUnits(
            jurisdiction=jurisdiction,
            jurisdiction_name=jurisdictions.name_of(jurisdiction),
            units=[LedgerUnit(unit=u, issues=n) for u, n in sorted(counts.items())],
        )

    @router.get("/views/version", response_model=Version, tags=["views"])
    async def version(principal: Principal = Depends(current)) -> Version:
        """The projection version: changes whenever a projected event changed something."""
        meta = await store.meta(ctx.pool)
        return Version(version=meta.get("version", 0), demo=bool(meta.get("demo", 0)))

    @router.get(
        "/events/stream",
        tags=["views"],
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
                current_version = await store.version(ctx.pool)
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

    @router.get("/feeds/{department}", response_model=Feed, tags=["feeds"])
    async def feed(
        department: Department,
        limit: int = Query(default=200, ge=1, le=FEED_LIMIT),
        principal: Principal = Depends(current),
    ) -> Feed:
        """成果共享: the items shared with ``department`` (newest first). Never the source of a
        matter: feed items have no informant fields at all."""
        ensure_feed_reader(principal, department)
        async with (
            ctx.pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            rows, total, unacked = await store.feed(
                conn, department.value, principal.jurisdiction_like(), limit
            )
            current_version = await store.version(conn)
        return Feed(
            department=department.value,
            label=DEPARTMENT_LABELS_ZH[department],
            total=total,
            unacknowledged=unacked,
            items=[_item_out(r) for r in rows],
            version=current_version,
        )

    @router.post(
        "/feeds/{department}/items/{item_id}/ack",
        response_model=AckOut,
        status_code=201,
        tags=["feeds"],
    )
    async def acknowledge(
        department: Department,
        item_id: str,
        body: AckIn | None = None,
        principal: Principal = Depends(current),
    ) -> AckOut:
        """签收: appends ``reporting.ShareItemAcknowledged`` (stream ``share``/``item_id``) and
        marks the item in the same transaction; a second acknowledgement is 409."""
        ensure_feed_acker(principal, department)
        note = body.note.strip() or None if body and body.note else None
        try:
            async with ctx.pool.acquire() as conn, conn.transaction():
                item = await store.item(conn, item_id)
                if item is None or item["department"] != department.value:
                    raise not_found(f"no item {item_id} in the feed of {department.value}")
                jurisdiction = str(item["jurisdiction"]).strip()
                ensure_jurisdiction(principal, jurisdiction)
                if item["acknowledged_at"] is not None:
                    raise conflict(f"item {item_id} was acknowledged already")
                payload = ShareItemAcknowledged(
                    item_id=item_id,
                    department=department,
                    source_event_id=item["source_event_id"],
                    note=note,
                )
                [envelope] = await ctx.store.append(
                    SHARE_STREAM_TYPE,
                    item_id,
                    NO_STREAM,
                    [
                        NewEvent(
                            payload,
                            jurisdiction=jurisdiction,
                            actor=principal.actor(),
                            traceparent=current_traceparent(),
                        )
                    ],
                    conn=conn,
                )
                # applied at once, and recorded in the consumer's inbox in the same
                # transaction: when the event comes back through Kafka it is a duplicate
                await apply_event(conn, store, envelope, payload)
                await conn.execute(
                    "INSERT INTO inbox (consumer, event_id, topic) VALUES ($1, $2, $3) "
                    "ON CONFLICT DO NOTHING",
                    PROJECTION_CONSUMER,
                    envelope.event_id,
                    _share_topic(ctx),
                )
        except ConcurrencyError:
            raise conflict(f"item {item_id} was acknowledged already") from None
        return AckOut(
            item_id=item_id,
            department=department.value,
            event_id=envelope.event_id,
            acknowledged_at=envelope.occurred_at,
        )

    return router


def _share_topic(ctx: ServiceContext) -> str:
    return topic_for(SHARE_STREAM_TYPE, ctx.settings.topic_prefix)


def add_dashboard(app: FastAPI) -> None:
    """The dashboard: ``/`` (index.html) and ``/static/*`` (CSS, JS); no external resources."""

    @app.get("/", include_in_schema=False)
    async def dashboard() -> FileResponse:
        return FileResponse(
            STATIC_DIR / "index.html", media_type="text/html", headers=DASHBOARD_HEADERS
        )

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def build_api(app: FastAPI, ctx: ServiceContext) -> None:
    app.include_router(build_router(ctx))
    add_audit_api(app, ctx)  # /api/v1/audit/*: auditors only, as the read-only DB role
    add_dashboard(app)


__all__ = ["build_api", "build_router"]
