"""Views computed once per projection generation: the linked view and the coverage read every
lifecycle document of the caller's scope and fold them in Python (16–28 ms a request at a whole
term's 2 million events), while their answer changes only when the projection does.

A view is kept under its inputs (the route, the caller's scope, its parameters) with the
``Generation`` it was read at, inside the same snapshot as its rows. A request first reads the
current generation (one small query, outside any transaction: the latest committed) and is
answered from the cache when the kept generation equals it; otherwise the view is computed
again. Every projected change moves ``meta.version`` in its own transaction, and a rebuilt or
upgraded projection is another ``meta`` table, so an equal generation means equal tables.
Entries also expire after ``ttl`` seconds: a hand edit of the tables that leaves the version
where it was, or a database restored under a running service, is served after that at the
latest. The least recently used go beyond ``size``.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from xuncha_reporting.adapters.projection_tables import Generation

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
    ) -> None:
        self.size = size
        self.ttl = ttl
        self.clock = clock
        self._views: OrderedDict[Hashable, tuple[Generation, float, Any]] = OrderedDict()
        self.hits = 0
        self.misses = 0

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
