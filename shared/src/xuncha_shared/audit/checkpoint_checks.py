"""Checking signed checkpoints against the store: each one's signature under a trusted key,
and the digest recomputed up to its head (with Kafka's copy to tell who changed)."""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg

from xuncha_shared.audit.checkpoints import (
    Checkpoint,
    CheckpointSource,
    DigestCursor,
    TrustedKey,
    digest_of,
    load_table_checkpoints,
    merge_sources,
    signature_problem,
)
from xuncha_shared.audit.report import DEFAULT_MAX_PROBLEMS, CheckpointCheck, ServiceAudit
from xuncha_shared.eventstore.base import Position
from xuncha_shared.eventstore.postgres import SNAPSHOT_XMIN

XMIN_SQL = f"SELECT {SNAPSHOT_XMIN}"

_COVERED_SQL = """
SELECT tx_id, global_position, hash FROM events
WHERE (tx_id, global_position) <= ($1::bigint, $2::bigint)
ORDER BY tx_id, global_position
"""


def prepare_checkpoints(
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


def finish_checkpoints(
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
        if check.compare_stored(count, digest, f"{count} events up to the head unchanged"):
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


def _label(cp: Checkpoint) -> str:
    return (
        f"checkpoint of {cp.created_at} (head {cp.head.tx_id}/{cp.head.global_position}, "
        f"key {cp.key_id})"
    )


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
        xmin = int(await conn.fetchval(XMIN_SQL))
        table = await load_table_checkpoints(conn, service)
        checks, to_digest = prepare_checkpoints(audit, merge_sources(table), trust, xmin, True)
        results: dict[Position, tuple[int, str]] = {}
        if to_digest:
            cursor = DigestCursor(c.checkpoint.head for c in to_digest)
            last = max(c.checkpoint.head for c in to_digest)
            async for r in conn.cursor(
                _COVERED_SQL, last.tx_id, last.global_position, prefetch=5000
            ):
                cursor.add(r["tx_id"], r["global_position"], r["hash"])
            results = cursor.finish()
        finish_checkpoints(audit, to_digest, results, [], kafka_checked=False)
        audit.checkpoints = checks
    return audit
