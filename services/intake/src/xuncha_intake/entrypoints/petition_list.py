"""The jurisdiction's petitions for the workbench's 信访受理 page.

``GET /api/v1/petitions[?jurisdiction=&channel=&unit=&order=&limit=&offset=]``: city/county
offices, inspection groups and the auditor; ``GET /api/v1/petitions/{id}`` one of them, as the
list shows it (the case link of a petition's deadlines and of the clue registered from it), a
404 for an unknown petition and for one outside the reader's jurisdictions alike.

Read straight from the event store (``intake.PetitionReceived``, the petition's first event)
joined with the receipt table for the status, and for a walk-in whether a leader has taken it
up (``intake.WalkInHandled``, R13); newest first unless ``order=asc``. A county
office, group or auditor sees its own county; a city-wide principal the city and its counties;
a member bound to a group only its group's petitions and the others of its round about a unit
it inspects or none in particular; a ``jurisdiction`` filter outside that is 403 like the other
lists. Never the reporter: the
item says only whether the report was made under a real name (``real_name``), the identity
stays encrypted in the event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from xuncha_shared.contracts.clues import clue_id_for_petition
from xuncha_shared.contracts.common import Channel, ShortText
from xuncha_shared.contracts.intake import PetitionReceived, WalkInHandled
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http.dependencies import AuthDependencies, list_scope
from xuncha_shared.http.problems import not_found
from xuncha_shared.http.requests import MAX_OFFSET
from xuncha_shared.runtime import ServiceContext

from xuncha_intake.domain.model import RECEIPT_STATUS_ZH, ReceiptStatus

READERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER, Role.AUDITOR)


def _group_sees(n: int) -> str:
    """A member bound to group ``$n`` sees the petitions its group received and those no group
    did (the office took them) of its group's round, about a unit it inspects or none in
    particular (domain.md section 7; clues' ``group_sees_clue`` for their clues); ``$n`` null:
    not bound, no narrowing."""
    g = f"${n}"
    return f"""({g}::uuid IS NULL OR e.payload->>'group_id' = {g}::text
        OR (e.payload->>'group_id' IS NULL AND EXISTS (
            SELECT 1 FROM group_view gv
            WHERE gv.group_id = {g}::uuid AND e.payload->>'round_id' = gv.round_id::text
              AND (e.payload->>'unit_id' IS NULL
                   OR (e.payload->>'unit_id')::uuid = ANY(gv.unit_ids)))))"""


# the petition's first event carries what the list shows (schema 1 called the text content)
_FILTER = f"""
    e.event_type = $1 AND e.stream_version = 1 AND e.jurisdiction LIKE $2
    AND ($3::text IS NULL OR e.payload->>'channel' = $3)
    AND ($4::text IS NULL OR e.payload->>'unit' = $4)
    AND {_group_sees(5)}
"""
#: what an item shows of a petition (its first event) and its receipt's status
_ITEM_SQL = f"""
SELECT e.stream_id, e.jurisdiction, e.occurred_at,
       e.payload->>'unit' AS unit, e.payload->>'channel' AS channel,
       COALESCE(e.payload->>'summary', e.payload->>'content') AS summary,
       (e.payload ? 'informant' AND e.payload->'informant' <> 'null'::jsonb) AS real_name,
       r.status, w.walk_in_handled_by, w.walk_in_summary
FROM events e
LEFT JOIN receipts r ON r.petition_id = e.stream_id::uuid
LEFT JOIN LATERAL (
    SELECT h.payload->>'handled_by' AS walk_in_handled_by,
           h.payload->>'summary' AS walk_in_summary
    FROM events h
    WHERE h.stream_id = e.stream_id AND h.event_type = '{WalkInHandled.event_type}'
    LIMIT 1
) w ON true
"""
_LIST_SQL = f"""{_ITEM_SQL}
WHERE {_FILTER}
ORDER BY e.global_position {{order}}
LIMIT $6 OFFSET $7
"""
_COUNT_SQL = f"SELECT count(*) FROM events e WHERE {_FILTER}"
_ONE_SQL = f"""{_ITEM_SQL}
WHERE e.event_type = $1 AND e.stream_id = $2 AND e.stream_version = 1
  AND e.jurisdiction LIKE $3 AND {_group_sees(4)}
"""


class PetitionItem(BaseModel):
    id: UUID
    jurisdiction: str
    jurisdiction_name: str
    unit: str
    channel: Channel
    summary: str
    real_name: bool = Field(description="实名举报 (the identity itself is never listed)")
    status: ReceiptStatus
    status_zh: str
    received_at: datetime
    walk_in_handled_by: str | None = Field(
        default=None,
        description="来访 only: the post of the leader who took the walk-in up (R13, "
        "``POST /petitions/{id}/handling``); null while it waits",
    )
    walk_in_summary: str | None = Field(
        default=None,
        description="来访 only: what the receiving leader noted of the walk-in (处理情况), if any",
    )
    clue_id: UUID = Field(
        description="the clue clues registers for the petition (``clue_id_for_petition``): "
        "the page of its handling, once the clue is registered"
    )


class PetitionList(BaseModel):
    items: list[PetitionItem]
    total: int
    limit: int
    offset: int


def build_petition_list_router(
    ctx: ServiceContext,
    deps: AuthDependencies,
    petition_of_receipt: Callable[[str], Awaitable[UUID | None]],
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["intake"])
    reader = deps.require_roles(*READERS)
    custodian = deps.require_roles(Role.CUSTODIAN)
    # the custodian reads one petition it was given the id of, as its 待告知 names one (never
    # the reporter): what it is about is said before an identity is read or erased
    one_reader = deps.require_roles(*READERS, Role.CUSTODIAN)

    @router.get("/receipts/{code}/petition", response_model=PetitionItem)
    async def petition_by_receipt(
        code: Annotated[str, Path(max_length=64)], principal: Principal = Depends(custodian)
    ) -> PetitionItem:
        """The petition a receipt code was given for, as 信访受理 lists it (never the reporter):
        how the custodian finds a petition the reporter or an office names by its 回执码 (an
        anonymous one with sealed numbers is in no list of the custodian's), to read its
        sealed identity or record a notice. Its own jurisdictions only; an unknown code and
        another jurisdiction's petition are the same 404."""
        petition_id = await petition_of_receipt(code)
        item = None
        if petition_id is not None:
            item = await petition_item(ctx.pool, petition_id, principal.jurisdiction_like())
        if item is None:
            raise not_found(
                "未找到该回执码对应的信访件 / no petition of yours has this receipt code"
            )
        return item

    @router.get("/petitions", response_model=PetitionList)
    async def list_petitions(
        principal: Principal = Depends(reader),
        jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        channel: Annotated[Channel | None, Query()] = None,
        unit: Annotated[ShortText | None, Query(description="被巡察单位 (exact)")] = None,
        order: Annotated[Literal["asc", "desc"], Query()] = "desc",
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> PetitionList:
        """信访举报 of the caller's jurisdiction, newest first (paged, ``total`` counts all)."""
        pattern = list_scope(principal, jurisdiction)
        args = (
            PetitionReceived.event_type,
            pattern,
            channel.value if channel else None,
            unit,
            principal.group_id,
        )
        sql = _LIST_SQL.format(order="ASC" if order == "asc" else "DESC")
        async with ctx.pool.acquire() as conn, conn.transaction(readonly=True):
            rows = await conn.fetch(sql, *args, limit, offset)
            total = await conn.fetchval(_COUNT_SQL, *args)
        items = [_item(r) for r in rows]
        return PetitionList(items=items, total=int(total or 0), limit=limit, offset=offset)

    @router.get("/petitions/{petition_id}", response_model=PetitionItem)
    async def get_petition(
        petition_id: UUID, principal: Principal = Depends(one_reader)
    ) -> PetitionItem:
        """One petition as the list shows it (never the reporter); 404 when it is unknown or
        outside the caller's jurisdictions, word for word alike."""
        item = await petition_item(
            ctx.pool, petition_id, principal.jurisdiction_like(), principal.group_id
        )
        if item is None:
            raise not_found(f"未找到来信来访 {petition_id} / unknown petition {petition_id}")
        return item

    return router


async def petition_item(
    pool: Any, petition_id: UUID, like: str, group_id: UUID | None = None
) -> PetitionItem | None:
    """One petition as the list shows it, if it is in the jurisdictions ``like`` matches (and,
    for a member bound to ``group_id``, of its group, or its round and units)."""
    row = await pool.fetchrow(
        _ONE_SQL, PetitionReceived.event_type, str(petition_id), like, group_id
    )
    return None if row is None else _item(row)


def _item(r: Any) -> PetitionItem:
    status = ReceiptStatus(r["status"] or ReceiptStatus.RECEIVED.value)
    code = str(r["jurisdiction"]).strip()
    petition_id = UUID(r["stream_id"])
    return PetitionItem(
        id=petition_id,
        clue_id=clue_id_for_petition(petition_id),
        jurisdiction=code,
        jurisdiction_name=jurisdictions.name_of(code),
        unit=r["unit"],
        channel=Channel(r["channel"]),
        summary=r["summary"] or "",
        real_name=bool(r["real_name"]),
        status=status,
        status_zh=RECEIPT_STATUS_ZH[status],
        received_at=r["occurred_at"],
        walk_in_handled_by=r["walk_in_handled_by"],
        walk_in_summary=r["walk_in_summary"],
    )
