"""Informant protection (R11): reporters' personal data is encrypted per person before it enters
an event, and can be crypto-shredded later.

Scheme (an auditor can re-implement it with any AES-GCM library):

- Each person gets a fresh 256-bit data key and a ``person_id`` (UUIDv7).
- ``plaintext`` = canonical JSON of the ``InformantIdentity`` (keys sorted, no whitespace, UTF-8,
  absent fields omitted), right-padded with ASCII spaces to a multiple of 128 bytes so that the
  ciphertext length says little about the name or address.
- ``ciphertext`` = AES-256-GCM(data key, 12-byte random nonce, plaintext, AAD = the 16 bytes of
  ``person_id``), tag appended; event payloads carry ``SealedPersonalData`` (person_id, nonce and
  ciphertext in standard base64), never the plaintext.
- The data key is stored wrapped in ``informant_keys`` (intake database): ``wrapped_key`` =
  nonce (12) || AES-256-GCM(KEK, nonce, data key, AAD = ``b"xuncha/informant-key/v1"`` ||
  person_id bytes) || tag, so a wrapped key cannot be moved to another person's row.
  ``kek_id`` names the key-encryption key that wrapped it.
- Erasure (crypto-shredding) sets ``wrapped_key`` to NULL and ``erased_at``: every event and
  every hash over the ciphertext stays valid while the data becomes unreadable. PostgreSQL keeps
  the old row version until VACUUM, and WAL and backups keep it until they age out; production
  runs autovacuum and bounds backup retention accordingly.

The KEK comes from ``XUNCHA_KEK`` (standard base64 of 32 bytes). Production sets it from a secrets
manager (never in the repository or an image). Without it a fixed development KEK is used and a
warning is logged once; data sealed with the development KEK is not protected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import threading
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from xuncha_shared.contracts.common import SealedPersonalData
from xuncha_shared.domain.personal_data import (
    InformantIdentity,
    Sealable,
    SealableT,
)
from xuncha_shared.envelope import canonical_json
from xuncha_shared.ids import uuid7
from xuncha_shared.settings import Settings

logger = logging.getLogger(__name__)

ALGORITHM = "AES-256-GCM"
KEY_BYTES = 32
NONCE_BYTES = 12
PAD_BLOCK = 128
WRAP_AAD_PREFIX = b"xuncha/informant-key/v1"

#: The development KEK: public, so anything sealed with it is not protected.
DEV_KEK = hashlib.sha256(b"xuncha development KEK - never use in production").digest()

SCHEMA = """
CREATE TABLE IF NOT EXISTS informant_keys (
    person_id   uuid        PRIMARY KEY,
    wrapped_key bytea       NULL,
    kek_id      text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    erased_at   timestamptz NULL,
    CONSTRAINT informant_keys_erased CHECK ((wrapped_key IS NULL) = (erased_at IS NOT NULL))
);
"""

# The same advisory lock key as ``xuncha_shared.db.migrate``: schema changes never race.
_SCHEMA_LOCK = 0x78756E6368610001

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class InformantCryptoError(Exception):
    """Base of the informant-protection errors."""


class KeyErasedError(InformantCryptoError):
    """The person's data key was erased: the data can no longer be read."""


class UnknownPersonError(InformantCryptoError):
    """No data key is stored for this person."""


class TamperedDataError(InformantCryptoError):
    """Ciphertext, nonce or wrapped key fail authentication (modified or mismatched)."""


class UnknownKekError(InformantCryptoError):
    """The data key was wrapped by a key-encryption key this process does not have."""


# --------------------------------------------------------------------------------------------
# Key-encryption key
# --------------------------------------------------------------------------------------------

_dev_warning_lock = threading.Lock()
_dev_warning_logged = False


