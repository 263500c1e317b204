"""Authentication and authorisation: roles, principals, jurisdictions, bearer tokens, OIDC.

Roles (domain.md section 7):

| role | who | jurisdiction | sees |
|---|---|---|---|
| ``city_admin`` | 市委巡察办 | city code (``361000``) | every code of its city |
| ``county_admin`` | 县区委巡察办 | county code (``361002``) | exactly its county |
| ``group_member`` | 巡察组成员 | its group's county (city for a city group) | exactly that code |
| ``department`` | 接收部门 | city code | every code of its city; filtered by department elsewhere |
| ``auditor`` | 审计/监督 | city code | every code of its city, read-only |
| ``informant_custodian`` | 举报人信息保管员 | city or county code | reporter identities only |

The informant custodian is the only role that reads decrypted reporter identities, those of the
petitions of its jurisdiction (intake's ``POST /api/v1/petitions/{id}/informant``); every read
appends an ``intake.InformantIdentityRead`` event with the stated reason before the identity is
returned. It is not read-only (that read event is its one write); every endpoint that reads or
changes case data refuses it (the services admit roles by allow-list and never list it). Like
any token it may call reporting's ``/api/v1/me``, ``/views/version`` and ``/events/stream``,
which tell only who the caller is and a projection version counter.

Jurisdictions are six-digit GB/T 2260 codes; a city's code ends in ``00`` and its counties share
its first four digits. A ``department``, ``auditor`` or ``informant_custodian`` principal bound to
a county code (rather than a city code) sees only that county.

Two ways to authenticate, chosen by ``XUNCHA_AUTH_MODE``:

- ``token`` (default): opaque bearer tokens ``xc_<43 url-safe chars>``. Each service database has
  its own ``auth_tokens`` table holding only the SHA-256 (hex) of each token, never the token;
  the CLI (``xuncha tokens create|demo``) inserts the same hash into every service database so
  one token works against every service.
- ``oidc``: RS256/ES256 JWTs from an identity provider, verified with the keys at
  ``XUNCHA_OIDC_JWKS_URL`` (the JWK set is cached for five minutes), with ``iss`` =
  ``XUNCHA_OIDC_ISSUER`` and ``aud`` containing ``XUNCHA_OIDC_AUDIENCE``. Required claims:
  ``sub`` (principal id), ``exp``, ``iss``, ``aud``, ``xuncha_role`` (one of the roles above),
  ``xuncha_jurisdiction`` (six-digit code) and, for role ``department`` only,
  ``xuncha_department`` (a ``Department`` value such as ``discipline_commission``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import asyncpg
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from xuncha_shared.contracts.common import Department, JurisdictionCode
from xuncha_shared.envelope import Actor
from xuncha_shared.errors import ProblemError, forbidden, problem_type, unauthorized
from xuncha_shared.settings import Settings

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# Roles, jurisdictions, principals
# --------------------------------------------------------------------------------------------


class Role(StrEnum):
    CITY_ADMIN = "city_admin"  # 市委巡察办
    COUNTY_ADMIN = "county_admin"  # 县区委巡察办
    GROUP_MEMBER = "group_member"  # 巡察组成员
    DEPARTMENT = "department"  # 接收部门
    AUDITOR = "auditor"  # 审计/监督 (read-only)
    CUSTODIAN = "informant_custodian"  # 举报人信息保管员 (reads reporter identities, nothing else)


ROLE_LABELS_ZH: dict[Role, str] = {
    Role.CITY_ADMIN: "市委巡察办",
    Role.COUNTY_ADMIN: "县区委巡察办",
    Role.GROUP_MEMBER: "巡察组成员",
    Role.DEPARTMENT: "接收部门",
    Role.AUDITOR: "审计/监督",
    Role.CUSTODIAN: "举报人信息保管员",
}

#: Roles that see the whole city when bound to a city code.
CITY_WIDE_ROLES: frozenset[Role] = frozenset(
    {Role.CITY_ADMIN, Role.AUDITOR, Role.DEPARTMENT, Role.CUSTODIAN}
)
#: Roles that may not change anything.
READ_ONLY_ROLES: frozenset[Role] = frozenset({Role.AUDITOR})

_CODE_RE = re.compile(r"^\d{6}$")


def is_valid_jurisdiction(code: str) -> bool:
    """A six-digit GB/T 2260 code at city or county level (province codes ``xx0000`` are not)."""
    return bool(_CODE_RE.match(code)) and code[2:] != "0000"


def is_city(code: str) -> bool:
    """Whether ``code`` is a city (prefecture-level) code: ``xxxx00`` but not ``xx0000``."""
    return is_valid_jurisdiction(code) and code.endswith("00")


def city_of(code: str) -> str:
    """The city a code belongs to: its first four digits, then ``00``."""
    if not is_valid_jurisdiction(code):
        raise ValueError(f"not a city or county GB/T 2260 code: {code!r}")
    return code[:4] + "00"


class Principal(BaseModel):
    """An authenticated caller."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    role: Role
    jurisdiction: JurisdictionCode
    department: Department | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Principal:
        if not is_valid_jurisdiction(self.jurisdiction):
            raise ValueError("jurisdiction must be a city or county GB/T 2260 code")
        if self.role is Role.DEPARTMENT and self.department is None:
            raise ValueError("a department principal needs a department")
        if self.role is not Role.DEPARTMENT and self.department is not None:
            raise ValueError("only a department principal has a department")
        if self.role is Role.CITY_ADMIN and not is_city(self.jurisdiction):
            raise ValueError("a city_admin is bound to a city code (ending in 00)")
        if self.role is Role.COUNTY_ADMIN and is_city(self.jurisdiction):
            raise ValueError("a county_admin is bound to a county code")
        return self

    @property
    def city(self) -> str:
        return city_of(self.jurisdiction)

    @property
    def is_city_wide(self) -> bool:
        """Whether this principal sees every code of its city."""
        return self.role in CITY_WIDE_ROLES and is_city(self.jurisdiction)

    @property
    def can_write(self) -> bool:
        return self.role not in READ_ONLY_ROLES

    @property
    def role_label_zh(self) -> str:
        return ROLE_LABELS_ZH[self.role]

    def can_access(self, jurisdiction: str) -> bool:
        """Whether this principal may see data of ``jurisdiction``."""
        if not is_valid_jurisdiction(jurisdiction):
            return False
        if self.is_city_wide:
            return city_of(jurisdiction) == self.jurisdiction
        return jurisdiction == self.jurisdiction

    def jurisdiction_like(self) -> str:
        """A SQL ``LIKE`` pattern matching exactly the codes this principal may see."""
        return self.jurisdiction[:4] + "__" if self.is_city_wide else self.jurisdiction

    def actor(self) -> Actor:
        """The event envelope's actor for actions of this principal."""
        return Actor(principal_id=self.id, role=self.role.value)


