"""Read-only HTTP API for auditors, beside ``xuncha audit`` (docs/audit.md, "HTTP API for
auditors").

| method | path | what |
|---|---|---|
| GET | ``/api/v1/audit/verify[?kafka=false]`` | ``xuncha audit verify`` of every service |
| GET | ``/api/v1/audit/history/{stream_id}`` | ``xuncha audit history --json``: one case's story |
| GET | ``/api/v1/audit/checkpoints`` | every service's signed checkpoints, each verified |
| GET | ``/api/v1/audit/identity-reads[?since=&jurisdiction=&limit=]`` | identity reads |
| GET | ``/api/v1/audit/replay?as_of=[&jurisdiction=&unit=]`` | ``xuncha audit replay --json`` |

Only the ``auditor`` role: 401 without a valid bearer token, 403 for every other role. History
and identity reads are limited to the auditor's jurisdiction (a city auditor sees its city and
counties); verify and checkpoints are about the integrity of whole databases and answer for all.

Nothing here writes, and nothing reads through the reporting service's own role: every query
runs as the cluster-wide read-only role ``xuncha_auditor`` (``Settings.audit_database_url``,
``XUNCHA_AUDIT_DATABASE_URL``), which may SELECT the history of every service database and
nothing else (never ``informant_keys``: see ``xuncha_shared.provision``). One small pool per
service database, opened on first use and closed when the app shuts down. When the role cannot
connect or read, the answer is 503 (problem+json) naming the cause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, FastAPI, Path, Query
from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python
from xuncha_shared.audit.access import Connector
from xuncha_shared.audit.checkpoints import CheckpointFormatError, TrustedKey, load_trust
from xuncha_shared.audit.export import parse_time
from xuncha_shared.audit.history import (
    StreamNotFoundError,
    build_story,
    role_label,
    story_document,
)
from xuncha_shared.audit.verify import (
    AuditReport,
    CheckpointCheck,
    Problem,
    ServiceAudit,
    audit_databases,
    check_table_checkpoints,
)
from xuncha_shared.contracts.names_zh import VALUE_LABELS_ZH
from xuncha_shared.db import create_pool
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.jurisdictions import is_city
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http.dependencies import AuthDependencies, ensure_jurisdiction
from xuncha_shared.http.problems import ProblemError, invalid, not_found, problem_type
from xuncha_shared.http.requests import known_jurisdiction
from xuncha_shared.runtime import ServiceContext
from xuncha_shared.settings import AUDITOR_ROLE, SERVICES, Settings

from xuncha_reporting.replay import AsOfError, parse_as_of, replay_as_of, replay_document

log = logging.getLogger("xuncha.reporting.audit")

PREFIX = "/api/v1/audit"
TAG = "audit"
#: ``ctx.extras`` key of the auditor pools
POOLS_KEY = "audit_pools"
#: the event appended before a reporter identity is disclosed (contracts/intake.py)
IDENTITY_READ_EVENT = "intake.InformantIdentityRead"
IDENTITY_READS_DEFAULT_LIMIT = 1000
IDENTITY_READS_MAX_LIMIT = 10_000

TYPE_UNAVAILABLE = problem_type("audit-unavailable")


# ---- the auditor role's pools --------------------------------------------------------------


class AuditorPools:
    """One small pool per service database, as the read-only auditor role; each opened on
    first use (a failed opening is retried on the next request), all closed by ``close``."""

    def __init__(self, settings: Settings, *, max_size: int = 2) -> None:
        self.settings = settings
        self.max_size = max_size
        self._pools: dict[str, asyncpg.Pool] = {}
        self._lock = asyncio.Lock()

    async def pool(self, service: str) -> asyncpg.Pool:
        pool = self._pools.get(service)
        if pool is None:
            async with self._lock:
                pool = self._pools.get(service)
                if pool is None:
                    # min_size 1: opening the pool proves the role can connect
                    pool = await create_pool(
                        self.settings.audit_database_url(service),
                        min_size=1,
                        max_size=self.max_size,
                    )
                    self._pools[service] = pool
        return pool

    @contextlib.asynccontextmanager
    async def acquire(self, service: str) -> AsyncIterator[asyncpg.Connection]:
        """A connection to ``service``'s database (a ``Connector`` of ``xuncha_shared.audit``)."""
        pool = await self.pool(service)
        async with pool.acquire() as conn:
            yield conn

    @property
    def connector(self) -> Connector:
        return self.acquire

    @property
    def open_services(self) -> list[str]:
        return sorted(self._pools)

    async def open_all(self, services: Iterable[str] = SERVICES) -> None:
        """Open the pools of ``services`` now (raises if the role cannot connect to one)."""
        for service in services:
            await self.pool(service)

    async def close(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            try:
                await asyncio.wait_for(pool.close(), timeout=10)
            except TimeoutError:
                pool.terminate()  # a request still holds a connection


@contextlib.contextmanager
def _unavailable(settings: Settings, *, kafka: bool = False) -> Iterator[None]:
    """Infrastructure failures of an audit read as 503 problems naming the cause."""
    try:
        yield
    except KafkaError as exc:
        if not kafka:
            raise
        log.warning("audit: Kafka unreachable: %r", exc)
        raise ProblemError(
            503,
            "Service Unavailable",
            f"cannot read Kafka at {settings.kafka_bootstrap}: {exc!r} "
            "(?kafka=false skips the comparison with Kafka)",
            TYPE_UNAVAILABLE,
        ) from None
    except (
        OSError,  # includes TimeoutError and refused connections
        asyncpg.PostgresConnectionError,
        asyncpg.InvalidAuthorizationSpecificationError,  # unknown role, wrong password
        asyncpg.InvalidCatalogNameError,  # the database does not exist
        asyncpg.InsufficientPrivilegeError,  # grants missing: provisioning not run
    ) as exc:
        log.warning("audit: database read as %s failed: %r", AUDITOR_ROLE, exc)
        raise ProblemError(
            503,
            "Service Unavailable",
            f"the audit cannot read the service databases as {AUDITOR_ROLE}: "
            f"{type(exc).__name__}: {exc} (is XUNCHA_AUDIT_DATABASE_URL right, and were the "
            "databases provisioned: python -m xuncha_shared.provision databases?)",
            TYPE_UNAVAILABLE,
        ) from None


def _load_trust(settings: Settings) -> dict[str, TrustedKey]:
    """The public keys this server trusts (``<state_dir>/keys``), as ``audit verify`` does."""
    try:
        return load_trust(None, settings)
    except (OSError, ValueError, CheckpointFormatError) as exc:
        log.warning("audit: trusted keys unreadable: %r", exc)
        raise ProblemError(
            503,
            "Service Unavailable",
            f"the trusted public keys of this server cannot be read: {exc}",
            TYPE_UNAVAILABLE,
        ) from None


# ---- response models -----------------------------------------------------------------------


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


class Verification(BaseModel):
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
    checked_at: datetime
    intact: bool
    trusted_keys: list[str] = Field(description="key ids trusted by this server")
    services: list[ServiceCheckpoints]
    notes: list[str]


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


class IdentityReads(BaseModel):
    jurisdiction: str = Field(description="the jurisdiction asked for (or the auditor's)")
    since: datetime | None
    count: int
    truncated: bool = Field(description="more reads than ``limit``; narrow with ``since``")
    reads: list[IdentityReadOut]


# ---- mapping the audit's results -----------------------------------------------------------


def _problem_out(p: Problem) -> ProblemOut:
    return ProblemOut(
        service=p.service,
        database=p.database,
        kind=p.kind,
        stream_id=p.stream_id,
        stream_version=p.stream_version,
        event_id=p.event_id,
        message=p.message,
    )


def _checkpoints_checked(checks: list[CheckpointCheck]) -> CheckpointsChecked:
    latest = max(checks, key=lambda c: c.checkpoint.head).checkpoint if checks else None
    return CheckpointsChecked(
        checked=len(checks),
        verified=sum(1 for c in checks if c.status == "verified"),
        failed=sum(1 for c in checks if c.status == "failed"),
        skipped=sum(1 for c in checks if c.status == "skipped"),
        latest=LatestCheckpoint(
            head=Head(tx_id=latest.head.tx_id, global_position=latest.head.global_position),
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
            relay_position=Head(
                tx_id=k.relay_position.tx_id, global_position=k.relay_position.global_position
            ),
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
        head=Head(tx_id=cp.head.tx_id, global_position=cp.head.global_position),
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
    )


# Only the fields the endpoint returns leave the database; the payload of a read never holds
# plaintext identity (person_id is the sealed data's random id and is not returned either).
_IDENTITY_READS_SQL = """
SELECT event_id, stream_id, stream_version, global_position, occurred_at, recorded_at,
       jurisdiction, actor,
       jsonb_build_object('petition_id', payload->'petition_id', 'reason', payload->'reason',
                          'outcome', payload->'outcome') AS payload
FROM events
WHERE event_type = $1 AND jurisdiction LIKE $2
  AND ($3::timestamptz IS NULL OR occurred_at >= $3::timestamptz)
ORDER BY occurred_at, global_position
LIMIT $4
"""


# ---- routes --------------------------------------------------------------------------------


def build_audit_router(ctx: ServiceContext, pools: AuditorPools) -> APIRouter:
    settings = ctx.settings
    deps = AuthDependencies(ctx.authenticator)
    auditor = deps.require_roles(Role.AUDITOR)
    # on the router itself, so every route here is auditor-only;
    # routes that need the principal ask again (FastAPI runs the dependency once per request)
    router = APIRouter(prefix=PREFIX, tags=[TAG], dependencies=[Depends(auditor)])
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
        _load_trust(settings)  # unreadable keys: a clear 503 before the long checks
        async with verify_lock:
            checked_at = datetime.now(UTC)
            with _unavailable(settings, kafka=kafka):
                await pools.open_all()
                report = await audit_databases(
                    settings, SERVICES, kafka=kafka, connector=pools.connector
                )
        return verification(report, checked_at)

    @router.get("/history/{stream_id}")
    async def history(
        stream_id: str = Path(min_length=1, max_length=200, description="the stream (case) id"),
        principal: Principal = Depends(auditor),
    ) -> dict[str, Any]:
        """``xuncha audit history STREAM_ID --json``: the case's events and every linked event of
        every service, in order, payloads redacted (informant data only as a notice). 404 when
        no service has the stream; 403 when it belongs to another jurisdiction."""
        try:
            with _unavailable(settings):
                await pools.open_all()  # else an unreachable database looks like "not found"
                story = await build_story(settings, stream_id, connector=pools.connector)
        except StreamNotFoundError:
            raise not_found(f"no stream {stream_id!r} in any service") from None
        own = next((e for e in story.events if e.in_stream), None)
        if own is not None:
            ensure_jurisdiction(principal, own.envelope.jurisdiction.strip())
        return story_document(story)

    @router.get("/checkpoints", response_model=Checkpoints)
    async def checkpoints(principal: Principal = Depends(auditor)) -> Checkpoints:
        """Every signed checkpoint in each service's ``checkpoints`` table, each with whether it
        verifies now: a signature by a trusted key of that service, and the digest recomputed
        over the store up to its head equal to the signed one."""
        checked_at = datetime.now(UTC)
        notes: list[str] = []
        services: list[ServiceCheckpoints] = []
        trust = _load_trust(settings)
        if not trust:
            notes.append("no trusted public keys on this server: no checkpoint can verify")
        with _unavailable(settings):
            for service in SERVICES:
                async with pools.acquire(service) as conn:
                    audit = await check_table_checkpoints(conn, service, trust=trust)
                services.append(
                    ServiceCheckpoints(
                        service=service,
                        database=audit.database,
                        intact=audit.intact,
                        checkpoints=[_checkpoint_out(service, c) for c in audit.checkpoints],
                        problems=[_problem_out(p) for p in audit.problems],
                    )
                )
        return Checkpoints(
            checked_at=checked_at,
            intact=all(s.intact for s in services),
            trusted_keys=sorted(trust),
            services=services,
            notes=notes,
        )

    @router.get("/identity-reads", response_model=IdentityReads)
    async def identity_reads(
        since: str | None = Query(
            None,
            description="occurred at or after this ISO 8601 time (without offset: Beijing time)",
            max_length=64,
        ),
        jurisdiction: str | None = Query(
            None,
            description="a county code, or a city code (the city and its counties)",
            pattern=r"^\d{6}$",
        ),
        limit: int = Query(IDENTITY_READS_DEFAULT_LIMIT, ge=1, le=IDENTITY_READS_MAX_LIMIT),
        principal: Principal = Depends(auditor),
    ) -> IdentityReads:
        """Every ``intake.InformantIdentityRead`` event of intake's history: who read (or tried
        to read) a reporter's identity, when, for which petition, with what stated reason and
        outcome. Never the identity itself (the events hold none). Oldest first."""
        since_at: datetime | None = None
        if since is not None:
            try:
                since_at = parse_time(since)
            except ValueError as exc:
                raise invalid("query.since", f"not an ISO 8601 time: {exc}") from None
        if jurisdiction is None:
            code, pattern = principal.jurisdiction, principal.jurisdiction_like()
        else:
            known_jurisdiction(jurisdiction)  # the query pattern already checks six digits
            ensure_jurisdiction(principal, jurisdiction)
            code = jurisdiction
            pattern = jurisdiction[:4] + "__" if is_city(jurisdiction) else jurisdiction
        with _unavailable(settings):
            async with pools.acquire("intake") as conn:
                rows = await conn.fetch(
                    _IDENTITY_READS_SQL, IDENTITY_READ_EVENT, pattern, since_at, limit + 1
                )
        reads = [_identity_read_out(r) for r in rows[:limit]]
        return IdentityReads(
            jurisdiction=code,
            since=since_at,
            count=len(reads),
            truncated=len(rows) > limit,
            reads=reads,
        )

    # a replay reads the whole history and builds a schema: one at a time
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
            with _unavailable(settings):
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


def add_audit_api(app: FastAPI, ctx: ServiceContext) -> AuditorPools:
    """Mount the auditors' routes on ``app``; their pools (also ``ctx.extras["audit_pools"]``)
    are closed when the app's lifespan ends."""
    pools = AuditorPools(ctx.settings)
    ctx.extras[POOLS_KEY] = pools
    app.include_router(build_audit_router(ctx, pools))
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        try:
            async with inner(application) as state:
                yield state
        finally:
            await pools.close()

    app.router.lifespan_context = lifespan
    return pools


__all__ = ["AuditorPools", "add_audit_api", "build_audit_router", "verification"]
