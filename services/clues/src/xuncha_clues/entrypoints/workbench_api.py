"""What the workbench's clue pages need beside the clue API: the R2 route for chosen topics and
a clue's history for the office that handles it.

| method | path | who |
|---|---|---|
| GET | ``/api/v1/clues/routes[?topic=…&topic=…]`` | offices, groups, auditor |
| GET | ``/api/v1/clues/{id}/history`` | offices, groups, auditor (in full); its department |
| GET | ``/api/v1/clues/cadre-levels[?jurisdiction=]`` | offices, groups, auditor |

``routes`` answers from the versioned route table (Art. 28, ``ROUTE_TABLE_VERSION``): the
departments suggested for the topics and, when Art. 28 fixes them, the only ones a transfer may
go to (``null``: any department). ``history`` is the clue's own stream in order, each event with
its Chinese name, a one-line Chinese detail and who acted (role label and principal id). A clue
the caller may not see in full (another jurisdiction, or escalated away from a county: 不扩大
知情范围) answers 404 exactly like an unknown id. ``cadre-levels`` gives the cadre level (干部层级)
of the latest classification of every clue the caller sees in full (the clues its office is
responsible for, newest first, at most 5000), for the clue list, whose read model lacks it.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from xuncha_shared.audit.history import SYSTEM_ACTORS_ZH, role_label
from xuncha_shared.contracts.clues import CadreLevel, ClueClassified
from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH, Department, ShortText
from xuncha_shared.contracts.names_zh import VALUE_LABELS_ZH, event_name_zh
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.personal_numbers import blind_marks
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http.dependencies import AuthDependencies, list_scope
from xuncha_shared.http.problems import not_found
from xuncha_shared.runtime import ServiceContext

from xuncha_clues.adapters.read_model import group_sees_sql
from xuncha_clues.domain.clue import Office
from xuncha_clues.domain.routing import (
    ROUTE_TABLE_VERSION,
    allowed_departments,
    is_leading_cadre,
    suggested_departments,
)
from xuncha_clues.entrypoints.clue_responses import (
    AUTOMATIC_REGISTRATION,
    can_see,
    group_of,
    source_blind,
)
from xuncha_clues.handlers import (
    ClueHandlers,
)

READERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER, Role.AUDITOR)
CADRE_LEVELS_LIMIT = 5000

# the clues an office is responsible for (owner: seen in full), with the cadre level of their
# latest classification (the classification events are few per clue)
_CADRE_LEVELS_SQL = f"""
SELECT v.clue_id, c.payload->>'cadre_level' AS cadre_level
FROM clue_view v
JOIN LATERAL (
    SELECT e.payload FROM events e
    WHERE e.stream_id = v.clue_id::text AND e.event_type = $2
    ORDER BY e.stream_version DESC LIMIT 1
) c ON true
WHERE v.owner LIKE $1 AND {group_sees_sql(4)}
ORDER BY v.registered_at DESC NULLS LAST
LIMIT $3
"""


class Route(BaseModel):
    route_table: str = ROUTE_TABLE_VERSION
    topics: list[str]
    suggested_departments: list[Department] = Field(description="R2 order: 纪委, 组织部, others")
    allowed_departments: list[Department] | None = Field(
        description="the only recipients Art. 28 allows; null when any department may receive"
    )


class CadreLevels(BaseModel):
    levels: dict[UUID, CadreLevel | None] = Field(
        description="clue id -> 干部层级 of its latest classification (classified clues only)"
    )


class HistoryEntry(BaseModel):
    event_id: UUID
    event_type: str
    stream_version: int
    title_zh: str
    detail_zh: str | None
    actor_id: str
    actor_label: str
    #: business time: a deadline's firing is dated its due moment, whenever the worker ran
    occurred_at: datetime
    #: when the store recorded the event: the history's own order (what the workbench shows)
    recorded_at: datetime


class History(BaseModel):
    clue_id: UUID
    items: list[HistoryEntry]


def _label(kind: str, value: Any) -> str:
    return VALUE_LABELS_ZH.get(kind, {}).get(str(value), str(value))


def detail_zh(event_type: str, payload: dict[str, Any]) -> str | None:
    """One line in Chinese about what an event of the clue's stream decided."""
    if event_type == "clues.ClueRegistered":
        paper = payload.get("registered_on")  # 补录 (R26)
        return f"被巡察单位：{payload.get('unit', '')}" + (
            f"；登记日期（补录）：{paper}" if paper else ""
        )
    if event_type == "clues.ClueClassified":
        parts = [_label("category", payload.get("category"))]
        if payload.get("cadre_level"):
            parts.append(_label("cadre_level", payload["cadre_level"]))
        if payload.get("city_managed"):
            parts.append("涉及市管干部")
        if payload.get("counties"):
            parts.append("涉及" + "、".join(jurisdictions.name_of(c) for c in payload["counties"]))
        if payload.get("topics"):
            parts.append("主题：" + "、".join(payload["topics"]))
        return "；".join(parts)
    if event_type == "clues.ClueEscalated":
        to = jurisdictions.name_of(str(payload.get("to_jurisdiction", "")))
        return f"报{to}委巡察办；理由：{payload.get('reason', '')}"
    if event_type == "clues.ClueTransferred":
        dept = _label("department", payload.get("department"))
        paper = payload.get("transferred_on")  # 补录 (R26)
        if not paper:
            return f"移交{dept}；理由：{payload.get('reason', '')}"
        return f"移交{dept}；理由：{_text(payload, 'reason')}；移交函日期：{paper}"
    if event_type == "clues.ClueVerified":
        method = _label("method", payload.get("method"))
        notes = payload.get("notes")
        return f"{method}：{payload.get('verification_outcome', '')}" + (
            f"；备注：{notes}" if notes else ""
        )
    if event_type == "clues.ClueAcknowledged":
        dept = _label("department", payload.get("department"))
        note = payload.get("note")  # 签收备注 (schema 2)
        said = f"{dept}{_label('via', payload.get('via'))}"
        return said + (f"；签收备注：{note}" if note else "")
    if event_type == "clues.TransferResultReported":
        disposition = _label("disposition", payload.get("disposition"))
        return f"{disposition}（{payload.get('concluded_on', '')}）；{payload.get('summary', '')}"
    if event_type == "clues.TransferResultUrged":
        dept = _label("department", payload.get("department"))
        due = payload.get("due_date")
        when = ""
        if due:
            when = (
                f"（办理期限 {due}，已逾期）" if payload.get("overdue") else f"（办理期限 {due}）"
            )
        return (
            f"第{payload.get('urge_no', '')}次催办{dept}{when}；催办意见：{payload.get('note', '')}"
        )
    if event_type == "clues.ClueDisposed":
        note = payload.get("note")
        return (
            f"办结（{payload.get('disposed_on', '')}），处置方式："
            + _label("disposition", payload.get("disposition"))
            + (f"；办结意见：{note}" if note else "")
        )
    if event_type == "clues.ClueArchived":
        return f"存档；理由：{payload.get('reason', '')}"
    if event_type in _DEADLINE_EVENTS:  # fired by the deadline worker, dated its due moment
        colour = {"yellow": "黄色预警；", "red": "红色预警；"}.get(str(payload.get("colour")), "")
        return f"{colour}到期日：{payload.get('due_date', '')}"
    return None


