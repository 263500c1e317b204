"""A loop that holds a connection for long - a lock's session (``run_as_leader``: the relay,
the checkpointer), the token cache's LISTEN - outlives the database going away under it,
whatever asyncpg raises for that. Among those errors is ``InternalClientError`` ("cannot switch
to state 11; another operation (2) is in progress"): the dying server's error reached the held
connection while it sat idle and left asyncpg's protocol mid-operation, and the next statement
raises it. It is no ``PostgresError`` or ``InterfaceError``: before ``db.SESSION_LOST`` a chaos
run's clues copy exited on it, its relay standing by."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from xuncha_shared.auth.token_cache import CHANNEL, TokenCache
from xuncha_shared.leadership import LeaderState, run_as_leader

pytestmark = pytest.mark.unit

MID_OPERATION = asyncpg.InternalClientError(
    "cannot switch to state 11; another operation (2) is in progress"
)


class _Conn:
    def __init__(self, fails: bool) -> None:
        self.fails = fails
        self.statements: list[str] = []
        #: the callbacks registered now: each loop must remove what it added
        self.on_termination: list[Any] = []
        self.channels: list[str] = []

    async def fetchval(self, query: str, *args: Any, **kw: Any) -> Any:
        self.statements.append(query)
        if self.fails:
            raise MID_OPERATION
        return True

    async def execute(self, query: str, *args: Any) -> str:
        self.statements.append(query)
        if self.fails:
            raise MID_OPERATION
        return "SELECT 1"

    def add_termination_listener(self, callback: Any) -> None:
        self.on_termination.append(callback)

    def remove_termination_listener(self, callback: Any) -> None:
        self.on_termination.remove(callback)

    async def add_listener(self, channel: str, callback: Any) -> None:
        if self.fails:
            raise MID_OPERATION
        self.channels.append(channel)

    async def remove_listener(self, channel: str, callback: Any) -> None:
        self.channels.remove(channel)

    def is_closed(self) -> bool:
        return False


class _Pool:
    """Hands out a connection left mid-operation first, then sound ones."""

    def __init__(self) -> None:
        self.handed: list[_Conn] = []
        self.released: list[_Conn] = []

    async def acquire(self) -> _Conn:
        self.handed.append(_Conn(fails=not self.handed))
        return self.handed[-1]

    async def release(self, conn: _Conn) -> None:
        self.released.append(conn)


async def test_a_lock_session_left_mid_operation_is_let_go_and_the_lock_taken_again() -> None:
    pool = _Pool()
    stop = asyncio.Event()
    ran: list[int] = []

    async def body(must_finish: asyncio.Event) -> None:
        ran.append(1)
        stop.set()

    state = LeaderState()
    leading = run_as_leader(pool, "clues.relay", body, stop, state=state, interval=0.01)  # type: ignore[arg-type]
    await asyncio.wait_for(leading, 5)
    assert ran == [1] and state.terms == 1
    assert len(pool.handed) == 2 and pool.released == pool.handed  # the broken one given back
    broken, sound = pool.handed
    assert broken.statements[0].startswith("SELECT pg_try_advisory_lock")
    assert sound.statements[0].startswith("SELECT pg_try_advisory_lock")
    assert sound.on_termination == []  # the lock's watch on its session removed at the end


class _ListenPool(_Pool):
    def acquire(self) -> Any:  # ``async with pool.acquire() as conn``
        pool = self

        class _Acquired:
            async def __aenter__(self) -> _Conn:
                return await _Pool.acquire(pool)

            async def __aexit__(self, *exc: object) -> None:
                await pool.release(pool.handed[-1])

        return _Acquired()


async def test_the_token_cache_listener_outlives_a_connection_left_mid_operation() -> None:
    pool = _ListenPool()
    cache = TokenCache()
    cache.retry_after = 0.01
    stop = asyncio.Event()
    task = asyncio.create_task(cache.listen(pool, stop))  # type: ignore[arg-type]
    try:
        for _ in range(500):
            if cache.listening:
                break
            await asyncio.sleep(0.01)
        assert cache.listening and len(pool.handed) == 2
        assert not task.done()
        broken, sound = pool.handed
        assert broken.channels == [] and sound.channels == [CHANNEL]
        assert broken in pool.released  # the broken one given back
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    assert sound.channels == [] and sound.on_termination == []  # nothing left on it at the end
