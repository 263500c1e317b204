"""``/api/v1/audit/verify`` and ``/api/v1/audit/checkpoints``: the integrity of every service
database (hash chains, position holes, Kafka's copy, signed checkpoints), as ``xuncha audit
verify`` tells it.

An auditor bound to a county (not city-wide) is answered for its own jurisdiction only, as in
the history and the replay: ``verify`` checks the hash chains of the streams with an event of
that jurisdiction and reports those (counts, breaks); the position holes, Kafka's copy and the
checkpoints are facts of whole databases (every jurisdiction's events and their volume) and
are left out. ``checkpoints`` tells it, per service, only whether every checkpoint verifies,
without the checkpoints themselves (their heads and counts are the whole database's)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from xuncha_shared.audit.chain import verify_database
from xuncha_shared.audit.verify import (
    AuditReport,
    CheckpointCheck,
    Problem,
    ServiceAudit,
    audit_databases,
    check_table_checkpoints,
)
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.dependencies import PrincipalDependency
from xuncha_shared.runtime import ServiceContext
from xuncha_shared.settings import SERVICES

from xuncha_reporting.entrypoints.audit.pools import AuditorPools, trusted_keys, unavailable


class Head(BaseModel):
    tx_id: int
    global_position: int


class ProblemOut(BaseModel):
    service: str
    database: str | None
    kind: str = Field(description="chain | position | kafka | checkpoint")
    stream_id: str | None
    stream_version: int | None
    event_id: str | None
    message: str = Field(description="what differs")


class HoleOut(BaseModel):
    first: int
    last: int
    why: str


class KafkaCopyOut(BaseModel):
    topics: list[str]
    messages: int
    events: int
    matched: int
    not_yet_published: int
    duplicates: int
    newer_than_snapshot: int
    relay_position: Head


class LatestCheckpoint(BaseModel):
    head: Head
    event_count: int
    created_at: str
    key_id: str


class CheckpointsChecked(BaseModel):
    checked: int
    verified: int
    failed: int
    skipped: int = Field(description="newer than the verification's snapshot")
    latest: LatestCheckpoint | None


class ServiceVerification(BaseModel):
    service: str
    database: str
    intact: bool
    streams: int
    events: int
    max_position: int
    hole_ranges: int = Field(description="holes in global_position (aborted transactions)")
    unexplained_holes: list[HoleOut]
    kafka: KafkaCopyOut | None = Field(description="null with ?kafka=false")
    checkpoints: CheckpointsChecked
    problem_count: int
    problems: list[ProblemOut] = Field(description="the first 1000")
    notes: list[str]


class StreamLocation(BaseModel):
    service: str
    database: str | None
    stream_id: str
    stream_version: int | None


SCOPE_DESCRIPTION = (
    "the jurisdiction a county-bound auditor's answer covers (null: whole databases)"
)


class Verification(BaseModel):
    scope: str | None = Field(default=None, description=SCOPE_DESCRIPTION)
    intact: bool
    kafka_checked: bool
    checked_at: datetime
    problem_count: int
    first_broken: StreamLocation | None = Field(description="the first problem naming a stream")
    services: list[ServiceVerification]
    problems: list[ProblemOut] = Field(description="problems not tied to one service")
    notes: list[str]


class CheckpointOut(BaseModel):
    service: str
    database: str
    head: Head
    event_count: int
    digest: str
    signature: str
    key_id: str
    created_at: str
    verified: bool
    status: str = Field(description="verified | failed | skipped (newer than the snapshot)")
    detail: str
    stored_event_count: int | None = Field(description="events up to the head in the store now")
    stored_digest: str | None


class ServiceCheckpoints(BaseModel):
    service: str
    database: str
    intact: bool = Field(description="every checkpoint verified")
    checkpoints: list[CheckpointOut]
    problems: list[ProblemOut]


class Checkpoints(BaseModel):
    scope: str | None = Field(default=None, description=SCOPE_DESCRIPTION)
    checked_at: datetime
    intact: bool
    trusted_keys: list[str] = Field(description="key ids trusted by this server")
    services: list[ServiceCheckpoints]
    notes: list[str]


def _problem_out(p: Problem) -> ProblemOut:
    return ProblemOut.model_validate(p, from_attributes=True)


def _checkpoints_checked(checks: list[CheckpointCheck]) -> CheckpointsChecked:
    latest = max(checks, key=lambda c: c.checkpoint.head).checkpoint if checks else None
    return CheckpointsChecked(
        checked=len(checks),
        verified=sum(1 for c in checks if c.status == "verified"),
        failed=sum(1 for c in checks if c.status == "failed"),
        skipped=sum(1 for c in checks if c.status == "skipped"),
        latest=LatestCheckpoint(
            head=Head.model_validate(latest.head, from_attributes=True),
            event_count=latest.event_count,
            created_at=latest.created_at,
            key_id=latest.key_id,
        )
        if latest
        else None,
    )


def _service_verification(s: ServiceAudit) -> ServiceVerification:
    kafka = None
    if s.kafka is not None:
        k = s.kafka
        kafka = KafkaCopyOut(
            topics=k.topics,
            messages=k.messages,
            events=k.events,
            matched=k.matched,
            not_yet_published=k.unpublished,
            duplicates=k.duplicates,
            newer_than_snapshot=k.newer,
            relay_position=Head.model_validate(k.relay_position, from_attributes=True),
        )
    return ServiceVerification(
        service=s.service,
        database=s.database,
        intact=s.intact,
        streams=s.streams,
        events=s.events,
        max_position=s.max_position,
        hole_ranges=s.hole_ranges,
        unexplained_holes=[
            HoleOut(first=h.first, last=h.last, why=h.why) for h in s.holes if not h.explained
        ],
        kafka=kafka,
        checkpoints=_checkpoints_checked(s.checkpoints),
        problem_count=s.problem_count,
        problems=[_problem_out(p) for p in s.problems],
        notes=s.notes,
    )


def verification(report: AuditReport, checked_at: datetime) -> Verification:
    """The verify report as the endpoint's summary."""
    problems = report.all_problems()
    located = next((p for p in problems if p.stream_id is not None), None)
    return Verification(
        intact=report.intact,
        kafka_checked=report.kafka_checked,
        checked_at=checked_at,
        problem_count=len(report.problems) + sum(s.problem_count for s in report.services),
        first_broken=StreamLocation(
            service=located.service,
            database=located.database,
            stream_id=located.stream_id,
            stream_version=located.stream_version,
        )
        if located is not None and located.stream_id is not None
        else None,
        services=[_service_verification(s) for s in report.services],
        problems=[_problem_out(p) for p in report.problems],
        notes=report.notes,
    )