def _text(payload: dict[str, Any], name: str) -> str:
    """A free-text field followed by more of its line ("；…"): without its own closing
    punctuation (a reason ending "。" would read "。；")."""
    return str(payload.get(name) or "").strip().rstrip("。；;，,. ")


#: the firings of the clue's deadlines (R3, R7): each names the due date it fired for
_DEADLINE_EVENTS = frozenset(
    {"clues.DeadlineWarningRaised", "clues.TransferResultOverdue", "clues.EscalationOverdue"}
)


def build_workbench_router(
    ctx: ServiceContext, handlers: ClueHandlers, deps: AuthDependencies
) -> APIRouter:
    router = APIRouter(prefix="/api/v1/clues", tags=["clues"])
    reader = deps.require_roles(*READERS)
    history_reader = deps.require_roles(*READERS, Role.DEPARTMENT)

    @router.get("/routes", response_model=Route)
    async def route(
        principal: Principal = Depends(reader),
        topic: Annotated[list[ShortText], Query(max_length=50)] = [],  # noqa: B006
        cadre_level: CadreLevel | None = None,
        city_managed: bool = False,
    ) -> Route:
        """R2: where a clue on these topics goes (the transfer form offers it); a clue on a
        leading cadre (``cadre_level=division`` or ``city_managed``) to 纪委监委 as well."""
        topics = list(dict.fromkeys(t.strip() for t in topic))
        leading = is_leading_cadre(cadre_level.value if cadre_level else None, city_managed)
        return Route(
            topics=topics,
            suggested_departments=suggested_departments(topics, leading),
            allowed_departments=allowed_departments(topics),
        )

    @router.get("/cadre-levels", response_model=CadreLevels)
    async def cadre_levels(
        principal: Principal = Depends(reader),
        jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    ) -> CadreLevels:
        """干部层级 of the classified clues the caller's office is responsible for."""
        pattern = list_scope(principal, jurisdiction)
        # a group-bound member: the clues it sees (its group's, its round's and units')
        group = await group_of(handlers, principal)
        rows = await ctx.pool.fetch(
            _CADRE_LEVELS_SQL,
            pattern,
            ClueClassified.event_type,
            CADRE_LEVELS_LIMIT,
            principal.group_id,
            str(group.round_id) if group else None,
            list(group.unit_ids) if group else [],
        )
        return CadreLevels(
            levels={
                r["clue_id"]: CadreLevel(r["cadre_level"]) if r["cadre_level"] else None
                for r in rows
            }
        )

    @router.get("/{clue_id}/history", response_model=History)
    async def history(clue_id: UUID, principal: Principal = Depends(history_reader)) -> History:
        """办理记录: the clue's events in order (404 unless the caller sees it in full; a
        department: only a clue transferred to it)."""
        unknown = not_found(f"未找到线索 {clue_id} / unknown clue {clue_id}")
        state = await handlers.load(clue_id)
        office = Office(jurisdiction=principal.jurisdiction, city_wide=principal.is_city_wide)
        if not state.exists or not can_see(principal, state, await group_of(handlers, principal)):
            raise unknown
        if principal.role is not Role.DEPARTMENT and not state.visible_in_full_to(office):
            raise unknown
        envelopes = await ctx.store.read_stream(str(clue_id))
        return History(
            clue_id=clue_id,
            items=[
                HistoryEntry(
                    event_id=e.event_id,
                    event_type=e.event_type,
                    stream_version=e.stream_version,
                    title_zh=event_name_zh(e.event_type),
                    detail_zh=department_detail(e.event_type, e.payload, principal),
                    actor_id=source_blind(e.actor.principal_id, principal),
                    actor_label=actor_label(
                        source_blind(e.actor.principal_id, principal),
                        e.actor.role,
                        e.payload,
                        e.jurisdiction,
                    ),
                    occurred_at=e.occurred_at,
                    recorded_at=e.recorded_at,
                )
                for e in envelopes
            ],
        )

    return router


