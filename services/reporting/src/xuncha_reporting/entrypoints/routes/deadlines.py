"""期限 (deadlines): every clock the services run, with its state, and per jurisdiction how many
are green, yellow and red (the workbench's counts)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

import anyio
import asyncpg
from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.types import Receive, Scope, Send
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency
from xuncha_shared.http.paging import MAX_LIMIT
from xuncha_shared.http.problems import ProblemError, problem_type
from xuncha_shared.http.requests import MAX_OFFSET, known_jurisdiction
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.adapters.deadline_pages import NO_SUBJECT, DeadlinePages, Subject
from xuncha_reporting.adapters.projection_tables import (
    ProjectionTables,
    read_snapshot,
)
from xuncha_reporting.domain.access import linked_view_scope
from xuncha_reporting.domain.deadlines import State, deadline_item, summary
from xuncha_reporting.domain.ledger import china_date
from xuncha_reporting.entrypoints.routes.view_cache import GenerationRead, ProjectionViews
from xuncha_reporting.warning_policy import WARNINGS, yellow_days

#: whole deadline lists (no ``limit``) one copy writes at once
EXPORTS_AT_ONCE = 2
#: how long a whole list's snapshot may wait for its client between two chunks
EXPORT_IDLE = "10min"


class ClosingStream(StreamingResponse):
    """A streamed answer that closes ``closing`` (the snapshot's transaction, its pool
    connection, the export's turn) once it is over, however it ends: written whole, cut by an
    error, or cancelled because the client went away, even before its first chunk."""

    def __init__(self, content: AsyncIterator[bytes], closing: contextlib.AsyncExitStack) -> None:
        super().__init__(content, media_type="application/json")
        self.closing = closing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self.closing.aclose()


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
    group_no: int | None = Field(
        default=None,
        description="a group's deadline (R14, R15): the number of the group (第N巡察组)",
    )
    unit_name: str | None = Field(
        default=None,
        description="the inspected unit the deadline concerns: the unit a group's stationing "
        "is at (R14, R15), an issue's unit, a clue's unit (R3, R12), a petition's the unit of the "
        "clue registered for it (R7, R8, R13); null when reporting does not know it",
    )


class Deadlines(BaseModel):
    items: list[DeadlineOut] = Field(
        description="the overdue first, the most late first; then every other by due date"
    )
    total: int = Field(description="how many deadlines the filters match (every page)")
    limit: int | None = Field(description="the page's size asked for; null: every one")
    offset: int
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


def _outs(
    rows: list[dict[str, Any]], subjects: dict[tuple[str, str], Subject], today: date
) -> list[DeadlineOut]:
    """The list's items of ``rows``, each with what it concerns."""
    return [
        DeadlineOut.model_validate(
            deadline_item(r, today, yellow_days)
            | asdict(subjects.get((r["kind"], r["key"]), NO_SUBJECT))
        )
        for r in rows
    ]


def _visible(
    rows: list[dict[str, Any]], principal: Principal, scope: str | None
) -> list[dict[str, Any]]:
    if scope is not None:
        return [r for r in rows if r["jurisdiction"] == scope]
    return [r for r in rows if jurisdictions.city_of(r["jurisdiction"]) == principal.city]


def deadlines_router(
    ctx: ServiceContext,
    tables: ProjectionTables,
    current: PrincipalDependency,
    generation: GenerationRead,
) -> APIRouter:
    router = APIRouter(tags=["views"])
    pages = DeadlinePages(tables.schema)
    # the pages read, by filters, page and projection generation
    views = ProjectionViews(ctx.pool, tables, "deadlines", generation)

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
            "every deadline of the history is listed",
        ),
        limit: int | None = Query(
            default=None,
            ge=1,
            le=MAX_LIMIT,
            description="a page of this many (the workbench's pager); without it every one",
        ),
        offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
        principal: Principal = Depends(current),
    ) -> Response:
        """Every deadline with its rule id and version, due date, owner, what it waits for and
        a link to its case, or those in the states asked for (the workbench's 期限预警 asks
        for the warned and overdue ones, and reads the ended ones only when they are chosen),
        a page at a time with ``limit``/``offset`` and the ``total`` they match: the rows, their
        state and their order are decided in SQL (``adapters/deadline_pages``), and each page
        is kept per projection generation (``view_cache``). Offices and the auditor; a county
        office sees only its own county (another jurisdiction: 403)."""
        if jurisdiction is not None:
            known_jurisdiction(jurisdiction)
        scope = linked_view_scope(principal, jurisdiction)
        today = china_date(datetime.now(UTC))
        listed_like = scope or principal.city[:4] + "__"
        states = tuple(sorted({s.value for s in state})) if state else None

        async def read(conn: asyncpg.Connection, *_: object) -> bytes:
            page = await pages.page(
                conn,
                scope,
                listed_like=listed_like,
                states=states,
                limit=limit,
                offset=offset,
                today=today,
                yellow=WARNINGS,
            )
            # kept as its JSON: validating and serialising a page again for every request cost
            # more than the rest of it
            subjects = await pages.subjects(conn, page.rows)
            return (
                Deadlines(
                    items=_outs(page.rows, subjects, today),
                    total=page.total,
                    limit=limit,
                    offset=offset,
                    generated_at=datetime.now(UTC),
                )
                .model_dump_json()
                .encode()
            )

        if limit is None:  # every one (an export's read): streamed, not kept
            return await every_one(scope, listed_like, states, offset, today)
        # the states move with the date (China time): in the key
        body = await views.view((scope, listed_like, states, limit, offset, today), read)
        return Response(content=body, media_type="application/json")

    # whole lists written at once by this copy: each holds a pool connection while its client
    # reads (beyond them: 503 with Retry-After; the pages are never held back)
    exports = asyncio.Semaphore(EXPORTS_AT_ONCE)

    async def every_one(
        scope: str | None,
        listed_like: str,
        states: tuple[str, ...] | None,
        offset: int,
        today: date,
    ) -> ClosingStream:
        """The whole list in the shape of a page (``limit`` null), written as it is read: a
        city's term holds hundreds of thousands of deadlines, which one document in memory
        (rows, models, JSON) would multiply. The snapshot is opened and the first rows read
        before the answer starts, so a database that is down is still a 503."""
        if exports.locked():
            raise ProblemError(
                503,
                "Service Unavailable",
                f"正在导出的完整期限清单已有 {EXPORTS_AT_ONCE} 份，请稍后再试或分页查询 / "
                f"{EXPORTS_AT_ONCE} whole deadline lists are being written already: ask again "
                "shortly, or a page at a time (limit)",
                problem_type("busy"),
                headers={"Retry-After": "5"},
            )
        opened = contextlib.AsyncExitStack()
        await opened.enter_async_context(exports)
        try:
            conn = await opened.enter_async_context(read_snapshot(ctx.pool))
            # a client may read slowly: its read-only snapshot holds no transaction id, so it
            # holds back no relay (docs/event-store.md); the deployment's 60 s bound on an idle
            # transaction is raised for it, not lifted
            await conn.execute(f"SET LOCAL idle_in_transaction_session_timeout = '{EXPORT_IDLE}'")
            stream = await pages.stream(
                conn,
                scope,
                listed_like=listed_like,
                states=states,
                offset=offset,
                today=today,
                yellow=WARNINGS,
            )
            generated_at = datetime.now(UTC)  # the snapshot's moment
        except BaseException:
            await opened.aclose()
            raise

        async def items(rows: list[dict[str, Any]]) -> bytes:
            subjects = await pages.subjects(conn, rows)
            return b",".join(out.model_dump_json().encode() for out in _outs(rows, subjects, today))

        async def body() -> AsyncIterator[bytes]:
            yield b'{"items":[' + await items(stream.first)
            async for rows in stream.rest():
                yield b"," + await items(rows)
            # the fields after the items, serialised as a page serialises them
            rest = Deadlines(
                items=[],
                total=stream.total,
                limit=None,
                offset=offset,
                generated_at=generated_at,
            ).model_dump_json(exclude={"items"})
            yield b"]," + rest[1:].encode()

        return ClosingStream(body(), opened)

    @router.get("/views/deadlines/summary", response_model=DeadlineSummary)
    async def deadline_summary(
        jurisdiction: str | None = Query(
            default=None, pattern=r"^\d{6}$", description="one jurisdiction only"
        ),
        principal: Principal = Depends(current),
    ) -> Response:
        """Per jurisdiction, the open deadlines in green, yellow and red (the workbench's
        counts); access as for the list."""
        if jurisdiction is not None:
            known_jurisdiction(jurisdiction)
        scope = linked_view_scope(principal, jurisdiction)

        today = china_date(datetime.now(UTC))

        async def read(conn: asyncpg.Connection, *_: object) -> bytes:
            rows = await tables.deadline_rows(conn, scope, open_only=True)
            counts = summary(_visible(rows, principal, scope), today, yellow_days)
            return (
                DeadlineSummary(
                    jurisdictions=[
                        Colours(jurisdiction=code, name=jurisdictions.name_of(code), **c)
                        for code, c in sorted(counts.items())
                    ],
                    generated_at=datetime.now(UTC),
                )
                .model_dump_json()
                .encode()
            )

        # kept per generation and day (a deadline's last day turns it red), as JSON
        body = await views.view(("summary", scope, principal.city, today), read)
        return Response(content=body, media_type="application/json")

    return router
