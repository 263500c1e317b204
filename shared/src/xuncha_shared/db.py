"""PostgreSQL plumbing: pools, the core schema every service database holds, idempotent migration.

Every service database has the same core tables:
- ``events``: the event store and, at the same time, the outbox the relay reads (see eventstore);
- ``relay_positions``: how far each relay has published (written only after Kafka acknowledged);
- ``inbox``: event ids a consumer has processed, written in the transaction of the effect;
- ``auth_tokens``: hashed bearer tokens (see auth);
plus the tables of the service itself, passed to ``migrate`` as extra DDL (the baseline), and
``schema_migrations``, the record of the numbered migrations applied since
(:mod:`xuncha_shared.migrations`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg
import orjson

from xuncha_shared.failures import dependency_unavailable
from xuncha_shared.migrations import CORE_MIGRATIONS, Migration, apply_migrations

CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- id of the appending transaction (xid8 as bigint): the commit-safe read order, see eventstore
    tx_id           bigint      NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    event_id        uuid        NOT NULL UNIQUE,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL,
    stream_type     text        NOT NULL,
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL CHECK (stream_version >= 1),
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    jurisdiction    char(6)     NOT NULL,
    actor           jsonb       NOT NULL,
    correlation_id  uuid        NOT NULL,
    causation_id    uuid,
    traceparent     text,
    payload         jsonb       NOT NULL,
    prev_hash       char(64)    NOT NULL,
    hash            char(64)    NOT NULL,
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
);
CREATE INDEX IF NOT EXISTS events_commit_order ON events (tx_id, global_position);

CREATE TABLE IF NOT EXISTS relay_positions (
    relay           text PRIMARY KEY,
    tx_id           bigint NOT NULL,
    global_position bigint NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS inbox (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    topic        text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
"""

_MIGRATION_LOCK = 0x78756E6368610001  # pg_advisory_xact_lock key for schema changes


#: the version byte that starts jsonb's binary form (then the document's text, UTF-8)
JSONB_VERSION = b"\x01"


def _encode_jsonb(value: Any) -> bytes:
    return JSONB_VERSION + json.dumps(value).encode()


def _decode_jsonb(data: bytes) -> Any:
    if data[:1] != JSONB_VERSION:
        raise ValueError(f"unknown jsonb binary version {data[:1]!r}")
    return orjson.loads(memoryview(data)[1:])


def _encode_json(value: Any) -> bytes:
    return json.dumps(value).encode()


async def set_json_codecs(conn: asyncpg.Connection) -> None:
    """The codecs of json and jsonb on every connection of the services (pools and ``connect``);
    also what a connection goes back to after a COPY with codecs of its own."""
    # decoding is the main cost of reading events (read-all, replays, audits): orjson parses
    # the contracts' documents to the same values several times faster than the json module
    # (it would read an integer beyond 64 bits as a float: no contract field is unbounded).
    # In the binary wire format: orjson reads the document's UTF-8 bytes as they arrive, with
    # no Python string made of them first (about 3 µs a stored event of read-all; written,
    # the same JSON text as before)
    await conn.set_type_codec(
        "jsonb",
        encoder=_encode_jsonb,
        decoder=_decode_jsonb,
        schema="pg_catalog",
        format="binary",
    )
    await conn.set_type_codec(
        "json", encoder=_encode_json, decoder=orjson.loads, schema="pg_catalog", format="binary"
    )


async def _init_connection(conn: asyncpg.Connection) -> None:
    await set_json_codecs(conn)


#: a statement that may leave state in the session beyond its transaction: SET/RESET (a
#: statement of its own, at the start of the text or of a line), LISTEN, a cursor, a temporary
#: table, PREPARE/DISCARD/LOAD, ``set_config`` or a session-level advisory lock (the ``_xact_``
#: locks end with their transaction). Over-matching (an UPDATE's ``SET`` on a line of its own)
#: only costs the full reset.
_SESSION_STATE = re.compile(
    r"(?:^|[;\n])\s*(?:set|reset|listen|declare|prepare|discard|load)\b"
    r"|\bcreate\s+(?:global\s+|local\s+)?temp(?:orary)?\b|set_config|advisory_lock",
    re.IGNORECASE,
)


