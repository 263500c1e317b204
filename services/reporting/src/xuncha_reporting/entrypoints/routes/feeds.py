"""成果共享: the sharing feeds of the receiving departments, and their 签收 (acknowledge)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH, Department, NoNul
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.commands import Meta
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency
from xuncha_shared.http.paging import Sort, sort_param
from xuncha_shared.http.requests import MAX_OFFSET
from xuncha_shared.runtime import ServiceContext
from xuncha_shared.telemetry import current_traceparent

from xuncha_reporting.adapters.projection_tables import (
    FEED_LIMIT,
    FEED_SORT_COLUMNS,
    FEED_TIEBREAK,
    ProjectionTables,
    read_snapshot,
)
from xuncha_reporting.domain.access import ensure_feed_reader
from xuncha_reporting.domain.acknowledge import AcknowledgeItem
from xuncha_reporting.domain.clue_funnel import FEED_STATE_KINDS, feed_state
from xuncha_reporting.domain.feed_display import displayed
from xuncha_reporting.domain.model import FeedKind
from xuncha_reporting.handlers import ReportingHandlers


class FeedItemOut(BaseModel):
    item_id: str
    kind: str = Field(
        description="clue_transfer (移交线索) | clue_urge (催办, R27) | issue_fed_back "
        "(反馈问题) | problem (发现问题, 组织部) | inspector_grade (巡察干部评价, 组织部) | "
        "negative_record (负面信息档案, R20) | reserve_cadre (纳入后备干部库, 组织部) | "
        "reserve_cadre_removed (移出后备干部库, 组织部)"
    )
    kind_zh: str = Field(description="the kind in Chinese (移交线索, 发现问题, 巡察干部评价 …)")
    source_event_id: UUID
    ref_id: str = Field(
        description="the clue id (of a transfer or an urge), the issue id, a problem's id, "
        "``<group>/<member>`` of an inspector grade, a negative record's unit id"
    )
    jurisdiction: str
    jurisdiction_name: str
    unit: str = Field(
        description="the unit's name (a problem's as intake registered it; an inspector "
        "grade's: the inspector's home unit; empty when not known)"
    )
    summary: str = Field(
        description="the matter; an inspector grade names the inspector, the round and group "
        "and the grade"
    )
    reason: str | None = Field(
        description="a clue's transfer reason, an urge's note (催办意见), an inspector grade's "
        "remarks, a negative record's finding (Chinese)"
    )
    rect_type: str | None
    due_date: str | None = Field(
        description="an issue's rectification deadline; an urge's R3 last day (null: no clock)"
    )
    occurred_at: datetime
    letter_on: date | None = Field(
        default=None,
        description="a clue transferred on paper: the day of its 移交函 (R26), which R3 counts "
        "from; ``occurred_at`` is then the day it was entered",
    )
    acknowledged: bool
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    ack_note: str | None
    result_state: str | None = Field(
        default=None,
        description="a transferred clue: transferred | acknowledged | result_reported | disposed",
    )
    result_state_zh: str | None = None
    escalated_from: str | None = Field(
        default=None,
        description="a clue the city office transferred: the county that reported it up (R12)",
    )
    escalated_from_name: str | None = None
    disposition: str | None = Field(default=None, description="the department's disposition")
    disposition_zh: str | None = None
    overdue: bool = Field(default=False, description="R3 fired and no result is reported")
    urges: int = Field(default=0, description="a clue's result urged so often (催办, R27)")
    last_urged_on: date | None = Field(default=None, description="the day of the last urge")
    answered: bool = Field(
        default=False,
        description="a 催办 whose clue's result the department has since reported: what it "
        "chased has come, and it no longer waits to be signed for",
    )


class Feed(BaseModel):
    department: str
    label: str
    total: int = Field(description="how many items the filters match (all pages)")
    unacknowledged: int = Field(
        description="the department's items not yet acknowledged (待签收), an answered 催办 "
        "left out"
    )
    items: list[FeedItemOut]
    version: int
    overdue: int = Field(
        default=0,
        description="the clues of the items shown whose result is overdue (R3; a clue's "
        "transfer and its urges count once)",
    )
    limit: int = FEED_LIMIT
    offset: int = 0
    sort: str = Field(default="-occurred_at", description="a key, - for descending")


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, NoNul] | None = Field(default=None, max_length=1000)


class AckOut(BaseModel):
    item_id: str
    department: str
    event_id: UUID
    acknowledged_at: datetime


#: the feed's kinds that name a transferred clue, whose state the item shows
_CLUE_KINDS = frozenset({FeedKind.CLUE_TRANSFER.value, FeedKind.CLUE_URGE.value})


def _item_out(row: dict[str, Any]) -> FeedItemOut:
    jurisdiction = str(row["jurisdiction"]).strip()
    return FeedItemOut.model_validate(
        {
            **displayed(row),
            "jurisdiction": jurisdiction,
            "jurisdiction_name": jurisdictions.name_of(jurisdiction),
            "acknowledged": row["acknowledged_at"] is not None,
        }
    )


def feeds_router(
    ctx: ServiceContext,
    tables: ProjectionTables,
    handlers: ReportingHandlers,
    current: PrincipalDependency,
) -> APIRouter:
    router = APIRouter(tags=["feeds"])

    @router.get("/feeds/{department}", response_model=Feed)
    async def feed(
        department: Department,
        limit: int = Query(default=200, ge=1, le=FEED_LIMIT),
        offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
        kind: FeedKind | None = Query(default=None),
        acknowledged: bool | None = Query(
            default=None, description="签收 or not (an answered 催办 counts as done)"
        ),
        unit_contains: str | None = Query(
            default=None, min_length=1, max_length=200, description="contained in the unit"
        ),
        sort: Sort = Depends(sort_param(FEED_SORT_COLUMNS, "-occurred_at")),
        principal: Principal = Depends(current),
    ) -> Feed:
        """成果共享: the items shared with ``department`` (newest first unless ``sort``), a page
        at a time with the ``total`` the filters match. Never the source of a matter: feed items
        have no informant fields at all."""
        ensure_feed_reader(principal, department)
        async with read_snapshot(ctx.pool) as conn:
            rows, total, unacked = await tables.feed_page(
                conn,
                department.value,
                principal.jurisdiction_like(),
                order_by=sort.sql(FEED_SORT_COLUMNS, FEED_TIEBREAK),
                limit=limit,
                offset=offset,
                kind=kind.value if kind else None,
                acknowledged=acknowledged,
                unit_contains=unit_contains.strip() or None if unit_contains else None,
            )
            current_version = await tables.version(conn)
            docs = await tables.docs(conn, FEED_STATE_KINDS, principal.jurisdiction_like())
        items = [_item_out(r) for r in rows]
        for item in items:
            if item.kind in _CLUE_KINDS:
                for name, value in feed_state(item.ref_id, docs).items():
                    setattr(item, name, value)
                if item.escalated_from:
                    item.escalated_from_name = jurisdictions.name_of(item.escalated_from)
                item.answered = item.kind == FeedKind.CLUE_URGE.value and item.result_state in {
                    "result_reported",
                    "disposed",
                }
        return Feed(
            department=department.value,
            label=DEPARTMENT_LABELS_ZH[department],
            total=total,
            unacknowledged=unacked,
            items=items,
            version=current_version,
            overdue=len({i.ref_id for i in items if i.overdue}),
            limit=limit,
            offset=offset,
            sort=sort.text,
        )

    @router.post(
        "/feeds/{department}/items/{item_id}/ack",
        response_model=AckOut,
        status_code=201,
    )
    async def acknowledge(
        department: Department,
        item_id: str,
        body: AckIn | None = None,
        principal: Principal = Depends(current),
    ) -> AckOut:
        """签收: appends ``reporting.ShareItemAcknowledged`` (stream ``share``/``item_id``) and
        marks the item in the same transaction; a second acknowledgement is 409."""
        note = body.note.strip() or None if body and body.note else None
        cmd = AcknowledgeItem(item_id=item_id, department=department, note=note)
        meta = Meta(actor=principal.actor(), traceparent=current_traceparent())
        envelope = await handlers.acknowledge(cmd, principal, meta)
        return AckOut(
            item_id=item_id,
            department=department.value,
            event_id=envelope.event_id,
            acknowledged_at=envelope.occurred_at,
        )

    return router
