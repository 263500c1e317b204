"""Waking on commit: the relay sleeps until a transaction that added events commits, instead of
polling the events table fifty times a second.

Core migration 2 (``events_notify``) makes every statement that inserts into ``events`` notify
the channel :data:`~xuncha_shared.migrations.EVENTS_CHANNEL`; PostgreSQL delivers the
notification when that transaction commits (once per transaction, however many statements). A
:class:`CommitSignal` listens on one connection of its own and tells the relay when to look.

The commit-safe read may still hold a committed event back for a moment (an older transaction
of the cluster is still open: docs/event-store.md), so after a notification or a non-empty read
the relay keeps its short poll for :data:`FAST_WINDOW_S`. A notified commit stays *owed* until
the relay has found nothing held back (``settled()``): while it is owed the relay polls every
:data:`OWED_POLL_S`, so a hold-back longer than the window delays an event by at most that.
Otherwise it waits for the next notification, and polls at ``idle_interval`` anyway (10 s by
default, ``XUNCHA_RELAY_IDLE_POLL_MS``): an event written without a notification (triggers
disabled by a bulk load) costs at most that. A dropped listening connection wakes the relay at
once; without a listening connection (it failed or was closed) the relay polls at the short
interval, as before, and :meth:`CommitSignal.wait` tries to LISTEN again every
:data:`RELISTEN_S` (after PostgreSQL restarted, say), so the short poll lasts only while the
database cannot be reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg

from xuncha_shared.db import SESSION_LOST
from xuncha_shared.migrations import EVENTS_CHANNEL

log = logging.getLogger("xuncha.relay")

#: after a notification or a non-empty read: short polls for this long (seconds)
FAST_WINDOW_S = 2.0
#: while a notified commit may still be held back: polls this often (seconds)
OWED_POLL_S = 1.0
#: without a listening connection: another LISTEN is tried this often (seconds)
RELISTEN_S = 5.0
#: the longest a LISTEN waits for a connection of the pool (seconds)
LISTEN_ACQUIRE_S = 2.0


class CommitSignal:
    """A LISTEN on ``channel`` (:data:`EVENTS_CHANNEL`) over a connection of ``pool``, held
    while open."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        poll_interval: float,
        idle_interval: float,
        channel: str = EVENTS_CHANNEL,
    ) -> None:
        self.pool = pool
        self.channel = channel
        self.poll_interval = poll_interval
        self.idle_interval = max(idle_interval, poll_interval)
        self._conn: Any = None
        self._woken = asyncio.Event()
        self._fast_until = 0.0
        self._owed = False
        self._listen_again_at = 0.0
        #: notifications received (for tests and metrics)
        self.notified = 0

    @property
    def listening(self) -> bool:
        conn = self._conn
        if conn is None:
            return False
        try:
            return not conn.is_closed()
        except asyncpg.InterfaceError:
            # lost: asyncpg gave it back to the pool and detached it (``_lost`` may not have
            # run yet); any call on it raises
            self._conn = None
            return False

    async def listen(self) -> None:
        """LISTEN on a connection of the pool (a failure leaves the relay polling)."""
        self._listen_again_at = asyncio.get_running_loop().time() + RELISTEN_S
        try:
            conn = await self.pool.acquire(timeout=LISTEN_ACQUIRE_S)
        except SESSION_LOST as exc:
            log.warning("relay: cannot listen for commits (%s); polling instead", exc)
            return
        try:
            await conn.add_listener(self.channel, self._notified)
        except SESSION_LOST as exc:
            log.warning("relay: cannot listen for commits (%s); polling instead", exc)
            with contextlib.suppress(Exception):
                await self.pool.release(conn)
            return
        conn.add_termination_listener(self._lost)
        self._conn = conn
        self.stay_fast()

    async def close(self) -> None:
        """Stop listening and give the connection back."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            conn.remove_termination_listener(self._lost)
            await conn.remove_listener(self.channel, self._notified)
        with contextlib.suppress(Exception):
            await self.pool.release(conn)

    def _notified(self, *_: object) -> None:
        self.notified += 1
        self._owed = True
        self._woken.set()

    @property
    def owed(self) -> bool:
        """A commit was notified and the short-poll window has passed without the relay having
        found nothing held back since (see :meth:`settled`)."""
        return self._owed and asyncio.get_running_loop().time() >= self._fast_until

    def settled(self) -> None:
        """Nothing committed waits any more (the relay checked): back to the long idle poll."""
        self._owed = False

    def _lost(self, *_: object) -> None:
        self._conn = None  # the pool took it back (asyncpg releases a lost connection itself)
        self._woken.set()  # look now, then poll at the short interval (``listening`` is false)

    async def listen_again(self) -> None:
        """LISTEN again when not listening, at most every :data:`RELISTEN_S`."""
        if not self.listening and asyncio.get_running_loop().time() >= self._listen_again_at:
            await self.listen()

    def arm(self) -> None:
        """Forget the notifications received so far: called right before a read, which sees
        every commit notified before it (notifications arrive after their commit), so only a
        notification received after this needs another read."""
        self._woken.clear()

    def wake(self) -> None:
        """Make the current (or next) :meth:`wait` return at once."""
        self._woken.set()

    def stay_fast(self) -> None:
        """Something was just read: more may follow right behind it."""
        self._fast_until = asyncio.get_running_loop().time() + FAST_WINDOW_S

    async def wait(self, stop: asyncio.Event) -> None:
        """Until a commit is notified, ``stop`` is set, or the current interval passed."""
        await self.listen_again()
        loop = asyncio.get_running_loop()
        if not self.listening or loop.time() < self._fast_until:
            timeout = self.poll_interval
        elif self._owed:
            timeout = min(OWED_POLL_S, self.idle_interval)
        else:
            timeout = self.idle_interval
        if await self.wait_at_most(stop, timeout):
            self.stay_fast()

    async def wait_at_most(self, stop: asyncio.Event, seconds: float) -> bool:
        """Until a commit is notified, ``stop`` is set, or ``seconds`` passed; True when
        a commit was notified (meanwhile or since the last wait)."""
        if not self._woken.is_set() and not stop.is_set() and seconds > 0:
            woken = asyncio.ensure_future(self._woken.wait())
            stopped = asyncio.ensure_future(stop.wait())
            try:
                first = asyncio.FIRST_COMPLETED
                await asyncio.wait({woken, stopped}, timeout=seconds, return_when=first)
            finally:
                woken.cancel()
                stopped.cancel()
        if self._woken.is_set():
            self._woken.clear()
            return True
        return False
