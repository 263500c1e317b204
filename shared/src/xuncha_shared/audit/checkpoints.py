"""Signed checkpoints: each service signs (Ed25519) its head and a digest over its history.

The digest (docs/audit.md has a worked example an outside tool can follow):

    the events covered = every row with (tx_id, global_position) <= head, i.e. the final part of
                         the commit-safe order at checkpoint time (docs/event-store.md)
    line per event     = ASCII "<tx_id> <global_position> <hash>\\n" (decimal, lowercase hex)
    digest             = lowercase hex SHA-256 of those lines concatenated in the order
                         (tx_id, global_position); SHA-256 of nothing for an empty history

``head`` is the position of the last covered event. Only events whose transaction is older than
the checkpointing statement's snapshot xmin are covered, so the covered set can never grow: a
transaction still running, or starting later, has a larger id than the head.

The checkpoint document (canonical JSON: keys sorted, no whitespace, UTF-8)::

    {"created_at": "...Z", "database": "intake", "digest": "<64 hex>", "event_count": 12,
     "format": "xuncha-checkpoint/1", "head": {"global_position": 12, "tx_id": 834},
     "key_id": "intake-<16 hex>", "service": "intake", "signature": "<base64>"}

``signature`` = standard base64 of Ed25519 over the canonical JSON of every other field;
``key_id`` = ``<service>-`` + the first 16 hex digits of SHA-256 over the raw 32-byte public key.

Keys: ``XUNCHA_SIGNING_KEY_<SERVICE>`` (any process) or ``XUNCHA_SIGNING_KEY`` (the service's own
process) holds the standard base64 of the raw 32-byte private key; without one (local
development) a key is generated once into ``<state_dir>/keys/<service>.ed25519`` (mode 0600)
with its public key in ``<state_dir>/keys/<service>.pub`` (base64 of the raw 32 bytes).
Verification trusts the public keys of a trust file (``--keys``, default
``<state_dir>/keys/trusted.json`` plus every ``<state_dir>/keys/*.pub``).

Checkpoints are stored in the ``checkpoints`` table of the service's own database and published
to the topic ``audit.checkpoints`` (key = service) by ``publish_pending`` (outbox style: a row
is marked published once Kafka acknowledged it).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from xuncha_shared.contracts.topics import AUDIT_CHECKPOINTS
from xuncha_shared.envelope import canonical_json, format_ts, now_utc
from xuncha_shared.eventstore.base import START, Position
from xuncha_shared.kafka import make_producer
from xuncha_shared.settings import Settings

log = logging.getLogger("xuncha.checkpoints")

FORMAT = "xuncha-checkpoint/1"
EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()
SIGNING_KEY_ENV = "XUNCHA_SIGNING_KEY"
TRUST_FILE = "trusted.json"
DEFAULT_INTERVAL_S = 300.0

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


class CheckpointFormatError(ValueError):
    """A checkpoint document that is not well-formed."""


class SigningKeyError(RuntimeError):
    """A signing key that cannot be loaded."""


# --------------------------------------------------------------------------------------------
# The digest
# --------------------------------------------------------------------------------------------


def digest_line(tx_id: int, global_position: int, event_hash: str) -> bytes:
    return f"{tx_id} {global_position} {event_hash}\n".encode("ascii")


class HistoryDigest:
    """The running digest over the commit-safe order (see the module docstring)."""

    __slots__ = ("_sha", "count", "head")

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.count = 0
        self.head = START

    def add(self, tx_id: int, global_position: int, event_hash: str) -> None:
        self._sha.update(digest_line(tx_id, global_position, event_hash))
        self.count += 1
        self.head = Position(tx_id, global_position)

    def hexdigest(self) -> str:
        return self._sha.hexdigest()

    def copy(self) -> HistoryDigest:
        other = HistoryDigest()
        other._sha = self._sha.copy()
        other.count = self.count
        other.head = self.head
        return other


def digest_of(rows: Iterable[tuple[int, int, str]]) -> HistoryDigest:
    """The digest of ``(tx_id, global_position, hash)`` rows already in commit-safe order."""
    digest = HistoryDigest()
    for tx_id, position, event_hash in rows:
        digest.add(tx_id, position, event_hash)
    return digest


class DigestCursor:
    """Computes the digest at each of several heads in one pass over the commit-safe order.

    Feed every event in ``(tx_id, global_position)`` order with ``add``; then ``finish``.
    ``results[head]`` is the ``(event_count, digest)`` of the events up to ``head``."""

    def __init__(self, heads: Iterable[Position]) -> None:
        self._heads = sorted(set(heads))
        self._next = 0
        self.digest = HistoryDigest()
        self.results: dict[Position, tuple[int, str]] = {}

    def _settle(self, before: Position | None) -> None:
        while self._next < len(self._heads) and (
            before is None or self._heads[self._next] < before
        ):
            head = self._heads[self._next]
            self.results[head] = (self.digest.count, self.digest.hexdigest())
            self._next += 1

    def add(self, tx_id: int, global_position: int, event_hash: str) -> None:
        if self._next < len(self._heads):
            self._settle(Position(tx_id, global_position))
        self.digest.add(tx_id, global_position, event_hash)

    def finish(self) -> dict[Position, tuple[int, str]]:
        self._settle(None)
        return self.results


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_for(service: str, public_raw: bytes) -> str:
    return f"{service}-{hashlib.sha256(public_raw).hexdigest()[:16]}"


@dataclass(frozen=True)
class Signer:
    """One service's private signing key."""

    service: str
    private_key: Ed25519PrivateKey
    origin: str  # where the key came from (for messages; never the key itself)

    @property
    def public_raw(self) -> bytes:
        return _raw_public(self.private_key.public_key())

    @property
    def key_id(self) -> str:
        return key_id_for(self.service, self.public_raw)

    def trusted_key(self) -> TrustedKey:
        return TrustedKey(self.service, self.public_raw, self.origin)

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)

    @classmethod
    def generate(cls, service: str) -> Signer:
        return cls(service, Ed25519PrivateKey.generate(), "generated in memory")

    @classmethod
    def from_base64(cls, service: str, value: str, origin: str) -> Signer:
        try:
            raw = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise SigningKeyError(f"{origin}: not standard base64") from None
        if len(raw) != 32:
            raise SigningKeyError(f"{origin}: an Ed25519 private key is 32 bytes, not {len(raw)}")
        return cls(service, Ed25519PrivateKey.from_private_bytes(raw), origin)

    def private_base64(self) -> str:
        raw = self.private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class TrustedKey:
    """A public key trusted to sign one service's checkpoints."""

    service: str
    public_raw: bytes
    origin: str = ""

    @property
    def key_id(self) -> str:
        return key_id_for(self.service, self.public_raw)

    def verify(self, signature: bytes, data: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_raw).verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def document(self) -> dict[str, str]:
        return {
            "key_id": self.key_id,
            "service": self.service,
            "public_key": base64.b64encode(self.public_raw).decode("ascii"),
        }


