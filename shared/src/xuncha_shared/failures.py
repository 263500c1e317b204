"""Which failures go away when the work is tried again later.

:func:`dependency_unavailable`, a dependency down rather than the code wrong, is one answer for
the whole platform: an HTTP request that meets it is answered 503 with ``Retry-After``
(``xuncha_shared.http.responses``), and a consumer that meets it lets Kafka deliver the record
again instead of dead-lettering it (:func:`redeliverable`, ``xuncha_shared.consumer``). The
database restarting is the usual case: a SIGKILLed PostgreSQL ends every session with class 57
("terminating connection because of crash of another server process", 57P02), refuses new
ones during its crash recovery (57P03), then accepts them again.
"""

from __future__ import annotations

import asyncpg

from xuncha_shared.eventstore.base import ConcurrencyError

#: the dependency is down, restarting or recovering: trying again later succeeds
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # connection refused or reset
    TimeoutError,
    asyncpg.exceptions.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutdown, crash, recovery
    asyncpg.exceptions.TooManyConnectionsError,  # 53300: the server's connection slots full
    asyncpg.exceptions.ConnectionDoesNotExistError,  # the connection closed mid-query
    # class 40: rolled back to break a deadlock (or a serialization conflict) after the
    # command loop's own retries: nothing was committed, trying again later succeeds
    asyncpg.exceptions.TransactionRollbackError,
)


def dependency_unavailable(exc: BaseException) -> bool:
    """``exc`` (or what caused it) says a dependency is unreachable, not that the code failed."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, _UNAVAILABLE):
            return True
        # the connection died under the request (asyncpg reports a closed connection, or a
        # protocol left mid-operation by it, as a client-side error)
        if isinstance(current, asyncpg.exceptions.InterfaceError) and "closed" in str(current):
            return True
        if isinstance(current, asyncpg.exceptions.InternalClientError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


#: failures of a consumer's own making that trying again fixes, beside a dependency that is
#: down (:func:`xuncha_shared.unavailable.dependency_unavailable`): a pool closing or a
#: connection in a bad state, and a lost race for a stream's next version
_RETRYABLE: tuple[type[BaseException], ...] = (asyncpg.InterfaceError, ConcurrencyError)


def redeliverable(exc: BaseException) -> bool:
    """``exc`` goes away when the record is handled again later: the database down, restarting
    or recovering (all of SQLSTATE class 57, a crash's 57P02 as much as recovery's 57P03, also
    as the cause of another error), a connection lost, a deadlock, a lost optimistic-concurrency
    race. Such a record is never dead-lettered: Kafka delivers it again."""
    return isinstance(exc, _RETRYABLE) or dependency_unavailable(exc)
