"""Idempotent set-up of the shared infrastructure: databases, roles, topics, readiness probes.

Used by ``make up`` (deploy/local), docker-compose (the one-shot ``provision`` service) and the
test fixtures (tests/infra.py), so every path provisions exactly the same way::

    python -m xuncha_shared.provision databases [--prefix P]   # one role + database per service
    python -m xuncha_shared.provision topics [--prefix P]      # every topic, retention forever
    python -m xuncha_shared.provision all [--prefix P]         # both
    python -m xuncha_shared.provision drop --prefix P          # drop P* databases/roles/topics
    python -m xuncha_shared.provision wait-pg --timeout N
    python -m xuncha_shared.provision wait-kafka --timeout N [--pid PID]
    python -m xuncha_shared.provision wait-http URL --timeout N [--pid PID]

Per service ``svc`` (prefix ``P``, empty by default): role ``P+svc`` with password ``P+svc``
(SCRAM), database ``P+svc`` owned by it, ``CONNECT`` revoked from ``PUBLIC`` so a service role
cannot open another service's database, and the core schema (``xuncha_shared.db.migrate``)
applied as the service role (with the ``informant_keys`` and ``checkpoints`` tables, so the
grants below find them). The admin URL, bootstrap servers and prefixes default to ``Settings()``
(``XUNCHA_PG_ADMIN_URL``, ``XUNCHA_KAFKA_BOOTSTRAP``, ``XUNCHA_DB_NAME_PREFIX``,
``XUNCHA_TOPIC_PREFIX``).

The auditors' read-only role ``xuncha_auditor`` (``XUNCHA_AUDITOR_PASSWORD``, SCRAM) is one role
for the whole cluster, shared by every prefix; in every service database it gets exactly:
``CONNECT`` on the database, ``USAGE`` on schema ``public``, ``SELECT`` on what the audit reads
(``events``, its identity sequence, ``relay_positions``, ``checkpoints``) and, through
``ALTER DEFAULT PRIVILEGES FOR ROLE <service role>``, ``SELECT`` on every table the service
creates later. Never anything that writes; ``informant_keys`` (the informants' wrapped keys) and
``auth_tokens`` are revoked explicitly, whatever the default privileges say (both are created
here before the default privileges exist; a table recreated later under them loses the grant
the next time this runs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from xuncha_shared import crypto
from xuncha_shared.audit import checkpoints
from xuncha_shared.auth import tokens as auth
from xuncha_shared.contracts.topics import all_topics
from xuncha_shared.db import migrate
from xuncha_shared.settings import AUDITOR_ROLE, SERVICES, Settings, database_url_for, role_url

log = logging.getLogger("xuncha.provision")

TOPIC_PARTITIONS = 6
TOPIC_REPLICATION = 1
TOPIC_CONFIGS: dict[str, str] = {"retention.ms": "-1", "retention.bytes": "-1"}

_PROVISION_LOCK = 0x78756E6368610002  # pg_advisory_lock key: one provisioner at a time
_TOPIC_ALREADY_EXISTS = 36
_RETRIABLE_TOPIC_ERRORS = {5, 7, 41}  # LEADER_NOT_AVAILABLE, REQUEST_TIMED_OUT, NOT_CONTROLLER


class ProvisionError(RuntimeError):
    pass


# ---- PostgreSQL -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceDatabase:
    service: str
    role: str
    password: str
    database: str
    url: str


def service_database(admin_url: str, service: str, prefix: str = "") -> ServiceDatabase:
    """Role, password, database and URL of one service (role = password = database = P+svc)."""
    name = f"{prefix}{service}"
    return ServiceDatabase(service, name, name, name, role_url(admin_url, name, name, name))


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
#: these to the auditor role, in addition to the default privileges.
AUDITED_TABLES: tuple[str, ...] = ("events", "relay_positions", "checkpoints")
#: Tables the auditor role must never read, revoked explicitly after the default privileges.
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
            await _exec_format(
                admin,
                "ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public "
                "GRANT SELECT ON TABLES TO %I",
                service_role,
                auditor,
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


async def create_service_databases(
    admin_url: str,
    prefix: str = "",
    services: Sequence[str] = SERVICES,
    *,
    auditor_password: str | None = None,
) -> dict[str, ServiceDatabase]:
    """Create (idempotently) the role and database of every service, migrate the core schema
    as the service role, and give the auditor role (``xuncha_auditor``, password
    ``auditor_password``, default ``Settings().auditor_password``) its read-only grants. Safe to
    run concurrently (serialised by an advisory lock)."""
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
        _check_pid(pid)
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


# ---- Kafka -------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def kafka_admin(bootstrap: str, *, request_timeout_ms: int = 30000) -> AsyncIterator[Any]:
    client = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=request_timeout_ms)
    try:
        await client.start()
        yield client
    finally:
        await client.close()


async def wait_for_kafka(
    bootstrap: str, timeout_s: float, *, pid: int | None = None
) -> dict[str, Any]:
    """Wait until the broker answers a metadata request with at least one live broker."""
    deadline = time.monotonic() + timeout_s
    last: BaseException | None = None
    while True:
        _check_pid(pid)
        remaining = max(deadline - time.monotonic(), 0.5)
        try:
            async with asyncio.timeout(min(remaining, 10)):
                async with kafka_admin(bootstrap, request_timeout_ms=5000) as admin:
                    cluster: dict[str, Any] = await admin.describe_cluster()
                    if cluster.get("brokers"):
                        return cluster
                    last = ProvisionError("no live broker in the metadata yet")
        except Exception as exc:  # aiokafka raises many kinds while the broker starts
            last = exc
        if time.monotonic() >= deadline:
            raise ProvisionError(f"Kafka at {bootstrap} not ready after {timeout_s}s: {last!r}")
        await asyncio.sleep(0.3)


def _topic_errors(response: Any) -> list[tuple[str, int, str | None]]:
    errors: list[tuple[str, int, str | None]] = []
    for entry in response.topic_errors:
        name, code = entry[0], entry[1]
        message = entry[2] if len(entry) > 2 else None
        errors.append((str(name), int(code), message))
    return errors


async def create_topics(
    bootstrap: str,
    names: Iterable[str],
    *,
    partitions: int = TOPIC_PARTITIONS,
    replication: int = TOPIC_REPLICATION,
    configs: dict[str, str] | None = None,
    timeout_s: float = 60,
) -> list[str]:
    """Create the topics that do not exist yet (retention forever by default) and wait until
    every partition of every requested topic has a leader. Returns the names created."""
    wanted = list(dict.fromkeys(names))
    topic_configs = dict(TOPIC_CONFIGS if configs is None else configs)
    created: list[str] = []
    deadline = time.monotonic() + timeout_s
    async with kafka_admin(bootstrap) as admin:
        while True:
            existing = set(await admin.list_topics())
            missing = [n for n in wanted if n not in existing]
            retry = False
            if missing:
                response = await admin.create_topics(
                    [
                        NewTopic(n, partitions, replication, topic_configs=topic_configs)
                        for n in missing
                    ]
                )
                for name, code, message in _topic_errors(response):
                    if code == 0:
                        created.append(name)
                    elif code == _TOPIC_ALREADY_EXISTS:
                        pass
                    elif code in _RETRIABLE_TOPIC_ERRORS:
                        retry = True
                    else:
                        raise ProvisionError(f"cannot create topic {name}: error {code} {message}")
            if not retry and await _all_led(admin, wanted):
                return created
            if time.monotonic() >= deadline:
                raise ProvisionError(f"topics not ready after {timeout_s}s: {wanted}")
            await asyncio.sleep(0.2)


async def _all_led(admin: Any, names: list[str]) -> bool:
    if not names:
        return True
    for topic in await admin.describe_topics(names):
        if topic["error_code"] != 0 or not topic["partitions"]:
            return False
        if any(p["error_code"] != 0 or p["leader"] < 0 for p in topic["partitions"]):
            return False
    return True


async def describe_topic_configs(
    bootstrap: str, names: Iterable[str], keys: Sequence[str] = tuple(TOPIC_CONFIGS)
) -> dict[str, dict[str, str | None]]:
    """``{topic: {config key: value}}`` as the broker reports them."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    wanted = dict.fromkeys(keys)
    resources = [ConfigResource(ConfigResourceType.TOPIC, n, dict(wanted)) for n in names]
    result: dict[str, dict[str, str | None]] = {}
    if not resources:
        return result
    async with kafka_admin(bootstrap) as admin:
        for response in await admin.describe_configs(resources):
            for res in response.to_object()["resources"]:
                if res["error_code"]:
                    raise ProvisionError(
                        f"describe configs of {res['resource_name']}: {res['error_message']}"
                    )
                result[res["resource_name"]] = {
                    e["config_names"]: e["config_value"] for e in res["config_entries"]
                }
    return result