class PooledConnection(asyncpg.Connection):  # type: ignore[misc]
    """A pool connection that notes when a statement may have changed its session's state
    (:data:`_SESSION_STATE`), or failed, so that giving it back to the pool costs no round trip
    when neither happened (:func:`_reset_session`).

    A failed statement always gets the full reset: the server may have died under it (a crash
    ends every session with 57P02) and left asyncpg's protocol waiting mid-operation; the reset
    query then fails, and the pool terminates the connection instead of handing it out again
    (which answered the next statement with "cannot switch to state 12; another operation (2)
    is in progress": tests/integration/test_postgres_restart.py)."""

    session_changed = False

    def _note(self, query: object) -> None:
        if not self.session_changed and (
            not isinstance(query, str) or _SESSION_STATE.search(query) is not None
        ):
            self.session_changed = True

    async def _noted(self, query: object, statement: Awaitable[Any]) -> Any:
        """Run ``statement`` (just created, not started) after noting ``query``; a failure
        marks the session for the full reset."""
        self._note(query)
        try:
            return await statement
        except BaseException:
            self.session_changed = True  # the full reset (or the connection's end) on release
            raise

    # the funnels of asyncpg's statements: execute (its simple-query path) and _execute
    # (fetch*, execute with arguments), _executemany, _prepare (prepare), cursor
    async def execute(self, query: str, *args: Any, **kw: Any) -> str:
        return await self._noted(query, super().execute(query, *args, **kw))  # type: ignore[no-any-return]

    async def _execute(self, query: Any, *args: Any, **kw: Any) -> Any:
        return await self._noted(query, super()._execute(query, *args, **kw))

    async def _executemany(self, query: Any, *args: Any, **kw: Any) -> Any:
        return await self._noted(query, super()._executemany(query, *args, **kw))

    async def _prepare(self, query: Any, **kw: Any) -> Any:
        return await self._noted(query, super()._prepare(query, **kw))

    def cursor(self, query: str, *args: Any, **kw: Any) -> Any:
        self._note(query)
        return super().cursor(query, *args, **kw)


async def _reset_session(conn: asyncpg.Connection) -> None:
    """The pool's reset of a connection given back (after asyncpg rolled back an open
    transaction and dropped its listener callbacks): asyncpg's reset query (``RESET ALL``,
    ``UNLISTEN *``, ``CLOSE ALL``, advisory locks released) only when a statement may have left
    session state behind; otherwise nothing, so that a pooled statement is one round trip, not
    two (every append, relay read and inbox transaction of a service)."""
    if getattr(conn, "session_changed", True):
        query = conn.get_reset_query()
        if query:
            await conn.execute(query)
        conn.session_changed = False


#: how long a starting service waits for a database that refuses connections or is still
#: recovering (``create_pool_when_ready``) before it gives up (and its supervisor restarts it)
START_WAIT_S = 60.0
#: what a database that is down, restarting or recovering answers a new connection with
_NOT_YET = (OSError, asyncpg.CannotConnectNowError, asyncpg.ConnectionDoesNotExistError)

T = TypeVar("T")

#: what a statement on a connection held for long (a lock's session, a LISTEN) raises once the
#: database went away under it: the server's errors, a closed connection, the network, a
#: timeout, and asyncpg's protocol left mid-operation by an error the dying server sent while
#: the connection sat idle ("cannot switch to state 11; another operation (2) is in progress",
#: ``InternalClientError``: a chaos run's clues copy exited on it). A loop holding such a
#: connection catches these, lets it go and tries again on another.
SESSION_LOST: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
)

log = logging.getLogger("xuncha.db")


