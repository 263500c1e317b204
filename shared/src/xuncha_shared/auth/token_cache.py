"""Resolved tokens kept in one process, for as long as it hears of every revocation.

Looking a token up in ``auth_tokens`` was the largest single cost of a cheap authenticated read
(about a sixth of its CPU, and one more query for the database). A service process that serves
HTTP keeps what it resolved, keyed by the token's hash, under three conditions:

* **it listens**: a connection of its own runs ``LISTEN xuncha_auth_tokens``, on which every
  revocation (:func:`xuncha_shared.auth.tokens.TokenStore.revoke`, so ``xuncha tokens revoke``
  and ``rotate``) notifies the token's hash in the revoking transaction. The notification is
  delivered when that transaction commits and drops the entry. While the listener is not
  connected (starting, the database restarting) nothing is kept and every request reads the
  table, as without the cache; when it connects again everything kept before is dropped;
* **no notification raced the read**: every notification moves a generation, and a row read
  under an older generation is not kept (a revocation committed between the read and the
  keeping would otherwise be missed);
* **for at most ``ttl`` seconds** (30): what no notification announces (a hand edit of the
  table) is seen within that time. A token's own ``expires_at`` is checked on every use.

So a revoked token stops working as soon as its notification arrives (milliseconds after the
commit), and a process that cannot hear revocations behaves exactly as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from xuncha_shared.db import SESSION_LOST
from xuncha_shared.domain.principals import Principal

__all__ = ["CHANNEL", "TokenCache"]

logger = logging.getLogger("xuncha_shared.auth")

#: the channel revocations are notified on (payload: the token's hash)
CHANNEL = "xuncha_auth_tokens"


@dataclass(frozen=True, slots=True)
class _Kept:
    principal: Principal
    kept_until: float  # monotonic
    expires_at: datetime | None


class TokenCache:
    """Principals of resolved tokens, by token hash (see the module's docstring)."""

    def __init__(
        self,
        *,
        ttl: float = 30.0,
        max_entries: int = 10_000,
        ping_every: float = 10.0,
        retry_after: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.ping_every = ping_every
        self.retry_after = retry_after
        self._monotonic = monotonic
        self._entries: dict[str, _Kept] = {}
        self._generation = 0
        self.listening = False

    # --- the cache ------------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """Read before looking a token up; hand it to :meth:`keep` with the row."""
        return self._generation

    def get(self, token_hash: str) -> Principal | None:
        kept = self._entries.get(token_hash)
        if kept is None:
            return None
        if not self.listening or self._monotonic() >= kept.kept_until:
            self._entries.pop(token_hash, None)
            return None
        if kept.expires_at is not None and kept.expires_at <= datetime.now(UTC):
            self._entries.pop(token_hash, None)
            return None
        return kept.principal

    def keep(
        self,
        token_hash: str,
        principal: Principal,
        expires_at: datetime | None,
        generation: int,
    ) -> None:
        """Keep a row read under ``generation``, unless something was revoked since or the
        listener is not connected."""
        if not self.listening or generation != self._generation:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))  # the oldest kept
        self._entries[token_hash] = _Kept(principal, self._monotonic() + self.ttl, expires_at)

    def forget(self, token_hash: str | None = None) -> None:
        """Drop one token (``None``: every token); rows being read now will not be kept."""
        self._generation += 1
        if token_hash is None:
            self._entries.clear()
        else:
            self._entries.pop(token_hash, None)

    def __len__(self) -> int:
        return len(self._entries)

    # --- the listener ---------------------------------------------------------------------

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.forget(payload.strip() or None)

    async def listen(self, pool: asyncpg.Pool, stop: asyncio.Event) -> None:
        """Hold a connection of ``pool`` listening on :data:`CHANNEL` until ``stop``; keep
        nothing while it is not connected. Never raises: a lost connection is retried every
        ``retry_after`` seconds."""
        while not stop.is_set():
            try:
                await self._listen_once(pool, stop)
            except SESSION_LOST as exc:
                logger.warning(
                    "token revocations not heard (%s); tokens are looked up on every request",
                    exc,
                )
            finally:
                self.listening = False
                self.forget()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.retry_after)

    async def _listen_once(self, pool: asyncpg.Pool, stop: asyncio.Event) -> None:
        async with pool.acquire() as conn:
            lost = asyncio.Event()

            def on_lost(_conn: Any) -> None:
                self.listening = False
                self.forget()
                lost.set()

            conn.add_termination_listener(on_lost)
            await conn.add_listener(CHANNEL, self._notified)
            try:
                self.forget()  # whatever was read before the LISTEN is not kept
                self.listening = True
                while True:
                    await _first_of(stop, lost, within=self.ping_every)
                    if stop.is_set():
                        return
                    if lost.is_set():
                        raise ConnectionError("the connection listening for revocations closed")
                    # a connection that died without a word raises here
                    await conn.fetchval("SELECT 1", timeout=self.ping_every)
            finally:
                self.listening = False
                self.forget()
                conn.remove_termination_listener(on_lost)
                if not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.remove_listener(CHANNEL, self._notified)


async def _first_of(*events: asyncio.Event, within: float) -> None:
    """Wait until one of ``events`` is set, at most ``within`` seconds."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