def ensure_jurisdiction(principal: Principal, code: str) -> None:
    """Raise 403 unless ``principal`` may access ``code``."""
    if not principal.can_access(code):
        raise forbidden(
            f"{principal.role.value} of {principal.jurisdiction} may not access jurisdiction {code}"
        )


def ensure_roles(principal: Principal, *roles: Role) -> None:
    """Raise 403 unless ``principal`` has one of ``roles``."""
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise forbidden(f"role {principal.role.value} may not do this (allowed: {allowed})")


def require_write(principal: Principal) -> None:
    """Raise 403 for read-only principals (auditors)."""
    if not principal.can_write:
        raise forbidden(f"role {principal.role.value} is read-only")


# --------------------------------------------------------------------------------------------
# Bearer tokens and their store
# --------------------------------------------------------------------------------------------

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
"""

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


async def _insert_hash(conn: Any, token_hash: str, principal: Principal, label: str) -> None:
    await conn.execute(
        """
        INSERT INTO auth_tokens (token_hash, principal_id, role, jurisdiction, department, label)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (token_hash) DO NOTHING
        """,
        token_hash,
        principal.id,
        principal.role.value,
        principal.jurisdiction,
        principal.department.value if principal.department else None,
        label,
    )


def _principal_from_row(row: Mapping[str, Any]) -> Principal | None:
    try:
        return Principal(
            id=row["principal_id"],
            role=row["role"],
            jurisdiction=row["jurisdiction"],
            department=row["department"],
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
        return 1


class TokenStore:
    """Hashed bearer tokens in one service database (``auth_tokens``)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

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

    async def create(self, principal: Principal, label: str = "", *, conn: Any = None) -> str:
        """Store a new token for ``principal``; returns the token (the only time it exists)."""
        token = generate_token()
        await self.add_hash(hash_token(token), principal, label, conn=conn)
        return token

    async def add_hash(
        self, token_hash: str, principal: Principal, label: str = "", *, conn: Any = None
    ) -> None:
        """Store a token given only its hash (to install one token in several databases)."""
        if not _HASH_RE.match(token_hash):
            raise ValueError("token_hash must be 64 lowercase hex digits")
        async with self._conn(conn) as c:
            await _insert_hash(c, token_hash, principal, label)

    async def resolve(self, token: str) -> Principal | None:
        """The principal of a valid, unrevoked token; ``None`` otherwise."""
        if not looks_like_token(token):
            return None
        wanted = hash_token(token)
        async with self._conn() as conn:
            row = await conn.fetchrow(
                """
                SELECT token_hash, principal_id, role, jurisdiction, department
                FROM auth_tokens WHERE token_hash = $1 AND revoked_at IS NULL
                """,
                wanted,
            )
        if row is None or not hmac.compare_digest(str(row["token_hash"]), wanted):
            return None
        return _principal_from_row(row)

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
                       created_at, revoked_at
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
                    )
                )
        return result