async def create_pool_when_ready(
    dsn: str, *, min_size: int = 1, max_size: int = 10, wait: float | None = None
) -> asyncpg.Pool:
    """``create_pool`` once the database accepts connections: while it refuses them (down,
    restarting, in crash recovery) it is tried again every half second for up to ``wait``
    seconds (``START_WAIT_S``), then the last failure is raised. Anything else (a wrong
    password, an unknown database) is raised at once."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (START_WAIT_S if wait is None else wait)
    waited = False
    while True:
        try:
            pool = await create_pool(dsn, min_size=min_size, max_size=max_size)
        except _NOT_YET as exc:
            if loop.time() >= deadline:
                raise
            if not waited:
                log.warning("the database does not accept connections yet (%s): waiting", exc)
                waited = True
            await asyncio.sleep(0.5)
            continue
        if waited:
            log.info("the database accepts connections")
        return pool


async def prepared_pool_when_ready(
    dsn: str,
    prepare: Callable[[asyncpg.Pool], Awaitable[T]],
    *,
    min_size: int = 1,
    max_size: int = 10,
    wait: float | None = None,
) -> tuple[asyncpg.Pool, T]:
    """A pool as ``create_pool_when_ready`` gives it, and ``prepare(pool)`` run on it (a
    service's migrations and start-up reads). When the database goes away while ``prepare``
    runs (killed, restarting), the pool is dropped and both are tried again, within the same
    ``wait``: a copy started just before PostgreSQL was killed starts once it is back rather
    than exiting (``failures.dependency_unavailable``, the judgment of a request's failure).
    Anything else ``prepare`` raises closes the pool and is raised at once."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (START_WAIT_S if wait is None else wait)
    while True:
        pool = await create_pool_when_ready(
            dsn, min_size=min_size, max_size=max_size, wait=max(0.0, deadline - loop.time())
        )
        try:
            return pool, await prepare(pool)
        except BaseException as exc:
            pool.terminate()  # lost connections: nothing to close politely
            # the database went away (killed, restarting): judged as a request's failure is
            if not dependency_unavailable(exc) or loop.time() >= deadline:
                raise
            log.warning("the database went away while starting (%s): starting again", exc)
            await asyncio.sleep(0.5)


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        connection_class=PooledConnection,
        reset=_reset_session,
    )
    assert pool is not None
    return pool


async def connect(dsn: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn


class PoolRepository:
    """Base of a service's tables: each method works in the caller's transaction (``conn``) or,
    given ``None``, on a connection of its own from ``pool``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @asynccontextmanager
    async def _conn(self, conn: Any) -> AsyncIterator[Any]:
        if conn is not None:
            yield conn
        else:
            async with self.pool.acquire() as own:
                yield own


async def migrate(
    conn: asyncpg.Connection,
    extra: Sequence[str] = (),
    migrations: Sequence[Migration] = (),
) -> list[Migration]:
    """Apply the baseline (the core schema and a service's own idempotent DDL), then the
    numbered migrations (the core's and ``migrations``) not yet recorded in
    ``schema_migrations`` (:mod:`xuncha_shared.migrations`); one transaction, safe to run
    concurrently. Returns the migrations applied now."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        await conn.execute(CORE_SCHEMA)
        for ddl in extra:
            await conn.execute(ddl)
        return await apply_migrations(conn, [*CORE_MIGRATIONS, *migrations])


def lock_key(name: str) -> int:
    """The advisory lock key of a lock named by text (``xuncha.intake/round/<id>``): the first
    8 bytes of its SHA-256, as PostgreSQL's signed bigint."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


async def hold_locks(conn: Any, names: Iterable[str]) -> None:
    """Take the transaction-scoped advisory locks named ``names`` on ``conn`` (released when its
    transaction ends), in one order whatever the order given, so that two transactions taking
    some of the same locks never deadlock on them."""
    for key in sorted({lock_key(name) for name in names}):
        await conn.execute("SELECT pg_advisory_xact_lock($1)", key)


def record_to_dict(record: asyncpg.Record) -> dict[str, Any]:
    return dict(record.items())