def keys_dir(settings: Settings) -> Path:
    return Path(settings.state_dir or ".xuncha") / "keys"


def _write_new_file(path: Path, content: str, mode: int) -> bool:
    """Create ``path`` with ``content`` atomically unless it exists; True if this call made it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(content)
        try:
            os.link(tmp, path)  # fails if another process made it first
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def dev_signer(service: str, directory: Path) -> Signer:
    """The local-development key of ``service`` in ``directory``, generated on first use."""
    private_path = directory / f"{service}.ed25519"
    if not private_path.exists():
        fresh = Signer.generate(service)
        if _write_new_file(private_path, fresh.private_base64() + "\n", 0o600):
            log.warning(
                "generated a development signing key for %s in %s; production sets "
                "%s_%s or %s from a secrets manager",
                service,
                private_path,
                SIGNING_KEY_ENV,
                service.upper(),
                SIGNING_KEY_ENV,
            )
    signer = Signer.from_base64(service, private_path.read_text("ascii"), str(private_path))
    public_path = directory / f"{service}.pub"
    public_line = base64.b64encode(signer.public_raw).decode("ascii") + "\n"
    if not public_path.exists() or public_path.read_text("ascii") != public_line:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{public_path.name}.")
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(public_line)
        os.chmod(tmp, 0o644)
        os.replace(tmp, public_path)
    return signer


def load_signer(service: str, settings: Settings, *, own_process: bool = False) -> Signer:
    """The signing key of ``service``: ``XUNCHA_SIGNING_KEY_<SERVICE>``; else
    ``XUNCHA_SIGNING_KEY`` when this is the service's own process (``own_process``, or
    ``XUNCHA_SERVICE`` names it); else the development key under ``<state_dir>/keys``."""
    specific = f"{SIGNING_KEY_ENV}_{service.upper()}"
    if os.environ.get(specific):
        return Signer.from_base64(service, os.environ[specific], specific)
    generic = os.environ.get(SIGNING_KEY_ENV)
    if generic and (own_process or os.environ.get("XUNCHA_SERVICE") == service):
        return Signer.from_base64(service, generic, SIGNING_KEY_ENV)
    return dev_signer(service, keys_dir(settings))


def parse_trust(doc: Any, origin: str) -> dict[str, TrustedKey]:
    """``{"keys": [{"service", "public_key", "key_id"?}, ...]}`` (or just the list)."""
    entries = doc.get("keys") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise CheckpointFormatError(f"{origin}: expected {{'keys': [...]}}")
    trusted: dict[str, TrustedKey] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("service"), str):
            raise CheckpointFormatError(f"{origin}: every key needs a service and a public_key")
        try:
            raw = base64.b64decode(str(entry.get("public_key", "")), validate=True)
        except (binascii.Error, ValueError):
            raise CheckpointFormatError(f"{origin}: public_key is not base64") from None
        if len(raw) != 32:
            raise CheckpointFormatError(f"{origin}: public_key must be 32 bytes")
        key = TrustedKey(entry["service"], raw, origin)
        if entry.get("key_id") not in (None, key.key_id):
            raise CheckpointFormatError(
                f"{origin}: key_id {entry['key_id']} does not belong to that public key "
                f"({key.key_id})"
            )
        trusted[key.key_id] = key
    return trusted


def load_trust(path: Path | None = None, settings: Settings | None = None) -> dict[str, TrustedKey]:
    """Trusted public keys by key id: the file ``path`` alone when given; otherwise
    ``<state_dir>/keys/trusted.json`` (if present) and every ``<state_dir>/keys/<service>.pub``."""
    if path is not None:
        return parse_trust(json.loads(path.read_text("utf-8")), str(path))
    directory = keys_dir(settings or Settings())
    trusted: dict[str, TrustedKey] = {}
    trust_file = directory / TRUST_FILE
    if trust_file.exists():
        trusted.update(parse_trust(json.loads(trust_file.read_text("utf-8")), str(trust_file)))
    for pub in sorted(directory.glob("*.pub")) if directory.is_dir() else ():
        with contextlib.suppress(binascii.Error, ValueError):
            raw = base64.b64decode(pub.read_text("ascii").strip(), validate=True)
            if len(raw) == 32:
                key = TrustedKey(pub.stem, raw, str(pub))
                trusted.setdefault(key.key_id, key)
    return trusted


def trust_document(keys: Iterable[TrustedKey]) -> dict[str, Any]:
    return {"keys": [k.document() for k in sorted(keys, key=lambda k: (k.service, k.key_id))]}


# --------------------------------------------------------------------------------------------
# The checkpoint document
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    service: str
    database: str
    head: Position
    event_count: int
    digest: str
    created_at: str  # canonical UTC timestamp
    key_id: str
    signature: str  # standard base64 of the 64-byte Ed25519 signature
    format: str = FORMAT

    def signed_document(self) -> dict[str, Any]:
        return {
            "created_at": self.created_at,
            "database": self.database,
            "digest": self.digest,
            "event_count": self.event_count,
            "format": self.format,
            "head": {"global_position": self.head.global_position, "tx_id": self.head.tx_id},
            "key_id": self.key_id,
            "service": self.service,
        }

    def signing_bytes(self) -> bytes:
        return canonical_json(self.signed_document())

    def document(self) -> dict[str, Any]:
        return {**self.signed_document(), "signature": self.signature}

    def to_json(self) -> str:
        return canonical_json(self.document()).decode("utf-8")

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)

    @classmethod
    def from_document(cls, doc: Any) -> Checkpoint:
        if not isinstance(doc, dict):
            raise CheckpointFormatError("a checkpoint is a JSON object")
        expected = {
            "created_at",
            "database",
            "digest",
            "event_count",
            "format",
            "head",
            "key_id",
            "service",
            "signature",
        }
        if set(doc) != expected:
            raise CheckpointFormatError(
                f"checkpoint fields {sorted(doc)} are not the expected {sorted(expected)}"
            )
        head = doc["head"]
        if (
            doc["format"] != FORMAT
            or not isinstance(head, dict)
            or set(head) != {"tx_id", "global_position"}
            or not all(type(head[k]) is int for k in head)
            or type(doc["event_count"]) is not int
            or not all(
                isinstance(doc[k], str)
                for k in ("created_at", "database", "digest", "key_id", "service", "signature")
            )
            or len(doc["digest"]) != 64
        ):
            raise CheckpointFormatError(f"malformed checkpoint (format {doc.get('format')!r})")
        return cls(
            service=doc["service"],
            database=doc["database"],
            head=Position(head["tx_id"], head["global_position"]),
            event_count=doc["event_count"],
            digest=doc["digest"],
            created_at=doc["created_at"],
            key_id=doc["key_id"],
            signature=doc["signature"],
            format=doc["format"],
        )

    @classmethod
    def from_json(cls, data: str | bytes) -> Checkpoint:
        try:
            doc = json.loads(data)
        except ValueError as exc:
            raise CheckpointFormatError(f"not JSON: {exc}") from None
        return cls.from_document(doc)


def sign_checkpoint(
    signer: Signer,
    *,
    database: str,
    digest: HistoryDigest,
    created_at: datetime | None = None,
) -> Checkpoint:
    unsigned = Checkpoint(
        service=signer.service,
        database=database,
        head=digest.head,
        event_count=digest.count,
        digest=digest.hexdigest(),
        created_at=format_ts(created_at or now_utc()),
        key_id=signer.key_id,
        signature="",
    )
    signature = base64.b64encode(signer.sign(unsigned.signing_bytes())).decode("ascii")
    return dataclasses.replace(unsigned, signature=signature)


def signature_problem(checkpoint: Checkpoint, trust: Mapping[str, TrustedKey]) -> str | None:
    """None when the signature is valid under a trusted key of the checkpoint's service."""
    key = trust.get(checkpoint.key_id)
    if key is None:
        return f"signed by key {checkpoint.key_id}, which is not trusted (see --keys)"
    if key.service != checkpoint.service:
        return f"key {checkpoint.key_id} is trusted for {key.service}, not {checkpoint.service}"
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except (binascii.Error, ValueError):
        return "the signature is not base64"
    if not key.verify(signature, checkpoint.signing_bytes()):
        return "the signature does not match the checkpoint (the checkpoint was altered)"
    return None