def department_detail(event_type: str, payload: dict[str, Any], reader: Principal) -> str | None:
    """An event's one-line detail; to a receiving department with each seal mark blinded (a
    mark says only that something was left out, not that a number was given)."""
    detail = detail_zh(event_type, payload)
    return blind_marks(detail) if detail and reader.role is Role.DEPARTMENT else detail


def actor_label(
    principal_id: str, role: str, payload: dict[str, Any], jurisdiction: str | None = None
) -> str:
    """Who did it, as the history says it: a receiving department by its name (纪委监委: the
    event names the department it acted as), a county office by its county (临川区委巡察办: it
    acts in its own county only, the event's ``jurisdiction``), an automatic registration by
    what it came from, anyone else by role."""
    if role == Role.DEPARTMENT.value:
        with contextlib.suppress(ValueError):
            return DEPARTMENT_LABELS_ZH[Department(str(payload.get("department")))]
    if (
        role == Role.COUNTY_ADMIN.value
        and jurisdiction
        and jurisdictions.is_county(jurisdiction.strip())
    ):
        return f"{jurisdictions.name_of(jurisdiction.strip())}委巡察办"
    if principal_id == AUTOMATIC_REGISTRATION:
        return "系统（自动登记）"
    return SYSTEM_ACTORS_ZH.get(principal_id) or role_label(role)


__all__ = ["actor_label", "build_workbench_router", "detail_zh"]
