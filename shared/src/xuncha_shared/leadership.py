"""One active process at a time: a PostgreSQL advisory lock held for as long as the work runs.

Several copies of a service (``make up REPLICAS=2``, production) run the same background work,
but some of it must run in one copy only: the outbox relay (two would publish every event twice
and race on the stored position) and the audit checkpointer (two would sign each head twice).
:func:`run_as_leader` runs such work under a session-level advisory lock of the service's own
database:

* the copy that takes the lock is *active* and runs ``body(inner_stop)``;
* the others *stand by*, trying again every ``interval`` seconds, so one takes over within about
  a second after the active copy's session ends (a killed process's connection is closed by the
  kernel, PostgreSQL drops its locks at once);
* the active copy watches its lock's session: when that session is gone (PostgreSQL restarted,
  the connection was cut) the lock may already belong to another copy, so ``inner_stop`` is
  set, the body finishes, and the copy stands by again. A closed connection is noticed at once
  (asyncpg's termination listener: PostgreSQL ended the session, or the socket closed); a query
  every ``check_interval`` seconds (10 s) catches a cut that closes nothing. (It used to query
  every second, which was most of an idle service's database traffic.)

Between the loss of a session and its detection (at once when the connection closes, else at
most ``check_interval`` plus a query timeout) two copies may both run. For the relay that only
means an event may be sent twice, which the consumers' inboxes drop (every event carries its
id); no work is lost either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from xuncha_shared.db import SESSION_LOST

log = logging.getLogger("xuncha.leadership")


def advisory_key(name: str) -> int:
    """The 64-bit advisory lock key of ``name`` (``intake.relay``)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@dataclass
class LeaderState:
    """Where a :func:`run_as_leader` loop stands (readiness and status read it)."""

    standing_by: bool = False
    leading: bool = False
    #: how many times this process became active
    terms: int = 0


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; True if ``stop`` was set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


async def run_as_leader(
    pool: asyncpg.Pool,
    name: str,
    body: Callable[[asyncio.Event], Awaitable[None]],
    stop: asyncio.Event,
    *,
    state: LeaderState | None = None,
    interval: float = 1.0,
    check_interval: float = 10.0,
    body_grace: float = 10.0,
) -> None:
    """Run ``body`` while this process holds the advisory lock ``name``; until ``stop``.

    ``body`` gets an event that is set when it must finish (``stop``, or the lock's session
    lost); it is awaited up to ``body_grace`` seconds, then cancelled. An exception of ``body``
    propagates (the caller's process fails, as it would without leadership)."""
    key = advisory_key(name)
    state = state if state is not None else LeaderState()
    while not stop.is_set():
        conn: asyncpg.Connection | None = None
        try:
            conn = await pool.acquire()
            announced = False
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
                state.standing_by = True
                if not announced:
                    log.info("%s: another process is active, standing by", name)
                    announced = True
                if await _wait(stop, interval):
                    return
            state.standing_by, state.leading = False, True
            state.terms += 1
            log.info("%s: active (term %d of this process)", name, state.terms)
            await _lead(conn, name, body, stop, interval, check_interval, body_grace)
        except SESSION_LOST as exc:  # the database restarted, the connection cut
            log.warning("%s: lost the database session of its lock (%s); standing by", name, exc)
        finally:
            state.leading = False
            if conn is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.execute("SELECT pg_advisory_unlock_all()"), 2)
                with contextlib.suppress(Exception):
                    await pool.release(conn)
        if not stop.is_set():
            await _wait(stop, interval)


async def _lead(
    conn: asyncpg.Connection,
    name: str,
    body: Callable[[asyncio.Event], Awaitable[None]],
    stop: asyncio.Event,
    interval: float,
    check_interval: float,
    body_grace: float,
) -> None:
    inner = asyncio.Event()
    lost = asyncio.Event()

    def on_lost(_conn: object) -> None:
        lost.set()

    conn.add_termination_listener(on_lost)
    task = asyncio.ensure_future(body(inner))
    try:
        while not task.done() and not stop.is_set():
            waits = {asyncio.ensure_future(lost.wait()), asyncio.ensure_future(stop.wait())}
            try:
                await asyncio.wait(
                    {task, *waits}, timeout=check_interval, return_when="FIRST_COMPLETED"
                )
            finally:
                for waiting in waits:
                    waiting.cancel()
            if task.done() or stop.is_set():
                break
            # the lock lives as long as this session: a dead session means a lost lock (a
            # closed connection raises here at once)
            async with asyncio.timeout(max(interval * 5, 5.0)):
                await conn.fetchval("SELECT 1")
    finally:
        with contextlib.suppress(Exception):
            conn.remove_termination_listener(on_lost)
        inner.set()
        if not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), body_grace)
            except TimeoutError:
                log.warning("%s: did not finish within %.0f s; cancelled", name, body_grace)
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            except BaseException:
                if not task.done():
                    task.cancel()
                raise
    if not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]
