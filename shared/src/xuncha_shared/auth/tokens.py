"""Opaque bearer tokens and the ``auth_tokens`` table that holds their hashes.

Tokens look like ``xc_<43 url-safe chars>``. Each service database has its own ``auth_tokens``
table holding only the SHA-256 (hex) of each token, never the token; the CLI (``xuncha tokens
create|demo``) inserts the same hash into every service database (:func:`create_token_in`) so
one token works against every service.

Tokens expire: ``expires_at`` is the creation time plus ``XUNCHA_TOKEN_TTL_DAYS`` (default 90;
0 means never). Tokens stored before expiry existed keep ``expires_at`` NULL (they never expire
until rotated: ``xuncha tokens list`` shows them as "never"). ``last_used_at`` is written at
most once a minute per token and process. ``xuncha tokens rotate`` issues a new token for the
same holder and revokes the old one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import asyncpg
from pydantic import ValidationError

from xuncha_shared.auth.token_cache import CHANNEL as REVOKED_CHANNEL
from xuncha_shared.auth.token_cache import TokenCache
from xuncha_shared.domain.principals import Principal

logger = logging.getLogger("xuncha_shared.auth")

TOKEN_PREFIX = "xc_"
_TOKEN_RE = re.compile(r"^xc_[A-Za-z0-9_-]{43}$")
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
_MIN_PREFIX = 8
_HASH_PREFIX_RE = re.compile(rf"^[0-9a-f]{{{_MIN_PREFIX},64}}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS auth_tokens (
    token_hash   char(64)    PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    principal_id text        NOT NULL,
    role         text        NOT NULL,
    jurisdiction char(6)     NOT NULL,
    department   text        NULL,
    label        text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz NULL
);
ALTER TABLE auth_tokens ADD COLUMN IF NOT EXISTS expires_at timestamptz NULL;
ALTER TABLE auth_tokens ADD COLUMN IF NOT EXISTS last_used_at timestamptz NULL;
-- a group member's group (tokens created with --group)
ALTER TABLE auth_tokens ADD COLUMN IF NOT EXISTS group_id uuid NULL;
-- an inspected unit's unit (tokens created with --unit)
ALTER TABLE auth_tokens ADD COLUMN IF NOT EXISTS unit_id uuid NULL;
"""

DEFAULT_TTL_DAYS = 90
#: ``last_used_at`` is written at most this often per token (seconds)
LAST_USED_EVERY = 60.0


def default_ttl_days() -> int:
    """``XUNCHA_TOKEN_TTL_DAYS`` (default 90; 0: tokens never expire)."""
    raw = os.environ.get("XUNCHA_TOKEN_TTL_DAYS", "").strip()
    if not raw:
        return DEFAULT_TTL_DAYS
    days = int(raw)
    if days < 0:
        raise ValueError("XUNCHA_TOKEN_TTL_DAYS must be 0 (never) or a number of days")
    return days


def expiry(ttl_days: int | None = None) -> datetime | None:
    """When a token created now expires (``None``: never)."""
    days = default_ttl_days() if ttl_days is None else ttl_days
    return datetime.now(UTC) + timedelta(days=days) if days > 0 else None


# The same advisory lock key as ``xuncha_shared.db.migrate``: schema changes never race.
_SCHEMA_LOCK = 0x78756E6368610001


def generate_token() -> str:
    """A new bearer token: ``xc_`` and 32 random bytes, url-safe base64 (46 characters)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Lowercase hex SHA-256 of a token: the only form in which tokens are stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(value: str) -> bool:
    return bool(_TOKEN_RE.match(value))


class AmbiguousTokenPrefix(ValueError):
    """A hash prefix given to ``revoke`` matches more than one token."""


@dataclass(frozen=True)
class TokenInfo:
    """A stored token, without the token itself."""

    token_hash: str
    principal: Principal
    label: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None = None
    last_used_at: datetime | None = None


# When the superuser (the CLI) creates ``auth_tokens`` before the service ever ran, the table
# is handed to the database's owner (the service role), which could not read it otherwise.
_HAND_TO_DB_OWNER = """
DO $$
DECLARE
    db_owner oid := (SELECT datdba FROM pg_database WHERE datname = current_database());
    tbl_owner oid := (SELECT relowner FROM pg_class WHERE oid = to_regclass('auth_tokens'));