def _warn_dev_kek() -> None:
    global _dev_warning_logged
    with _dev_warning_lock:
        if _dev_warning_logged:
            return
        _dev_warning_logged = True
    logger.warning(
        "XUNCHA_KEK is not set: using the public development key-encryption key; informant "
        "data is NOT protected. Production sets XUNCHA_KEK from a secrets manager."
    )


def parse_kek(value: str) -> bytes:
    """Decode ``XUNCHA_KEK``: standard base64 of exactly 32 bytes."""
    try:
        kek = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("XUNCHA_KEK must be standard base64") from exc
    if len(kek) != KEY_BYTES:
        raise ValueError(f"XUNCHA_KEK must decode to {KEY_BYTES} bytes, not {len(kek)}")
    return kek


def load_kek(settings: Settings | None = None) -> bytes:
    """The KEK from ``XUNCHA_KEK``, or the development KEK (warned once) when unset."""
    value = (settings or Settings()).kek
    if not value:
        _warn_dev_kek()
        return DEV_KEK
    return parse_kek(value)


def generate_kek() -> str:
    """A new KEK in ``XUNCHA_KEK`` form."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def kek_id(kek: bytes) -> str:
    """A short, non-secret name for a KEK (stored next to each wrapped key)."""
    if len(kek) != KEY_BYTES:
        raise ValueError(f"a KEK has {KEY_BYTES} bytes")
    digest = hashlib.sha256(b"xuncha/kek-id/v1" + kek).hexdigest()[:16]
    return f"dev-{digest}" if kek == DEV_KEK else f"kek-{digest}"


# --------------------------------------------------------------------------------------------
# Primitives
# --------------------------------------------------------------------------------------------


def _wrap_aad(person_id: UUID) -> bytes:
    return WRAP_AAD_PREFIX + person_id.bytes


def wrap_key(kek: bytes, person_id: UUID, data_key: bytes) -> bytes:
    """nonce || AES-256-GCM(kek, data_key) || tag, bound to ``person_id``."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, data_key, _wrap_aad(person_id))


def unwrap_key(kek: bytes, person_id: UUID, wrapped: bytes) -> bytes:
    try:
        key = AESGCM(kek).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(person_id)
        )
    except InvalidTag:
        raise TamperedDataError(f"the wrapped key of {person_id} fails authentication") from None
    if len(key) != KEY_BYTES:
        raise TamperedDataError(f"the wrapped key of {person_id} has the wrong length")
    return key


def _plaintext(document: Sealable) -> bytes:
    doc = canonical_json(document.model_dump(mode="json", exclude_none=True))
    padded = -(-len(doc) // PAD_BLOCK) * PAD_BLOCK
    return doc.ljust(padded, b" ")


def encrypt_identity(data_key: bytes, person_id: UUID, document: Sealable) -> SealedPersonalData:
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, _plaintext(document), person_id.bytes)
    return SealedPersonalData(
        person_id=person_id,
        alg=ALGORITHM,
        nonce=base64.b64encode(nonce).decode("ascii"),
        ciphertext=base64.b64encode(ciphertext).decode("ascii"),
    )


def decrypt_identity(
    data_key: bytes,
    sealed: SealedPersonalData,
    model: type[SealableT] = InformantIdentity,  # type: ignore[assignment]
) -> SealableT:
    try:
        nonce = base64.b64decode(sealed.nonce, validate=True)
        ciphertext = base64.b64decode(sealed.ciphertext, validate=True)
    except (binascii.Error, ValueError):
        raise TamperedDataError("nonce or ciphertext is not valid base64") from None
    if len(nonce) != NONCE_BYTES:
        raise TamperedDataError(f"the nonce must have {NONCE_BYTES} bytes")
    try:
        plaintext = AESGCM(data_key).decrypt(nonce, ciphertext, sealed.person_id.bytes)
    except InvalidTag:
        raise TamperedDataError(
            f"the sealed data of {sealed.person_id} fails authentication"
        ) from None
    return model.model_validate_json(plaintext)