# --------------------------------------------------------------------------------------------
# Sources: the table, the Kafka topic, files
# --------------------------------------------------------------------------------------------


@dataclass
class CheckpointSource:
    """A checkpoint and where it was found (``table``, ``kafka``, ``file:<path>``, ...)."""

    checkpoint: Checkpoint
    sources: list[str] = field(default_factory=list)


def merge_sources(*groups: Iterable[tuple[Checkpoint, str]]) -> list[CheckpointSource]:
    """One entry per distinct checkpoint (same signed document), with all its sources."""
    merged: dict[tuple[str, str], CheckpointSource] = {}
    for group in groups:
        for checkpoint, source in group:
            key = (checkpoint.to_json(), checkpoint.signature)
            entry = merged.setdefault(key, CheckpointSource(checkpoint))
            if source not in entry.sources:
                entry.sources.append(source)
    return sorted(
        merged.values(),
        key=lambda e: (e.checkpoint.service, e.checkpoint.head, e.checkpoint.key_id),
    )


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


def load_checkpoint_files(paths: Sequence[Path]) -> list[tuple[Checkpoint, str]]:
    """Checkpoints from files: one JSON object, a JSON array of them, or JSON Lines."""
    out: list[tuple[Checkpoint, str]] = []
    for path in paths:
        text = path.read_text("utf-8")
        try:
            doc = json.loads(text)
            docs = doc if isinstance(doc, list) else [doc]
        except ValueError:
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        for item in docs:
            try:
                out.append((Checkpoint.from_document(item), f"file:{path}"))
            except CheckpointFormatError as exc:
                raise CheckpointFormatError(f"{path}: {exc}") from None
    return out


