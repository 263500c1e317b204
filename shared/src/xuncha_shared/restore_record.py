"""The restore record: what ``xuncha backup restore`` found and did, kept in the restored database.

A backup holds each store as it was at one snapshot. Events a service appended after that
snapshot may already be on Kafka (its relay published them) when the backup is restored: Kafka
then holds events the restored store does not have. The restore does not hide that. It writes a
row to ``restore_records`` in the service's database listing each such event (id, stream,
version, position, hash, where on Kafka) and each audit checkpoint on Kafka whose head lies
beyond the restored history. ``xuncha audit verify`` reads the record: an event on Kafka that
is missing from the store is *explained* only when the latest restore record names its id with
the same hash; a checkpoint only when the record names its signature. Each explanation is
reported as a note (never a silent pass); anything else on Kafka and missing from the store is
still a problem.

The table is created as the database's owner (the service role), so the auditor role's default
privileges give it SELECT; it is backed up with the rest of the database, so a later restore
keeps the record of an earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from xuncha_shared.audit.checkpoints.sources import CheckpointSource

SCHEMA = """
CREATE TABLE IF NOT EXISTS restore_records (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    restored_at       timestamptz NOT NULL DEFAULT now(),
    backup_created_at timestamptz NOT NULL,
    manifest_sha256   char(64)    NOT NULL,
    -- heads restored, relay reconciliation, events and checkpoints on Kafka beyond the backup
    record            jsonb       NOT NULL
);
"""


@dataclass
class RestoreExplanations:
    """What the latest restore record explains (empty when the database was never restored)."""

    record_id: int | None = None
    restored_at: datetime | None = None
    backup_created_at: datetime | None = None
    #: event id -> hash of the copy on Kafka that the backup did not hold
    events: dict[UUID, str] = field(default_factory=dict)
    #: signatures of checkpoints on Kafka whose head the restored history does not reach
    checkpoint_signatures: set[str] = field(default_factory=set)

    def explains_event(self, event_id: UUID, event_hash: str) -> bool:
        return self.events.get(event_id) == event_hash

    def label(self) -> str:
        restored = self.restored_at.isoformat() if self.restored_at else "?"
        taken = self.backup_created_at.isoformat() if self.backup_created_at else "?"
        return f"restore record #{self.record_id} (restored {restored} from a backup of {taken})"


async def ensure_schema(conn: asyncpg.Connection) -> None:
    await conn.execute(SCHEMA)


async def write_record(
    conn: asyncpg.Connection,
    *,
    backup_created_at: datetime,
    manifest_sha256: str,
    record: dict[str, Any],
) -> int:
    """Append one restore record (the table is created if missing); returns its id."""
    await ensure_schema(conn)
    value = await conn.fetchval(
        "INSERT INTO restore_records (backup_created_at, manifest_sha256, record) "
        "VALUES ($1, $2, $3::jsonb) RETURNING id",
        backup_created_at,
        manifest_sha256,
        record,
    )
    return int(value)


async def load_explanations(conn: asyncpg.Connection) -> RestoreExplanations:
    """The latest restore record of the connected database, if there is one."""
    if not await conn.fetchval("SELECT to_regclass('public.restore_records') IS NOT NULL"):
        return RestoreExplanations()
    row = await conn.fetchrow(
        "SELECT id, restored_at, backup_created_at, record FROM restore_records "
        "ORDER BY id DESC LIMIT 1"
    )
    if row is None:
        return RestoreExplanations()
    record = row["record"]
    explanations = RestoreExplanations(
        record_id=int(row["id"]),
        restored_at=row["restored_at"],
        backup_created_at=row["backup_created_at"],
    )
    for entry in record.get("kafka_not_in_backup", []):
        explanations.events[UUID(str(entry["event_id"]))] = str(entry["hash"])
    explanations.checkpoint_signatures.update(
        str(entry["signature"]) for entry in record.get("checkpoints_beyond_backup", [])
    )
    return explanations


def drop_superseded(
    sources: list[CheckpointSource], explanations: RestoreExplanations
) -> tuple[list[CheckpointSource], int]:
    """The checkpoint sources without those the restore record names (signed over a history
    beyond the backup, found on Kafka only); returns how many were left out."""
    if not explanations.checkpoint_signatures:
        return sources, 0
    kept = [
        s
        for s in sources
        if s.checkpoint.signature not in explanations.checkpoint_signatures or "table" in s.sources
    ]
    return kept, len(sources) - len(kept)
