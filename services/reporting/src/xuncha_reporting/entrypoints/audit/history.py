"""``/api/v1/audit/history/{stream_id}`` and ``/api/v1/audit/replay``: the history retold, as
one case's story (``xuncha audit history``) or as the reporting views stood at a past moment
(``xuncha audit replay``); each also as a workbook an auditor files
(``/api/v1/audit/exports/history.xlsx``, ``/api/v1/audit/exports/replay.xlsx``)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic_core import to_jsonable_python
from xuncha_shared.audit.history import (
    STORY_HEADERS,
    Story,
    StreamNotFoundError,
    actor_name_zh,
    build_story,
    identity_reads,
    local_time,
    outcome_zh,
    story_document,
    story_rows,
)
from xuncha_shared.audit.payload_text import task_names
from xuncha_shared.contracts.names_zh import SERVICE_NAMES_ZH
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency, ensure_jurisdiction
from xuncha_shared.http.problems import invalid, not_found
from xuncha_shared.http.requests import known_jurisdiction
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.adapters.projection_tables import ProjectionTables, read_snapshot
from xuncha_reporting.adapters.workbooks import XLSX, workbook
from xuncha_reporting.domain import case_names
from xuncha_reporting.domain.views import LINKED_COLUMNS_ZH, named_rows, rate_text
from xuncha_reporting.entrypoints.audit import replay_sheets as dl
from xuncha_reporting.entrypoints.audit.pools import AuditorPools, unavailable
from xuncha_reporting.entrypoints.downloads import download
from xuncha_reporting.replay import AsOfError, parse_as_of, replay_as_of, replay_document


def _no_stream(stream_id: str) -> str:
    """The answer for a case no service has, and for another jurisdiction's (the same)."""
    # the number after the sentence: the workbench leaves ids out of what it shows, and the
    # sentence still reads whole without it (the auditor typed it)
    return (
        f"各服务中都没有这一编号的案件记录（{stream_id}） / no stream {stream_id!r} in any service"
    )


