"""PostgreSQL: one role and one database per service, the auditor's read-only grants.

Passwords (SCRAM): a deployment's roles (no prefix) take ``XUNCHA_PG_PASSWORD_<ROLE>`` or, in the
local deployment, the generated secret ``pg-<role>``; anything else (the tests' prefixed roles,
a deployment without either) gets a password derived from the superuser's own password and the
role name (HMAC-SHA-256), so only a holder of the admin URL can compute it. Never the role name.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import asyncpg

from xuncha_shared import crypto, secrets
from xuncha_shared.audit import checkpoints
from xuncha_shared.auth import tokens as auth
from xuncha_shared.db import migrate
from xuncha_shared.provision.common import ProvisionError, check_pid
from xuncha_shared.settings import AUDITOR_ROLE, SERVICES, Settings, database_url_for, role_url

log = logging.getLogger("xuncha.provision")

_PROVISION_LOCK = 0x78756E6368610002  # pg_advisory_lock key: one provisioner at a time


@dataclass(frozen=True)
class ServiceDatabase:
    service: str
    role: str
    password: str
    database: str
    url: str


def role_password(admin_url: str, role: str, *, deployment: bool = True) -> str:
    """The password of ``role`` (see the module docstring); ``deployment``: the role belongs
    to the deployment itself (no prefix), so a configured or generated one is used."""
    if deployment:
        configured = os.environ.get(f"XUNCHA_PG_PASSWORD_{role.upper()}") or secrets.read(
            secrets.pg_file(role)
        )
        if configured:
            return configured
    key = (urlsplit(admin_url).password or "").encode("utf-8")
    return hmac.new(key, b"xuncha/role-password/v1/" + role.encode(), hashlib.sha256).hexdigest()


def service_database(admin_url: str, service: str, prefix: str = "") -> ServiceDatabase:
    """Role, password, database and URL of one service (role = database = P+svc)."""
    name = f"{prefix}{service}"
    password = role_password(admin_url, name, deployment=not prefix)
    return ServiceDatabase(service, name, password, name, role_url(admin_url, name, password, name))


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def _exec_format(conn: asyncpg.Connection, template: str, *args: str) -> None:
    """Run a utility statement built with server-side format() (%I identifiers, %L literals):
    CREATE/ALTER/DROP take no bind parameters."""
    params = ", ".join(f"${i + 1}::text" for i in range(len(args)))
    sql = await conn.fetchval(f"SELECT format('{template}', {params})", *args)
    await conn.execute(sql)


async def ensure_database(
    admin: asyncpg.Connection, database: str, owner: str | None = None, *, private: bool = True
) -> bool:
    """Create ``database`` (owned by ``owner``) unless it exists; returns True if created.
    ``private``: revoke CONNECT/TEMPORARY from PUBLIC and grant them to the owner only."""
    created = False
    if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
        try:
            if owner:
                await _exec_format(admin, "CREATE DATABASE %I OWNER %I", database, owner)
            else:
                await _exec_format(admin, "CREATE DATABASE %I", database)
            created = True
        except asyncpg.DuplicateDatabaseError:
            pass
    if private:
        await _exec_format(admin, "REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC", database)
        if owner:
            await _exec_format(
                admin, "GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I", database, owner
            )
    return created


async def drop_database(admin: asyncpg.Connection, database: str) -> None:
    """Drop ``database`` if it exists, terminating its connections first."""
    await admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        database,
    )
    await _exec_format(admin, "DROP DATABASE IF EXISTS %I WITH (FORCE)", database)


async def ensure_login_role(admin: asyncpg.Connection, role: str, password: str) -> bool:
    """Create the LOGIN role ``role`` with ``password`` (SCRAM), or set the password of an
    existing one; returns True if created. Tolerates another session creating it at the same
    moment (it then only sets the password)."""
    if not await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
        try:
            await _exec_format(admin, "CREATE ROLE %I WITH LOGIN PASSWORD %L", role, password)
            return True
        except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
            pass  # created concurrently (the catalog's unique index may answer first)
    await _exec_format(admin, "ALTER ROLE %I WITH LOGIN PASSWORD %L", role, password)
    return False


#: What the audit reads in a service database (``xuncha_shared.audit``): SELECT is granted on
#: these, table by table, to the auditor role, and on nothing else.
AUDITED_TABLES: tuple[str, ...] = ("events", "relay_positions", "checkpoints", "restore_records")
#: Tables the auditor role must never read: revoked explicitly (a grant left by an older
#: version's default privileges included).
AUDITOR_DENIED_TABLES: tuple[str, ...] = ("informant_keys", "auth_tokens")


async def grant_auditor(
    admin_url: str, database: str, service_role: str, auditor: str = AUDITOR_ROLE
) -> None:
    """The read-only grants of ``auditor`` in ``database`` (see the module docstring); run as
    the superuser, idempotent. Tables of ``AUDITED_TABLES`` that do not exist are skipped."""
    admin = await asyncpg.connect(database_url_for(admin_url, database))
    try:
        async with admin.transaction():
            await _exec_format(admin, "GRANT CONNECT ON DATABASE %I TO %I", database, auditor)
            await _exec_format(admin, "GRANT USAGE ON SCHEMA public TO %I", auditor)
            # explicit grants only: a table the service creates later (sensitive or not) is
            # unreadable until it is listed here. Older versions granted SELECT through default
            # privileges: withdrawn, and every grant on a table not listed is revoked
            await _exec_format(
                admin,
                "ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public "
                "REVOKE SELECT ON TABLES FROM %I",
                service_role,
                auditor,
            )
            for table in await admin.fetch(
                "SELECT c.relname AS table_name FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') "
                "AND has_table_privilege($1, c.oid, 'SELECT') "
                "AND NOT (c.relname = ANY($2::text[]))",
                auditor,
                list(AUDITED_TABLES),
            ):
                await _exec_format(
                    admin, "REVOKE ALL ON TABLE public.%I FROM %I", table["table_name"], auditor
                )
            for table in AUDITED_TABLES:
                if await admin.fetchval("SELECT to_regclass($1) IS NOT NULL", f"public.{table}"):
                    await _exec_format(
                        admin, "GRANT SELECT ON TABLE public.%I TO %I", table, auditor
                    )
            # the identity's current value tells verify which positions were handed out but
            # never committed; SELECT on a sequence reads it, it cannot advance it
            sequence = await admin.fetchval(
                "SELECT pg_get_serial_sequence('public.events', 'global_position')"
            )
            if sequence:
                await _exec_format(admin, "GRANT SELECT ON SEQUENCE %s TO %I", sequence, auditor)
            for table in AUDITOR_DENIED_TABLES:
                if await admin.fetchval("SELECT to_regclass($1) IS NOT NULL", f"public.{table}"):
                    await _exec_format(
                        admin, "REVOKE ALL ON TABLE public.%I FROM %I", table, auditor
                    )
    finally:
        await admin.close()


#: The one thing a service role may learn about other sessions: which session holds the oldest
#: open transaction of the cluster (the snapshot xmin that holds every relay back), without its
#: query. Owned by the superuser (SECURITY DEFINER reads pg_stat_activity in full); EXECUTE only
#: for the service's role.
XMIN_HOLDER_SQL = """
CREATE OR REPLACE FUNCTION public.xuncha_xmin_holder(snapshot_xmin bigint)
RETURNS TABLE (pid integer, datname name, usename name, application_name text, state text,
               xact_start timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $fn$
    SELECT a.pid, a.datname, a.usename, a.application_name, a.state, a.xact_start
    FROM pg_catalog.pg_stat_activity a
    WHERE a.backend_xid::text::bigint = snapshot_xmin % 4294967296
    ORDER BY a.xact_start
    LIMIT 1
$fn$
"""


async def ensure_xmin_holder(admin_url: str, database: str, service_role: str) -> None:
    """``xuncha_xmin_holder(xmin)`` in ``database``, executable by ``service_role`` alone."""
    admin = await asyncpg.connect(database_url_for(admin_url, database))
    try:
        async with admin.transaction():
            await admin.execute(XMIN_HOLDER_SQL)
            await admin.execute(
                "REVOKE ALL ON FUNCTION public.xuncha_xmin_holder(bigint) FROM PUBLIC"
            )
            await _exec_format(
                admin,
                "GRANT EXECUTE ON FUNCTION public.xuncha_xmin_holder(bigint) TO %I",
                service_role,
            )
    finally:
        await admin.close()


async def create_service_databases(
    admin_url: str,
    prefix: str = "",
    services: Sequence[str] = SERVICES,
    *,
    auditor_password: str | None = None,
) -> dict[str, ServiceDatabase]:
    """Create (idempotently) the role and database of every service (password: see the module
    docstring; an existing role's password is reset to it, which upgrades a deployment whose
    passwords were the role names), migrate the core schema as the service role, and give the
    auditor role (``xuncha_auditor``, password ``auditor_password``, default
    ``Settings().auditor_password``) its read-only grants. Safe to run concurrently (serialised
    by an advisory lock)."""
    if auditor_password is None:
        auditor_password = Settings().auditor_password
    if auditor_password == AUDITOR_ROLE:
        log.warning(
            "the read-only role %s gets its development password (the role name); "
            "production sets XUNCHA_AUDITOR_PASSWORD",
            AUDITOR_ROLE,
        )
    result: dict[str, ServiceDatabase] = {}
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute("SELECT pg_advisory_lock($1)", _PROVISION_LOCK)
        try:
            await ensure_login_role(admin, AUDITOR_ROLE, auditor_password)
            for service in services:
                sdb = service_database(admin_url, service, prefix)
                await ensure_login_role(admin, sdb.role, sdb.password)
                created = await ensure_database(admin, sdb.database, sdb.role)
                conn = await asyncpg.connect(sdb.url)
                try:
                    await migrate(conn, [auth.SCHEMA, crypto.SCHEMA])
                    await checkpoints.ensure_schema(conn)
                finally:
                    await conn.close()
                await grant_auditor(admin_url, sdb.database, sdb.role)
                await ensure_xmin_holder(admin_url, sdb.database, sdb.role)
                log.info("database %s %s", sdb.database, "created" if created else "present")
                result[service] = sdb
        finally:
            await admin.execute("SELECT pg_advisory_unlock($1)", _PROVISION_LOCK)
    finally:
        await admin.close()
    return result


async def drop_prefixed_databases(admin_url: str, prefix: str) -> list[str]:
    """Drop every database and role whose name starts with ``prefix`` (tests clean up with it)."""
    if len(prefix) < 2:
        raise ProvisionError("refusing to drop databases with an empty or one-letter prefix")
    admin = await asyncpg.connect(admin_url)
    dropped: list[str] = []
    try:
        like = _like_prefix(prefix)
        for row in await admin.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1", like
        ):
            await drop_database(admin, row["datname"])
            dropped.append(row["datname"])
        for row in await admin.fetch(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE $1 ORDER BY 1", like
        ):
            await _exec_format(admin, "DROP ROLE IF EXISTS %I", row["rolname"])
    finally:
        await admin.close()
    return dropped


async def wait_for_postgres(
    admin_url: str, timeout_s: float, *, pid: int | None = None, quiet: bool = False
) -> None:
    deadline = time.monotonic() + timeout_s
    last: BaseException | None = None
    while True:
        check_pid(pid)
        try:
            conn = await asyncpg.connect(admin_url, timeout=2)
            try:
                await conn.fetchval("SELECT 1")
                return
            finally:
                await conn.close()
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise ProvisionError(
                f"PostgreSQL at {_redact(admin_url)} not ready after {timeout_s}s: {last}"
            )
        if not quiet:
            log.debug("waiting for PostgreSQL: %s", last)
        await asyncio.sleep(0.2)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
