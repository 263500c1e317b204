"""Units of work: one database transaction around everything a command or a consumed event
changes (its events, the service's read model, an inbox row).

A :data:`UnitOfWork` is a factory of async context managers yielding the transaction's
connection. :func:`pg_unit_of_work` opens a transaction on a pool; :func:`joined` takes part in
a transaction the caller already holds (a consumer's, with its inbox row), so the code that
appends never forks on "a connection given or not". The in-memory fakes of the unit tests use
``tests/support/fakes.py``'s ``no_transaction``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg

from xuncha_shared.metrics import counting_appends

__all__ = ["TRANSIENT_ATTEMPTS", "UnitOfWork", "joined", "pg_unit_of_work", "transient"]

#: how often a unit of work the database rolled back to break a deadlock (or a serialization
#: conflict) is tried in all: it did nothing, so doing it again is safe. Five, because the
#: deadline worker's batches (up to 200 firings, four side by side) can hold a command's
#: deadline rows for a moment and deadlock with it more than once in a row
TRANSIENT_ATTEMPTS = 5


def transient(exc: BaseException) -> bool:
    """The database rolled the transaction back for a reason that a retry removes (SQLSTATE
    class 40: deadlock detected, serialization failure): nothing of it was committed."""
    return isinstance(exc, asyncpg.exceptions.TransactionRollbackError)


#: a factory of transactions yielding the connection (``None`` with the in-memory fakes)
UnitOfWork = Callable[[], AbstractAsyncContextManager[Any]]


def pg_unit_of_work(pool: asyncpg.Pool) -> UnitOfWork:
    """A factory of transactions on ``pool`` yielding the connection."""

    @asynccontextmanager
    async def transaction() -> AsyncIterator[asyncpg.Connection]:
        with counting_appends():  # appends count as committed only if this commits
            async with pool.acquire() as conn, conn.transaction():
                yield conn

    return transaction


@asynccontextmanager
async def joined(conn: Any) -> AsyncIterator[Any]:
    """The caller's open transaction: yields ``conn``; commit and rollback stay the caller's."""
    yield conn
