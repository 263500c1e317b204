"""A store's heads, read in the same snapshot as its dump.

``StoreHeads`` says what a backed-up store holds: how many events, its last position in the
commit-safe order, its highest ``global_position`` and the identity's last handed-out value, the
relay's stored position, the newest checkpoint, the inbox size, and a digest of every stream's
head (``stream_id``, version, hash). The heads of every stream are written to their own file
(``<service>.streams.json``): they say exactly which events the backup holds (an event is in it
if and only if its version is at most its stream's head there), which the restore uses to tell
events appended after the backup from events that went missing before it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg

_SUMMARY_SQL = """
SELECT count(*) AS events, max(global_position) AS max_global_position,
       count(DISTINCT stream_id) AS streams
FROM events
"""
_LAST_SQL = (
    "SELECT tx_id, global_position FROM events ORDER BY tx_id DESC, global_position DESC LIMIT 1"
)
_STREAM_HEADS_SQL = """
SELECT DISTINCT ON (stream_id) stream_id, stream_version, hash
FROM events ORDER BY stream_id, stream_version DESC
"""

StreamHead = tuple[str, int, str]  # stream_id, version, hash


def streams_digest(heads: Iterable[StreamHead]) -> str:
    """SHA-256 over ``stream_id\\tversion\\thash\\n`` lines sorted by stream id (code points)."""
    digest = hashlib.sha256()
    for stream_id, version, event_hash in sorted(heads):
        digest.update(f"{stream_id}\t{version}\t{event_hash}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class StoreHeads:
    events: int
    streams: int
    streams_digest: str
    max_global_position: int
    identity_last_value: int | None
    last_tx_id: int
    last_global_position: int
    relay_position: dict[str, int] | None
    last_checkpoint: dict[str, Any] | None
    inbox: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def differences(self, other: dict[str, Any]) -> list[str]:
        """What differs between these heads and ``other`` (a manifest's), by name."""
        mine = self.to_dict()
        return [
            f"{key}: {other.get(key)!r} in the backup, {mine[key]!r} restored"
            for key in mine
            if key != "identity_last_value" and mine[key] != other.get(key)
        ]


async def read_stream_heads(conn: asyncpg.Connection) -> list[StreamHead]:
    rows = await conn.fetch(_STREAM_HEADS_SQL)
    return sorted((r["stream_id"], int(r["stream_version"]), str(r["hash"])) for r in rows)


async def read_heads(
    conn: asyncpg.Connection, service: str, stream_heads: list[StreamHead]
) -> StoreHeads:
    """The heads of the connected store; call inside the snapshot that is dumped."""
    summary = await conn.fetchrow(_SUMMARY_SQL)
    last = await conn.fetchrow(_LAST_SQL)
    sequence = await conn.fetchval(
        "SELECT pg_get_serial_sequence('public.events', 'global_position')"
    )
    identity = None
    if sequence:
        identity = await conn.fetchval(
            "SELECT CASE WHEN is_called THEN last_value END FROM " + _quote_regclass(sequence)
        )
    relay = await conn.fetchrow(
        "SELECT tx_id, global_position FROM relay_positions WHERE relay = $1", f"{service}.relay"
    )
    checkpoint = None
    if await conn.fetchval("SELECT to_regclass('public.checkpoints') IS NOT NULL"):
        row = await conn.fetchrow(
            "SELECT id, head_tx_id, head_global_position, event_count, digest, key_id, "
            "created_at FROM checkpoints ORDER BY head_tx_id DESC, head_global_position DESC, "
            "id DESC LIMIT 1"
        )
        if row is not None:
            checkpoint = {
                "id": int(row["id"]),
                "head": {
                    "tx_id": int(row["head_tx_id"]),
                    "global_position": int(row["head_global_position"]),
                },
                "event_count": int(row["event_count"]),
                "digest": str(row["digest"]).strip(),
                "key_id": str(row["key_id"]),
                "created_at": row["created_at"].isoformat(),
            }
    inbox = await conn.fetchval("SELECT count(*) FROM inbox")
    return StoreHeads(
        events=int(summary["events"]),
        streams=int(summary["streams"]),
        streams_digest=streams_digest(stream_heads),
        max_global_position=int(summary["max_global_position"] or 0),
        identity_last_value=None if identity is None else int(identity),
        last_tx_id=int(last["tx_id"]) if last else 0,
        last_global_position=int(last["global_position"]) if last else 0,
        relay_position=(
            {"tx_id": int(relay["tx_id"]), "global_position": int(relay["global_position"])}
            if relay
            else None
        ),
        last_checkpoint=checkpoint,
        inbox=int(inbox),
    )


def _quote_regclass(name: str) -> str:
    """``pg_get_serial_sequence`` returns a name already quoted as needed (``public.x_seq``)."""
    if not all(part.replace("_", "").isalnum() or part.startswith('"') for part in name.split(".")):
        raise ValueError(f"unexpected sequence name {name!r}")
    return name
