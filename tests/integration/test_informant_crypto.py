"""Informant protection (R11) on the real PostgreSQL: seal, open, erase, transactions, and no
plaintext in the key table."""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg
import pytest
from xuncha_shared.crypto import (
    InformantVault,
    KeyErasedError,
    PostgresKeyStore,
    UnknownPersonError,
)
from xuncha_shared.domain.personal_data import InformantIdentity

from tests.infra import FreshDb

pytestmark = pytest.mark.integration

REPORTER = InformantIdentity(
    name="张三丰",
    phone="13912345678",
    id_number="11010519491231002X",
    address="安徽省滁州市琅琊区某某路 8 号",
)
SECRETS = ("张三丰", "13912345678", "11010519491231002X", "琅琊区")


@pytest.fixture
async def vault(fresh_db: FreshDb) -> InformantVault:
    keys = PostgresKeyStore(fresh_db.pool)
    await keys.ensure_schema()
    await keys.ensure_schema()  # idempotent
    return InformantVault(fresh_db.pool, os.urandom(32))


async def test_seal_open_erase(fresh_db: FreshDb, vault: InformantVault) -> None:
    sealed = await vault.seal(REPORTER)
    other = await vault.seal(InformantIdentity(name="李四", phone="13800000000"))
    assert await vault.open(sealed) == REPORTER

    row = await fresh_db.pool.fetchrow(
        "SELECT wrapped_key, kek_id, erased_at FROM informant_keys WHERE person_id = $1",
        sealed.person_id,
    )
    assert row["wrapped_key"] is not None
    assert len(row["wrapped_key"]) == 12 + 32 + 16
    assert row["kek_id"] == vault.kek_id
    assert row["erased_at"] is None

    assert await vault.erase(sealed.person_id) is True
    assert await vault.erase(sealed.person_id) is False
    assert await vault.is_erased(sealed.person_id)
    with pytest.raises(KeyErasedError):
        await vault.open(sealed)
    row = await fresh_db.pool.fetchrow(
        "SELECT wrapped_key, erased_at FROM informant_keys WHERE person_id = $1",
        sealed.person_id,
    )
    assert row["wrapped_key"] is None
    assert row["erased_at"] is not None
    assert (await vault.open(other)).name == "李四"

    with pytest.raises(UnknownPersonError):
        await vault.erase(uuid.uuid4())
    with pytest.raises(UnknownPersonError):
        await vault.open(sealed.model_copy(update={"person_id": uuid.uuid4()}))


async def test_key_table_holds_no_plaintext(fresh_db: FreshDb, vault: InformantVault) -> None:
    sealed = [await vault.seal(REPORTER) for _ in range(3)]
    await vault.erase(sealed[0].person_id)
    rows = await fresh_db.pool.fetch("SELECT t::text AS raw FROM informant_keys t")
    assert len(rows) == 3
    dump = "\n".join(r["raw"] for r in rows)
    raw_bytes = b"".join(
        r["wrapped_key"]
        for r in await fresh_db.pool.fetch("SELECT wrapped_key FROM informant_keys")
        if r["wrapped_key"] is not None
    )
    for secret in SECRETS:
        assert secret not in dump
        assert secret.encode() not in raw_bytes
    # and the sealed documents (what events carry) hold none either
    for s in sealed:
        wire = s.model_dump_json()
        assert not any(secret in wire for secret in SECRETS)


async def test_seal_joins_the_callers_transaction(fresh_db: FreshDb, vault: InformantVault) -> None:
    async with fresh_db.pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        rolled_back = await vault.seal(REPORTER, conn=conn)
        await tx.rollback()  # as when the event append fails
        async with conn.transaction():
            committed = await vault.seal(REPORTER, conn=conn)
    with pytest.raises(UnknownPersonError):
        await vault.open(rolled_back)
    assert await vault.open(committed) == REPORTER


async def test_erase_joins_the_callers_transaction(
    fresh_db: FreshDb, vault: InformantVault
) -> None:
    sealed = await vault.seal(REPORTER)
    async with fresh_db.pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        assert await vault.erase(sealed.person_id, conn=conn)
        await tx.rollback()
    assert await vault.open(sealed) == REPORTER


async def test_concurrent_seals(vault: InformantVault) -> None:
    people = [InformantIdentity(name=f"举报人{i}", phone=f"1390000{i:04d}") for i in range(25)]
    sealed = await asyncio.gather(*(vault.seal(p) for p in people))
    assert len({s.person_id for s in sealed}) == 25
    opened = await asyncio.gather(*(vault.open(s) for s in sealed))
    assert opened == people


async def test_table_constraint_keeps_erasure_consistent(
    fresh_db: FreshDb, vault: InformantVault
) -> None:
    sealed = await vault.seal(REPORTER)
    with pytest.raises(asyncpg.CheckViolationError):
        await fresh_db.pool.execute(
            "UPDATE informant_keys SET erased_at = now() WHERE person_id = $1", sealed.person_id
        )
    with pytest.raises(asyncpg.UniqueViolationError):
        await vault.keys.put(sealed.person_id, b"x" * 60, vault.kek_id)


async def test_a_key_opened_in_a_transaction_cannot_be_erased_before_it_ends(
    fresh_db: FreshDb, vault: InformantVault
) -> None:
    """What a custodian decrypts inside the transaction that records the read cannot be
    crypto-shredded between the decryption and the commit: the erasure waits for the commit."""
    sealed = await vault.seal(REPORTER)
    async with fresh_db.pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        assert await vault.open(sealed, conn=conn) == REPORTER
        erasing = asyncio.create_task(vault.erase(sealed.person_id))
        await asyncio.sleep(0.5)
        assert not erasing.done()  # blocked by the reading transaction's share lock
        await tx.commit()
    assert await asyncio.wait_for(erasing, 10) is True
    with pytest.raises(KeyErasedError):
        await vault.open(sealed)
    # and once erased, a read in a transaction sees the erasure
    async with fresh_db.pool.acquire() as conn, conn.transaction():
        with pytest.raises(KeyErasedError):
            await vault.open(sealed, conn=conn)
