"""The informant custodian's lists of notices to real-name reporters (R8): those owed
(举报人告知待办) and those recorded (已登记告知).

``GET /api/v1/informant-notices/due[?jurisdiction=&limit=&offset=]`` and
``GET /api/v1/informant-notices/recorded[?jurisdiction=&limit=&offset=]``: informant custodians.
The recorded ones are the ``intake.InformantNotified`` events of the caller's jurisdiction, the
latest first, each with the petition it concerns (``more``: another page follows).

Each open R8 deadline of the caller's jurisdiction (a county custodian its county, the city's
the city and its counties) - the acceptance notice a real-name petition starts, the result
notice its clue's disposal starts - with the petition it concerns, the soonest due first; an
overdue one stays listed until the notice is recorded (``POST /api/v1/petitions/{id}/notices``
ends its deadline). Never the reporter: the identity stays sealed in the event, read only
through ``POST /api/v1/petitions/{id}/informant`` with a reason.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from xuncha_shared.clocks.deadlines import DeadlineState
from xuncha_shared.contracts.common import Channel
from xuncha_shared.contracts.intake import (
    InformantNotified,
    NoticeChannel,
    NoticeKind,
    PetitionReceived,
)
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http.dependencies import AuthDependencies, list_scope
from xuncha_shared.http.requests import MAX_OFFSET

from xuncha_intake.adapters.deadlines import ACCEPTANCE_NOTICE, RESULT_NOTICE

READERS = (Role.CUSTODIAN,)
NOTICE_OF_KIND = {
    ACCEPTANCE_NOTICE.name: NoticeKind.ACCEPTANCE,
    RESULT_NOTICE.name: NoticeKind.RESULT,
}
NOTICE_ZH = {NoticeKind.ACCEPTANCE: "受理告知", NoticeKind.RESULT: "办理结果告知"}
_OPEN = [
    DeadlineState.RUNNING.value,
    DeadlineState.WARNING_YELLOW.value,
    DeadlineState.WARNING_RED.value,
    DeadlineState.OVERDUE.value,
]

# the petition's first event carries what the item shows (schema 1 called the text content)
_FILTER = """
    d.kind = ANY($1::text[]) AND d.state = ANY($2::text[]) AND d.jurisdiction LIKE $3
"""
_LIST_SQL = f"""
SELECT d.aggregate_id, d.kind, d.due_date, d.state, d.jurisdiction, e.occurred_at,
       e.payload->>'unit' AS unit, e.payload->>'channel' AS channel,
       COALESCE(e.payload->>'summary', e.payload->>'content') AS summary
FROM deadlines d
JOIN events e ON e.stream_id = d.aggregate_id AND e.stream_version = 1 AND e.event_type = $4
WHERE {_FILTER}
ORDER BY d.due_date, d.deadline_id
LIMIT $5 OFFSET $6
"""
_COUNT_SQL = f"SELECT count(*) FROM deadlines d WHERE {_FILTER}"
#: the notices recorded, the latest first ($1 the notice event type, $2 the petition's first
#: event type, $3 the jurisdiction pattern, $4/$5 limit and offset)
_RECORDED_SQL = """
SELECT n.stream_id, n.recorded_at, n.jurisdiction, n.payload->>'notice' AS notice,
       n.payload->>'notice_channel' AS notice_channel, n.payload->>'sent_on' AS sent_on,
       e.payload->>'unit' AS unit, COALESCE(e.payload->>'summary', e.payload->>'content') AS summary
FROM events n
JOIN events e ON e.stream_id = n.stream_id AND e.stream_version = 1 AND e.event_type = $2
WHERE n.event_type = $1 AND n.jurisdiction LIKE $3
ORDER BY n.global_position DESC
LIMIT $4 OFFSET $5
"""


class NoticeDue(BaseModel):
    petition_id: UUID
    notice: NoticeKind = Field(description="acceptance (受理告知) | result (办理结果告知)")
    notice_zh: str
    due_date: date = Field(description="R8: the last day to tell the reporter")
    overdue: bool
    jurisdiction: str
    jurisdiction_name: str
    unit: str
    channel: Channel
    summary: str
    received_at: datetime


class NoticeRecorded(BaseModel):
    petition_id: UUID
    notice: NoticeKind
    notice_zh: str
    notice_channel: NoticeChannel = Field(description="letter | phone | in_person")
    sent_on: date
    recorded_at: datetime
    jurisdiction: str
    jurisdiction_name: str
    unit: str
    summary: str


class NoticesRecorded(BaseModel):
    items: list[NoticeRecorded]
    more: bool = Field(description="another page follows")
    limit: int
    offset: int


class NoticesDue(BaseModel):
    items: list[NoticeDue]
    total: int = Field(description="how many notices are owed (all pages)")
    limit: int
    offset: int


def build_notices_due_router(pool: asyncpg.Pool, deps: AuthDependencies) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["intake"])
    reader = deps.require_roles(*READERS)

    @router.get("/informant-notices/due", response_model=NoticesDue)
    async def notices_due(
        principal: Principal = Depends(reader),
        jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> NoticesDue:
        """待告知: the notices owed to real-name reporters, the soonest due first (R8)."""
        pattern = list_scope(principal, jurisdiction)
        args = (list(NOTICE_OF_KIND), _OPEN, pattern)
        async with pool.acquire() as conn, conn.transaction(readonly=True):
            rows = await conn.fetch(_LIST_SQL, *args, PetitionReceived.event_type, limit, offset)
            total = await conn.fetchval(_COUNT_SQL, *args)
        items = []
        for r in rows:
            notice = NOTICE_OF_KIND[r["kind"]]
            code = str(r["jurisdiction"]).strip()
            items.append(
                NoticeDue(
                    petition_id=UUID(r["aggregate_id"]),
                    notice=notice,
                    notice_zh=NOTICE_ZH[notice],
                    due_date=r["due_date"],
                    overdue=r["state"] == DeadlineState.OVERDUE.value,
                    jurisdiction=code,
                    jurisdiction_name=jurisdictions.name_of(code),
                    unit=r["unit"],
                    channel=Channel(r["channel"]),
                    summary=r["summary"] or "",
                    received_at=r["occurred_at"],
                )
            )
        return NoticesDue(items=items, total=int(total or 0), limit=limit, offset=offset)

    @router.get("/informant-notices/recorded", response_model=NoticesRecorded)
    async def notices_recorded(
        principal: Principal = Depends(reader),
        jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> NoticesRecorded:
        """已登记告知: the notices recorded in the caller's jurisdiction, the latest first."""
        pattern = list_scope(principal, jurisdiction)
        rows = await pool.fetch(
            _RECORDED_SQL,
            InformantNotified.event_type,
            PetitionReceived.event_type,
            pattern,
            limit + 1,
            offset,
        )
        items = []
        for r in rows[:limit]:
            notice = NoticeKind(r["notice"])
            code = str(r["jurisdiction"]).strip()
            items.append(
                NoticeRecorded(
                    petition_id=UUID(r["stream_id"]),
                    notice=notice,
                    notice_zh=NOTICE_ZH[notice],
                    notice_channel=NoticeChannel(r["notice_channel"]),
                    sent_on=date.fromisoformat(r["sent_on"]),
                    recorded_at=r["recorded_at"],
                    jurisdiction=code,
                    jurisdiction_name=jurisdictions.name_of(code),
                    unit=r["unit"] or "",
                    summary=r["summary"] or "",
                )
            )
        return NoticesRecorded(items=items, more=len(rows) > limit, limit=limit, offset=offset)

    return router