def history_router(
    ctx: ServiceContext, pools: AuditorPools, auditor: PrincipalDependency
) -> APIRouter:
    settings = ctx.settings
    router = APIRouter()
    tables = ProjectionTables()

    async def visible_story(stream_id: str, principal: Principal) -> Story:
        """The case's story as ``principal`` may see it (see ``history``)."""
        try:
            with unavailable(settings):
                await pools.open_all()  # else an unreachable database looks like "not found"
                story = await build_story(settings, stream_id, connector=pools.connector)
        except StreamNotFoundError:
            raise not_found(_no_stream(stream_id)) from None
        own = next((e for e in story.events if e.in_stream), None)
        if own is not None and not principal.can_access(own.envelope.jurisdiction.strip()):
            # another jurisdiction's case is answered exactly like an unknown one
            raise not_found(_no_stream(stream_id))
        # links are followed only within what this auditor may see: a linked event of another
        # jurisdiction is left out, whatever linked it
        story.events = [
            e for e in story.events if principal.can_access(e.envelope.jurisdiction.strip())
        ]
        # the rounds, groups and units its events name by id, named as the auditor may see them
        # each task by its measure, as the plan events it may see give it
        story.names = task_names(e.envelope.payload for e in story.events)
        # what the events name themselves, then (winning) what intake's documents name
        story.names |= case_names.names_beside(e.envelope.payload for e in story.events)
        ids = case_names.ids_named(e.envelope.payload for e in story.events)
        if ids:
            async with read_snapshot(ctx.pool) as conn:
                docs = await tables.docs(conn, case_names.NAME_KINDS, principal.jurisdiction_like())
            story.names |= case_names.case_names(docs, ids)
        return story

    @router.get("/history/{stream_id}")
    async def history(
        stream_id: str = Path(min_length=1, max_length=200, description="the stream (case) id"),
        principal: Principal = Depends(auditor),
    ) -> dict[str, Any]:
        """``xuncha audit history STREAM_ID --json``: the case's events and every linked event of
        every service, in order, payloads redacted (informant data only as a notice). 404 when
        no service has the stream, or when it belongs to another jurisdiction (the same answer);
        linked events of other jurisdictions are left out."""
        return story_document(await visible_story(stream_id, principal))

    @router.get(
        "/exports/history.xlsx",
        response_class=Response,
        responses={
            200: {"content": {XLSX: {}}},
            404: {"description": "no service has the case, or it is another jurisdiction's"},
        },
    )
    async def history_xlsx(
        stream_id: str = Query(min_length=1, max_length=200, description="the stream (case) id"),
        principal: Principal = Depends(auditor),
    ) -> Response:
        """案件历史.xlsx: the story of ``/history/{stream_id}`` as a workbook (汇总, 事件 one row
        per event with its fields in Chinese, 身份查阅 when any), payloads redacted; the same
        404s."""
        story = await visible_story(stream_id, principal)
        own = sum(e.in_stream for e in story.events)
        summary = (
            ("项目", "内容"),
            [
                ("案件编号", story.stream_id),
                ("本案事件", own),
                ("关联事件", len(story.events) - own),
                # the operations that wrote the events (each event's 操作编号 in 事件)
                ("操作编号", "、".join(str(c) for c in story.correlation_ids)),
                ("导出时间（北京时间）", local_time(datetime.now(UTC))),
                ("说明", "由各服务的事件记录重述；举报人信息已隐去"),
                *(("注", note) for note in story.notes),
            ],
        )
        sheets: list[tuple[str, Sequence[str], Sequence[Sequence[Any]]]] = [
            ("事件", STORY_HEADERS, story_rows(story))
        ]
        reads = identity_reads(story)
        if reads:
            rows = [
                (
                    i,
                    local_time(item.envelope.occurred_at),
                    actor_name_zh(
                        item.envelope.actor.principal_id,
                        item.envelope.actor.role,
                        item.envelope.jurisdiction,
                    ),
                    item.envelope.payload.get("reason"),
                    outcome_zh(item.envelope.payload),
                )
                for i, item in reads
            ]
            headers = ("序号", "时间（北京时间）", "查阅人", "查阅目的", "结果")
            sheets.append(("身份查阅", headers, rows))
        return download(workbook(summary, sheets), f"案件历史-{story.stream_id}.xlsx")

    replay_lock = asyncio.Lock()

    @router.get("/replay", responses={404: {"description": "the unit had no issue at that moment"}})
    async def replay(
        as_of: str = Query(
            ...,
            max_length=64,
            description="ISO 8601 with a UTC offset, e.g. 2026-05-01T00:00:00+08:00; not future",
        ),
        jurisdiction: str | None = Query(
            None, pattern=r"^\d{6}$", description="also that jurisdiction's row and units"
        ),
        unit: str | None = Query(
            None, min_length=1, max_length=200, description="also that unit's ledger"
        ),
        principal: Principal = Depends(auditor),
    ) -> dict[str, Any]:
        """``xuncha audit replay --as-of … --json``: the reporting views as they were at
        ``as_of``, rebuilt from every event recorded up to that moment into a fresh schema of
        reporting's database (dropped afterwards): the linked view, with ``jurisdiction`` its
        row, with ``unit`` (needs ``jurisdiction``) its rectification ledger. The history is
        read as the read-only auditor role; nothing live is written, nothing is published.
        404 when the unit had no issue at that moment. A county auditor sees its county only."""
        result: dict[str, Any] = to_jsonable_python(
            await replayed(as_of, jurisdiction, unit, principal)
        )
        return result

    async def replayed(
        as_of: str, jurisdiction: str | None, unit: str | None, principal: Principal
    ) -> dict[str, Any]:
        """The replay's document as ``principal`` may see it (see ``replay``)."""
        try:
            moment = parse_as_of(as_of, datetime.now(UTC))
        except AsOfError as exc:
            raise invalid("query.as_of", str(exc)) from None
        if unit is not None and jurisdiction is None:
            raise invalid("query.unit", "a unit's ledger needs its jurisdiction")
        if jurisdiction is not None:
            known_jurisdiction(jurisdiction)
            ensure_jurisdiction(principal, jurisdiction)
        whole_city = principal.is_city_wide
        if not whole_city and jurisdiction is None:
            jurisdiction = principal.jurisdiction
        async with replay_lock:
            with unavailable(settings):
                await pools.open_all()
                report = await replay_as_of(
                    settings,
                    moment,
                    jurisdiction=jurisdiction,
                    unit=unit,
                    connector=pools.connector,
                )
        if unit is not None and report.ledger is None:
            raise not_found(
                f"截至 {as_of}，{jurisdiction}尚未向“{unit}”反馈问题 / no issue had been fed back "
                f"to {unit!r} in {jurisdiction} as of {as_of}"
            )
        document = replay_document(report, jurisdiction, unit)
        if not whole_city:
            # the other counties are not this auditor's to see: neither their view nor the
            # city-wide counts and event ids of the replay itself
            for key in ("linked", "services", "applied", "changed", "skipped"):
                document.pop(key, None)
        return document

    @router.get(
        "/exports/replay.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}}
    )
    async def replay_xlsx(
        as_of: str = Query(..., max_length=64, description="as for /replay"),
        jurisdiction: str | None = Query(None, pattern=r"^\d{6}$"),
        principal: Principal = Depends(auditor),
    ) -> Response:
        """时间回溯.xlsx: what the page shows of the moment ``as_of`` (as ``/replay``: a county
        auditor's own county only; with ``jurisdiction``, that area's row): 汇总 (the moment and
        the events replayed per service), the linked view (one row per area, the figures
        labelled as 总览 labels them), the deadlines by state, and every one overdue then, the
        most late first, named as 期限预警 names it."""
        document = await replayed(as_of, jurisdiction, None, principal)
        headers = ("地区", *(label for _, label in LINKED_COLUMNS_ZH), "整改完成率")

        linked = document.get("linked")
        if jurisdiction is None and linked:
            named = named_rows(linked)
        else:  # an area asked for, or a county auditor's own
            row = document.get("row")
            named = [(row.get("name", jurisdiction or ""), row)] if row else []
        rows = [
            [
                name,
                *(figures.get(key) for key, _ in LINKED_COLUMNS_ZH),
                rate_text(figures.get("completion_rate")),
            ]
            for name, figures in named
        ]
        moment = document["as_of"]
        replayed_lines = [
            (
                f"已重放事件（{SERVICE_NAMES_ZH.get(svc, svc)}）",
                f"{n['replayed']} / 共 {n['history']} 个",
            )
            for svc, n in (document.get("services") or {}).items()
        ]
        summary = (
            ("项目", "内容"),
            [
                ("回溯时刻（北京时间）", local_time(moment)),
                ("说明", "由该时刻之前记录的全部事件重新计算，不改变现有数据"),
                *replayed_lines,
                ("导出时间（北京时间）", local_time(datetime.now(UTC))),
            ],
        )
        deadlines = document.get("deadlines") or []
        sheets = [
            ("上下联动总览", headers, rows),
            ("期限状态", dl.STATE_HEADERS, dl.state_rows(deadlines)),
            ("已逾期期限", dl.OVERDUE_HEADERS, dl.overdue_rows(deadlines)),
        ]
        stamp = local_time(moment).replace(":", "").replace(" ", "-")
        return download(workbook(summary, sheets), f"时间回溯-{stamp}.xlsx")

    return router