async def delete_topics(bootstrap: str, names: Iterable[str]) -> list[str]:
    """Delete the given topics that exist; returns the names deleted."""
    async with kafka_admin(bootstrap) as admin:
        existing = set(await admin.list_topics())
        doomed = [n for n in dict.fromkeys(names) if n in existing]
        if doomed:
            await admin.delete_topics(doomed)
        return doomed


async def delete_prefixed_topics(bootstrap: str, prefix: str) -> list[str]:
    if len(prefix) < 2:
        raise ProvisionError("refusing to delete topics with an empty or one-letter prefix")
    async with kafka_admin(bootstrap) as admin:
        doomed = sorted(t for t in await admin.list_topics() if t.startswith(prefix))
        if doomed:
            await admin.delete_topics(doomed)
        return doomed


async def provision_topics(bootstrap: str, prefix: str = "") -> list[str]:
    """Every topic of the system (``all_topics(prefix)``): 6 partitions, retention forever."""
    names = all_topics(prefix)
    created = await create_topics(bootstrap, names)
    log.info("topics: %d present, %d created", len(names), len(created))
    return names


# ---- HTTP --------------------------------------------------------------------------------------


async def wait_for_http(url: str, timeout_s: float, *, pid: int | None = None) -> None:
    """Poll ``url`` until it answers 200."""
    import httpx  # lazily: it is the slowest import here and only this probe needs it

    deadline = time.monotonic() + timeout_s
    last = "no answer"
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            _check_pid(pid)
            try:
                response = await client.get(url)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                raise ProvisionError(f"{url} not ready after {timeout_s}s ({last})")
            await asyncio.sleep(0.2)