# --------------------------------------------------------------------------------------------
# Key storage
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredKey:
    person_id: UUID
    wrapped_key: bytes | None
    kek_id: str
    erased_at: datetime | None

    @property
    def erased(self) -> bool:
        return self.wrapped_key is None or self.erased_at is not None


@runtime_checkable
class KeyStore(Protocol):
    """Where wrapped data keys live. ``conn`` (where accepted) is an asyncpg connection whose
    transaction the write joins; stores without transactions ignore it."""

    async def put(
        self, person_id: UUID, wrapped_key: bytes, kek_id: str, *, conn: Any = None
    ) -> None: ...

    async def get(self, person_id: UUID, *, conn: Any = None) -> StoredKey | None:
        """The stored key; with ``conn`` read in its transaction and locked until it ends
        (an erasure waits for it), so what is decrypted cannot be erased before the commit."""
        ...

    async def erase(self, person_id: UUID, *, conn: Any = None) -> bool:
        """Drop the wrapped key; ``True`` if erased now, ``False`` if erased before;
        ``UnknownPersonError`` if there is no key."""
        ...


class InMemoryKeyStore:
    """A key store in a dict (unit tests)."""

    def __init__(self) -> None:
        self.keys: dict[UUID, StoredKey] = {}

    async def put(
        self, person_id: UUID, wrapped_key: bytes, kek_id: str, *, conn: Any = None
    ) -> None:
        if person_id in self.keys:
            raise ValueError(f"a key for {person_id} exists")
        self.keys[person_id] = StoredKey(person_id, bytes(wrapped_key), kek_id, None)

    async def get(self, person_id: UUID, *, conn: Any = None) -> StoredKey | None:
        return self.keys.get(person_id)

    async def erase(self, person_id: UUID, *, conn: Any = None) -> bool:
        stored = self.keys.get(person_id)
        if stored is None:
            raise UnknownPersonError(str(person_id))
        if stored.erased:
            return False
        self.keys[person_id] = StoredKey(person_id, None, stored.kek_id, datetime.now(UTC))
        return True


class PostgresKeyStore:
    """The ``informant_keys`` table (see ``SCHEMA``). Without a pool, only on a caller's
    connection (``conn``: a deadline's effect in the worker's transaction)."""

    def __init__(self, pool: asyncpg.Pool | None = None) -> None:
        self._pool = pool

    @asynccontextmanager
    async def _conn(self, conn: Any = None) -> AsyncIterator[Any]:
        if conn is not None:
            yield conn
        elif self._pool is None:
            raise ValueError("a key store without a pool works on a caller's connection only")
        else:
            async with self._pool.acquire() as acquired:
                yield acquired

    async def ensure_schema(self) -> None:
        async with self._conn() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK)
            await conn.execute(SCHEMA)

    async def put(
        self, person_id: UUID, wrapped_key: bytes, kek_id: str, *, conn: Any = None
    ) -> None:
        async with self._conn(conn) as c:
            await c.execute(
                "INSERT INTO informant_keys (person_id, wrapped_key, kek_id) VALUES ($1, $2, $3)",
                person_id,
                wrapped_key,
                kek_id,
            )

    async def get(self, person_id: UUID, *, conn: Any = None) -> StoredKey | None:
        # in a caller's transaction the row stays share-locked until it ends: an erasure (an
        # UPDATE of the row) waits, so a key cannot be erased between decrypting and commit
        lock = " FOR SHARE" if conn is not None else ""
        async with self._conn(conn) as c:
            row = await c.fetchrow(
                "SELECT wrapped_key, kek_id, erased_at FROM informant_keys "
                f"WHERE person_id = $1{lock}",
                person_id,
            )
        if row is None:
            return None
        wrapped = row["wrapped_key"]
        return StoredKey(
            person_id=person_id,
            wrapped_key=None if wrapped is None else bytes(wrapped),
            kek_id=str(row["kek_id"]),
            erased_at=row["erased_at"],
        )

    async def erase(self, person_id: UUID, *, conn: Any = None) -> bool:
        async with self._conn(conn) as c:
            erased = await c.fetchval(
                """
                WITH target AS (
                    SELECT person_id, erased_at FROM informant_keys WHERE person_id = $1
                ), done AS (
                    UPDATE informant_keys k SET wrapped_key = NULL, erased_at = now()
                    FROM target WHERE k.person_id = target.person_id
                      AND target.erased_at IS NULL
                    RETURNING k.person_id
                )
                SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM target) THEN NULL
                            ELSE EXISTS (SELECT 1 FROM done) END
                """,
                person_id,
            )
        if erased is None:
            raise UnknownPersonError(str(person_id))
        return bool(erased)


