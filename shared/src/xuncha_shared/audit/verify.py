"""``xuncha audit verify``: every check over the stored history of the services.

Per service database:

1. the hash chain of every stream (``chain.ChainScan``);
2. holes in ``global_position`` (explained when neither Kafka nor a checkpoint shows an event
   there: aborted transactions consume identity values);
3. Kafka's copy: every event the relay has published (up to its position in
   ``relay_positions``) is on the service's topics with the same hash and position, and every
   event id on those topics is in the store with the same hash;
4. every checkpoint found (the ``checkpoints`` table, the topic ``audit.checkpoints``, files):
   a valid signature by a trusted key, and the digest recomputed over the store up to the head.

All four read one repeatable-read snapshot; Kafka is read inside it, so an event or checkpoint
committed after the snapshot (``tx_id`` >= the snapshot's xmin) is recognised as newer, never as
a difference. The events are read once, in commit order, for steps 1, 3 and 4 together (the next
page is asked for before the current one is worked on, so PostgreSQL reads while Python hashes);
step 2 is one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from xuncha_shared.audit.access import Connector, url_connector
from xuncha_shared.audit.chain import (
    EVENT_ID,
    HASH,
    POSITION,
    STREAM_ID,
    STREAM_VERSION,
    TX_ID,
    Break,
    ChainScan,
    scan_commit_order,
)
from xuncha_shared.audit.checkpoint_checks import (
    XMIN_SQL,
    check_table_checkpoints,
    finish_checkpoints,
    prepare_checkpoints,
)
from xuncha_shared.audit.checkpoints import (
    Checkpoint,
    DigestCursor,
    TrustedKey,
    load_checkpoint_files,
    load_table_checkpoints,
    load_trust,
    merge_sources,
    read_kafka_checkpoints,
)
from xuncha_shared.audit.copies import EarlierExport, kafka_copy_problems
from xuncha_shared.audit.holes import classify_holes, find_holes
from xuncha_shared.audit.kafka_copy import KafkaCopy, scan_topics
from xuncha_shared.audit.report import (
    DEFAULT_MAX_PROBLEMS,
    AuditReport,
    CheckpointCheck,
    Hole,
    KafkaSummary,
    Problem,
    ServiceAudit,
)
from xuncha_shared.contracts.topics import AUDIT_CHECKPOINTS, service_topics
from xuncha_shared.eventstore.base import START, Position
from xuncha_shared.restore_record import drop_superseded, load_explanations
from xuncha_shared.settings import Settings

__all__ = [
    "DEFAULT_MAX_PROBLEMS",
    "AuditReport",
    "CheckpointCheck",
    "EarlierExport",
    "Hole",
    "KafkaSummary",
    "Problem",
    "ServiceAudit",
    "audit_databases",
    "audit_service",
    "check_table_checkpoints",
    "classify_holes",
    "find_holes",
]


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

    async with conn.transaction(isolation="repeatable_read", readonly=True):
        xmin = int(await conn.fetchval(XMIN_SQL))
        row = await conn.fetchrow(
            "SELECT tx_id, global_position FROM relay_positions WHERE relay = $1",
            f"{service}.relay",
        )
        relay_position = Position(row["tx_id"], row["global_position"]) if row else START
        table = await load_table_checkpoints(conn, service)
        sources = merge_sources(
            table, [(c, s) for c, s in extra_checkpoints if c.service == service]
        )
        restored = await load_explanations(conn)
        sources, superseded = drop_superseded(sources, restored)
        checks, to_digest = prepare_checkpoints(audit, sources, trust, xmin, bool(table))

        copy: KafkaCopy | None = None
        if kafka_bootstrap is not None:
            copy = KafkaCopy()
            topics = service_topics(service, topic_prefix)
            copy.scan = await scan_topics(kafka_bootstrap, topics, copy.add_record)
            audit.kafka = KafkaSummary(topics=topics, relay_position=relay_position)
            kafka_copy_problems(audit, copy)

        # one pass in commit order for every check over the events (module docstring)
        chain = ChainScan(database)
        digests = DigestCursor(c.checkpoint.head for c in to_digest)
        kafka_rows: list[tuple[int, int, str]] = []

        def on_page(page: Sequence[Any]) -> None:
            chain.add(page)
            digests.add_rows(page, TX_ID, POSITION, HASH)
            if earlier is not None or copy is not None:
                _compare_copies(audit, page, earlier, copy, relay_position, kafka_rows)

        await scan_commit_order(conn, on_page)
        chain_report = await chain.finish(conn, max_breaks=max_problems)
        audit.streams, audit.events = chain_report.streams, chain_report.events
        _put_chain_first(audit, chain_report.breaks)
        results = digests.finish()

        kafka_positions: dict[int, str] = {}
        after_backup = 0
        if copy is not None and audit.kafka is not None:
            for event_id, k in copy.events.items():  # on Kafka, not in the store
                if restored.explains_event(event_id, k.event_hash):
                    after_backup += 1  # appended after the backup that was restored
                    continue
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
        if after_backup or superseded:
            audit.notes.append(
                f"{restored.label()}: {after_backup} event(s) on Kafka appended after the "
                f"backup, {superseded} checkpoint(s) on Kafka beyond it; not in the store"
            )
        if earlier is not None:
            earlier.finish(audit)
        failed_heads = finish_checkpoints(audit, to_digest, results, kafka_rows, copy is not None)
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


def _put_chain_first(audit: ServiceAudit, breaks: Sequence[Break]) -> None:
    """The chain's breaks first among the problems (the chain is step 1)."""
    found = audit.problems
    audit.problems = []
    for b in breaks:
        audit.add("chain", b.problem, stream_id=b.stream_id, stream_version=b.stream_version)
    audit.problems.extend(found[: max(0, audit.max_problems - len(audit.problems))])


def _compare_copies(
    audit: ServiceAudit,
    page: Sequence[Any],
    earlier: EarlierExport | None,
    copy: KafkaCopy | None,
    relay_position: Position,
    kafka_rows: list[tuple[int, int, str]],
) -> None:
    """Steps 3 (Kafka's copy) and the earlier export, for one page of the commit-order scan."""
    for r in page:
        tx_id, position, event_hash = r[TX_ID], r[POSITION], r[HASH]
        stream_id, version = r[STREAM_ID], r[STREAM_VERSION]
        event_id = UUID(r[EVENT_ID])
        if earlier is not None:
            earlier.check(audit, event_id, event_hash, stream_id, version)
        if copy is None or audit.kafka is None:
            continue
        k = copy.events.pop(event_id, None)
        where = {"stream_id": stream_id, "stream_version": version, "event_id": r[EVENT_ID]}
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
