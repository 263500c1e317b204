"""``xuncha audit verify``: every check over the stored history of the services.

Per service database:

1. the hash chain of every stream (``chain.verify_database``);
2. holes in ``global_position`` (explained when neither Kafka nor a checkpoint shows an event
   there: aborted transactions consume identity values);
3. Kafka's copy: every event the relay has published (up to its position in
   ``relay_positions``) is on the service's topics with the same hash and position, and every
   event id on those topics is in the store with the same hash;
4. every checkpoint found (the ``checkpoints`` table, the topic ``audit.checkpoints``, files):
   a valid signature by a trusted key, and the digest recomputed over the store up to the head.

Steps 2-4 read one repeatable-read snapshot; Kafka is read inside it, so an event or checkpoint
committed after the snapshot (``tx_id`` >= the snapshot's xmin) is recognised as newer, never as
a difference.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from xuncha_shared.audit.access import Connector, url_connector
from xuncha_shared.audit.chain import verify_database
from xuncha_shared.audit.checkpoints import (
    Checkpoint,
    CheckpointSource,
    DigestCursor,
    TrustedKey,
    digest_of,
    load_checkpoint_files,
    load_table_checkpoints,
    load_trust,
    merge_sources,
    read_kafka_checkpoints,
    signature_problem,
)
from xuncha_shared.audit.kafka_copy import KafkaCopy, scan_topics
from xuncha_shared.contracts.topics import AUDIT_CHECKPOINTS, service_topics
from xuncha_shared.eventstore.base import START, Position
from xuncha_shared.settings import Settings

DEFAULT_MAX_PROBLEMS = 1000

_XMIN_SQL = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"

_COMMIT_ORDER_SQL = """
SELECT tx_id, global_position, event_id, stream_id, stream_version, hash
FROM events ORDER BY tx_id, global_position
"""

_COVERED_SQL = """
SELECT tx_id, global_position, hash FROM events
WHERE (tx_id, global_position) <= ($1::bigint, $2::bigint)
ORDER BY tx_id, global_position
"""

_HOLES_SQL = """
SELECT prev + 1 AS first, global_position - 1 AS last FROM (
    SELECT global_position,
           lag(global_position, 1, 0::bigint) OVER (ORDER BY global_position) AS prev
    FROM events
) s
WHERE global_position > prev + 1
ORDER BY 1
"""


@dataclass
class Problem:
    """One difference found, located as precisely as the evidence allows."""

    service: str
    kind: str  # chain | position | kafka | checkpoint | export
    message: str
    stream_id: str | None = None
    stream_version: int | None = None
    event_id: str | None = None
    database: str | None = None

    def __str__(self) -> str:
        where = self.database or self.service
        if self.stream_id is not None:
            where += f": stream {self.stream_id}"
            if self.stream_version is not None:
                where += f" version {self.stream_version}"
        text = f"{where}: {self.message}"
        if self.event_id:
            text += f" [event {self.event_id}]"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "database": self.database,
            "kind": self.kind,
            "stream_id": self.stream_id,
            "stream_version": self.stream_version,
            "event_id": self.event_id,
            "message": self.message,
        }


@dataclass
class Hole:
    first: int
    last: int
    explained: bool
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "first": self.first,
            "last": self.last,
            "explained": self.explained,
            "why": self.why,
        }


@dataclass
class KafkaSummary:
    topics: list[str]
    messages: int = 0
    events: int = 0
    duplicates: int = 0
    matched: int = 0
    unpublished: int = 0
    newer: int = 0
    relay_position: Position = START

    def to_dict(self) -> dict[str, Any]:
        return {
            "topics": self.topics,
            "messages": self.messages,
            "events": self.events,
            "duplicates": self.duplicates,
            "matched": self.matched,
            "not_yet_published": self.unpublished,
            "newer_than_snapshot": self.newer,
            "relay_position": {
                "tx_id": self.relay_position.tx_id,
                "global_position": self.relay_position.global_position,
            },
        }


@dataclass
class CheckpointCheck:
    checkpoint: Checkpoint
    sources: list[str]
    status: str = "pending"  # verified | failed | skipped
    detail: str = ""
    stored_count: int | None = None
    stored_digest: str | None = None
    kafka_copy_matches: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "checkpoint": self.checkpoint.document(),
            "sources": self.sources,
            "status": self.status,
            "detail": self.detail,
            "stored_count": self.stored_count,
            "stored_digest": self.stored_digest,
            "kafka_copy_matches": self.kafka_copy_matches,
        }


@dataclass
class ServiceAudit:
    service: str
    database: str
    streams: int = 0
    events: int = 0
    max_position: int = 0
    chain_checked: bool = True
    holes: list[Hole] = field(default_factory=list)
    hole_ranges: int = 0
    kafka: KafkaSummary | None = None
    checkpoints: list[CheckpointCheck] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    notes: list[str] = field(default_factory=list)
    max_problems: int = DEFAULT_MAX_PROBLEMS

    @property
    def intact(self) -> bool:
        return self.problem_count == 0

    def add(self, kind: str, message: str, **where: Any) -> None:
        self.problem_count += 1
        if len(self.problems) < self.max_problems:
            self.problems.append(
                Problem(self.service, kind, message, database=self.database, **where)
            )

    def count(self, kind: str) -> int:
        return sum(1 for p in self.problems if p.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "database": self.database,
            "intact": self.intact,
            "streams": self.streams,
            "events": self.events,
            "max_position": self.max_position,
            "holes": [h.to_dict() for h in self.holes],
            "hole_ranges": self.hole_ranges,
            "kafka": self.kafka.to_dict() if self.kafka else None,
            "checkpoints": [c.to_dict() for c in self.checkpoints],
            "problem_count": self.problem_count,
            "problems": [p.to_dict() for p in self.problems],
            "notes": self.notes,
        }


@dataclass
class AuditReport:
    services: list[ServiceAudit] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # not tied to one service
    notes: list[str] = field(default_factory=list)
    kafka_checked: bool = False
    source: str = "databases"  # or "export <dir>"

    @property
    def intact(self) -> bool:
        return not self.problems and all(s.intact for s in self.services)

    def all_problems(self) -> list[Problem]:
        return [*self.problems, *(p for s in self.services for p in s.problems)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "source": self.source,
            "kafka_checked": self.kafka_checked,
            "services": [s.to_dict() for s in self.services],
            "problems": [p.to_dict() for p in self.problems],
            "notes": self.notes,
        }


# --------------------------------------------------------------------------------------------


async def find_holes(conn: asyncpg.Connection) -> tuple[int, list[tuple[int, int]], int | None]:
    """``(max stored position, hole ranges, last value the identity handed out)``."""
    ranges = [(r["first"], r["last"]) for r in await conn.fetch(_HOLES_SQL)]
    max_position = int(await conn.fetchval("SELECT coalesce(max(global_position), 0) FROM events"))
    handed_out: int | None = None
    sequence = await conn.fetchval("SELECT pg_get_serial_sequence('events', 'global_position')")
    if sequence:
        try:
            async with conn.transaction():  # a savepoint: no privilege on the sequence is fine
                row = await conn.fetchrow(f"SELECT last_value, is_called FROM {sequence}")
            if row is not None:
                handed_out = int(row["last_value"]) if row["is_called"] else 0
        except asyncpg.PostgresError:
            handed_out = None
    return max_position, ranges, handed_out


def classify_holes(
    audit: ServiceAudit,
    ranges: Sequence[tuple[int, int]],
    *,
    trailing: tuple[int, int] | None,
    kafka_positions: Mapping[int, str],
    failed_heads: Sequence[tuple[int, str]],
    kafka_checked: bool,
    max_listed: int = 1000,
) -> None:
    """Explain or flag each hole: a position is unexplained when Kafka holds an event there
    (``kafka_positions``: positions of events on Kafka that the store lacks) or when a checkpoint
    covering it now finds fewer events than it counted (``failed_heads``: (head position,
    description))."""
    kafka_sorted = sorted(kafka_positions)
    all_ranges = [*ranges, *([trailing] if trailing else [])]
    audit.hole_ranges = len(all_ranges)
    for first, last in all_ranges:
        is_trailing = trailing is not None and (first, last) == trailing
        i = bisect.bisect_left(kafka_sorted, first)
        on_kafka = [p for p in kafka_sorted[i : i + 50] if p <= last]
        covering = [desc for head, desc in failed_heads if head >= first]
        span = f"{first}" if first == last else f"{first}–{last}"
        if on_kafka:
            why = f"Kafka holds an event at position {on_kafka[0]}: {kafka_positions[on_kafka[0]]}"
            hole = Hole(first, last, False, why)
            audit.add("position", f"hole at global position {span}: {why}")
        elif covering:
            why = f"{covering[0]} counted more events than the store now has (an event removed?)"
            hole = Hole(first, last, False, why)
            audit.add("position", f"hole at global position {span}: {why}")
        else:
            if is_trailing:
                why = "identity values handed out but not committed (aborted or still running)"
            else:
                why = "no event here on Kafka or in any checkpoint: an aborted transaction"
            if not kafka_checked:
                why += " (Kafka not consulted)"
            hole = Hole(first, last, True, why)
        if len(audit.holes) < max_listed or not hole.explained:
            audit.holes.append(hole)


async def audit_service(
    conn: asyncpg.Connection,
    service: str,
    *,
    trust: Mapping[str, TrustedKey],
    extra_checkpoints: Iterable[tuple[Checkpoint, str]] = (),
    kafka_bootstrap: str | None = None,
    topic_prefix: str = "",
    earlier: EarlierExport | None = None,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> ServiceAudit:
    """Every check of one service database (see the module docstring); with ``earlier``, also
    that every event of an earlier export is still stored unchanged."""
    database = str(await conn.fetchval("SELECT current_database()"))
    audit = ServiceAudit(service, database, max_problems=max_problems)

    chain = await verify_database(conn, database, max_breaks=max_problems)
    audit.streams, audit.events = chain.streams, chain.events
    for b in chain.breaks:
        audit.add("chain", b.problem, stream_id=b.stream_id, stream_version=b.stream_version)

    async with conn.transaction(isolation="repeatable_read", readonly=True):
        xmin = int(await conn.fetchval(_XMIN_SQL))
        row = await conn.fetchrow(
            "SELECT tx_id, global_position FROM relay_positions WHERE relay = $1",
            f"{service}.relay",
        )
        relay_position = Position(row["tx_id"], row["global_position"]) if row else START
        table = await load_table_checkpoints(conn, service)
        sources = merge_sources(
            table, [(c, s) for c, s in extra_checkpoints if c.service == service]
        )
        checks, to_digest = _prepare_checkpoints(audit, sources, trust, xmin, bool(table))

        copy: KafkaCopy | None = None
        if kafka_bootstrap is not None:
            copy = KafkaCopy()
            topics = service_topics(service, topic_prefix)
            copy.scan = await scan_topics(kafka_bootstrap, topics, copy.add_record)
            audit.kafka = KafkaSummary(topics=topics, relay_position=relay_position)
            _kafka_copy_problems(audit, copy)

        cursor = DigestCursor(c.checkpoint.head for c in to_digest)
        kafka_rows: list[tuple[int, int, str]] = []
        async for r in conn.cursor(_COMMIT_ORDER_SQL, prefetch=5000):
            tx_id, position, event_hash = r["tx_id"], r["global_position"], r["hash"]
            cursor.add(tx_id, position, event_hash)
            if earlier is not None:
                earlier.check(audit, r["event_id"], event_hash, r["stream_id"], r["stream_version"])
            if copy is None or audit.kafka is None:
                continue
            k = copy.events.pop(r["event_id"], None)
            where = {
                "stream_id": r["stream_id"],
                "stream_version": r["stream_version"],
                "event_id": str(r["event_id"]),
            }
            if k is None:
                if Position(tx_id, position) <= relay_position:
                    audit.add(
                        "kafka",
                        f"published (relay position {relay_position.tx_id}/"
                        f"{relay_position.global_position}) but not on Kafka",
                        **where,
                    )
                else:
                    audit.kafka.unpublished += 1
                continue
            if k.tx_id is not None and k.global_position is not None:
                kafka_rows.append((k.tx_id, k.global_position, k.event_hash))
            if k.event_hash != event_hash:
                audit.add(
                    "kafka",
                    f"differs from Kafka's copy ({k.where}): store hash {event_hash[:16]}…, "
                    f"Kafka hash {k.event_hash[:16]}…",
                    **where,
                )
            elif (k.tx_id, k.global_position) != (tx_id, position):
                audit.add(
                    "kafka",
                    f"moved: stored at position {tx_id}/{position}, Kafka's copy ({k.where}) at "
                    f"{k.tx_id}/{k.global_position}",
                    **where,
                )
            else:
                audit.kafka.matched += 1
        results = cursor.finish()

        kafka_positions: dict[int, str] = {}
        if copy is not None and audit.kafka is not None:
            for event_id, k in copy.events.items():  # on Kafka, not in the store
                if k.tx_id is not None and k.global_position is not None:
                    kafka_rows.append((k.tx_id, k.global_position, k.event_hash))
                if k.tx_id is not None and k.tx_id >= xmin:
                    audit.kafka.newer += 1  # committed after this snapshot
                    continue
                what = f"on Kafka ({k.where}) but not in the store (removed?)"
                audit.add(
                    "kafka",
                    what,
                    stream_id=k.stream_id,
                    stream_version=k.stream_version,
                    event_id=str(event_id),
                )
                if k.global_position is not None:
                    kafka_positions[k.global_position] = (
                        f"event {event_id} (stream {k.stream_id} version {k.stream_version})"
                    )
        if earlier is not None:
            earlier.finish(audit)
        failed_heads = _finish_checkpoints(audit, to_digest, results, kafka_rows, copy is not None)
        audit.checkpoints = checks

        max_position, ranges, handed_out = await find_holes(conn)
        audit.max_position = max_position
        trailing = (
            (max_position + 1, handed_out) if handed_out and handed_out > max_position else None
        )
        classify_holes(
            audit,
            ranges,
            trailing=trailing,
            kafka_positions=kafka_positions,
            failed_heads=failed_heads,
            kafka_checked=copy is not None,
        )
    return audit


class EarlierExport:
    """The events of an earlier export of one service (``verify --compare-export``): each must
    still be in the store with the same hash; events stored since are fine."""

    def __init__(self, label: str, events: dict[UUID, tuple[str, str, int]]) -> None:
        self.label = label
        self.events = events  # event_id -> (hash, stream_id, stream_version)
        self.matched = 0

    @classmethod
    def load(cls, directory: Path, service: str) -> EarlierExport | None:
        manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
        entry = manifest.get("services", {}).get(service)
        if entry is None:
            return None
        events: dict[UUID, tuple[str, str, int]] = {}
        with (directory / Path(str(entry["file"])).name).open("rb") as f:
            for line in f:
                row = json.loads(line)
                events[UUID(row["event_id"])] = (
                    row["hash"],
                    row["stream_id"],
                    row["stream_version"],
                )
        return cls(f"the export {directory}", events)

    def check(
        self, audit: ServiceAudit, event_id: UUID, event_hash: str, stream_id: str, version: int
    ) -> None:
        known = self.events.pop(event_id, None)
        if known is None:
            return
        if known[0] != event_hash:
            audit.add(
                "export",
                f"changed since {self.label}: hash then {known[0][:16]}…, now {event_hash[:16]}…",
                stream_id=stream_id,
                stream_version=version,
                event_id=str(event_id),
            )
        else:
            self.matched += 1

    def finish(self, audit: ServiceAudit) -> None:
        for event_id, (_, stream_id, version) in self.events.items():
            audit.add(
                "export",
                f"in {self.label} but no longer in the store (removed?)",
                stream_id=stream_id,
                stream_version=version,
                event_id=str(event_id),
            )
        audit.notes.append(f"{self.matched} event(s) unchanged since {self.label}")


def _prepare_checkpoints(
    audit: ServiceAudit,
    sources: list[CheckpointSource],
    trust: Mapping[str, TrustedKey],
    xmin: int,
    table_has_rows: bool,
) -> tuple[list[CheckpointCheck], list[CheckpointCheck]]:
    checks: list[CheckpointCheck] = []
    to_digest: list[CheckpointCheck] = []
    for source in sources:
        cp = source.checkpoint
        check = CheckpointCheck(cp, source.sources)
        checks.append(check)
        label = _label(cp)
        problem = signature_problem(cp, trust)
        if problem:
            check.status, check.detail = "failed", problem
            audit.add("checkpoint", f"{label}: {problem}")
        if "kafka" in source.sources and "table" not in source.sources:
            audit.add(
                "checkpoint",
                f"{label} is on Kafka but not in the checkpoints table (deleted from it?)"
                + ("" if table_has_rows else "; the table holds no checkpoint at all"),
            )
        if cp.head.tx_id >= xmin:
            if check.status == "pending":
                check.status = "skipped"
                check.detail = "newer than this verification's snapshot"
            continue
        to_digest.append(check)
    return checks, to_digest


def _finish_checkpoints(
    audit: ServiceAudit,
    to_digest: list[CheckpointCheck],
    results: Mapping[Position, tuple[int, str]],
    kafka_rows: list[tuple[int, int, str]],
    kafka_checked: bool,
) -> list[tuple[int, str]]:
    failed_heads: list[tuple[int, str]] = []
    kafka_sorted: list[tuple[int, int, str]] | None = None
    for check in to_digest:
        cp = check.checkpoint
        count, digest = results[cp.head]
        check.stored_count, check.stored_digest = count, digest
        if (count, digest) == (cp.event_count, cp.digest):
            if check.status == "pending":
                check.status = "verified"
                check.detail = f"{count} events up to the head unchanged"
            continue
        label = _label(cp)
        message = (
            f"{label}: the history up to its head changed since it was signed: it counted "
            f"{cp.event_count} events with digest {cp.digest[:16]}…, the store now has {count} "
            f"with digest {digest[:16]}…"
        )
        if kafka_checked:
            if kafka_sorted is None:
                kafka_sorted = sorted(kafka_rows)
            covered = [row for row in kafka_sorted if Position(row[0], row[1]) <= cp.head]
            copy_digest = digest_of(covered)
            check.kafka_copy_matches = (copy_digest.count, copy_digest.hexdigest()) == (
                cp.event_count,
                cp.digest,
            )
            message += (
                "; Kafka's copy still matches the checkpoint, so the store was changed (the "
                "Kafka differences name the events)"
                if check.kafka_copy_matches
                else "; Kafka's copy does not match it either"
            )
        else:
            message += "; compare with Kafka or an earlier export to find the events"
        check.status = "failed"
        check.detail = message
        audit.add("checkpoint", message)
        if count < cp.event_count:
            failed_heads.append((cp.head.global_position, label))
    return failed_heads


def _kafka_copy_problems(audit: ServiceAudit, copy: KafkaCopy) -> None:
    assert audit.kafka is not None
    audit.kafka.messages = copy.messages
    audit.kafka.events = len(copy.events)
    audit.kafka.duplicates = copy.duplicates
    for topic in copy.scan.missing_topics:
        audit.add("kafka", f"topic {topic} does not exist")
    for partition in copy.scan.truncated:
        audit.add(
            "kafka",
            f"{partition} does not start at offset 0: messages were deleted (retention must be "
            "infinite); Kafka's copy is incomplete",
        )
    for where in copy.unreadable[:20]:
        audit.add("kafka", f"unreadable message at {where} (not an event envelope)")
    if len(copy.unreadable) > 20:
        audit.add("kafka", f"{len(copy.unreadable) - 20} more unreadable messages")
    for event_id, first, other_hash, other_where in copy.conflicts:
        audit.add(
            "kafka",
            f"two different copies on Kafka: {first.where} hash {first.event_hash[:16]}…, "
            f"{other_where} hash {other_hash[:16]}…",
            stream_id=first.stream_id,
            stream_version=first.stream_version,
            event_id=str(event_id),
        )
    for event_id, k in copy.events.items():
        if not k.consistent:
            audit.add(
                "kafka",
                f"Kafka's copy ({k.where}) does not match its own hash (altered on Kafka?)",
                stream_id=k.stream_id,
                stream_version=k.stream_version,
                event_id=str(event_id),
            )


def _label(cp: Checkpoint) -> str:
    return (
        f"checkpoint of {cp.created_at} (head {cp.head.tx_id}/{cp.head.global_position}, "
        f"key {cp.key_id})"
    )


async def audit_databases(
    settings: Settings,
    services: Sequence[str],
    *,
    kafka: bool = True,
    checkpoint_files: Sequence[Path] = (),
    trust_path: Path | None = None,
    compare_export: Path | None = None,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
    connector: Connector | None = None,
) -> AuditReport:
    """``xuncha audit verify`` over the service databases (and Kafka unless ``kafka`` is off).

    ``connector`` reaches each service database (default: a new connection to
    ``settings.service_database_url(service)``, the CLI's way)."""
    open_connection = connector or url_connector(settings.service_database_url)
    report = AuditReport(kafka_checked=kafka)
    trust = load_trust(trust_path, settings)
    extras = load_checkpoint_files(checkpoint_files)
    if kafka:
        from_kafka, unreadable = await read_kafka_checkpoints(
            settings.kafka_bootstrap, settings.topic_prefix
        )
        extras.extend(from_kafka)
        if unreadable:
            report.problems.append(
                Problem(
                    "audit",
                    "checkpoint",
                    f"{unreadable} unreadable message(s) on {settings.topic_prefix}"
                    f"{AUDIT_CHECKPOINTS}",
                )
            )
    if not trust:
        report.notes.append("no trusted public keys (see --keys): checkpoints cannot be trusted")
    for service in services:
        async with open_connection(service) as conn:
            report.services.append(
                await audit_service(
                    conn,
                    service,
                    trust=trust,
                    extra_checkpoints=extras,
                    kafka_bootstrap=settings.kafka_bootstrap if kafka else None,
                    topic_prefix=settings.topic_prefix,
                    earlier=EarlierExport.load(compare_export, service) if compare_export else None,
                    max_problems=max_problems,
                )
            )
    return report


async def check_table_checkpoints(
    conn: asyncpg.Connection,
    service: str,
    *,
    trust: Mapping[str, TrustedKey],
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> ServiceAudit:
    """Step 4 of ``audit_service`` alone, for the checkpoints of the service's own table: each
    one's signature under a trusted key, and its digest recomputed over the store up to its
    head, in one repeatable-read snapshot. Kafka is not read (``audit_service`` does that)."""
    database = str(await conn.fetchval("SELECT current_database()"))
    audit = ServiceAudit(service, database, max_problems=max_problems)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        xmin = int(await conn.fetchval(_XMIN_SQL))
        table = await load_table_checkpoints(conn, service)
        checks, to_digest = _prepare_checkpoints(audit, merge_sources(table), trust, xmin, True)
        results: dict[Position, tuple[int, str]] = {}
        if to_digest:
            cursor = DigestCursor(c.checkpoint.head for c in to_digest)
            last = max(c.checkpoint.head for c in to_digest)
            async for r in conn.cursor(
                _COVERED_SQL, last.tx_id, last.global_position, prefetch=5000
            ):
                cursor.add(r["tx_id"], r["global_position"], r["hash"])
            results = cursor.finish()
        _finish_checkpoints(audit, to_digest, results, [], kafka_checked=False)
        audit.checkpoints = checks
    return audit
