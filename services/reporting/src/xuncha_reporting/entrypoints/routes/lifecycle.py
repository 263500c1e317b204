"""Views of steps 1–4: coverage of a term (全覆盖), a round's statistics with ``summary_zh``, the
talent pool (巡察人才库) and the reserve pool of cadres (后备干部库, which the 组织部 reads too).

Readers are those of the linked view (the offices and the auditor); a county office sees its own
county only, and a round outside what the caller sees answers 404, like an unknown one.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import APIRouter, Depends, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from xuncha_shared.clocks.clock import local_day
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency
from xuncha_shared.http.problems import not_found
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.adapters.projection_tables import (
    Generation,
    ProjectionTables,
    read_snapshot,
)
from xuncha_reporting.domain.access import ensure_reserve_reader, linked_view_scope
from xuncha_reporting.domain.lifecycle import (
    COVERAGE_KINDS,
    ROUND_KINDS,
    TALENT_POOL_KINDS,
    coverage,
    round_statistics,
    talent_pool,
)
from xuncha_reporting.domain.reserve_cadres import RESERVE_KINDS, reserve_cadres
from xuncha_reporting.entrypoints.routes.view_cache import GenerationRead, ProjectionViews


def json_bytes(document: dict[str, Any]) -> bytes:
    """``document`` as FastAPI would send it: the same bytes as its ``JSONResponse``."""
    return bytes(JSONResponse(jsonable_encoder(document)).body)


def _scope_pattern(principal: Principal) -> str:
    """The jurisdictions ``principal`` sees in these views (403 for other roles)."""
    scope = linked_view_scope(principal, None)
    return principal.jurisdiction_like() if scope is None else scope


def lifecycle_router(
    ctx: ServiceContext,
    tables: ProjectionTables,
    current: PrincipalDependency,
    generation: GenerationRead,
) -> APIRouter:
    router = APIRouter(tags=["views"])
    # the coverage views computed, by scope, term and projection generation
    views = ProjectionViews(ctx.pool, tables, "coverage", generation)

    @router.get("/views/coverage", response_model=dict[str, Any])
    async def coverage_view(
        term_no: int | None = Query(
            default=None, ge=1, le=99, description="届次 (default: the term of today)"
        ),
        principal: Principal = Depends(current),
    ) -> Response:
        """全覆盖: per jurisdiction and for the city, units planned in the term, units inspected
        (a stationing ended in a round of the term) and the rate in percent (two decimals), with
        the units not yet inspected, the term's dates, the days left and R6's warning (yellow in
        the term's last year, red once it has ended, while units are left). A county office sees
        its own county, and its ``city`` total is its county's, named so. Without ``term_no``,
        each jurisdiction's row is of its own term of today (the term whose plan runs over
        today, else the latest begun; each row names its ``term_no``), and ``current_term_no``
        is the reader's; ``term_plans`` lists the terms planned in view, with their dates."""
        pattern = _scope_pattern(principal)
        scope = linked_view_scope(principal, None) or principal.city  # the total's name
        today = local_day(ctx.now())  # R6's warning counts the days left from it
        key = (pattern, term_no, today)  # the pattern decides the scope

        async def read(conn: asyncpg.Connection, _: Generation) -> bytes:
            docs = await tables.docs(conn, COVERAGE_KINDS, pattern)
            return json_bytes(coverage(docs, term_no, scope, today))

        # kept as its JSON, as the linked view is: encoding the same document again for every
        # request cost more than the rest of it
        body = await views.view(key, read)
        return Response(content=body, media_type="application/json")

    @router.get("/views/rounds/{round_id}")
    async def round_view(round_id: str, principal: Principal = Depends(current)) -> dict[str, Any]:
        """A round's statistics (units by mode, groups and members, talks 人次, surveys 份,
        petitions 件次, symposia, clues by category and cadre level, transfers) and
        ``summary_zh``, the same figures as the sentence of a round summary."""
        pattern = _scope_pattern(principal)
        async with read_snapshot(ctx.pool) as conn:
            docs = await tables.docs(conn, ROUND_KINDS, pattern)
        stats = round_statistics(docs, round_id)
        if stats is None:
            raise not_found(f"未找到巡察轮次 {round_id} / unknown round {round_id}")
        return stats

    @router.get("/views/talent-pool")
    async def talent_pool_view(principal: Principal = Depends(current)) -> dict[str, Any]:
        """巡察人才库: size by source, speciality and rank; who served in which round; grades."""
        pattern = _scope_pattern(principal)
        async with read_snapshot(ctx.pool) as conn:
            docs = await tables.docs(conn, TALENT_POOL_KINDS, pattern)
        return talent_pool(docs)

    @router.get("/views/reserve-cadres")
    async def reserve_cadres_view(principal: Principal = Depends(current)) -> dict[str, Any]:
        """后备干部库: who is in the reserve pool of cadres now (since when, by which round and
        group's 优秀, the note) and every admission and removal, newest first. The 组织部 of the
        area, the offices and the auditor read it; a county's reads its county."""
        ensure_reserve_reader(principal)  # 403 for the other roles
        async with read_snapshot(ctx.pool) as conn:
            docs = await tables.docs(conn, RESERVE_KINDS, principal.jurisdiction_like())
        return reserve_cadres(docs)

    return router
