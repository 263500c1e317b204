"""``/api/v1/audit/identity-reads``: who read (or tried to read) a reporter's identity, from
intake's history (never the identity itself)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from xuncha_shared.audit.export import parse_time
from xuncha_shared.audit.history import (
    role_label,
)
from xuncha_shared.contracts.names_zh import VALUE_LABELS_ZH
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.jurisdictions import is_city
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency, ensure_jurisdiction
from xuncha_shared.http.problems import invalid
from xuncha_shared.http.requests import known_jurisdiction
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.entrypoints.audit.pools import AuditorPools, unavailable

#: the event appended before a reporter identity is disclosed (contracts/intake/petitions.py)
IDENTITY_READ_EVENT = "intake.InformantIdentityRead"
#: the crypto-shredding of a reporter identity (R23)
IDENTITY_ERASED_EVENT = "intake.InformantIdentityErased"
IDENTITY_READS_DEFAULT_LIMIT = 1000
IDENTITY_READS_MAX_LIMIT = 10_000


class ActorOut(BaseModel):
    principal_id: str
    role: str
    role_label: str


class IdentityReadOut(BaseModel):
    event_id: UUID
    stream_id: str
    stream_version: int
    global_position: int
    occurred_at: datetime
    recorded_at: datetime
    jurisdiction: str
    jurisdiction_name: str
    actor: ActorOut
    petition_id: str | None
    reason: str | None
    outcome: str | None
    outcome_label: str | None
    #: erasures only: who or what erased (custodian, retention) and under which rule
    trigger: str | None = None
    legal_basis: str | None = None


class IdentityReads(BaseModel):
    jurisdiction: str = Field(description="the jurisdiction asked for (or the auditor's)")
    since: datetime | None
    count: int
    truncated: bool = Field(description="more reads than ``limit``; narrow with ``since``")
    reads: list[IdentityReadOut]


def _identity_read_out(row: Mapping[str, Any]) -> IdentityReadOut:
    actor = row["actor"] if isinstance(row["actor"], dict) else {}
    payload = row["payload"] if isinstance(row["payload"], dict) else {}
    role = str(actor.get("role", ""))
    outcome = payload.get("outcome")
    jurisdiction = str(row["jurisdiction"]).strip()

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    return IdentityReadOut(
        event_id=row["event_id"],
        stream_id=row["stream_id"],
        stream_version=row["stream_version"],
        global_position=row["global_position"],
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        jurisdiction=jurisdiction,
        jurisdiction_name=jurisdictions.name_of(jurisdiction),
        actor=ActorOut(
            principal_id=str(actor.get("principal_id", "")),
            role=role,
            role_label=role_label(role),
        ),
        petition_id=text(payload.get("petition_id")),
        reason=text(payload.get("reason")),
        outcome=text(outcome),
        outcome_label=VALUE_LABELS_ZH.get("outcome", {}).get(str(outcome), text(outcome)),
        trigger=text(payload.get("trigger")),
        legal_basis=text(payload.get("legal_basis")),
    )


# Only the fields the endpoint returns leave the database; the payload of a read never holds
# plaintext identity (person_id is the sealed data's random id and is not returned either).
_IDENTITY_READS_SQL = """
SELECT event_id, stream_id, stream_version, global_position, occurred_at, recorded_at,
       jurisdiction, actor,
       jsonb_build_object('petition_id', payload->'petition_id', 'reason', payload->'reason',
                          'outcome', payload->'outcome', 'trigger', payload->'trigger',
                          'legal_basis', payload->'legal_basis') AS payload
FROM events
WHERE event_type = $1 AND jurisdiction LIKE $2
  AND ($3::timestamptz IS NULL OR occurred_at >= $3::timestamptz)
ORDER BY occurred_at, global_position
LIMIT $4
"""


def identity_reads_router(
    ctx: ServiceContext, pools: AuditorPools, auditor: PrincipalDependency
) -> APIRouter:
    settings = ctx.settings
    router = APIRouter()

    async def listing(
        event_type: str,
        since: str | None,
        jurisdiction: str | None,
        limit: int,
        principal: Principal,
    ) -> IdentityReads:
        since_at: datetime | None = None
        if since is not None:
            try:
                since_at = parse_time(since)
                since_at.astimezone(UTC)  # the database compares in UTC: year 1 or 9999 overflow
            except (ValueError, OverflowError) as exc:
                raise invalid("query.since", f"not an ISO 8601 time: {exc}") from None
        if jurisdiction is None:
            code, pattern = principal.jurisdiction, principal.jurisdiction_like()
        else:
            known_jurisdiction(jurisdiction)  # the query pattern already checks six digits
            ensure_jurisdiction(principal, jurisdiction)
            code = jurisdiction
            pattern = jurisdiction[:4] + "__" if is_city(jurisdiction) else jurisdiction
        with unavailable(settings):
            async with pools.acquire("intake") as conn:
                rows = await conn.fetch(
                    _IDENTITY_READS_SQL, event_type, pattern, since_at, limit + 1
                )
        reads = [_identity_read_out(r) for r in rows[:limit]]
        return IdentityReads(
            jurisdiction=code,
            since=since_at,
            count=len(reads),
            truncated=len(rows) > limit,
            reads=reads,
        )

    since_query = Query(
        None,
        description="occurred at or after this ISO 8601 time (without offset: Beijing time)",
        max_length=64,
    )
    jurisdiction_query = Query(
        None,
        description="a county code, or a city code (the city and its counties)",
        pattern=r"^\d{6}$",
    )

    @router.get("/identity-reads", response_model=IdentityReads)
    async def identity_reads(
        since: str | None = since_query,
        jurisdiction: str | None = jurisdiction_query,
        limit: int = Query(IDENTITY_READS_DEFAULT_LIMIT, ge=1, le=IDENTITY_READS_MAX_LIMIT),
        principal: Principal = Depends(auditor),
    ) -> IdentityReads:
        """Every ``intake.InformantIdentityRead`` event of intake's history: who read (or tried
        to read) a reporter's identity, when, for which petition, with what stated reason and
        outcome. Never the identity itself (the events hold none). Oldest first."""
        return await listing(IDENTITY_READ_EVENT, since, jurisdiction, limit, principal)

    @router.get("/identity-erasures", response_model=IdentityReads)
    async def identity_erasures(
        since: str | None = since_query,
        jurisdiction: str | None = jurisdiction_query,
        limit: int = Query(IDENTITY_READS_DEFAULT_LIMIT, ge=1, le=IDENTITY_READS_MAX_LIMIT),
        principal: Principal = Depends(auditor),
    ) -> IdentityReads:
        """Every ``intake.InformantIdentityErased`` event (R23): whose identity was
        crypto-shredded, when, by whom (the custodian, or the retention rule), why and under
        which rule (``trigger``, ``reason``, ``legal_basis``; in ``reads``). Oldest first."""
        return await listing(IDENTITY_ERASED_EVENT, since, jurisdiction, limit, principal)

    # a replay reads the whole history and builds a schema: one at a time
    return router