# --------------------------------------------------------------------------------------------
# The vault
# --------------------------------------------------------------------------------------------


class InformantVault:
    """Seals, opens and erases informants' personal data.

    ``keys`` is a ``KeyStore`` or an asyncpg pool (then ``PostgresKeyStore``). ``kek`` defaults
    to ``load_kek()``; ``previous_keks`` are older KEKs still accepted for opening (rotation).
    """

    def __init__(
        self,
        keys: KeyStore | asyncpg.Pool,
        kek: bytes | None = None,
        *,
        previous_keks: Iterable[bytes] = (),
    ) -> None:
        self.keys: KeyStore = keys if isinstance(keys, KeyStore) else PostgresKeyStore(keys)
        self._kek = load_kek() if kek is None else kek
        self.kek_id = kek_id(self._kek)
        self._keks: dict[str, bytes] = {kek_id(k): k for k in previous_keks}
        self._keks[self.kek_id] = self._kek

    async def seal(self, person: Sealable, conn: Any = None) -> SealedPersonalData:
        """Encrypt ``person`` (an identity, or an anonymous summary's numbers) under a new
        person id and data key; the wrapped key is stored with ``conn`` (joining its
        transaction) when given."""
        person_id = uuid7()
        data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        sealed = encrypt_identity(data_key, person_id, person)
        await self.keys.put(
            person_id, wrap_key(self._kek, person_id, data_key), self.kek_id, conn=conn
        )
        return sealed

    async def _data_key(self, person_id: UUID, conn: Any = None) -> bytes:
        stored = await self.keys.get(person_id, conn=conn)
        if stored is None:
            raise UnknownPersonError(str(person_id))
        if stored.erased or stored.wrapped_key is None:
            raise KeyErasedError(f"the data key of {person_id} was erased")
        kek = self._keks.get(stored.kek_id)
        if kek is None:
            raise UnknownKekError(f"the key of {person_id} was wrapped by {stored.kek_id}")
        return unwrap_key(kek, person_id, stored.wrapped_key)

    async def open(
        self,
        sealed: SealedPersonalData,
        *,
        conn: Any = None,
        model: type[SealableT] = InformantIdentity,  # type: ignore[assignment]
    ) -> SealableT:
        """Decrypt into ``model`` (an identity by default, or ``SummaryNumbers``); raises
        ``KeyErasedError`` after erasure, ``TamperedDataError`` when the ciphertext was
        modified, ``UnknownPersonError`` when no key exists. With ``conn`` the key is read in
        its transaction and cannot be erased before that transaction ends."""
        return decrypt_identity(await self._data_key(sealed.person_id, conn), sealed, model)

    async def erase(self, person_id: UUID, conn: Any = None) -> bool:
        """Crypto-shred: drop the person's data key. ``True`` if erased now, ``False`` if it
        was erased before; ``UnknownPersonError`` if there is no key."""
        return await self.keys.erase(person_id, conn=conn)

    async def is_erased(self, person_id: UUID) -> bool:
        stored = await self.keys.get(person_id)
        if stored is None:
            raise UnknownPersonError(str(person_id))
        return stored.erased
