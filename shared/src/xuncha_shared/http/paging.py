"""Server-side paging of the workbench's lists: ``limit``/``offset`` with the ``total`` of what
the filters match, and a ``sort`` parameter checked against the columns a list allows.

``sort`` is a column name, ``-`` in front for descending (``-registered_at``); anything else is a
422 problem on ``query.sort`` naming the allowed keys. The SQL fragment comes only from the
route's own mapping (key -> SQL expression), never from the request's text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fastapi import Query

from xuncha_shared.http.problems import invalid

#: the largest page a list answers
MAX_LIMIT = 500


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool

    @property
    def text(self) -> str:
        return ("-" if self.descending else "") + self.key

    def sql(self, columns: Mapping[str, str], tiebreak: str) -> str:
        """``ORDER BY`` body: the key's expression (NULLs last) then ``tiebreak``, so pages never
        overlap."""
        direction = "DESC" if self.descending else "ASC"
        return f"{columns[self.key]} {direction} NULLS LAST, {tiebreak}"


def parse_sort(value: str, allowed: Mapping[str, str]) -> Sort:
    key = value.removeprefix("-")
    if key not in allowed:
        keys = ", ".join(sorted(allowed))
        raise invalid(
            "query.sort", f"排序字段无效 / sort by one of {keys} (prefix - for descending)"
        )
    return Sort(key=key, descending=value.startswith("-"))


def sort_param(allowed: Mapping[str, str], default: str) -> Callable[[str], Sort]:
    """A FastAPI dependency: the ``sort`` query parameter checked against ``allowed``."""
    keys = ", ".join(sorted(allowed))

    # a default (not an Annotated closure): the annotations of this module are strings
    def dependency(
        sort: str = Query(default, max_length=64, description=f"{keys}; prefix - for descending"),
    ) -> Sort:
        return parse_sort(sort, allowed)

    return dependency
