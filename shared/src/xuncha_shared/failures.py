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


def dependency_unavailable(exc: BaseException, *, follow_context: bool = True) -> bool:
    """``exc`` (or what caused it) says a dependency is unreachable, not that the code failed.
    ``follow_context``: also an error it was raised while handling (``__context__``), as the
    HTTP layer judges a request; else only ``exc`` itself."""
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
        if not follow_context:
            return False
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


#: an OSError of the local machine's files, never of a dependency: a bug, not an outage
_LOCAL_OS_ERRORS: tuple[type[BaseException], ...] = (
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
)


def _redeliverable_alone(exc: BaseException) -> bool:
    if isinstance(exc, ConcurrencyError):  # a lost race for a stream's next version
        return True
    if isinstance(exc, _LOCAL_OS_ERRORS):
        return False
    if isinstance(exc, asyncpg.exceptions.QueryCanceledError):
        # 57014, a statement_timeout or a cancel: the same record would meet it again
        return False
    if isinstance(exc, asyncpg.exceptions.InterfaceError):
        # a pool closing (the process stopping) or a connection closed under the handler;
        # asyncpg's other client-side errors (DataError, wrong argument counts, unsupported
        # types) are the handler's bugs
        return any(word in str(exc) for word in ("closed", "closing"))
    return dependency_unavailable(exc, follow_context=False)


def redeliverable(exc: BaseException) -> bool:
    """``exc``, or an error it was explicitly raised from (``__cause__``), goes away when the
    record is handled again later: the database down, restarting or recovering (SQLSTATE class
    57, a crash's 57P02 as much as recovery's 57P03; not a cancelled statement), a connection
    refused or lost, a pool closing, a deadlock, a lost optimistic-concurrency race. Such a
    record is never dead-lettered: Kafka delivers it again. An error merely raised while
    handling another (``__context__``) is judged alone: a bug in an ``except`` block stays a
    bug, dead-lettered after its attempts."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if _redeliverable_alone(current):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False