def _checkpoint_out(service: str, check: CheckpointCheck) -> CheckpointOut:
    cp = check.checkpoint
    return CheckpointOut(
        service=cp.service or service,
        database=cp.database,
        head=Head.model_validate(cp.head, from_attributes=True),
        event_count=cp.event_count,
        digest=cp.digest,
        signature=cp.signature,
        key_id=cp.key_id,
        created_at=cp.created_at,
        verified=check.status == "verified",
        status=check.status,
        detail=check.detail,
        stored_event_count=check.stored_count,
        stored_digest=check.stored_digest,
    )


BOUND_VERIFY_NOTE = (
    "bound to jurisdiction {j}: the hash chains of its streams only; position holes, Kafka's "
    "copy and the checkpoints cover whole databases and are reported to a city-wide auditor"
)
BOUND_CHECKPOINTS_NOTE = (
    "bound to jurisdiction {j}: checkpoints sign whole databases (every jurisdiction's events), "
    "so only whether each service's checkpoints verify is shown"
)


async def scoped_verification(
    pools: AuditorPools, principal: Principal, checked_at: datetime
) -> Verification:
    """``verify`` for a county-bound auditor: the chains of its jurisdiction's streams."""
    scope = principal.jurisdiction
    services: list[ServiceVerification] = []
    for service in SERVICES:
        async with pools.acquire(service) as conn:
            database = str(await conn.fetchval("SELECT current_database()"))
            chain = await verify_database(
                conn, database, jurisdiction_like=principal.jurisdiction_like()
            )
        problems = [
            ProblemOut(
                service=service,
                database=database,
                kind="chain",
                stream_id=b.stream_id,
                stream_version=b.stream_version,
                event_id=None,
                message=b.problem,
            )
            for b in chain.breaks
        ]
        services.append(
            ServiceVerification(
                service=service,
                database=database,
                intact=chain.intact,
                streams=chain.streams,
                events=chain.events,
                max_position=0,
                hole_ranges=0,
                unexplained_holes=[],
                kafka=None,
                checkpoints=CheckpointsChecked(
                    checked=0, verified=0, failed=0, skipped=0, latest=None
                ),
                problem_count=len(problems),
                problems=problems,
                notes=[],
            )
        )
    located = next((p for s in services for p in s.problems), None)
    return Verification(
        scope=scope,
        intact=all(s.intact for s in services),
        kafka_checked=False,
        checked_at=checked_at,
        problem_count=sum(s.problem_count for s in services),
        first_broken=StreamLocation(
            service=located.service,
            database=located.database,
            stream_id=located.stream_id,
            stream_version=located.stream_version,
        )
        if located is not None and located.stream_id is not None
        else None,
        services=services,
        problems=[],
        notes=[BOUND_VERIFY_NOTE.format(j=scope)],
    )


