"""A commit listener whose connection is lost (PostgreSQL restarted, or the backend was ended)
neither raises nor stays deaf: asyncpg gives a lost connection back to its pool and detaches
it, so asking it anything raised ``InterfaceError`` - which stopped every service whose deadline
worker asked ``CommitSignal.listening`` after PostgreSQL was killed. The listener now says it
is not listening, and LISTENs again (``RELISTEN_S``) once the database answers."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from xuncha_shared import commit_signal
from xuncha_shared.commit_signal import CommitSignal
from xuncha_shared.migrations import EVENTS_CHANNEL

pytestmark = pytest.mark.integration


async def _end_backend(pool: asyncpg.Pool, pid: int) -> None:
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)


async def _until(predicate: object, seconds: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not predicate():  # type: ignore[operator]
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_lost_listener_says_so_and_listens_again(
    fresh_db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commit_signal, "RELISTEN_S", 0.2)
    pool: asyncpg.Pool = fresh_db.pool  # type: ignore[attr-defined]
    signal = CommitSignal(pool, poll_interval=0.02, idle_interval=600)
    stop = asyncio.Event()
    await signal.listen()
    try:
        assert signal.listening
        pid = signal._conn.get_server_pid()
        await _end_backend(pool, pid)
        # the loss wakes a waiter at once; asking never raises
        assert await signal.wait_at_most(stop, 10)
        assert not signal.listening
        await signal.close()  # nothing to give back: the pool took it

        await signal.listen()
        assert signal.listening
        pid = signal._conn.get_server_pid()
        await _end_backend(pool, pid)
        # asked before the termination callback ran: still no exception
        await _until(lambda: not signal.listening)

        # LISTEN again, no sooner than RELISTEN_S after the last attempt
        await signal.listen_again()
        assert not signal.listening
        await asyncio.sleep(0.25)
        await signal.listen_again()
        assert signal.listening and signal._conn.get_server_pid() != pid
        # the second loss's wake may still be pending (its callback ran after the check
        # above): taken now, so that the wake below is the notification's
        await signal.wait_at_most(stop, 0)
        async with pool.acquire() as conn:
            await conn.execute(f"NOTIFY {EVENTS_CHANNEL}")
        assert await signal.wait_at_most(stop, 10)
        await _until(lambda: signal.notified == 1)
    finally:
        await signal.close()


async def test_listening_again_while_the_database_refuses_is_a_warning_not_a_failure(
    fresh_db: object, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(commit_signal, "RELISTEN_S", 0.0)
    signal = CommitSignal(fresh_db.pool, poll_interval=0.02, idle_interval=600)  # type: ignore[attr-defined]

    class Refusing:
        async def acquire(self, **_: object) -> None:
            raise ConnectionRefusedError("the database is down")

    signal.pool = Refusing()  # type: ignore[assignment]
    await signal.listen_again()
    assert not signal.listening
    assert "cannot listen for commits" in caplog.text
    await signal.wait(asyncio.Event())  # the short poll, no exception
