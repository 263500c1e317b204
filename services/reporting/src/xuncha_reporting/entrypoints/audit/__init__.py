"""Read-only HTTP API for auditors, beside ``xuncha audit`` (docs/audit.md, "HTTP API for
auditors").

| method | path | what |
|---|---|---|
| GET | ``/api/v1/audit/verify[?kafka=false]`` | ``xuncha audit verify`` of every service |
| GET | ``/api/v1/audit/history/{stream_id}`` | ``xuncha audit history --json``: one case's story |
| GET | ``/api/v1/audit/checkpoints`` | every service's signed checkpoints, each verified |
| GET | ``/api/v1/audit/identity-reads[?since=&jurisdiction=&limit=]`` | identity reads |
| GET | ``/api/v1/audit/replay?as_of=[&jurisdiction=&unit=]`` | ``xuncha audit replay --json`` |
| GET | ``/api/v1/audit/exports/history.xlsx?stream_id=`` | one case's story as a workbook |
| GET | ``/api/v1/audit/exports/replay.xlsx?as_of=[&jurisdiction=]`` | the replay as a workbook |

Only the ``auditor`` role: 401 without a valid bearer token, 403 for every other role. Every
route is limited to the auditor's jurisdiction (a city auditor sees its city and counties): a
county-bound auditor's ``verify`` checks the chains of its county's streams only, and its
``checkpoints`` says only whether each service's checkpoints verify (``integrity.py``).

Nothing here writes, and nothing reads through the reporting service's own role: every query
runs as the cluster-wide read-only role ``xuncha_auditor`` (``Settings.audit_database_url``,
``XUNCHA_AUDIT_DATABASE_URL``), which may SELECT the history of every service database and
nothing else (never ``informant_keys``: see ``xuncha_shared.provision``). One small pool per
service database, opened on first use and closed when the app shuts down. When the role cannot
connect or read, the answer is 503 (problem+json) naming the cause.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from xuncha_shared.domain.principals import Role
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.entrypoints.audit.history import history_router
from xuncha_reporting.entrypoints.audit.identity_reads import identity_reads_router
from xuncha_reporting.entrypoints.audit.integrity import integrity_router, verification
from xuncha_reporting.entrypoints.audit.pools import POOLS_KEY, AuditorPools

PREFIX = "/api/v1/audit"
TAG = "audit"


def build_audit_router(ctx: ServiceContext, pools: AuditorPools) -> APIRouter:
    auditor = AuthDependencies(ctx.authenticator).require_roles(Role.AUDITOR)
    # on the router itself, so every route here is auditor-only;
    # routes that need the principal ask again (FastAPI runs the dependency once per request)
    router = APIRouter(prefix=PREFIX, tags=[TAG], dependencies=[Depends(auditor)])
    router.include_router(integrity_router(ctx, pools, auditor))
    router.include_router(history_router(ctx, pools, auditor))
    router.include_router(identity_reads_router(ctx, pools, auditor))
    return router


def add_audit_api(app: FastAPI, ctx: ServiceContext) -> AuditorPools:
    """Mount the auditors' routes on ``app``; their pools (also ``ctx.extras["audit_pools"]``)
    are closed when the app's lifespan ends."""
    pools = AuditorPools(ctx.settings)
    ctx.extras[POOLS_KEY] = pools
    app.include_router(build_audit_router(ctx, pools))
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        try:
            async with inner(application) as state:
                yield state
        finally:
            await pools.close()

    app.router.lifespan_context = lifespan
    return pools


__all__ = ["POOLS_KEY", "AuditorPools", "add_audit_api", "build_audit_router", "verification"]
