"""``/api/v1/audit/history/{stream_id}`` and ``/api/v1/audit/replay``: the history retold, as
one case's story (``xuncha audit history``) or as the reporting views stood at a past moment
(``xuncha audit replay``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic_core import to_jsonable_python
from xuncha_shared.audit.history import (
    StreamNotFoundError,
    build_story,
    story_document,
)
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency, ensure_jurisdiction
from xuncha_shared.http.problems import invalid, not_found
from xuncha_shared.http.requests import known_jurisdiction
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.entrypoints.audit.pools import AuditorPools, unavailable
from xuncha_reporting.replay import AsOfError, parse_as_of, replay_as_of, replay_document


def _no_stream(stream_id: str) -> str:
    """The answer for a case no service has, and for another jurisdiction's (the same)."""
    return f"各服务中都没有编号为 {stream_id!r} 的案件记录 / no stream {stream_id!r} in any service"


def history_router(
    ctx: ServiceContext, pools: AuditorPools, auditor: PrincipalDependency
) -> APIRouter:
    settings = ctx.settings
    router = APIRouter()

    @router.get("/history/{stream_id}")
    async def history(
        stream_id: str = Path(min_length=1, max_length=200, description="the stream (case) id"),
        principal: Principal = Depends(auditor),
    ) -> dict[str, Any]:
        """``xuncha audit history STREAM_ID --json``: the case's events and every linked event of
        every service, in order, payloads redacted (informant data only as a notice). 404 when
        no service has the stream, or when it belongs to another jurisdiction (the same answer);
        linked events of other jurisdictions are left out."""
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
        return story_document(story)

    replay_lock = asyncio.Lock()

    @router.get("/replay")
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
                f"no issue had been fed back to {unit!r} in {jurisdiction} as of {as_of}"
            )
        document = replay_document(report, jurisdiction, unit)
        if not whole_city:
            # the other counties are not this auditor's to see: neither their view nor the
            # city-wide counts and event ids of the replay itself
            for key in ("linked", "services", "applied", "changed", "skipped"):
                document.pop(key, None)
        result: dict[str, Any] = to_jsonable_python(document)
        return result

    return router