def _check_pid(pid: int | None) -> None:
    if pid is None:
        return
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        raise ProvisionError(f"process {pid} exited before it became ready") from None
    except PermissionError:
        pass


# ---- command line ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    settings = Settings()
    p = argparse.ArgumentParser(
        prog="python -m xuncha_shared.provision",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    sub = p.add_subparsers(dest="command", required=True)
    p.set_defaults(quiet=False)

    def pg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--admin-url", default=settings.pg_admin_url)

    def kafka(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--bootstrap", default=settings.kafka_bootstrap)

    s = sub.add_parser(
        "databases", parents=[common], help="create the per-service roles and databases"
    )
    pg(s)
    s.add_argument("--prefix", default=settings.db_name_prefix)
    s.add_argument("--service", action="append", choices=SERVICES, help="only these services")

    s = sub.add_parser("topics", parents=[common], help="create every topic (retention.ms=-1)")
    kafka(s)
    s.add_argument("--prefix", default=settings.topic_prefix)

    s = sub.add_parser("all", parents=[common], help="databases and topics")
    pg(s)
    kafka(s)
    s.add_argument("--db-prefix", default=settings.db_name_prefix)
    s.add_argument("--topic-prefix", default=settings.topic_prefix)

    s = sub.add_parser(
        "drop",
        parents=[common],
        help="drop databases, roles and topics whose names start with PREFIX",
    )
    pg(s)
    kafka(s)
    s.add_argument("--prefix", required=True)
    s.add_argument("--topic-prefix", help="default: the same as --prefix")

    s = sub.add_parser(
        "wait-pg", parents=[common], help="wait until PostgreSQL accepts the admin URL"
    )
    pg(s)
    s.add_argument("--timeout", type=float, default=60)
    s.add_argument("--pid", type=int)

    s = sub.add_parser(
        "wait-kafka", parents=[common], help="wait until the broker answers a metadata request"
    )
    kafka(s)
    s.add_argument("--timeout", type=float, default=120)
    s.add_argument("--pid", type=int, help="fail at once if this process exits")

    s = sub.add_parser("wait-http", parents=[common], help="wait until URL answers HTTP 200")
    s.add_argument("url")
    s.add_argument("--timeout", type=float, default=60)
    s.add_argument("--pid", type=int, help="fail at once if this process exits")
    return p


async def _run(args: argparse.Namespace) -> None:
    cmd = args.command
    if cmd == "databases":
        await create_service_databases(args.admin_url, args.prefix, args.service or SERVICES)
    elif cmd == "topics":
        await provision_topics(args.bootstrap, args.prefix)
    elif cmd == "all":
        await create_service_databases(args.admin_url, args.db_prefix)
        await provision_topics(args.bootstrap, args.topic_prefix)
    elif cmd == "drop":
        dbs = await drop_prefixed_databases(args.admin_url, args.prefix)
        topics = await delete_prefixed_topics(args.bootstrap, args.topic_prefix or args.prefix)
        log.info("dropped %d databases, %d topics", len(dbs), len(topics))
    elif cmd == "wait-pg":
        await wait_for_postgres(args.admin_url, args.timeout, pid=args.pid)
    elif cmd == "wait-kafka":
        await wait_for_kafka(args.bootstrap, args.timeout, pid=args.pid)
    elif cmd == "wait-http":
        await wait_for_http(args.url, args.timeout, pid=args.pid)
    else:  # pragma: no cover - argparse rejects unknown commands
        raise ProvisionError(f"unknown command {cmd}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    # aiokafka logs every refused connection while a broker starts: the probes report instead
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        asyncio.run(_run(args))
    except ProvisionError as exc:
        if not (args.quiet and args.command.startswith("wait-")):
            print(f"provision {args.command}: {exc}", file=sys.stderr)
        return 1
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"provision {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
