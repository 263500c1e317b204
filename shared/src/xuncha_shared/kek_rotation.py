"""Rotation of the informants' key-encryption key (``xuncha keys rotate-kek``).

Every data key still held (``informant_keys.wrapped_key`` not NULL) is unwrapped with the
current KEK and wrapped again under the new one, and its ``kek_id`` becomes the new KEK's id, in
one transaction of the intake database: either every key moves or none. Erased keys stay
erased. The data keys themselves do not change, so no event, no ciphertext and no hash changes
(``xuncha audit verify`` passes as before); after the rotation nothing wrapped under the old KEK
remains, so the old KEK decrypts nothing.

Crash safety in the local deployment: the new KEK is first written to
``<secrets>/kek.next``; once the transaction committed it replaces ``<secrets>/kek``. A rotation
interrupted in between is finished by running the command again (keys already under
``kek.next`` are skipped). Running services keep the KEK they started with: restart intake.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import asyncpg

from xuncha_shared import secrets
from xuncha_shared.crypto import generate_kek, kek_id, parse_kek, unwrap_key, wrap_key

NEXT_FILE = "kek.next"


class RotationError(RuntimeError):
    pass


@dataclass(frozen=True)
class RotationResult:
    old_kek_id: str
    new_kek_id: str
    rewrapped: int
    already_new: int
    erased: int


async def rewrap_all(conn: asyncpg.Connection, old_kek: bytes, new_kek: bytes) -> RotationResult:
    """Re-wrap every held data key from ``old_kek`` to ``new_kek`` in one transaction."""
    old_id, new_id = kek_id(old_kek), kek_id(new_kek)
    if old_id == new_id:
        raise RotationError("the new KEK is the current one")
    rewrapped = already = 0
    async with conn.transaction():
        rows = await conn.fetch(
            "SELECT person_id, wrapped_key, kek_id FROM informant_keys "
            "WHERE wrapped_key IS NOT NULL ORDER BY person_id FOR UPDATE"
        )
        for row in rows:
            if row["kek_id"] == new_id:
                already += 1
                continue
            if row["kek_id"] != old_id:
                raise RotationError(
                    f"the key of {row['person_id']} is wrapped by {row['kek_id']}, which is "
                    f"neither the current KEK ({old_id}) nor the new one"
                )
            data_key = unwrap_key(old_kek, row["person_id"], bytes(row["wrapped_key"]))
            await conn.execute(
                "UPDATE informant_keys SET wrapped_key = $2, kek_id = $3 WHERE person_id = $1",
                row["person_id"],
                wrap_key(new_kek, row["person_id"], data_key),
                new_id,
            )
            rewrapped += 1
        erased = await conn.fetchval(
            "SELECT count(*) FROM informant_keys WHERE wrapped_key IS NULL"
        )
    return RotationResult(old_id, new_id, rewrapped, already, int(erased))


async def rotate_local(database_url: str, current_kek: str, folder: Path) -> RotationResult:
    """The local deployment's rotation: new KEK in ``kek.next``, re-wrap, then swap files."""
    pending = secrets.read(NEXT_FILE, folder)
    new_value = pending or generate_kek()
    if not pending:
        secrets.write(NEXT_FILE, new_value, folder, replace=True)
    conn = await asyncpg.connect(database_url)
    try:
        result = await rewrap_all(conn, parse_kek(current_kek), parse_kek(new_value))
    finally:
        await conn.close()
    secrets.write(secrets.KEK_FILE, new_value, folder, replace=True)
    (folder / NEXT_FILE).unlink(missing_ok=True)
    return result


async def rotate_to(database_url: str, current_kek: str, new_kek: str) -> RotationResult:
    """Production: both KEKs given (from the secrets manager); nothing is written to files."""
    conn = await asyncpg.connect(database_url)
    try:
        return await rewrap_all(conn, parse_kek(current_kek), parse_kek(new_kek))
    finally:
        await conn.close()
