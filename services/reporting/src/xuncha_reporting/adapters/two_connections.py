"""Work split over two connections to reporting's database, so PostgreSQL uses two cores: a
bulk load (``BulkTables.load``) and a comparison (``compare``) handle ``BESIDE_TABLES`` on the
second connection while the other tables are handled on the first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

#: the tables handled on the second connection: the largest, about half of a term's rows and
#: most of its bytes, which no other table's load reads
BESIDE_TABLES: tuple[str, ...] = ("lifecycle_docs",)


async def on_both(*sides: Awaitable[T]) -> list[T]:
    """The outcomes of ``sides``, run at once; every side runs to its end before the first
    failure is raised (the others logged): no connection is left mid-statement."""
    outcomes = await asyncio.gather(*sides, return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    for other in failures[1:]:
        log.error("the other side failed too", exc_info=other)
    if failures:
        raise failures[0]
    return [o for o in outcomes if not isinstance(o, BaseException)]
