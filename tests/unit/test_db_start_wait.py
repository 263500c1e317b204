"""A service started while PostgreSQL is down or recovering waits for it
(``create_pool_when_ready``) instead of exiting at once to be restarted by its supervisor;
anything but "not yet" - a wrong password, an unknown database - stops it at once."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from xuncha_shared import db

pytestmark = pytest.mark.unit


def _pool_after(failures: list[BaseException], calls: list[str]) -> Any:
    async def create_pool(dsn: str, **_: object) -> str:
        calls.append(dsn)
        if failures:
            raise failures.pop(0)
        return "pool"

    return create_pool


async def test_a_database_that_refuses_then_recovers_is_waited_for(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []
    failures: list[BaseException] = [
        ConnectionRefusedError(111, "Connection refused"),
        asyncpg.CannotConnectNowError("the database system is not yet accepting connections"),
    ]
    monkeypatch.setattr(db, "create_pool", _pool_after(failures, calls))
    assert await db.create_pool_when_ready("postgresql://x/y", wait=10) == "pool"
    assert len(calls) == 3
    assert caplog.text.count("does not accept connections yet") == 1  # one warning, not one a try


async def test_the_wait_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    failures: list[BaseException] = [ConnectionRefusedError(111, "refused")] * 100
    monkeypatch.setattr(db, "create_pool", _pool_after(failures, calls))
    with pytest.raises(ConnectionRefusedError):
        await db.create_pool_when_ready("postgresql://x/y", wait=0.6)
    assert 2 <= len(calls) <= 3


async def test_a_wrong_password_is_not_waited_out(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    failures: list[BaseException] = [asyncpg.InvalidPasswordError("password authentication failed")]
    monkeypatch.setattr(db, "create_pool", _pool_after(failures, calls))
    with pytest.raises(asyncpg.InvalidPasswordError):
        await db.create_pool_when_ready("postgresql://x/y", wait=10)
    assert len(calls) == 1


class _Pool:
    def __init__(self) -> None:
        self.terminated = False

    def terminate(self) -> None:
        self.terminated = True


async def test_a_database_lost_during_the_start_up_work_is_waited_for(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pools: list[_Pool] = []

    async def create_pool(dsn: str, **_: object) -> _Pool:
        pools.append(_Pool())
        return pools[-1]

    losses: list[BaseException] = [
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    ]

    async def prepare(pool: _Pool) -> str:
        if losses:
            raise losses.pop(0)
        return "migrated"

    monkeypatch.setattr(db, "create_pool", create_pool)
    pool, prepared = await db.prepared_pool_when_ready("postgresql://x/y", prepare, wait=10)
    assert (pool, prepared) == (pools[-1], "migrated")
    assert [p.terminated for p in pools] == [True, True, False]  # a lost pool is dropped
    assert caplog.text.count("went away while starting") == 2


async def test_a_start_up_failure_of_another_kind_is_raised_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pools: list[_Pool] = []

    async def create_pool(dsn: str, **_: object) -> _Pool:
        pools.append(_Pool())
        return pools[-1]

    async def prepare(pool: _Pool) -> str:
        raise asyncpg.UndefinedTableError('relation "events" does not exist')

    monkeypatch.setattr(db, "create_pool", create_pool)
    with pytest.raises(asyncpg.UndefinedTableError):
        await db.prepared_pool_when_ready("postgresql://x/y", prepare, wait=10)
    assert len(pools) == 1 and pools[0].terminated


async def test_a_database_lost_again_and_again_is_waited_for_a_bounded_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def create_pool(dsn: str, **_: object) -> _Pool:
        return _Pool()

    calls: list[int] = []

    async def prepare(pool: _Pool) -> str:
        calls.append(1)
        raise asyncpg.CrashShutdownError("terminating connection because of crash of another")

    monkeypatch.setattr(db, "create_pool", create_pool)
    with pytest.raises(asyncpg.CrashShutdownError):
        await db.prepared_pool_when_ready("postgresql://x/y", prepare, wait=0.6)
    assert 2 <= len(calls) <= 3
