"""The ``checkpoints`` table of a service database: its schema, computing the digest over the
final history, storing and reading signed checkpoints."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from xuncha_shared.audit.checkpoints.digest import HistoryDigest
from xuncha_shared.audit.checkpoints.document import Checkpoint, sign_checkpoint
from xuncha_shared.audit.checkpoints.errors import CheckpointFormatError
from xuncha_shared.audit.checkpoints.keys import Signer
from xuncha_shared.eventstore.base import Position
from xuncha_shared.eventstore.postgres import COMMITTED

# The same advisory lock key as ``xuncha_shared.db.migrate``: schema changes never race.
_SCHEMA_LOCK = 0x78756E6368610001

SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoints (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service              text        NOT NULL,
    head_tx_id           bigint      NOT NULL,
    head_global_position bigint      NOT NULL,
    event_count          bigint      NOT NULL,
    digest               char(64)    NOT NULL,
    created_at           timestamptz NOT NULL,
    key_id               text        NOT NULL,
    signature            text        NOT NULL UNIQUE,
    -- the checkpoint document exactly as signed and published (canonical JSON)
    document             text        NOT NULL,
    published_at         timestamptz
);
"""


async def ensure_schema(conn: asyncpg.Connection) -> None:
    """Create the ``checkpoints`` table if needed, owned by the database owner (so the service's
    own role can write it even when a superuser's CLI created it)."""
    if await conn.fetchval("SELECT to_regclass('checkpoints') IS NOT NULL"):
        return
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK)
        await conn.execute(SCHEMA)
        owner = await conn.fetchval(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        )
        table_owner = await conn.fetchval(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'checkpoints'::regclass"
        )
        if owner and owner != table_owner:
            with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
                async with conn.transaction():
                    await conn.execute(f'ALTER TABLE checkpoints OWNER TO "{owner}"')


async def table_exists(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval("SELECT to_regclass('checkpoints') IS NOT NULL"))


async def load_table_checkpoints(
    conn: asyncpg.Connection, service: str | None = None
) -> list[tuple[Checkpoint, str]]:
    """Every checkpoint in the table (parsed from the stored document)."""
    if not await table_exists(conn):
        return []
    rows = await conn.fetch(
        "SELECT document FROM checkpoints WHERE $1::text IS NULL OR service = $1 ORDER BY id",
        service,
    )
    out: list[tuple[Checkpoint, str]] = []
    for row in rows:
        with contextlib.suppress(CheckpointFormatError):
            out.append((Checkpoint.from_json(row["document"]), "table"))
    return out


_DIGEST_SCAN_SQL = f"""
SELECT tx_id, global_position, hash FROM events
WHERE (tx_id, global_position) > ($1::bigint, $2::bigint)
  AND {COMMITTED}
ORDER BY tx_id, global_position
"""


async def _digest_rows(
    conn: asyncpg.Connection, after: Position
) -> AsyncIterator[tuple[int, int, str]]:
    async for row in conn.cursor(
        _DIGEST_SCAN_SQL, after.tx_id, after.global_position, prefetch=5000
    ):
        yield row["tx_id"], row["global_position"], row["hash"]


async def history_digest(
    conn: asyncpg.Connection, base: HistoryDigest | None = None
) -> HistoryDigest:
    """The digest over every event that can no longer change (``tx_id`` below the snapshot
    xmin), continuing ``base`` (a digest of an earlier call on the same database) if given."""
    digest = base.copy() if base is not None else HistoryDigest()
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        async for tx_id, position, event_hash in _digest_rows(conn, digest.head):
            digest.add(tx_id, position, event_hash)
    return digest


async def store_checkpoint(conn: asyncpg.Connection, checkpoint: Checkpoint) -> None:
    await conn.execute(
        "INSERT INTO checkpoints (service, head_tx_id, head_global_position, event_count, digest,"
        " created_at, key_id, signature, document) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (signature) DO NOTHING",
        checkpoint.service,
        checkpoint.head.tx_id,
        checkpoint.head.global_position,
        checkpoint.event_count,
        checkpoint.digest,
        checkpoint.created,
        checkpoint.key_id,
        checkpoint.signature,
        checkpoint.to_json(),
    )


async def _create(
    conn: asyncpg.Connection, service: str, signer: Signer, base: HistoryDigest | None
) -> tuple[Checkpoint, HistoryDigest]:
    if signer.service != service:
        raise ValueError(f"the signer is {signer.service}'s, not {service}'s")
    await ensure_schema(conn)
    digest = await history_digest(conn, base)
    database = str(await conn.fetchval("SELECT current_database()"))
    checkpoint = sign_checkpoint(signer, database=database, digest=digest)
    await store_checkpoint(conn, checkpoint)
    return checkpoint, digest


async def create_checkpoint(
    pool: asyncpg.Pool | asyncpg.Connection,
    service: str,
    signer: Signer,
    *,
    base: HistoryDigest | None = None,
) -> Checkpoint:
    """Compute the digest of ``service``'s final history, sign it and store it in the
    ``checkpoints`` table (publish it with ``publish_pending``)."""
    if isinstance(pool, asyncpg.Connection):
        return (await _create(pool, service, signer, base))[0]
    async with pool.acquire() as conn:
        return (await _create(conn, service, signer, base))[0]