async def read_kafka_checkpoints(
    bootstrap: str, topic_prefix: str
) -> tuple[list[tuple[Checkpoint, str]], int]:
    """Every checkpoint on ``<prefix>audit.checkpoints``, and the number of unreadable
    messages there."""
    from xuncha_shared.audit.kafka_copy import scan_topics

    found: list[tuple[Checkpoint, str]] = []
    unreadable = 0

    def on_record(topic: str, partition: int, offset: int, value: bytes | None, _: Any) -> None:
        nonlocal unreadable
        try:
            found.append((Checkpoint.from_json(value or b""), "kafka"))
        except CheckpointFormatError:
            unreadable += 1

    await scan_topics(bootstrap, [topic_prefix + AUDIT_CHECKPOINTS], on_record)
    return found, unreadable


# --------------------------------------------------------------------------------------------
# Creating and publishing
# --------------------------------------------------------------------------------------------


_DIGEST_SCAN_SQL = """
SELECT tx_id, global_position, hash FROM events
WHERE (tx_id, global_position) > ($1::bigint, $2::bigint)
  AND tx_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
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


async def publish_pending(
    pool: asyncpg.Pool | asyncpg.Connection,
    bootstrap: str,
    topic_prefix: str = "",
    *,
    client_id: str = "xuncha.checkpoints",
) -> int:
    """Publish every stored checkpoint not yet on ``audit.checkpoints`` (key = service) and mark
    it published once Kafka acknowledged it. Returns how many were published."""
    if isinstance(pool, asyncpg.Connection):
        return await _publish_pending(pool, bootstrap, topic_prefix, client_id)
    async with pool.acquire() as conn:
        return await _publish_pending(conn, bootstrap, topic_prefix, client_id)


async def _publish_pending(
    conn: asyncpg.Connection, bootstrap: str, topic_prefix: str, client_id: str
) -> int:
    if not await table_exists(conn):
        return 0
    rows = await conn.fetch(
        "SELECT id, service, document FROM checkpoints WHERE published_at IS NULL ORDER BY id"
    )
    if not rows:
        return 0
    producer = make_producer(bootstrap, client_id=client_id)
    await producer.start()
    try:
        futures = [
            await producer.send(
                topic_prefix + AUDIT_CHECKPOINTS,
                value=row["document"].encode("utf-8"),
                key=row["service"].encode("utf-8"),
            )
            for row in rows
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    await conn.execute(
        "UPDATE checkpoints SET published_at = now() WHERE id = ANY($1::bigint[])",
        [row["id"] for row in rows],
    )
    return len(rows)


async def run_checkpointer(
    pool: asyncpg.Pool,
    service: str,
    settings: Settings,
    stop: asyncio.Event,
    interval_s: float = DEFAULT_INTERVAL_S,
) -> None:
    """Every ``interval_s``: a signed checkpoint when the final history grew since the last
    one, then publish what is not yet on Kafka. Runs until ``stop``; failures are logged and
    retried at the next tick (they never stop the service).

    The digest is kept in memory between ticks, so each tick reads only the new events; the
    first tick after a start reads the whole history once. It returns only when ``stop`` is
    set (a bad key is logged and retried), so a service can run it beside its relay."""
    signer: Signer | None = None
    digest: HistoryDigest | None = None
    last_head: Position | None = None
    while not stop.is_set():
        try:
            signer = signer or load_signer(service, settings, own_process=True)
            async with pool.acquire() as conn:
                await ensure_schema(conn)
                if last_head is None:
                    row = await conn.fetchrow(
                        "SELECT head_tx_id, head_global_position FROM checkpoints "
                        "WHERE service = $1 ORDER BY id DESC LIMIT 1",
                        service,
                    )
                    last_head = Position(row[0], row[1]) if row else START
                digest = await history_digest(conn, digest)
                if digest.count and digest.head != last_head:
                    database = str(await conn.fetchval("SELECT current_database()"))
                    checkpoint = sign_checkpoint(signer, database=database, digest=digest)
                    await store_checkpoint(conn, checkpoint)
                    last_head = digest.head
                    log.info(
                        "checkpoint %s: head %s/%s, %d events, digest %s",
                        service,
                        digest.head.tx_id,
                        digest.head.global_position,
                        digest.count,
                        checkpoint.digest[:16],
                    )
            await publish_pending(
                pool,
                settings.kafka_bootstrap,
                settings.topic_prefix,
                client_id=f"{service}.checkpointer",
            )
        except asyncio.CancelledError:
            raise
        except SigningKeyError as exc:
            log.error("checkpointer %s: %s; no checkpoint signed, retrying", service, exc)
        except Exception as exc:
            log.warning("checkpointer %s: %r; retrying in %.0fs", service, exc, interval_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)