BEGIN
    IF tbl_owner IS NOT NULL AND tbl_owner <> db_owner
       AND tbl_owner = (SELECT oid FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('ALTER TABLE auth_tokens OWNER TO %I', pg_get_userbyid(db_owner));
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'auth_tokens stays owned by %', current_user;
END
$$;
"""


async def ensure_token_schema(conn: Any) -> None:
    """Create ``auth_tokens`` if missing (idempotent, safe to run concurrently). A table the
    current user just created in a database owned by another role (the service's) is handed
    to that role."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK)
        await conn.execute(SCHEMA)
        await conn.execute(_HAND_TO_DB_OWNER)


async def _insert_hash(
    conn: Any,
    token_hash: str,
    principal: Principal,
    label: str,
    expires_at: datetime | None,
) -> None:
    await conn.execute(
        """
        INSERT INTO auth_tokens
            (token_hash, principal_id, role, jurisdiction, department, label, expires_at,
             group_id, unit_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (token_hash) DO NOTHING
        """,
        token_hash,
        principal.id,
        principal.role.value,
        principal.jurisdiction,
        principal.department.value if principal.department else None,
        label,
        expires_at,
        principal.group_id,
        principal.unit_id,
    )


def _principal_from_row(row: Mapping[str, Any]) -> Principal | None:
    try:
        return Principal(
            id=row["principal_id"],
            role=row["role"],
            jurisdiction=row["jurisdiction"],
            department=row["department"],
            group_id=row.get("group_id"),
            unit_id=row.get("unit_id"),
        )
    except ValidationError:
        logger.error("auth_tokens row %.12s… holds an invalid principal", row["token_hash"])
        return None


def token_hash_prefix(token_or_prefix: str) -> str:
    """The token hash (for a token) or the normalised hash prefix (at least 8 hex digits) that
    ``revoke`` looks for; ``ValueError`` for anything else."""
    value = token_or_prefix.strip()
    if value.startswith(TOKEN_PREFIX):
        return hash_token(value)
    value = value.lower()
    if not _HASH_PREFIX_RE.match(value):
        raise ValueError(
            f"expected a token (xc_…) or at least {_MIN_PREFIX} hex digits of its hash"
        )
    return value


async def _revoke(conn: Any, token_or_prefix: str) -> int:
    prefix = token_hash_prefix(token_or_prefix)
    async with conn.transaction():
        rows = await conn.fetch(
            "SELECT token_hash, revoked_at FROM auth_tokens "
            "WHERE token_hash LIKE $1 || '%' FOR UPDATE",
            prefix,
        )
        if len(rows) > 1:
            raise AmbiguousTokenPrefix(f"hash prefix {prefix} matches {len(rows)} tokens")
        if not rows or rows[0]["revoked_at"] is not None:
            return 0
        await conn.execute(
            "UPDATE auth_tokens SET revoked_at = now() WHERE token_hash = $1",
            rows[0]["token_hash"],
        )
        # delivered when this transaction commits, to every process that keeps resolved tokens
        await conn.execute("SELECT pg_notify($1, $2)", REVOKED_CHANNEL, rows[0]["token_hash"])
        return 1


class TokenStore:
    """Hashed bearer tokens in one service database (``auth_tokens``)."""

    def __init__(self, pool: asyncpg.Pool, cache: TokenCache | None = None) -> None:
        self._pool = pool
        self._last_used: dict[str, float] = {}
        #: resolved tokens kept while the process hears every revocation (token_cache)
        self.cache = cache

    @asynccontextmanager
    async def _conn(self, conn: Any = None) -> AsyncIterator[Any]:
        if conn is not None:
            yield conn
        else:
            async with self._pool.acquire() as acquired:
                yield acquired

    async def ensure_schema(self) -> None:
        async with self._conn() as conn:
            await ensure_token_schema(conn)

    async def create(
        self,
        principal: Principal,
        label: str = "",
        *,
        conn: Any = None,
        expires_at: datetime | Literal["default"] | None = "default",
    ) -> str:
        """Store a new token for ``principal``; returns the token (the only time it exists).
        ``expires_at``: by default now + ``XUNCHA_TOKEN_TTL_DAYS``; ``None``: never."""
        token = generate_token()
        await self.add_hash(hash_token(token), principal, label, conn=conn, expires_at=expires_at)
        return token

    async def add_hash(
        self,
        token_hash: str,
        principal: Principal,
        label: str = "",
        *,
        conn: Any = None,
        expires_at: datetime | Literal["default"] | None = "default",
    ) -> None:
        """Store a token given only its hash (to install one token in several databases)."""
        if not _HASH_RE.match(token_hash):
            raise ValueError("token_hash must be 64 lowercase hex digits")
        when = expiry() if isinstance(expires_at, str) else expires_at
        async with self._conn(conn) as c:
            await _insert_hash(c, token_hash, principal, label, when)

    async def resolve(self, token: str) -> Principal | None:
        """The principal of a valid, unrevoked token; ``None`` otherwise."""
        if not looks_like_token(token):
            return None
        wanted = hash_token(token)
        cache = self.cache
        if cache is not None and (kept := cache.get(wanted)) is not None:
            if self._touch_due(wanted):
                async with self._conn() as conn:
                    await self._touch(conn, wanted)
            return kept
        generation = cache.generation if cache is not None else 0
        async with self._conn() as conn:
            row = await conn.fetchrow(
                """
                SELECT token_hash, principal_id, role, jurisdiction, department, group_id, unit_id,
                       expires_at
                FROM auth_tokens WHERE token_hash = $1 AND revoked_at IS NULL
                  AND (expires_at IS NULL OR expires_at > now())
                """,
                wanted,
            )
            if row is None or not hmac.compare_digest(str(row["token_hash"]), wanted):
                return None
            await self._touch(conn, wanted)
        principal = _principal_from_row(row)
        if cache is not None and principal is not None:
            cache.keep(wanted, principal, row["expires_at"], generation)
        return principal

    def _touch_due(self, token_hash: str) -> bool:
        last = self._last_used.get(token_hash)
        return last is None or time.monotonic() - last >= LAST_USED_EVERY

    async def _touch(self, conn: Any, token_hash: str) -> None:
        """Record the token's use, at most once a minute (per token and process)."""
        if not self._touch_due(token_hash):
            return
        self._last_used[token_hash] = time.monotonic()
        await conn.execute(
            "UPDATE auth_tokens SET last_used_at = now() WHERE token_hash = $1 "
            "AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
            token_hash,
        )

    async def revoke(self, token_or_prefix: str, *, conn: Any = None) -> int:
        """Revoke a token, given the token itself, its hash or a prefix of at least 8 hex
        digits of its hash. Returns how many tokens were revoked now (0 or 1); raises
        ``AmbiguousTokenPrefix`` when a prefix matches several tokens."""
        async with self._conn(conn) as c:
            return await _revoke(c, token_or_prefix)

    async def list_tokens(
        self, *, include_revoked: bool = False, conn: Any = None
    ) -> list[TokenInfo]:
        """Stored tokens (hash and principal, never the token), oldest first."""
        async with self._conn(conn) as c:
            rows = await c.fetch(
                """
                SELECT token_hash, principal_id, role, jurisdiction, department, label,
                       created_at, revoked_at, expires_at, last_used_at, group_id, unit_id
                FROM auth_tokens WHERE $1 OR revoked_at IS NULL
                ORDER BY created_at, token_hash
                """,
                include_revoked,
            )
        result: list[TokenInfo] = []
        for row in rows:
            principal = _principal_from_row(row)
            if principal is not None:
                result.append(
                    TokenInfo(
                        token_hash=str(row["token_hash"]),
                        principal=principal,
                        label=str(row["label"]),
                        created_at=row["created_at"],
                        revoked_at=row["revoked_at"],
                        expires_at=row["expires_at"],
                        last_used_at=row["last_used_at"],
                    )
                )
        return result


#: A service database: an asyncpg pool, an asyncpg connection or a PostgreSQL URL.
DbTarget = Any


@asynccontextmanager
async def _connect_target(target: DbTarget) -> AsyncIterator[Any]:
    if isinstance(target, str):
        conn = await asyncpg.connect(target)
        try:
            yield conn
        finally:
            await conn.close()
    elif isinstance(target, asyncpg.Pool):
        async with target.acquire() as conn:
            yield conn
    else:
        yield target


async def create_token_in(
    targets: Iterable[DbTarget],
    principal: Principal,
    label: str = "",
    *,
    ttl_days: int | None = None,
) -> str:
    """Create one token for ``principal`` valid in every database of ``targets`` (creating
    ``auth_tokens`` where missing), expiring after ``ttl_days`` (default
    ``XUNCHA_TOKEN_TTL_DAYS``; 0: never); returns the token."""
    token = generate_token()
    token_hash = hash_token(token)
    expires_at = expiry(ttl_days)
    for target in targets:
        async with _connect_target(target) as conn:
            await ensure_token_schema(conn)
            await _insert_hash(conn, token_hash, principal, label, expires_at)
    return token


class UnknownToken(LookupError):
    """No active token matches the given token or hash prefix."""


async def rotate_token_in(
    targets: Iterable[DbTarget], token_or_prefix: str, *, ttl_days: int | None = None
) -> tuple[str, Principal]:
    """Issue a new token for the holder of an active token (same principal and label) in every
    database of ``targets`` and revoke the old one there; returns the new token and its holder.
    ``UnknownToken`` when no active token matches, ``AmbiguousTokenPrefix`` for a short prefix."""
    chosen = list(targets)
    prefix = token_hash_prefix(token_or_prefix)
    holder: tuple[Principal, str] | None = None
    for target in chosen:
        async with _connect_target(target) as conn:
            await ensure_token_schema(conn)
            rows = await conn.fetch(
                "SELECT token_hash, principal_id, role, jurisdiction, department, label "
                "FROM auth_tokens WHERE token_hash LIKE $1 || '%' AND revoked_at IS NULL",
                prefix,
            )
            if len(rows) > 1:
                raise AmbiguousTokenPrefix(f"hash prefix {prefix} matches {len(rows)} tokens")
            if rows:
                principal = _principal_from_row(rows[0])
                if principal is not None:
                    holder = (principal, str(rows[0]["label"]))
                    break
    if holder is None:
        raise UnknownToken("no active token matches")
    principal, label = holder
    token = await create_token_in(chosen, principal, label, ttl_days=ttl_days)
    await revoke_token_in(chosen, prefix)
    return token, principal


async def revoke_token_in(targets: Iterable[DbTarget], token_or_prefix: str) -> int:
    """Revoke a token in every database of ``targets``; returns how many rows were revoked."""
    total = 0
    for target in targets:
        async with _connect_target(target) as conn:
            await ensure_token_schema(conn)
            total += await _revoke(conn, token_or_prefix)
    return total
