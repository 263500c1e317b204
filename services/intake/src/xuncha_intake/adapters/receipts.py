"""The receipt lookup table: keyed hash of a receipt code -> petition and its public status.

The row is written in the transaction that appends ``PetitionReceived`` (so a petition never
exists without its receipt, nor a receipt without its petition) and later moved forward by the
``intake.receipt-status`` consumer from the clues service's events. It holds no personal data
and never the receipt code itself.

``code_hash`` is HMAC-SHA256 under the server's receipt key of the code's SHA-256
(``model.receipt_code_hash``). Rows written before receipts were keyed hold the plain SHA-256
(``keyed = false``); ``key_legacy_rows`` (run at intake's start) replaces each by its keyed form,
so the codes handed out before keep working and no unkeyed hash stays in the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from xuncha_shared.db import PoolRepository

RECEIPTS_DDL = """
CREATE TABLE IF NOT EXISTS receipts (
    code_hash   char(64)    PRIMARY KEY CHECK (code_hash ~ '^[0-9a-f]{64}$'),
    petition_id uuid        NOT NULL UNIQUE,
    clue_id     uuid        NULL,
    status      text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS receipts_clue_id ON receipts (clue_id) WHERE clue_id IS NOT NULL;
-- rows of before the keying hold the plain SHA-256 until intake's start keys them
ALTER TABLE receipts ADD COLUMN IF NOT EXISTS keyed boolean NOT NULL DEFAULT false;
"""

SCHEMA: tuple[str, ...] = (RECEIPTS_DDL,)


@dataclass(frozen=True)
class Receipt:
    code_hash: str
    petition_id: UUID
    status: str
    clue_id: UUID | None = None


class ReceiptRepository(Protocol):
    """``conn`` is the open transaction's connection (``None`` for the in-memory fake)."""

    async def add(self, conn: Any, receipt: Receipt) -> None: ...

    async def by_hash(self, conn: Any, code_hash: str) -> Receipt | None: ...

    async def by_petition(self, conn: Any, petition_id: UUID) -> Receipt | None: ...

    async def by_clue(self, conn: Any, clue_id: UUID) -> Receipt | None: ...

    async def update(self, conn: Any, receipt: Receipt) -> None: ...


def _row(row: Any) -> Receipt:
    return Receipt(
        code_hash=str(row["code_hash"]),
        petition_id=row["petition_id"],
        status=str(row["status"]),
        clue_id=row["clue_id"],
    )


class SqlReceipts(PoolRepository):
    """``receipts`` in the intake database; ``pool`` serves reads outside a transaction."""

    async def add(self, conn: Any, receipt: Receipt) -> None:
        async with self._conn(conn) as c:
            await c.execute(
                "INSERT INTO receipts (code_hash, petition_id, clue_id, status, keyed) "
                "VALUES ($1, $2, $3, $4, true)",
                receipt.code_hash,
                receipt.petition_id,
                receipt.clue_id,
                receipt.status,
            )

    async def _one(self, conn: Any, where: str, value: Any) -> Receipt | None:
        async with self._conn(conn) as c:
            row = await c.fetchrow(
                f"SELECT code_hash, petition_id, clue_id, status FROM receipts WHERE {where} = $1",
                value,
            )
        return _row(row) if row else None

    async def by_hash(self, conn: Any, code_hash: str) -> Receipt | None:
        return await self._one(conn, "code_hash", code_hash)

    async def by_petition(self, conn: Any, petition_id: UUID) -> Receipt | None:
        return await self._one(conn, "petition_id", petition_id)

    async def by_clue(self, conn: Any, clue_id: UUID) -> Receipt | None:
        return await self._one(conn, "clue_id", clue_id)

    async def update(self, conn: Any, receipt: Receipt) -> None:
        async with self._conn(conn) as c:
            await c.execute(
                "UPDATE receipts SET status = $2, clue_id = $3, updated_at = now() "
                "WHERE code_hash = $1",
                receipt.code_hash,
                receipt.status,
                receipt.clue_id,
            )

    async def key_legacy_rows(self, keyed: Callable[[str], str]) -> int:
        """Replace every unkeyed hash by ``keyed(hash)`` in one transaction; returns how many.
        Idempotent and safe to run from several processes at once (a row is keyed once)."""
        async with self.pool.acquire() as c, c.transaction():
            rows = await c.fetch(
                "SELECT code_hash FROM receipts WHERE NOT keyed ORDER BY code_hash FOR UPDATE"
            )
            for row in rows:
                await c.execute(
                    "UPDATE receipts SET code_hash = $2, keyed = true, updated_at = now() "
                    "WHERE code_hash = $1 AND NOT keyed",
                    row["code_hash"],
                    keyed(str(row["code_hash"])),
                )
        return len(rows)
