"""Views computed once per projection generation: the linked view and the coverage read every
lifecycle document of the caller's scope and fold them in Python (16–28 ms a request at a whole
term's 2 million events), and a page of the deadline list sorts every deadline of its scope,
while their answer changes only when the projection does.

A view is kept under its inputs (the route, the caller's scope, its parameters) with the
``Generation`` it was read at, inside the same snapshot as its rows. A request first reads the
current generation (one small query, outside any transaction: the latest committed) and is
answered from the cache when the kept generation equals it; otherwise the view is computed
again. Every projected change moves ``meta.version`` in its own transaction, and a rebuilt or
upgraded projection is another ``meta`` table, so an equal generation means equal tables.
Requests that miss together share one computation (``view``): the 50 readers arriving at once
after a change compute the view once, not 50 times. Entries also expire after ``ttl``
seconds: a hand edit of the tables that leaves the version where it was, or a database
restored under a running service, shows after that and one computation at the latest (an
expired entry at an equal generation is still answered while one computation refreshes it, so
that no reader waits on the refresh). The least recently used go beyond ``size``.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

import asyncpg
from xuncha_shared.metrics import VIEW_CACHE_LOOKUPS

from xuncha_reporting.adapters.projection_tables import Generation, ProjectionTables, read_snapshot

V = TypeVar("V")

#: the current generation, as ``ProjectionViews`` asks for it
GenerationRead = Callable[[], Awaitable[Generation]]

#: kept views per process (a scope, a term, a route: a city has a few dozen)
CACHE_SIZE = 256
#: seconds a kept view may be served (at equal generations)
CACHE_TTL_SECONDS = 30.0


class ViewCache:
    def __init__(
        self,
        size: int = CACHE_SIZE,
        ttl: float = CACHE_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        *,
        name: str = "view",
    ) -> None:
        """``name``: the view's label in the lookups metric (``xuncha_view_cache_lookups``)."""
        self.name = name
        self.size = size
        self.ttl = ttl
        self.clock = clock
        self._views: OrderedDict[Hashable, tuple[Generation, float, Any]] = OrderedDict()
        #: the computations running, by key (the generation each read, and its view)
        self._running: dict[Hashable, asyncio.Future[tuple[Generation, Any]]] = {}
        self.hits = 0
        self.misses = 0

    async def view(
        self,
        key: Hashable,
        current: Generation,
        compute: Callable[[], Awaitable[tuple[Generation, Any]]],
    ) -> Any:
        """The view under ``key`` at the ``current`` generation: kept, the one a computation
        running for ``key`` gives when it read ``current`` too, or computed (``compute`` reads
        the generation and the view in one snapshot, and its result is kept)."""
        kept = self.get(key, current)
        if kept is not None:
            self._count("hit")
            return kept
        expired = self._views.get(key)
        if expired is not None and expired[0] == current:
            # expired at the generation asked for: answered as kept while one computation
            # refreshes it (the expiry bounds a hand edit's staleness, it is no change of the
            # tables: every reader waiting on the refresh would cost more than it protects)
            self._count("stale")
            if key not in self._running:
                self._start(key, compute)
            return expired[2]
        running = self._running.get(key)
        if running is not None:
            try:
                generation, view = await asyncio.shield(running)
            except Exception:  # its failure is its caller's; compute here
                pass
            else:
                if generation == current:
                    self._count("shared")
                    return view
        self._count("computed")
        task = self._start(key, compute)
        _, view = await asyncio.shield(task)  # kept even when this request goes away
        return view

    def _start(
        self, key: Hashable, compute: Callable[[], Awaitable[tuple[Generation, Any]]]
    ) -> asyncio.Future[tuple[Generation, Any]]:
        """Run ``compute`` for ``key``; its result is kept when it succeeds."""
        task = asyncio.ensure_future(compute())
        self._running[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))
        return task

    def _count(self, outcome: str) -> None:
        VIEW_CACHE_LOOKUPS.add(1, {"view": self.name, "outcome": outcome})

    def _finished(self, key: Hashable, task: asyncio.Future[tuple[Generation, Any]]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        # a failure is its caller's (retrieved here: nobody may await it any more)
        if not task.cancelled() and task.exception() is None:
            generation, view = task.result()
            self.put(key, generation, view)

    def get(self, key: Hashable, generation: Generation) -> Any | None:
        """The view kept under ``key`` if it was read at ``generation`` and has not expired."""
        kept = self._views.get(key)
        if kept is None or kept[0] != generation or self.clock() - kept[1] > self.ttl:
            self.misses += 1
            return None
        self._views.move_to_end(key)
        self.hits += 1
        return kept[2]

    def put(self, key: Hashable, generation: Generation, view: Any) -> None:
        """Keep ``view``, read at ``generation``, under ``key``."""
        self._views[key] = (generation, self.clock(), view)
        self._views.move_to_end(key)
        while len(self._views) > self.size:
            self._views.popitem(last=False)

    def __len__(self) -> int:
        return len(self._views)


class ProjectionViews:
    """Views of one projection kept per generation: ``view`` asks ``generation`` for the
    current one (the process's ``CoalescedRead`` of ``ProjectionTables.generation``: one small
    query outside any transaction, shared by the requests that ask at once, never older than
    the request), and on a miss runs ``read`` in one snapshot with the generation it read
    there, which the view is kept under."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        tables: ProjectionTables,
        name: str,
        generation: GenerationRead,
    ) -> None:
        """``name``: the views' label in the lookups metric."""
        self.pool = pool
        self.tables = tables
        self.generation = generation
        self.cache = ViewCache(name=name)

    async def view(
        self, key: Hashable, read: Callable[[asyncpg.Connection, Generation], Awaitable[V]]
    ) -> V:
        """The view under ``key``: kept at the current generation, or ``read(conn,
        generation)`` in a read-only repeatable-read snapshot."""

        async def compute() -> tuple[Generation, V]:
            async with read_snapshot(self.pool) as conn:
                generation = await self.tables.generation(conn)
                return generation, await read(conn, generation)

        view: V = await self.cache.view(key, await self.generation(), compute)
        return view