# --------------------------------------------------------------------------------------------
# One token in several service databases
# --------------------------------------------------------------------------------------------

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
    targets: Iterable[DbTarget], principal: Principal, label: str = ""
) -> str:
    """Create one token for ``principal`` valid in every database of ``targets`` (creating
    ``auth_tokens`` where missing); returns the token."""
    token = generate_token()
    token_hash = hash_token(token)
    for target in targets:
        async with _connect_target(target) as conn:
            await ensure_token_schema(conn)
            await _insert_hash(conn, token_hash, principal, label)
    return token


async def revoke_token_in(targets: Iterable[DbTarget], token_or_prefix: str) -> int:
    """Revoke a token in every database of ``targets``; returns how many rows were revoked."""
    total = 0
    for target in targets:
        async with _connect_target(target) as conn:
            await ensure_token_schema(conn)
            total += await _revoke(conn, token_or_prefix)
    return total


def demo_principals(city: str = "361000", county: str = "361002") -> dict[Role, Principal]:
    """One principal per role: city admin, auditor, discipline commission and informant
    custodian of ``city``; county admin and group member of ``county``."""
    return {
        Role.CITY_ADMIN: Principal(id="demo-city-admin", role=Role.CITY_ADMIN, jurisdiction=city),
        Role.COUNTY_ADMIN: Principal(
            id="demo-county-admin", role=Role.COUNTY_ADMIN, jurisdiction=county
        ),
        Role.GROUP_MEMBER: Principal(
            id="demo-group-member", role=Role.GROUP_MEMBER, jurisdiction=county
        ),
        Role.DEPARTMENT: Principal(
            id="demo-discipline-commission",
            role=Role.DEPARTMENT,
            jurisdiction=city,
            department=Department.DISCIPLINE,
        ),
        Role.AUDITOR: Principal(id="demo-auditor", role=Role.AUDITOR, jurisdiction=city),
        Role.CUSTODIAN: Principal(
            id="demo-informant-custodian", role=Role.CUSTODIAN, jurisdiction=city
        ),
    }


async def create_demo_tokens(
    pools_or_urls: Sequence[DbTarget], city: str = "361000", county: str = "361002"
) -> dict[str, str]:
    """One token per role (see ``demo_principals``), each valid in every database given.
    Returns ``{"city_admin": token, "county_admin": token, ...}``."""
    if county[:4] != city[:4] or not is_city(city) or is_city(county):
        raise ValueError(f"{county} is not a county of city {city}")
    targets = list(pools_or_urls)
    tokens: dict[str, str] = {}
    for role, principal in demo_principals(city, county).items():
        tokens[role.value] = await create_token_in(targets, principal, label="demo")
    return tokens


# --------------------------------------------------------------------------------------------
# OIDC
# --------------------------------------------------------------------------------------------

OIDC_ROLE_CLAIM = "xuncha_role"
OIDC_JURISDICTION_CLAIM = "xuncha_jurisdiction"
OIDC_DEPARTMENT_CLAIM = "xuncha_department"
OIDC_ALGORITHMS: tuple[str, ...] = ("RS256", "ES256")


class InvalidCredentials(Exception):
    """A bearer credential that does not authenticate anyone."""


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Map verified JWT claims to a principal (see the module docstring for claim names)."""
    try:
        return Principal(
            id=claims["sub"],
            role=claims[OIDC_ROLE_CLAIM],
            jurisdiction=claims[OIDC_JURISDICTION_CLAIM],
            department=claims.get(OIDC_DEPARTMENT_CLAIM),
        )
    except KeyError as exc:
        raise InvalidCredentials(f"missing claim {exc.args[0]}") from None
    except ValidationError as exc:
        raise InvalidCredentials(f"invalid xuncha claims: {exc.error_count()} errors") from None


class OidcVerifier:
    """Verifies RS256/ES256 JWTs against an issuer's JWK set (cached ``jwks_lifespan`` s)."""

    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        audience: str,
        *,
        algorithms: Sequence[str] = OIDC_ALGORITHMS,
        leeway: float = 30.0,
        jwks_lifespan: float = 300.0,
        timeout: float = 5.0,
    ) -> None:
        unsupported = set(algorithms) - set(OIDC_ALGORITHMS)
        if unsupported:
            raise ValueError(f"unsupported algorithms: {sorted(unsupported)}")
        self.issuer = issuer
        self.audience = audience
        self.algorithms = list(algorithms)
        self.leeway = leeway
        self._jwks = jwt.PyJWKClient(
            jwks_url, cache_jwk_set=True, lifespan=jwks_lifespan, timeout=timeout
        )

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; raises ``InvalidCredentials`` otherwise and
        ``ProblemError(503)`` when the JWK set cannot be fetched. Blocking (may fetch keys)."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in self.algorithms:
                raise InvalidCredentials(f"algorithm {header.get('alg')!r} not accepted")
            signing_key = self._jwks.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                signing_key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWKClientConnectionError as exc:
            logger.warning("cannot fetch the OIDC key set: %s", exc)
            raise ProblemError(
                503,
                "Identity provider unavailable",
                "the signing keys of the identity provider cannot be fetched",
                problem_type("idp-unavailable"),
            ) from exc
        except jwt.PyJWTError as exc:
            raise InvalidCredentials(str(exc)) from exc
        return principal_from_claims(claims)