def integrity_router(
    ctx: ServiceContext, pools: AuditorPools, auditor: PrincipalDependency
) -> APIRouter:
    settings = ctx.settings
    router = APIRouter()
    # a verification reads every database and Kafka from the start: one at a time
    verify_lock = asyncio.Lock()

    @router.get("/verify", response_model=Verification)
    async def verify(
        kafka: bool = Query(
            True, description="also compare with Kafka's copy (slower); false skips it"
        ),
        principal: Principal = Depends(auditor),
    ) -> Verification:
        """``xuncha audit verify`` of every service database: hash chains, position holes,
        Kafka's copy (unless ``kafka=false``) and every checkpoint (table, ``audit.checkpoints``),
        against the keys this server trusts. 200 whether intact or not: see ``intact``."""
        trusted_keys(settings)  # unreadable keys: a clear 503 before the long checks
        async with verify_lock:
            checked_at = datetime.now(UTC)
            if not principal.is_city_wide:  # a county-bound auditor: its streams only
                with unavailable(settings):
                    return await scoped_verification(pools, principal, checked_at)
            with unavailable(settings, kafka=kafka):
                await pools.open_all()
                report = await audit_databases(
                    settings, SERVICES, kafka=kafka, connector=pools.connector
                )
        return verification(report, checked_at)

    @router.get("/checkpoints", response_model=Checkpoints)
    async def checkpoints(principal: Principal = Depends(auditor)) -> Checkpoints:
        """Every signed checkpoint in each service's ``checkpoints`` table, each with whether it
        verifies now: a signature by a trusted key of that service, and the digest recomputed
        over the store up to its head equal to the signed one."""
        checked_at = datetime.now(UTC)
        notes: list[str] = []
        services: list[ServiceCheckpoints] = []
        trust = trusted_keys(settings)
        if not trust:
            notes.append("no trusted public keys on this server: no checkpoint can verify")
        bound = not principal.is_city_wide  # a county-bound auditor: whether they verify only
        if bound:
            notes.append(BOUND_CHECKPOINTS_NOTE.format(j=principal.jurisdiction))
        with unavailable(settings):
            for service in SERVICES:
                async with pools.acquire(service) as conn:
                    audit = await check_table_checkpoints(conn, service, trust=trust)
                services.append(
                    ServiceCheckpoints(
                        service=service,
                        database=audit.database,
                        intact=audit.intact,
                        checkpoints=[]
                        if bound
                        else [_checkpoint_out(service, c) for c in audit.checkpoints],
                        problems=[] if bound else [_problem_out(p) for p in audit.problems],
                    )
                )
        return Checkpoints(
            scope=principal.jurisdiction if bound else None,
            checked_at=checked_at,
            intact=all(s.intact for s in services),
            trusted_keys=sorted(trust),
            services=services,
            notes=notes,
        )

    return router
