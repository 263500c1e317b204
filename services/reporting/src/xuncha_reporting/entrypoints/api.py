"""HTTP API of the reporting service (port 8000) and the dashboard at ``/``.

| method | path | who |
|---|---|---|
| GET | ``/`` | 307 to the workbench (its 总览 is the dashboard; ``entrypoints/dashboard.py``) |
| GET | ``/api/v1/me`` | any token: the caller's principal |
| GET | ``/api/v1/views/linked[?jurisdiction=CODE]`` | city/county offices, auditor |
| GET | ``/api/v1/views/ledger?jurisdiction=CODE&unit=NAME`` | city/county offices, auditor |
| GET | ``/api/v1/views/ledger/units?jurisdiction=CODE`` | city/county offices, auditor |
| GET | ``/api/v1/views/deadlines[?jurisdiction=CODE&state=STATE]`` | city/county offices, auditor |
| GET | ``/api/v1/views/deadlines/summary[?jurisdiction=CODE]`` | city/county offices, auditor |
| GET | ``/api/v1/rules`` | public: the deadline rules (R10's colours; reporting runs no clock) |
| GET | ``/api/v1/views/version`` | any token: the projection version (cheap polling) |
| GET | ``/api/v1/events/stream`` | any token: Server-Sent Events (``version``) |
| GET | ``/api/v1/views/office-summary[?jurisdiction=&year=&format=]`` | offices, auditor |
| GET | ``/api/v1/feeds/{department}`` | that department; city office and auditor |
| POST | ``/api/v1/feeds/{department}/items/{item_id}/ack`` | that department only |
| GET | ``/api/v1/audit/...`` (verify, history, checkpoints, identity-reads) | auditor only |

Errors are ``application/problem+json`` (``xuncha_shared.http``).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from xuncha_shared.clocks.http import rules_router
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.http.gate import guard
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.domain.deadlines import VIEW_RULE_IDS
from xuncha_reporting.entrypoints.audit import add_audit_api
from xuncha_reporting.entrypoints.dashboard import add_dashboard
from xuncha_reporting.entrypoints.routes.board import board_router
from xuncha_reporting.entrypoints.routes.clues import clues_router
from xuncha_reporting.entrypoints.routes.coalesced_read import CoalescedRead
from xuncha_reporting.entrypoints.routes.deadlines import deadlines_router
from xuncha_reporting.entrypoints.routes.feeds import feeds_router
from xuncha_reporting.entrypoints.routes.ledger import ledger_router
from xuncha_reporting.entrypoints.routes.lifecycle import lifecycle_router
from xuncha_reporting.entrypoints.routes.linked import linked_router
from xuncha_reporting.entrypoints.routes.me import me_router
from xuncha_reporting.entrypoints.routes.office_summary import office_summary_router
from xuncha_reporting.entrypoints.routes.revisits import revisits_router
from xuncha_reporting.handlers import handlers_from_context


def build_router(ctx: ServiceContext, tables: ProjectionTables | None = None) -> APIRouter:
    """``/api/v1``: one router per feature (identity, linked view, ledger, feeds)."""
    tables = tables or ProjectionTables()
    current = AuthDependencies(ctx.authenticator).current_principal
    handlers = handlers_from_context(ctx, tables)
    # the projection's generation, read once for the requests that ask at once (and never
    # older than the request): what every kept view and /views/version answer from
    projection = tables
    generation = CoalescedRead(lambda: projection.generation(ctx.pool))
    router = APIRouter(prefix="/api/v1")
    router.include_router(me_router(ctx, tables, current))
    router.include_router(linked_router(ctx, tables, current, generation))
    router.include_router(ledger_router(ctx, tables, current, generation))
    router.include_router(feeds_router(ctx, tables, handlers, current))
    router.include_router(deadlines_router(ctx, tables, current, generation))
    router.include_router(lifecycle_router(ctx, tables, current, generation))
    router.include_router(clues_router(ctx, tables, current))
    router.include_router(office_summary_router(ctx, tables, current))
    router.include_router(board_router(ctx, tables, current))
    router.include_router(revisits_router(ctx, tables, current))
    return router


def build_api(app: FastAPI, ctx: ServiceContext) -> None:
    guard(app, ctx.authenticator)
    app.include_router(build_router(ctx))
    # reporting runs no clock; it lists the rules its deadlines view computes due dates with
    # (every kind it projects) and R10, whose colours it counts: the workbench's rules page
    app.include_router(rules_router(VIEW_RULE_IDS))
    add_audit_api(app, ctx)  # /api/v1/audit/*: auditors only, as the read-only DB role
    add_dashboard(app)


__all__ = ["build_api", "build_router"]