# --------------------------------------------------------------------------------------------
# Authenticators
# --------------------------------------------------------------------------------------------


@runtime_checkable
class Authenticator(Protocol):
    async def authenticate(self, bearer: str) -> Principal | None:
        """The principal of a bearer credential, or ``None`` when it is not valid."""
        ...


class TokenAuthenticator:
    def __init__(self, store: TokenStore) -> None:
        self.store = store

    async def authenticate(self, bearer: str) -> Principal | None:
        return await self.store.resolve(bearer)


class OidcAuthenticator:
    def __init__(self, verifier: OidcVerifier) -> None:
        self.verifier = verifier

    async def authenticate(self, bearer: str) -> Principal | None:
        if bearer.count(".") != 2:
            return None
        try:
            return await asyncio.to_thread(self.verifier.verify, bearer)
        except InvalidCredentials as exc:
            logger.info("rejected OIDC token: %s", exc)
            return None


def authenticator_from_settings(
    pool: asyncpg.Pool, settings: Settings | None = None
) -> Authenticator:
    """The authenticator ``XUNCHA_AUTH_MODE`` asks for (``token`` or ``oidc``)."""
    settings = settings or Settings()
    mode = settings.auth_mode.strip().lower()
    if mode == "token":
        return TokenAuthenticator(TokenStore(pool))
    if mode == "oidc":
        jwks_url, issuer, audience = (
            settings.oidc_jwks_url,
            settings.oidc_issuer,
            settings.oidc_audience,
        )
        if not (jwks_url and issuer and audience):
            raise ValueError(
                "XUNCHA_AUTH_MODE=oidc needs XUNCHA_OIDC_JWKS_URL, XUNCHA_OIDC_ISSUER "
                "and XUNCHA_OIDC_AUDIENCE"
            )
        return OidcAuthenticator(OidcVerifier(jwks_url, issuer, audience))
    raise ValueError(f"XUNCHA_AUTH_MODE must be token or oidc, not {settings.auth_mode!r}")


# --------------------------------------------------------------------------------------------
# FastAPI dependencies
# --------------------------------------------------------------------------------------------

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="`xc_…` token (xuncha tokens create) or, with XUNCHA_AUTH_MODE=oidc, a JWT",
)

PrincipalDependency = Callable[..., Awaitable[Principal]]


class AuthDependencies:
    """FastAPI dependencies bound to one authenticator.

    ``current_principal`` answers 401 (``WWW-Authenticate: Bearer``) without a valid bearer
    credential and stores the principal on ``request.state.principal``; ``require_roles(...)``
    and ``writer`` answer 403 for the wrong role or a read-only principal.
    """

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator

        async def current_principal(
            request: Request,
            credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
        ) -> Principal:
            if credentials is None or not credentials.credentials:
                raise unauthorized("a bearer token is required")
            principal = await authenticator.authenticate(credentials.credentials)
            if principal is None:
                raise unauthorized(
                    "the token is invalid, expired or revoked", error="invalid_token"
                )
            request.state.principal = principal
            return principal

        async def writer(principal: Principal = Depends(current_principal)) -> Principal:
            require_write(principal)
            return principal

        self.current_principal: PrincipalDependency = current_principal
        self.writer: PrincipalDependency = writer

    def require_roles(self, *roles: Role, write: bool = False) -> PrincipalDependency:
        """A dependency admitting only ``roles`` (and, with ``write``, no read-only role)."""
        allowed = tuple(roles)
        current = self.current_principal

        async def dependency(principal: Principal = Depends(current)) -> Principal:
            ensure_roles(principal, *allowed)
            if write:
                require_write(principal)
            return principal

        return dependency


def make_auth_dependencies(authenticator: Authenticator) -> AuthDependencies:
    return AuthDependencies(authenticator)
